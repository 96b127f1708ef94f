//! Calling plugins: the one way an invocation is made ([`App::invoke_plugin`], which counts it
//! and files its failure), and the synchronous dispatch of validate and before-* hooks, actions
//! and reports.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use super::ownership::{Owners, check_owners};
use super::plugin_host::{PluginHost, Writes};
use super::plugins::{LoadedPlugin, WorkspacePlugins};
use super::{App, field_access};
use crate::error::{Error, FieldError, Result};
use crate::plugin::bindings::{self, types as wit};
use crate::plugin::{
    CallResult, CallSite, Failure, FailureKind, Hook, InvocationStore, MAX_OUTPUT_BYTES,
};
use crate::store::Actor;
use crate::store::{StoredFailure, StoredRecord, Tx};

/// Most field errors one validate hook may return.
const MAX_FIELD_ERRORS: usize = 1000;
/// Largest report a plugin may return, all rows together.
const MAX_REPORT_BYTES: usize = 8 * 1024 * 1024;
/// Most columns of a report.
const MAX_REPORT_COLUMNS: usize = 100;

/// The record an invocation was about, to file its failure under.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Subject<'a> {
    pub entity_type: Option<&'a str>,
    pub record_id: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn record(entity_type: &'a str, id: &'a str) -> Subject<'a> {
        Subject {
            entity_type: Some(entity_type),
            record_id: Some(id),
        }
    }
}

impl App {
    /// Runs one export of a plugin on a fresh instance under its limits. Every invocation is
    /// counted; a failure is also kept (with its reason) for the admin.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn invoke_plugin<R, F>(
        &self,
        workspace: &str,
        plugin: &LoadedPlugin,
        hook: &str,
        subject: Subject<'_>,
        host: PluginHost,
        deadline_ms: u64,
        call: F,
    ) -> std::result::Result<(R, PluginHost), Failure>
    where
        R: Send,
        F: for<'a> FnOnce(
                &'a bindings::Plugin,
                &'a mut InvocationStore<PluginHost>,
            )
                -> std::pin::Pin<Box<dyn Future<Output = CallResult<R>> + Send + 'a>>
            + Send,
    {
        let site = CallSite {
            plugin: plugin.qualified.clone(),
            hook: hook.to_owned(),
        };
        let started = Instant::now();
        let outcome = self
            .plugins
            .runtime
            .invoke(
                &plugin.compiled,
                &site,
                host,
                plugin.limits,
                deadline_ms,
                call,
            )
            .await;
        self.plugins.stats.record(
            workspace,
            &plugin.package,
            &plugin.manifest.name,
            hook,
            started.elapsed(),
            outcome.is_err(),
        );
        if let Err(failure) = &outcome {
            self.file_failure(
                workspace,
                plugin,
                hook,
                failure.kind.as_str(),
                &failure.reason,
                subject,
            );
        }
        outcome
    }

    /// Keeps a failure for the admin (`GET /api/v1/packages/{name}/failures`), in the
    /// background: the caller may still hold a write transaction (on SQLite, the one writer),
    /// and a failure must never wait for, or fail, the request it happened in. A database
    /// problem here is logged.
    pub(super) fn file_failure(
        &self,
        workspace: &str,
        plugin: &LoadedPlugin,
        hook: &str,
        kind: &str,
        reason: &str,
        subject: Subject<'_>,
    ) {
        tracing::warn!(plugin = %plugin.qualified, hook, kind, reason, "plugin invocation failed");
        let failure = StoredFailure {
            id: uuid::Uuid::now_v7().to_string(),
            at: crate::clock::now(),
            package: plugin.package.clone(),
            plugin: plugin.manifest.name.clone(),
            hook: hook.to_owned(),
            kind: kind.to_owned(),
            reason: reason.chars().take(2000).collect(),
            entity_type: subject.entity_type.map(str::to_owned),
            record_id: subject.record_id.map(str::to_owned),
        };
        let store = self.store.clone();
        let workspace = workspace.to_owned();
        let qualified = plugin.qualified.clone();
        tokio::spawn(async move {
            if let Err(error) = store.record_failure(&workspace, &failure).await {
                tracing::error!(%error, plugin = %qualified, "cannot keep a plugin failure");
            }
        });
    }

    pub(super) fn plugin_host(
        &self,
        workspace: &str,
        plugin: &LoadedPlugin,
        writes: Writes,
        tx: Option<Tx>,
        actor: &Actor,
    ) -> PluginHost {
        PluginHost {
            app: self.me.upgrade().expect("the app outlives its requests"),
            workspace: workspace.to_owned(),
            plugin: plugin.qualified.clone(),
            capabilities: plugin.manifest.capabilities.clone(),
            config: plugin.config.clone(),
            actor: Actor {
                kind: crate::store::ActorKind::Plugin,
                id: plugin.qualified.clone(),
                name: plugin.qualified.clone(),
                via: format!("plugin {}", plugin.qualified),
                request_id: actor.request_id.clone(),
                user: actor.user.clone(),
            },
            // Inside a request, the plugin never gains more than the request's user.
            user_access: super::access::REQUEST_ACCESS.try_with(Clone::clone).ok(),
            writes,
            tx,
        }
    }

    /// Runs the validate hooks of a type on a record; their field errors join the schema's.
    pub(super) async fn plugin_validate(
        &self,
        plugins: &WorkspacePlugins,
        workspace: &str,
        event: &wit::RecordEvent,
        actor: &Actor,
    ) -> Result<Vec<FieldError>> {
        let mut errors = Vec::new();
        let subject = Subject::record(&event.entity_type, &event.id);
        for plugin in plugins.subscribed(&event.entity_type, Hook::Validate) {
            let host = self.plugin_host(workspace, &plugin, Writes::Never, None, actor);
            let call_event = event_for(&plugin, event);
            let (found, _) = self
                .invoke_plugin(
                    workspace,
                    &plugin,
                    "validate",
                    subject,
                    host,
                    plugin.limits.sync_deadline_ms,
                    move |instance, store| {
                        Box::pin(async move {
                            let found = instance
                                .xrm_plugin_hooks()
                                .call_validate(store, call_event)
                                .await?;
                            Ok(Ok(found))
                        })
                    },
                )
                .await
                .map_err(Error::PluginFailed)?;
            let size: usize = found
                .iter()
                .map(|e| e.path.len() + e.keyword.len() + e.message.len())
                .sum();
            if found.len() > MAX_FIELD_ERRORS || size > MAX_OUTPUT_BYTES {
                return Err(self
                    .bad_output(
                        workspace,
                        &plugin,
                        "validate",
                        subject,
                        FailureKind::Limit,
                        format!(
                            "returned {} field errors ({size} bytes); the limit is {MAX_FIELD_ERRORS} errors and {MAX_OUTPUT_BYTES} bytes",
                            found.len()
                        ),
                    )
                    .await);
            }
            errors.extend(
                found
                    .into_iter()
                    .map(|e| FieldError::new(e.path, e.keyword, e.message)),
            );
        }
        Ok(errors)
    }

    /// A plugin answered something the API forbids: filed like any failure, and the error for
    /// the request.
    async fn bad_output(
        &self,
        workspace: &str,
        plugin: &LoadedPlugin,
        hook: &str,
        subject: Subject<'_>,
        kind: FailureKind,
        reason: String,
    ) -> Error {
        self.file_failure(workspace, plugin, hook, kind.as_str(), &reason, subject);
        Error::PluginFailed(Failure {
            plugin: plugin.qualified.clone(),
            hook: hook.to_owned(),
            kind,
            reason,
        })
    }

    /// Runs the before-* hooks of a type in the write transaction. Returns the transaction,
    /// the record as the plugins left it (`None`: unchanged) and the owners they gave it
    /// (`None`: unchanged), checked in the transaction.
    pub(super) async fn plugin_before(
        &self,
        plugins: &WorkspacePlugins,
        workspace: &str,
        hook: Hook,
        mut event: wit::RecordEvent,
        mut tx: Tx,
        actor: &Actor,
    ) -> Result<(Tx, Option<Value>, Option<Owners>)> {
        let mut changed = None;
        let mut owners = None;
        let id = event.id.clone();
        let entity_type = event.entity_type.clone();
        let subject = Subject::record(&entity_type, &id);
        for plugin in plugins.subscribed(&entity_type, hook) {
            let host = self.plugin_host(workspace, &plugin, Writes::InRequest, Some(tx), actor);
            let call_event = event_for(&plugin, &event);
            let (outcome, host) = self
                .invoke_plugin(
                    workspace,
                    &plugin,
                    hook.as_str(),
                    subject,
                    host,
                    plugin.limits.sync_deadline_ms,
                    move |instance, store| {
                        Box::pin(async move {
                            let outcome = instance
                                .xrm_plugin_hooks()
                                .call_before_change(store, call_event)
                                .await?;
                            Ok(Ok(outcome))
                        })
                    },
                )
                .await
                .map_err(Error::PluginFailed)?;
            tx = host.tx.expect("a before hook keeps its transaction");
            let outcome = match outcome {
                Ok(_) if hook == Hook::BeforeDelete => Ok((None, None)),
                Ok(result) => Ok((result.record, result.ownership)),
                Err(refusal) => Err(refusal),
            };
            if let Ok((_, Some(ownership))) = &outcome {
                let given = Owners {
                    owned_by: ownership.owned_by.clone(),
                    owning_team: ownership.owning_team.clone(),
                };
                if let Err(reason) = self
                    .before_owners(&mut tx, workspace, &plugin, &entity_type, &given)
                    .await?
                {
                    drop(tx);
                    return Err(self
                        .bad_output(
                            workspace,
                            &plugin,
                            hook.as_str(),
                            subject,
                            FailureKind::BadOutput,
                            reason,
                        )
                        .await);
                }
                event.record = event.record.as_deref().map(|text| owned_text(text, &given));
                owners = Some(given);
            }
            match outcome {
                Ok((None, _)) => {}
                Ok((Some(text), _)) => {
                    let value = match record_output(&text) {
                        Ok(value) => value,
                        Err((kind, reason)) => {
                            // Roll the request back before reporting.
                            drop(tx);
                            return Err(self
                                .bad_output(
                                    workspace,
                                    &plugin,
                                    hook.as_str(),
                                    subject,
                                    kind,
                                    reason,
                                )
                                .await);
                        }
                    };
                    let value = match plugin.manifest.capabilities.fields_of(&entity_type) {
                        Some(fields) => field_access::merge_visible(
                            event.record.as_deref().unwrap_or("{}"),
                            value,
                            fields,
                        ),
                        None => value,
                    };
                    let mut value = value;
                    if let Some(given) = &owners {
                        set_owners(&mut value, given);
                    }
                    event.record = Some(value.to_string());
                    changed = Some(value);
                }
                Err(refusal) => return Err(refused(&plugin.qualified, hook.as_str(), refusal)),
            }
        }
        Ok((tx, changed, owners))
    }

    /// Checks the owners a before-hook gave the record: the plugin must have the write
    /// capability on the type, and the user and team must exist in the workspace (read in the
    /// request's transaction). `Ok(Err(reason))`: the plugin's fault, for its failure report.
    async fn before_owners(
        &self,
        tx: &mut Tx,
        workspace: &str,
        plugin: &LoadedPlugin,
        entity_type: &str,
        owners: &Owners,
    ) -> Result<std::result::Result<(), String>> {
        if !plugin.manifest.capabilities.may_write(entity_type) {
            return Ok(Err(format!(
                "set the owners of a {entity_type:?} record, but its manifest does not declare the write capability on {entity_type:?}"
            )));
        }
        match check_owners(tx, workspace, owners).await {
            Ok(()) => Ok(Ok(())),
            Err(Error::Unprocessable { errors, .. }) => Ok(Err(format!(
                "set owners that do not exist: {}",
                errors
                    .iter()
                    .map(|e| format!("{} ({})", e.message, e.path))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))),
            Err(other) => Err(other),
        }
    }

    /// Runs a declared action on a record. Its writes share one transaction, committed only
    /// when the action succeeds.
    pub async fn run_action(
        &self,
        workspace: &str,
        type_name: &str,
        id: &str,
        name: &str,
        input: Value,
        actor: &Actor,
    ) -> Result<Value> {
        let record = self.get_record(workspace, type_name, id).await?;
        let plugins = self.workspace_plugins(workspace).await?;
        let (plugin, index) = plugins
            .action(type_name, name)
            .ok_or_else(|| Error::not_found(format!("action '{name}' on {type_name}")))?;
        if let Some(schema) = &plugin.manifest.actions[index].input_schema {
            let errors = schema_errors(schema, &input)?;
            if !errors.is_empty() {
                return Err(Error::unprocessable(
                    "invalid_action_input",
                    format!("the input of action {name} is not valid"),
                    errors,
                ));
            }
        }
        let host = self.plugin_host(workspace, &plugin, Writes::OwnTransaction, None, actor);
        let request = wit::ActionRequest {
            entity_type: type_name.to_owned(),
            id: record.id.clone(),
            name: name.to_owned(),
            input: input.to_string(),
            actor: actor.recorded(),
        };
        let hook = format!("action {name}");
        let subject = Subject::record(type_name, &record.id);
        let (outcome, host) = self
            .invoke_plugin(
                workspace,
                &plugin,
                &hook,
                subject,
                host,
                plugin.limits.async_deadline_ms,
                |instance, store| {
                    Box::pin(async move {
                        let outcome = instance
                            .xrm_plugin_hooks()
                            .call_run_action(store, request)
                            .await?;
                        Ok(Ok(outcome))
                    })
                },
            )
            .await
            .map_err(Error::PluginFailed)?;
        let output = outcome.map_err(|refusal| refused(&plugin.qualified, &hook, refusal))?;
        let output: Value = match serde_json::from_str(&output) {
            Ok(output) => output,
            Err(e) => {
                drop(host);
                return Err(self
                    .bad_output(
                        workspace,
                        &plugin,
                        &hook,
                        subject,
                        FailureKind::BadOutput,
                        format!("returned output that is not JSON: {e}"),
                    )
                    .await);
            }
        };
        if let Some(tx) = host.tx {
            self.commit(tx, workspace, 0).await?;
        }
        Ok(output)
    }

    /// The reports the workspace's enabled plugins offer.
    pub async fn list_reports(&self, workspace: &str) -> Result<Vec<Value>> {
        let plugins = self.workspace_plugins(workspace).await?;
        let mut reports: Vec<Value> = plugins
            .plugins
            .iter()
            .flat_map(|plugin| {
                plugin.manifest.reports.iter().map(|report| {
                    json!({
                        "name": report.name,
                        "display_name": report.display_name.clone().unwrap_or_else(|| report.name.clone()),
                        "description": report.description,
                        "package": plugin.package,
                        "plugin": plugin.manifest.name,
                        "parameters": report.parameters,
                    })
                })
            })
            .collect();
        reports.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        Ok(reports)
    }

    /// Runs a report with the request's query parameters (read as the types its parameters
    /// schema declares, then checked against it).
    pub async fn run_report(
        &self,
        workspace: &str,
        name: &str,
        parameters: BTreeMap<String, String>,
        actor: &Actor,
    ) -> Result<Value> {
        let plugins = self.workspace_plugins(workspace).await?;
        let (plugin, report) = plugins
            .plugins
            .iter()
            .find_map(|plugin| {
                plugin
                    .manifest
                    .reports
                    .iter()
                    .find(|r| r.name == name)
                    .map(|r| (plugin.clone(), r.clone()))
            })
            .ok_or_else(|| Error::not_found(format!("report '{name}'")))?;
        let schema = report
            .parameters
            .clone()
            .unwrap_or_else(|| json!({"type": "object", "additionalProperties": false}));
        let typed = typed_parameters(&schema, &parameters);
        let errors = schema_errors(&schema, &typed)?;
        if !errors.is_empty() {
            return Err(Error::unprocessable(
                "invalid_report_parameters",
                format!("the parameters of report {name} are not valid"),
                errors,
            ));
        }
        let host = self.plugin_host(workspace, &plugin, Writes::Never, None, actor);
        let request = wit::ReportRequest {
            name: name.to_owned(),
            parameters: serde_json::to_string(&parameters).expect("strings serialise"),
            actor: actor.recorded(),
        };
        let hook = format!("report {name}");
        let (outcome, _) = self
            .invoke_plugin(
                workspace,
                &plugin,
                &hook,
                Subject::default(),
                host,
                plugin.limits.async_deadline_ms,
                |instance, store| {
                    Box::pin(async move {
                        let outcome = instance
                            .xrm_plugin_hooks()
                            .call_run_report(store, request)
                            .await?;
                        Ok(Ok(outcome))
                    })
                },
            )
            .await
            .map_err(Error::PluginFailed)?;
        let shaped = match outcome {
            Ok(output) => report_json(output).map_err(|reason| (FailureKind::BadOutput, reason)),
            Err(message) => Err((
                FailureKind::Error,
                format!(
                    "the report failed: {}",
                    message.chars().take(1000).collect::<String>()
                ),
            )),
        };
        match shaped {
            Ok((columns, rows, chart)) => Ok(json!({
                "name": name,
                "display_name": report.display_name.unwrap_or_else(|| name.to_owned()),
                "package": plugin.package,
                "plugin": plugin.manifest.name,
                "parameters": typed,
                "generated_at": crate::clock::now(),
                "columns": columns,
                "rows": rows,
                "chart": chart,
            })),
            Err((kind, reason)) => Err(self
                .bad_output(workspace, &plugin, &hook, Subject::default(), kind, reason)
                .await),
        }
    }
}

/// The event as `plugin` may see it: records cut to its declared fields, if it declared any.
pub(super) fn event_for(plugin: &LoadedPlugin, event: &wit::RecordEvent) -> wit::RecordEvent {
    let mut event = event.clone();
    if let Some(fields) = plugin.manifest.capabilities.fields_of(&event.entity_type) {
        event.record = event
            .record
            .map(|text| field_access::project_text(&text, fields));
        event.previous = event
            .previous
            .map(|text| field_access::project_text(&text, fields));
    }
    event
}

/// Writes `owners` into a record's system fields, as the next hook and the API show them.
fn set_owners(record: &mut Value, owners: &Owners) {
    if let Some(object) = record.as_object_mut() {
        object.insert("owned_by".into(), owners.owned_by.clone().into());
        object.insert("owning_team".into(), owners.owning_team.clone().into());
    }
}

/// A record's JSON text with its owners replaced.
fn owned_text(text: &str, owners: &Owners) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut record) => {
            set_owners(&mut record, owners);
            record.to_string()
        }
        Err(_) => text.to_owned(),
    }
}

/// A record a before-hook returned: JSON, an object, not over the size limit.
fn record_output(text: &str) -> std::result::Result<Value, (FailureKind, String)> {
    if text.len() > MAX_OUTPUT_BYTES {
        return Err((
            FailureKind::Limit,
            format!(
                "returned a record of {} bytes; the limit is {MAX_OUTPUT_BYTES}",
                text.len()
            ),
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            FailureKind::BadOutput,
            format!("returned a record that is not JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err((
            FailureKind::BadOutput,
            "returned a record that is not a JSON object".into(),
        ));
    }
    Ok(value)
}

/// Every way `value` breaks `schema`, as field errors.
fn schema_errors(schema: &Value, value: &Value) -> Result<Vec<FieldError>> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| Error::Internal(format!("a declared schema does not compile: {e}")))?;
    Ok(validator
        .iter_errors(value)
        .map(|e| {
            FieldError::new(
                e.instance_path().to_string(),
                e.kind().keyword(),
                e.to_string(),
            )
        })
        .collect())
}

/// Query parameters as the types the schema's properties declare; a value that does not read
/// as its type stays text, so the schema check names it.
fn typed_parameters(schema: &Value, parameters: &BTreeMap<String, String>) -> Value {
    let object = parameters
        .iter()
        .map(|(name, text)| {
            let declared = schema["properties"][name]["type"]
                .as_str()
                .unwrap_or("string");
            let value = match declared {
                "integer" => text.parse::<i64>().map(Value::from).ok(),
                "number" => text
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number)),
                "boolean" => match text.as_str() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => None,
                },
                _ => None,
            };
            (
                name.clone(),
                value.unwrap_or_else(|| Value::String(text.clone())),
            )
        })
        .collect();
    Value::Object(object)
}

/// A report's columns, rows and chart as the API shows them, after checking that they agree.
fn report_json(report: wit::Report) -> std::result::Result<(Value, Vec<Value>, Value), String> {
    if report.columns.is_empty() || report.columns.len() > MAX_REPORT_COLUMNS {
        return Err(format!(
            "returned {} columns; a report has 1 to {MAX_REPORT_COLUMNS}",
            report.columns.len()
        ));
    }
    let mut names = std::collections::HashSet::new();
    for column in &report.columns {
        if !names.insert(column.name.as_str()) {
            return Err(format!("returned the column {:?} twice", column.name));
        }
    }
    let size: usize = report.rows.iter().map(String::len).sum();
    if size > MAX_REPORT_BYTES {
        return Err(format!(
            "returned {size} bytes of rows; the limit is {MAX_REPORT_BYTES}"
        ));
    }
    let mut rows = Vec::with_capacity(report.rows.len());
    for (index, text) in report.rows.iter().enumerate() {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(cells)) if cells.len() == report.columns.len() => {
                rows.push(Value::Array(cells));
            }
            Ok(_) => {
                return Err(format!(
                    "row {index} is not an array of {} values",
                    report.columns.len()
                ));
            }
            Err(e) => return Err(format!("row {index} is not JSON: {e}")),
        }
    }
    let chart = match report.chart {
        None => Value::Null,
        Some(chart) => {
            for column in std::iter::once(&chart.x).chain(chart.y.iter()) {
                if !names.contains(column.as_str()) {
                    return Err(format!("the chart names the unknown column {column:?}"));
                }
            }
            json!({
                "kind": match chart.kind {
                    wit::ChartKind::Bar => "bar",
                    wit::ChartKind::Line => "line",
                    wit::ChartKind::Pie => "pie",
                },
                "x": chart.x,
                "y": chart.y,
            })
        }
    };
    let columns = report
        .columns
        .into_iter()
        .map(|column| {
            json!({
                "name": column.name,
                "label": column.label,
                "kind": match column.kind {
                    wit::ColumnKind::Text => "text",
                    wit::ColumnKind::Number => "number",
                    wit::ColumnKind::Integer => "integer",
                    wit::ColumnKind::Boolean => "boolean",
                    wit::ColumnKind::Date => "date",
                    wit::ColumnKind::DateTime => "date-time",
                },
            })
        })
        .collect();
    Ok((Value::Array(columns), rows, chart))
}

/// A record event for the hooks, with the record as the API shows it.
pub(super) fn record_event(
    entity_type: &str,
    operation: wit::Operation,
    id: &str,
    record: Option<&StoredRecord>,
    previous: Option<&StoredRecord>,
    actor: &Actor,
) -> wit::RecordEvent {
    wit::RecordEvent {
        entity_type: entity_type.to_owned(),
        operation,
        id: id.to_owned(),
        record: record.map(super::record_text),
        previous: previous.map(super::record_text),
        actor: actor.recorded(),
    }
}

fn refused(plugin: &str, hook: &str, refusal: wit::Refusal) -> Error {
    match refusal {
        wit::Refusal::Invalid(errors) => Error::unprocessable(
            "refused_by_plugin",
            format!("plugin {plugin} refused the record in {hook}"),
            errors
                .into_iter()
                .map(|e| FieldError::new(e.path, e.keyword, e.message))
                .collect(),
        ),
        wit::Refusal::Conflict(message) => Error::conflict(
            "refused_by_plugin",
            format!(
                "plugin {plugin} refused the operation in {hook}: {}",
                message.chars().take(1000).collect::<String>()
            ),
            vec![],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_as_their_declared_types() {
        let schema = json!({"type": "object", "properties": {
            "days": {"type": "integer"}, "share": {"type": "number"},
            "open": {"type": "boolean"}, "owner": {"type": "string"}}});
        let given: BTreeMap<String, String> = [
            ("days", "90"),
            ("share", "0.8"),
            ("open", "true"),
            ("owner", "42"),
            ("other", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            typed_parameters(&schema, &given),
            json!({"days": 90, "share": 0.8, "open": true, "owner": "42", "other": "x"})
        );
        let bad: BTreeMap<String, String> = [("days".to_owned(), "ninety".to_owned())].into();
        let typed = typed_parameters(&schema, &bad);
        let errors = schema_errors(&schema, &typed).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "/days");
    }

    fn column(name: &str) -> wit::Column {
        wit::Column {
            name: name.into(),
            label: name.into(),
            kind: wit::ColumnKind::Number,
        }
    }

    #[test]
    fn a_report_whose_parts_disagree_is_refused() {
        let report = |rows: Vec<&str>, chart: Option<wit::Chart>| wit::Report {
            columns: vec![column("a"), column("b")],
            rows: rows.into_iter().map(str::to_owned).collect(),
            chart,
        };
        let (columns, rows, chart) = report_json(report(vec!["[1, 2]"], None)).unwrap();
        assert_eq!(columns[1]["kind"], "number");
        assert_eq!(rows, vec![json!([1, 2])]);
        assert_eq!(chart, Value::Null);
        assert!(
            report_json(report(vec!["[1]"], None))
                .unwrap_err()
                .contains("row 0 is not an array of 2 values")
        );
        assert!(
            report_json(report(vec!["{"], None))
                .unwrap_err()
                .contains("not JSON")
        );
        let chart = wit::Chart {
            kind: wit::ChartKind::Bar,
            x: "a".into(),
            y: vec!["c".into()],
        };
        assert!(
            report_json(report(vec![], Some(chart)))
                .unwrap_err()
                .contains("unknown column \"c\"")
        );
        let twice = wit::Report {
            columns: vec![column("a"), column("a")],
            rows: vec![],
            chart: None,
        };
        assert!(report_json(twice).unwrap_err().contains("twice"));
    }
}
