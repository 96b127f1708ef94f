//! [`PluginHost`]: what a plugin's host calls act on — its workspace, its capabilities, and the
//! transaction its writes belong to.

use std::sync::Arc;

use serde_json::Value;

use super::access::{Access, RecordOp};
use super::ownership::Owners;
use super::records::Change;
use super::{App, ListRequest, field_access};
use crate::error::Error;
use crate::plugin::bindings::types::{Member, Ownership};
use crate::plugin::{BoxFuture, HostApi, HostCallError, QueryArgs};
use crate::store::Actor;
use crate::store::Tx;

/// Most records one host query returns.
const MAX_QUERY_TOP: u32 = 500;

/// Whether and where a plugin's host calls may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Writes {
    /// Validate hooks and reports only read.
    Never,
    /// Before-* hooks write in the request's transaction, which they are given.
    InRequest,
    /// Actions, after-change hooks and schedules get a transaction of their own, begun at their
    /// first write (so one that only reads never holds SQLite's write lock) and committed only
    /// if the invocation succeeds.
    OwnTransaction,
}

/// What a plugin's host calls act on: its workspace, its capabilities, and the transaction its
/// writes belong to.
pub struct PluginHost {
    pub(super) app: Arc<App>,
    pub(super) workspace: String,
    pub(super) plugin: String,
    pub(super) capabilities: crate::plugin::manifest::Capabilities,
    pub(super) config: String,
    /// Writes are recorded as made by the plugin.
    pub(super) actor: Actor,
    /// The rights of the user whose request runs the plugin (synchronous hooks, actions):
    /// every host call must be allowed to the plugin *and* to them.
    pub(super) user_access: Option<Access>,
    pub(super) writes: Writes,
    /// The transaction of the writes made so far (always present for `Writes::InRequest`).
    pub tx: Option<Tx>,
}

impl PluginHost {
    fn denied(&self, what: &str, entity_type: &str) -> HostCallError {
        HostCallError::Denied(format!(
            "plugin {} may not {what} {entity_type:?} records: its manifest does not declare that capability",
            self.plugin
        ))
    }

    /// What the plugin's queries are limited to: the request user's rights, or (in the
    /// background) the whole workspace, within the capabilities checked separately.
    fn access(&self) -> Access {
        match &self.user_access {
            Some(access) => access.acting_as(self.actor.clone()),
            None => Access::system(&self.workspace, self.actor.clone()),
        }
    }

    /// Checks the request user's right to an operation on an existing record.
    async fn check_user_record(
        &mut self,
        entity_type: &str,
        id: &str,
        op: RecordOp,
    ) -> std::result::Result<(), HostCallError> {
        let Some(access) = self.user_access.clone() else {
            return Ok(());
        };
        let found = match &mut self.tx {
            Some(tx) => tx.get_record_for_update(&self.workspace, id).await,
            None => self.app.store.get_record(&self.workspace, id).await,
        }
        .map_err(call_error)?;
        let Some(record) = found.filter(|r| r.entity_type == entity_type) else {
            return Ok(()); // the write itself reports the missing record
        };
        access
            .check_record(entity_type, op, &record)
            .map_err(|error| self.user_denied(error))
    }

    fn user_denied(&self, error: Error) -> HostCallError {
        match error {
            Error::NotFound { what } => HostCallError::NotFound(format!("{what} not found")),
            other => HostCallError::Denied(format!(
                "plugin {} acts for the request's user, who may not do this: {other}",
                self.plugin
            )),
        }
    }

    fn may_read(&self, entity_type: &str) -> std::result::Result<(), HostCallError> {
        if self.capabilities.may_read(entity_type) {
            Ok(())
        } else {
            Err(self.denied("read", entity_type))
        }
    }

    /// A record (JSON text) as this plugin may see it.
    fn shown(&self, entity_type: &str, text: String) -> String {
        let text = match self.capabilities.fields_of(entity_type) {
            Some(fields) => field_access::project_text(&text, fields),
            None => text,
        };
        // Running for a user, the plugin sees no more than they do.
        match &self.user_access {
            Some(access) => field_access::strip_hidden(&text, &access.hidden_fields(entity_type)),
            None => text,
        }
    }

    /// Refuses a body or patch that touches fields the plugin did not declare.
    fn check_written_fields(
        &self,
        entity_type: &str,
        body: &Value,
    ) -> std::result::Result<(), HostCallError> {
        let Some(fields) = self.capabilities.fields_of(entity_type) else {
            return Ok(());
        };
        let outside = field_access::undeclared(body, fields);
        if outside.is_empty() {
            return Ok(());
        }
        Err(HostCallError::Denied(format!(
            "plugin {} may not write the field(s) {} of {entity_type:?} records: its manifest declares only {}",
            self.plugin,
            outside.join(", "),
            fields.join(", ")
        )))
    }

    /// Refuses a filter or sort by fields the plugin does not see.
    async fn check_query_fields(
        &self,
        entity_type: &str,
        query: &QueryArgs,
    ) -> std::result::Result<(), HostCallError> {
        let Some(fields) = self.capabilities.fields_of(entity_type) else {
            return Ok(());
        };
        let compiled = self
            .app
            .types
            .get(&self.app.store, &self.workspace, entity_type)
            .await
            .map_err(call_error)?;
        let catalog = field_access::VisibleFields {
            entity_type: &compiled,
            fields,
        };
        let mut problem = None;
        if let Some(text) = &query.filter
            && let Ok(filter) = crate::query::parse_filter(text)
            && let Err(error) = crate::query::check_filter(&filter, &catalog)
        {
            problem = Some(error.to_string());
        }
        if let Some(text) = &query.order_by
            && let Ok(keys) = crate::query::parse_orderby(text)
            && let Err(error) = crate::query::check_orderby(&keys, &catalog)
        {
            problem = Some(error.to_string());
        }
        match problem {
            None => Ok(()),
            Some(problem) => Err(HostCallError::Denied(format!(
                "plugin {} may filter and sort {entity_type:?} records only by the fields its manifest declares ({}) and system fields: {problem}",
                self.plugin,
                fields.join(", ")
            ))),
        }
    }

    /// Checks a write and returns the transaction it goes into, beginning it if need be.
    async fn write_tx(&mut self, entity_type: &str) -> std::result::Result<&mut Tx, HostCallError> {
        if !self.capabilities.may_write(entity_type) {
            return Err(self.denied("write", entity_type));
        }
        match self.writes {
            Writes::Never => {
                return Err(HostCallError::Denied(format!(
                    "plugin {}: validate hooks and reports cannot write records; use a before-* hook, an action, an after-* hook or a schedule",
                    self.plugin
                )));
            }
            Writes::InRequest => {}
            Writes::OwnTransaction => {
                if self.tx.is_none() {
                    self.tx = Some(self.app.store.begin().await.map_err(call_error)?);
                }
            }
        }
        self.tx.as_mut().ok_or_else(|| {
            HostCallError::Failed("the host could not complete the call; see its log".into())
        })
    }
}

fn call_error(error: Error) -> HostCallError {
    match error {
        Error::NotFound { what } => HostCallError::NotFound(format!("{what} not found")),
        Error::BadRequest { detail, .. } => HostCallError::BadRequest(detail),
        Error::Unprocessable { errors, detail, .. } if errors.is_empty() => {
            HostCallError::BadRequest(detail)
        }
        Error::Unprocessable { errors, .. } => HostCallError::Invalid(errors),
        Error::Conflict { detail, .. } => HostCallError::Conflict(detail),
        Error::PreconditionFailed { .. } => HostCallError::Conflict(error.to_string()),
        other => {
            tracing::warn!(error = %other, "plugin host call failed");
            HostCallError::Failed("the host could not complete the call; see its log".into())
        }
    }
}

fn parse_json(text: &str) -> std::result::Result<Value, HostCallError> {
    serde_json::from_str(text).map_err(|e| HostCallError::BadRequest(format!("not JSON: {e}")))
}

impl HostApi for PluginHost {
    fn get_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, std::result::Result<Option<String>, HostCallError>> {
        Box::pin(async move {
            self.may_read(entity_type)?;
            if super::check_id(id).is_err() {
                return Ok(None);
            }
            let found = match &mut self.tx {
                Some(tx) => tx
                    .get_record_for_update(&self.workspace, id)
                    .await
                    .map_err(call_error)?,
                None => self
                    .app
                    .store
                    .get_record(&self.workspace, id)
                    .await
                    .map_err(call_error)?,
            };
            Ok(found
                .filter(|r| r.entity_type == entity_type)
                .filter(|r| {
                    self.user_access.as_ref().is_none_or(|access| {
                        access.check_record(entity_type, RecordOp::Read, r).is_ok()
                    })
                })
                .map(|r| self.shown(entity_type, super::record_text(&r))))
        })
    }

    fn query_records<'a>(
        &'a mut self,
        entity_type: &'a str,
        query: QueryArgs,
    ) -> BoxFuture<'a, std::result::Result<Vec<String>, HostCallError>> {
        Box::pin(async move {
            self.may_read(entity_type)?;
            self.check_query_fields(entity_type, &query).await?;
            let request = ListRequest {
                filter: query.filter,
                orderby: query.order_by,
                top: Some(query.top.unwrap_or(50).min(MAX_QUERY_TOP).to_string()),
                ..ListRequest::default()
            };
            let page = self
                .app
                .list_records(&self.access(), entity_type, &request, None)
                .await
                .map_err(call_error)?;
            Ok(page
                .records
                .into_iter()
                .map(|text| self.shown(entity_type, text))
                .collect())
        })
    }

    fn create_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        data: &'a str,
    ) -> BoxFuture<'a, std::result::Result<String, HostCallError>> {
        Box::pin(async move {
            let body = parse_json(data)?;
            self.check_written_fields(entity_type, &body)?;
            if let Some(access) = &self.user_access {
                access
                    .require_create(entity_type)
                    .map_err(|error| self.user_denied(error))?;
            }
            let (app, workspace, actor) =
                (self.app.clone(), self.workspace.clone(), self.actor.clone());
            let tx = self.write_tx(entity_type).await?;
            let record = app
                .create_in(tx, &workspace, entity_type, body, &actor)
                .await
                .map_err(call_error)?;
            Ok(self.shown(entity_type, super::record_text(&record)))
        })
    }

    fn update_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
        patch: &'a str,
    ) -> BoxFuture<'a, std::result::Result<String, HostCallError>> {
        Box::pin(async move {
            let patch = parse_json(patch)?;
            self.check_written_fields(entity_type, &patch)?;
            self.check_user_record(entity_type, id, RecordOp::Update)
                .await?;
            let (app, workspace, actor) =
                (self.app.clone(), self.workspace.clone(), self.actor.clone());
            let tx = self.write_tx(entity_type).await?;
            let record = app
                .update_in(
                    tx,
                    &workspace,
                    entity_type,
                    id,
                    Change::MergePatch(patch),
                    &actor,
                )
                .await
                .map_err(call_error)?;
            Ok(self.shown(entity_type, super::record_text(&record)))
        })
    }

    fn delete_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, std::result::Result<(), HostCallError>> {
        Box::pin(async move {
            if let Some(fields) = self.capabilities.fields_of(entity_type) {
                return Err(HostCallError::Denied(format!(
                    "plugin {} may not delete {entity_type:?} records: it may change only the fields its manifest declares ({})",
                    self.plugin,
                    fields.join(", ")
                )));
            }
            self.check_user_record(entity_type, id, RecordOp::Delete)
                .await?;
            let (app, workspace, actor) =
                (self.app.clone(), self.workspace.clone(), self.actor.clone());
            let tx = self.write_tx(entity_type).await?;
            app.delete_in(tx, &workspace, entity_type, id, &actor)
                .await
                .map_err(call_error)
        })
    }

    fn assign_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
        owners: Ownership,
    ) -> BoxFuture<'a, std::result::Result<String, HostCallError>> {
        Box::pin(async move {
            self.check_user_record(entity_type, id, RecordOp::Update)
                .await?;
            let owners = Owners {
                owned_by: owners.owned_by,
                owning_team: owners.owning_team,
            };
            let (app, workspace, actor) =
                (self.app.clone(), self.workspace.clone(), self.actor.clone());
            let tx = self.write_tx(entity_type).await?;
            let record = app
                .assign_in(tx, &workspace, entity_type, id, &owners, &actor, |_| Ok(()))
                .await
                .map_err(call_error)?;
            Ok(self.shown(entity_type, super::record_text(&record)))
        })
    }

    fn list_members(&mut self) -> BoxFuture<'_, std::result::Result<Vec<Member>, HostCallError>> {
        Box::pin(async move {
            if !self.capabilities.members {
                return Err(HostCallError::Denied(format!(
                    "plugin {} may not list the workspace's members: its manifest does not declare the members capability",
                    self.plugin
                )));
            }
            self.app.members(&self.workspace).await.map_err(call_error)
        })
    }

    fn config(&self) -> String {
        self.config.clone()
    }
}
