//! Record writes and reads: validation, lookups, state machines, optimistic concurrency and
//! on-delete rules, each write in one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::App;
use super::access::{Access, RecordOp};
use super::hooks::record_event;
use super::ownership::Owners;
use super::plugins::WorkspacePlugins;
use crate::error::{Error, FieldError, ItemError, Result};
use crate::plugin::Hook;
use crate::plugin::bindings::types::Operation;
use crate::schema::{EntityType, OnDelete, SYSTEM_FIELDS};
use crate::store::{Actor, Dialect, InsertCommand, RecordChange, SearchText, StoredRecord, Tx};

/// Most records one bulk request may carry.
pub const MAX_BULK_ITEMS: usize = 1000;
/// How many times a write restarts when another writer changed the entity type under it.
const SCHEMA_RETRIES: usize = 3;

/// What the client asserted about the current version (`If-Match`).
#[derive(Debug, Clone, PartialEq)]
pub enum Precondition {
    /// No `If-Match`: last write wins, applied atomically on the current version.
    None,
    /// `If-Match: *`: the record must exist.
    Exists,
    /// `If-Match: "<version>"`.
    Version(i64),
}

/// The new content of an existing record.
#[derive(Debug, Clone)]
pub enum Change {
    /// The body replaces every data field.
    Replace(Value),
    /// The body is a JSON Merge Patch (RFC 7396) applied to the current data.
    MergePatch(Value),
}

/// A new record checked against its schema, ready to be written.
#[derive(Clone)]
struct NewRecord {
    id: Option<String>,
    data: Value,
}

/// How a bulk request treats records that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMode {
    Create,
    /// Records with an `id` that exists are replaced; the others are created.
    Upsert,
}

impl App {
    pub async fn get_record(
        &self,
        workspace: &str,
        type_name: &str,
        id: &str,
    ) -> Result<StoredRecord> {
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        check_id(id)?;
        match self.store.get_record(workspace, id).await? {
            Some(record) if record.entity_type == entity_type.name => Ok(record),
            _ => Err(Error::not_found(format!("{type_name} record '{id}'"))),
        }
    }

    pub async fn create_record(
        &self,
        workspace: &str,
        type_name: &str,
        body: Value,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        let plugins = self.workspace_plugins(workspace).await?;
        // Before-create hooks need the transaction; so do after-create deliveries where writes
        // are not grouped (PostgreSQL): they are written in the record's own transaction.
        let after_hooks = plugins.hooks_on(type_name, &[Hook::AfterCreate]);
        let grouped = self.store.dialect() == Dialect::Sqlite;
        if plugins.hooks_on(type_name, &[Hook::BeforeCreate]) || (after_hooks && !grouped) {
            return self
                .create_with_plugins(&plugins, workspace, type_name, body, actor)
                .await;
        }
        let validate_hooks = plugins.hooks_on(type_name, &[Hook::Validate]);
        for _ in 0..SCHEMA_RETRIES {
            let entity_type = self.types.get(&self.store, workspace, type_name).await?;
            // Validation runs before the write is queued: it is the expensive part, and it
            // needs no lock. Validate hooks need none either, so they keep the fast path.
            let new = if validate_hooks {
                self.prepare_new_with_hooks(&plugins, workspace, &entity_type, &body, actor, false)
                    .await?
            } else {
                prepare_new(&entity_type, &body)?
            };

            // The fast path: one guarded INSERT in a group commit (SQLite), with the record's
            // after-create deliveries chained to it.
            let record = new_stored_record(&entity_type, &new, actor);
            let deliveries = if after_hooks {
                let change = RecordChange {
                    workspace: workspace.to_owned(),
                    entity_type: record.entity_type.clone(),
                    id: record.id.clone(),
                    actor: actor.clone(),
                    before: None,
                    after: Some(record.clone()),
                };
                self.deliveries(&plugins, &change, 0)
            } else {
                Vec::new()
            };
            let command = InsertCommand {
                workspace: workspace.to_owned(),
                search: search_text(&entity_type, &new.data),
                type_version: entity_type.version,
                lookups: lookup_targets(&entity_type, &new.data),
                audited_as: Some(actor.clone()),
                deliveries,
                record,
            };
            let record = command.record.clone();
            let delivering = !command.deliveries.is_empty();
            match self.store.try_insert_grouped(command).await {
                Ok(true) => {
                    if delivering {
                        self.wake_deliveries();
                    }
                    return Ok(record);
                }
                Ok(false) => {}
                Err(error) => {
                    return Err(write_conflict(
                        error,
                        &entity_type,
                        workspace,
                        self.store.dialect(),
                    ));
                }
            }
            // A guard failed: the transactional path says precisely what is wrong, and writes
            // the deliveries if the record is written after all.
            if after_hooks {
                return self
                    .create_with_plugins(&plugins, workspace, type_name, body, actor)
                    .await;
            }

            // The transactional path: checks lookups one by one to say precisely what is wrong.
            let workspace_owned = workspace.to_owned();
            let actor = actor.clone();
            let compiled = entity_type.clone();
            let written = self
                .store
                .write(move |tx: &mut Tx| {
                    let (entity_type, new, workspace, actor) = (
                        compiled.clone(),
                        new.clone(),
                        workspace_owned.clone(),
                        actor.clone(),
                    );
                    Box::pin(async move {
                        Self::insert_in_tx(tx, &workspace, &entity_type, new, None, &actor).await
                    })
                })
                .await?;
            match written {
                Some(record) => return Ok(record),
                None => {
                    self.types.reload(&self.store, workspace, type_name).await?;
                }
            }
        }
        Err(schema_churn(type_name))
    }

    /// Replaces or merge-patches a record's data, as `access` allows: its update scope and
    /// field rules are checked on the row the transaction reads, so the check and the write
    /// see the same record.
    pub async fn update_record(
        &self,
        access: &Access,
        type_name: &str,
        id: &str,
        mut change: Change,
        precondition: Precondition,
    ) -> Result<StoredRecord> {
        check_id(id)?;
        let (workspace, actor) = (access.workspace.as_str(), &access.actor);
        let plugins = self.workspace_plugins(workspace).await?;
        let hooked = plugins.hooks_on(type_name, &[Hook::Validate, Hook::BeforeUpdate]);
        for _ in 0..SCHEMA_RETRIES {
            let entity_type = self.types.get(&self.store, workspace, type_name).await?;
            let mut tx = self.store.begin().await?;
            if !same_version(&mut tx, workspace, &entity_type).await? {
                drop(tx);
                self.types.reload(&self.store, workspace, type_name).await?;
                continue;
            }
            let current = tx
                .get_record_for_update(workspace, id)
                .await?
                .filter(|record| record.entity_type == entity_type.name)
                .ok_or_else(|| Error::not_found(format!("{type_name} record '{id}'")))?;
            match &mut change {
                Change::Replace(body) => access.guard_update(type_name, &current, body, true)?,
                Change::MergePatch(body) => {
                    access.guard_update(type_name, &current, body, false)?
                }
            }
            check_precondition(&precondition, current.version)?;
            if hooked {
                return self
                    .update_with_plugins(
                        &plugins,
                        tx,
                        workspace,
                        &entity_type,
                        current,
                        change,
                        actor,
                    )
                    .await;
            }
            let record = self
                .replace_in(
                    &mut tx,
                    workspace,
                    &entity_type,
                    current,
                    change.clone(),
                    actor,
                )
                .await?;
            self.commit(tx, workspace, 0).await?;
            return Ok(record);
        }
        Err(schema_churn(type_name))
    }

    /// Deletes a record, applying the on-delete rule of every lookup that points at it. The
    /// caller's delete scope is checked on the row the transaction reads.
    pub async fn delete_record(
        &self,
        access: &Access,
        type_name: &str,
        id: &str,
        precondition: Precondition,
    ) -> Result<()> {
        check_id(id)?;
        let (workspace, actor) = (access.workspace.as_str(), &access.actor);
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        let all_types = self.types.all(&self.store, workspace).await?;
        let plugins = self.workspace_plugins(workspace).await?;
        let mut tx = self.store.begin().await?;
        let current = tx
            .get_record_for_update(workspace, id)
            .await?
            .filter(|record| record.entity_type == entity_type.name)
            .ok_or_else(|| Error::not_found(format!("{type_name} record '{id}'")))?;
        access.check_record(type_name, RecordOp::Delete, &current)?;
        check_precondition(&precondition, current.version)?;
        if plugins.hooks_on(type_name, &[Hook::BeforeDelete]) {
            let event = record_event(
                type_name,
                Operation::Delete,
                id,
                None,
                Some(&current),
                actor,
            );
            tx = self
                .plugin_before(&plugins, workspace, Hook::BeforeDelete, event, tx, actor)
                .await?
                .0;
        }
        let mut visited = HashSet::new();
        delete_cascading(
            &mut tx,
            workspace,
            &all_types,
            &entity_type.name,
            id,
            actor,
            &mut visited,
        )
        .await?;
        self.commit(tx, workspace, 0).await?;
        Ok(())
    }

    /// Creates or upserts many records in one transaction: all are written, or none. An
    /// upsert of an existing record is checked against `access` on the row the transaction
    /// reads, like a single update.
    pub async fn bulk_write(
        &self,
        access: &Access,
        type_name: &str,
        mode: BulkMode,
        items: Vec<Value>,
    ) -> Result<Vec<StoredRecord>> {
        let (workspace, actor) = (access.workspace.as_str(), &access.actor);
        if items.len() > MAX_BULK_ITEMS {
            return Err(Error::bad_request(
                "too_many_items",
                format!(
                    "a bulk request carries at most {MAX_BULK_ITEMS} records, this one has {}",
                    items.len()
                ),
            ));
        }
        let entity_type = self.types.reload(&self.store, workspace, type_name).await?;
        // Validate everything first, so the client learns about every bad item at once.
        let mut failures = Vec::new();
        let mut prepared = Vec::with_capacity(items.len());
        let mut seen_unique: HashMap<String, usize> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let errors = match prepare_new(&entity_type, item) {
                Ok(new) => {
                    let mut errors = Vec::new();
                    for key in unique_keys(&entity_type, &new.data) {
                        if let Some(first) = seen_unique.insert(key.clone(), index) {
                            errors.push(FieldError::new(
                                "",
                                "unique",
                                format!(
                                    "repeats the unique value {key} of item {first} in this request"
                                ),
                            ));
                        }
                    }
                    prepared.push(new);
                    errors
                }
                Err(error) if error.field_errors().is_empty() => {
                    vec![FieldError::new("", "type", error.to_string())]
                }
                Err(error) => error.field_errors().to_vec(),
            };
            if !errors.is_empty() {
                failures.push(ItemError {
                    index,
                    status: 422,
                    detail: format!("item {index} is not a valid {type_name}"),
                    errors,
                });
            }
        }
        if !failures.is_empty() {
            return Err(Error::Bulk {
                total: items.len(),
                failed: failures.len(),
                items: failures,
            });
        }
        let mut tx = self.store.begin().await?;
        if !same_version(&mut tx, workspace, &entity_type).await? {
            return Err(schema_churn(type_name));
        }
        let mut written = Vec::with_capacity(items.len());
        let total = items.len();
        for (index, mut new) in prepared.into_iter().enumerate() {
            let existing = match (mode, &new.id) {
                (BulkMode::Upsert, Some(id)) => tx.get_record_for_update(workspace, id).await?,
                _ => None,
            };
            let result = match existing {
                Some(current) if current.entity_type != entity_type.name => {
                    // The other type is named only to a caller who may read that record.
                    let detail =
                        match access.check_record(&current.entity_type, RecordOp::Read, &current) {
                            Ok(()) => format!(
                                "id '{}' belongs to a {} record",
                                current.id, current.entity_type
                            ),
                            Err(_) => format!("id '{}' is already used", current.id),
                        };
                    Err(Error::conflict(
                        "id_taken",
                        detail,
                        vec![FieldError::new(
                            "/id",
                            "id",
                            "the id is already used by another record",
                        )],
                    ))
                }
                Some(current) => {
                    match access.guard_update(type_name, &current, &mut new.data, true) {
                        Ok(()) => {
                            self.replace_in(
                                &mut tx,
                                workspace,
                                &entity_type,
                                current,
                                Change::Replace(new.data),
                                actor,
                            )
                            .await
                        }
                        Err(error) => Err(error),
                    }
                }
                None => Self::insert_in_tx(&mut tx, workspace, &entity_type, new, None, actor)
                    .await
                    .and_then(|inserted| inserted.ok_or_else(|| schema_churn(type_name))),
            };
            match result {
                Ok(record) => written.push(record),
                Err(error) => {
                    let status = error.status();
                    let errors = error.field_errors().to_vec();
                    return Err(Error::Bulk {
                        total,
                        failed: 1,
                        items: vec![ItemError {
                            index,
                            status,
                            detail: error.to_string(),
                            errors,
                        }],
                    });
                }
            }
        }
        self.commit(tx, workspace, 0).await?;
        Ok(written)
    }

    /// Schema, state machine and the validate hooks of a new record, all errors in one answer.
    /// The id is fixed here, so the hooks see the id the record will have. With
    /// `before_hooks`, missing required members are left for the before-create hooks to fill
    /// (see [`check_after_hooks`]).
    async fn prepare_new_with_hooks(
        &self,
        plugins: &WorkspacePlugins,
        workspace: &str,
        entity_type: &EntityType,
        body: &Value,
        actor: &Actor,
        before_hooks: bool,
    ) -> Result<NewRecord> {
        let (id, data) = split_body(body)?;
        let mut errors = entity_type.validate_new(&data);
        if before_hooks {
            errors.retain(|error| !is_missing_member(error));
        }
        let draft = new_stored_record(entity_type, &NewRecord { id, data }, actor);
        let event = record_event(
            &entity_type.name,
            Operation::Create,
            &draft.id,
            Some(&draft),
            None,
            actor,
        );
        errors.extend(
            self.plugin_validate(plugins, workspace, &event, actor)
                .await?,
        );
        if !errors.is_empty() {
            return Err(invalid_record(entity_type, errors));
        }
        let data = serde_json::from_str(&draft.data)
            .map_err(|e| Error::Internal(format!("a draft record is not JSON: {e}")))?;
        Ok(NewRecord {
            id: Some(draft.id),
            data,
        })
    }

    /// A create with plugins on the type: schema and validate hooks first (their errors in one
    /// response), then the before-create hooks inside the write transaction, then the insert.
    async fn create_with_plugins(
        &self,
        plugins: &WorkspacePlugins,
        workspace: &str,
        type_name: &str,
        body: Value,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        let before_hooks = plugins.hooks_on(type_name, &[Hook::BeforeCreate]);
        let new = self
            .prepare_new_with_hooks(plugins, workspace, &entity_type, &body, actor, before_hooks)
            .await?;
        let draft = new_stored_record(&entity_type, &new, actor);
        let event = record_event(
            type_name,
            Operation::Create,
            &draft.id,
            Some(&draft),
            None,
            actor,
        );
        let mut tx = self.store.begin().await?;
        if !same_version(&mut tx, workspace, &entity_type).await? {
            self.types.reload(&self.store, workspace, type_name).await?;
            return Err(schema_churn(type_name));
        }
        let (mut tx, changed, owners) = self
            .plugin_before(plugins, workspace, Hook::BeforeCreate, event, tx, actor)
            .await?;
        let data = match changed {
            Some(record) => split_body(&record)?.1,
            None => new.data,
        };
        if before_hooks {
            check_after_hooks(&entity_type, entity_type.validate_new(&data))?;
        }
        let new = NewRecord {
            id: Some(draft.id.clone()),
            data,
        };
        let record = Self::insert_in_tx(&mut tx, workspace, &entity_type, new, owners, actor)
            .await?
            .ok_or_else(|| schema_churn(type_name))?;
        self.commit(tx, workspace, 0).await?;
        Ok(record)
    }

    /// An update with plugins on the type: the validate hooks see the merged record, the
    /// before-update hooks may change it inside the transaction, and the result is checked again.
    #[allow(clippy::too_many_arguments)]
    async fn update_with_plugins(
        &self,
        plugins: &WorkspacePlugins,
        tx: Tx,
        workspace: &str,
        entity_type: &EntityType,
        current: StoredRecord,
        change: Change,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        let (old, data) = next_data(&current, change)?;
        let mut errors = update_errors(entity_type, &old, &data);
        let before_hooks = plugins.hooks_on(&entity_type.name, &[Hook::BeforeUpdate]);
        if before_hooks {
            errors.retain(|error| !is_missing_member(error));
        }
        let draft = StoredRecord {
            version: current.version + 1,
            data: data.to_string(),
            updated_at: crate::clock::now(),
            updated_by: actor.recorded(),
            ..current.clone()
        };
        let event = record_event(
            &entity_type.name,
            Operation::Update,
            &current.id,
            Some(&draft),
            Some(&current),
            actor,
        );
        errors.extend(
            self.plugin_validate(plugins, workspace, &event, actor)
                .await?,
        );
        if !errors.is_empty() {
            return Err(invalid_record(entity_type, errors));
        }
        let (mut tx, changed, owners) = self
            .plugin_before(plugins, workspace, Hook::BeforeUpdate, event, tx, actor)
            .await?;
        let data = match changed {
            Some(record) => split_body(&record)?.1,
            None => data,
        };
        if before_hooks {
            check_after_hooks(entity_type, update_errors(entity_type, &old, &data))?;
        }
        let record = self
            .replace_owned_in(
                &mut tx,
                workspace,
                entity_type,
                current,
                Change::Replace(data),
                owners,
                actor,
            )
            .await?;
        self.commit(tx, workspace, 0).await?;
        Ok(record)
    }

    /// A create inside a plugin's transaction (host call): schema, state machine, lookups,
    /// unique keys; synchronous hooks do not run again for writes plugins make.
    pub(super) async fn create_in(
        &self,
        tx: &mut Tx,
        workspace: &str,
        type_name: &str,
        body: Value,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        let new = prepare_new(&entity_type, &body)?;
        Self::insert_in_tx(tx, workspace, &entity_type, new, None, actor)
            .await?
            .ok_or_else(|| schema_churn(type_name))
    }

    /// A create of a record of a type compiled in hand, inside a transaction that may have
    /// created that type (a package's sample data): schema, state machine, lookups, unique keys.
    pub(super) async fn create_of_type_in(
        tx: &mut Tx,
        workspace: &str,
        entity_type: &EntityType,
        body: &Value,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        let new = prepare_new(entity_type, body)?;
        Self::insert_in_tx(tx, workspace, entity_type, new, None, actor)
            .await?
            .ok_or_else(|| schema_churn(&entity_type.name))
    }

    /// An update inside a plugin's transaction (host call).
    pub(super) async fn update_in(
        &self,
        tx: &mut Tx,
        workspace: &str,
        type_name: &str,
        id: &str,
        change: Change,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        check_id(id)?;
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        let current = tx
            .get_record_for_update(workspace, id)
            .await?
            .filter(|record| record.entity_type == entity_type.name)
            .ok_or_else(|| Error::not_found(format!("{type_name} record '{id}'")))?;
        self.replace_in(tx, workspace, &entity_type, current, change, actor)
            .await
    }

    /// A delete inside a plugin's transaction (host call), with the on-delete rules.
    pub(super) async fn delete_in(
        &self,
        tx: &mut Tx,
        workspace: &str,
        type_name: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<()> {
        check_id(id)?;
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        let all_types = self.types.all(&self.store, workspace).await?;
        tx.get_record_for_update(workspace, id)
            .await?
            .filter(|record| record.entity_type == entity_type.name)
            .ok_or_else(|| Error::not_found(format!("{type_name} record '{id}'")))?;
        let mut visited = HashSet::new();
        delete_cascading(
            tx,
            workspace,
            &all_types,
            &entity_type.name,
            id,
            actor,
            &mut visited,
        )
        .await
    }

    /// Writes a prepared record after checking its lookups in the transaction, owned by
    /// `owners` (checked by the caller) or else by the actor's user.
    async fn insert_in_tx(
        tx: &mut Tx,
        workspace: &str,
        entity_type: &EntityType,
        new: NewRecord,
        owners: Option<Owners>,
        actor: &Actor,
    ) -> Result<Option<StoredRecord>> {
        let NewRecord {
            id: chosen_id,
            data,
        } = new;
        check_lookups(tx, workspace, entity_type, &data).await?;
        let mut record = new_stored_record(
            entity_type,
            &NewRecord {
                id: chosen_id,
                data: data.clone(),
            },
            actor,
        );
        if let Some(owners) = owners {
            record.owned_by = owners.owned_by;
            record.owning_team = owners.owning_team;
        }
        let search = search_text(entity_type, &data);
        let inserted = tx
            .insert_record(workspace, &record, &search, entity_type.version)
            .await
            .map_err(|error| write_conflict(error, entity_type, workspace, tx.dialect()))?;
        if inserted {
            tx.journal(RecordChange {
                workspace: workspace.to_owned(),
                entity_type: entity_type.name.clone(),
                id: record.id.clone(),
                actor: actor.clone(),
                before: None,
                after: Some(record.clone()),
            });
        }
        Ok(inserted.then_some(record))
    }

    async fn replace_in(
        &self,
        tx: &mut Tx,
        workspace: &str,
        entity_type: &EntityType,
        current: StoredRecord,
        change: Change,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        self.replace_owned_in(tx, workspace, entity_type, current, change, None, actor)
            .await
    }

    /// [`Self::replace_in`], giving the record `owners` (checked by the caller) if any.
    #[allow(clippy::too_many_arguments)]
    async fn replace_owned_in(
        &self,
        tx: &mut Tx,
        workspace: &str,
        entity_type: &EntityType,
        current: StoredRecord,
        change: Change,
        owners: Option<Owners>,
        actor: &Actor,
    ) -> Result<StoredRecord> {
        let (old, data) = next_data(&current, change)?;
        let errors = update_errors(entity_type, &old, &data);
        if !errors.is_empty() {
            return Err(invalid_record(entity_type, errors));
        }
        check_lookups(tx, workspace, entity_type, &data).await?;
        let (owned_by, owning_team) = match owners {
            Some(owners) => (owners.owned_by, owners.owning_team),
            None => (current.owned_by.clone(), current.owning_team.clone()),
        };
        let record = StoredRecord {
            version: current.version + 1,
            data: data.to_string(),
            updated_at: crate::clock::now(),
            updated_by: actor.recorded(),
            owned_by,
            owning_team,
            ..current.clone()
        };
        let search = search_text(entity_type, &data);
        let written = tx
            .update_record(workspace, &record, &search)
            .await
            .map_err(|error| write_conflict(error, entity_type, workspace, tx.dialect()))?;
        if !written {
            return Err(Error::PreconditionFailed {
                expected: (record.version - 1).to_string(),
                current: -1,
            });
        }
        tx.journal(RecordChange {
            workspace: workspace.to_owned(),
            entity_type: entity_type.name.clone(),
            id: record.id.clone(),
            actor: actor.clone(),
            before: Some(current),
            after: Some(record.clone()),
        });
        Ok(record)
    }
}

/// The stored data of a record and the data a change makes of it.
fn next_data(current: &StoredRecord, change: Change) -> Result<(Value, Value)> {
    let old: Value = serde_json::from_str(&current.data).map_err(|error| {
        Error::Internal(format!("stored record {} is not JSON: {error}", current.id))
    })?;
    let data = match change {
        Change::Replace(body) => split_body(&body)?.1,
        Change::MergePatch(patch) => {
            let mut merged = old.clone();
            merge_patch(&mut merged, &split_body(&patch)?.1);
            merged
        }
    };
    Ok((old, data))
}

/// What is wrong with an update: the schema, then the state machine's transition.
fn update_errors(entity_type: &EntityType, old: &Value, data: &Value) -> Vec<FieldError> {
    let mut errors = entity_type.validate(data);
    if let Some(machine) = &entity_type.annotations.state_machine {
        let from = old.get(&machine.field).and_then(Value::as_str);
        let to = data.get(&machine.field).and_then(Value::as_str);
        if let (Some(from), Some(to)) = (from, to)
            && !machine.allows(from, to)
        {
            let allowed = machine
                .transitions
                .get(from)
                .map(|t| t.join(", "))
                .unwrap_or_default();
            errors.push(FieldError::new(
                format!("/{}", machine.field),
                "x-xrm.state_machine",
                if allowed.is_empty() {
                    format!("'{from}' is a final state of {}; it cannot move to '{to}'", entity_type.name)
                } else {
                    format!("{} cannot move from '{from}' to '{to}'; from '{from}' it may move to: {allowed}", machine.field)
                },
            ));
        }
    }
    errors
}

/// A record a plugin changed into something its type does not allow.
/// A required member that is missing: the one schema error a before-hook may still mend, by
/// filling the member in (a deadline, a computed score).
fn is_missing_member(error: &FieldError) -> bool {
    error.keyword == "required"
}

/// Checks a record as the before-hooks left it. Members still missing are the client's to
/// send (422 `invalid_record`); anything else wrong was made by a plugin
/// (422 `invalid_after_plugins`).
fn check_after_hooks(entity_type: &EntityType, errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else if errors.iter().all(is_missing_member) {
        Err(invalid_record(entity_type, errors))
    } else {
        Err(invalid_after_plugins(entity_type, errors))
    }
}

fn invalid_after_plugins(entity_type: &EntityType, errors: Vec<FieldError>) -> Error {
    Error::unprocessable(
        "invalid_after_plugins",
        format!(
            "the {} record as changed by its before-hooks is not valid: a plugin produced it",
            entity_type.name
        ),
        errors,
    )
}

/// The row of a new record: its chosen id or a fresh UUIDv7, version 1, now, the actor.
fn new_stored_record(entity_type: &EntityType, new: &NewRecord, actor: &Actor) -> StoredRecord {
    let now = crate::clock::now();
    StoredRecord {
        id: new
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        entity_type: entity_type.name.clone(),
        version: 1,
        data: new.data.to_string(),
        created_at: now.clone(),
        updated_at: now,
        created_by: actor.recorded(),
        updated_by: actor.recorded(),
        owned_by: actor.user.clone(),
        owning_team: None,
    }
}

/// The (id, target type) of every lookup a record sets, for the insert's guards.
fn lookup_targets(entity_type: &EntityType, data: &Value) -> Vec<(String, String)> {
    entity_type
        .annotations
        .lookups
        .iter()
        .filter_map(|(field, lookup)| {
            let id = data.get(field)?.as_str()?;
            Some((id.to_lowercase(), lookup.target.clone()))
        })
        .collect()
}

/// Splits and validates a new record's body: schema, then the state machine's initial states.
fn prepare_new(entity_type: &EntityType, body: &Value) -> Result<NewRecord> {
    let (id, data) = split_body(body)?;
    let errors = entity_type.validate_new(&data);
    if errors.is_empty() {
        Ok(NewRecord { id, data })
    } else {
        Err(invalid_record(entity_type, errors))
    }
}

/// Whether the transaction sees the same type version as the compiled one in hand.
async fn same_version(tx: &mut Tx, workspace: &str, entity_type: &EntityType) -> Result<bool> {
    match tx.entity_type_version(workspace, &entity_type.name).await? {
        Some(version) => Ok(version == entity_type.version),
        None => Err(Error::not_found(format!(
            "entity type '{}'",
            entity_type.name
        ))),
    }
}

fn schema_churn(type_name: &str) -> Error {
    Error::Unavailable(format!(
        "the entity type '{type_name}' kept changing during the write; retry"
    ))
}

fn invalid_record(entity_type: &EntityType, errors: Vec<FieldError>) -> Error {
    let count = errors.len();
    Error::unprocessable(
        "validation_failed",
        format!(
            "the record is not a valid {}: {count} error{}",
            entity_type.name,
            if count == 1 { "" } else { "s" }
        ),
        errors,
    )
}

/// Record ids are UUIDs; anything else cannot name a record and is refused before any query.
pub fn check_id(id: &str) -> Result<()> {
    if is_uuid(id) {
        Ok(())
    } else {
        Err(Error::BadRequest {
            code: "invalid_id",
            detail: format!(
                "'{}' is not a record id: ids are UUIDs",
                truncate_for_message(id)
            ),
            errors: vec![FieldError::new(
                "/id",
                "format",
                "expected a UUID such as 0194f3d2-7c1e-7a3b-9c2d-4e5f6a7b8c9d",
            )],
        })
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

fn truncate_for_message(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Splits a request body into the chosen id (if any) and the data fields.
///
/// System fields other than `id` are read-only: a body may carry them (a client sends back what
/// it read) and they are ignored.
fn split_body(body: &Value) -> Result<(Option<String>, Value)> {
    let Some(object) = body.as_object() else {
        return Err(Error::unprocessable(
            "not_an_object",
            format!(
                "a record is a JSON object, not {}",
                crate::schema::json_kind(body)
            ),
            vec![FieldError::new("", "type", "expected a JSON object")],
        ));
    };
    let mut chosen_id = None;
    if let Some(id) = object.get("id") {
        match id.as_str() {
            Some(id) if is_uuid(id) => chosen_id = Some(id.to_lowercase()),
            _ => {
                return Err(Error::unprocessable(
                    "invalid_id",
                    "the id of a record must be a UUID",
                    vec![FieldError::new(
                        "/id",
                        "format",
                        format!("{id} is not a UUID"),
                    )],
                ));
            }
        }
    }
    let data: Map<String, Value> = object
        .iter()
        .filter(|(key, _)| !SYSTEM_FIELDS.contains(&key.as_str()) && !key.starts_with('_'))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok((chosen_id, Value::Object(data)))
}

fn check_precondition(precondition: &Precondition, current: i64) -> Result<()> {
    match precondition {
        Precondition::Version(expected) if *expected != current => Err(Error::PreconditionFailed {
            expected: expected.to_string(),
            current,
        }),
        _ => Ok(()),
    }
}

/// RFC 7396 JSON Merge Patch: objects merge recursively, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let target = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Checks in the write transaction that every lookup names an existing record of its target type.
async fn check_lookups(
    tx: &mut Tx,
    workspace: &str,
    entity_type: &EntityType,
    data: &Value,
) -> Result<()> {
    let wanted: Vec<(&String, &str, &str)> = entity_type
        .annotations
        .lookups
        .iter()
        .filter_map(|(field, lookup)| {
            data.get(field)
                .and_then(Value::as_str)
                .map(|id| (field, lookup.target.as_str(), id))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut errors = Vec::new();
    let ids: Vec<String> = wanted
        .iter()
        .filter(|(_, _, id)| is_uuid(id))
        .map(|(_, _, id)| id.to_lowercase())
        .collect();
    let found = tx.lookup_targets(workspace, &ids).await?;
    for (field, target, id) in wanted {
        match found
            .iter()
            .find(|(found_id, _)| found_id.eq_ignore_ascii_case(id))
        {
            Some((_, found_type)) if found_type == target => {}
            Some((_, found_type)) => errors.push(FieldError::new(
                format!("/{field}"),
                "x-xrm.lookups",
                format!("'{id}' is a {found_type} record, but {field} must point at a {target}"),
            )),
            None => errors.push(FieldError::new(
                format!("/{field}"),
                "x-xrm.lookups",
                format!("there is no {target} record '{id}'"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid_record(entity_type, errors))
    }
}

/// Maps a unique-index violation to a 409 naming the field(s); other errors pass through.
fn write_conflict(
    error: Error,
    entity_type: &EntityType,
    workspace: &str,
    dialect: Dialect,
) -> Error {
    if let Error::Database(sqlx::Error::Database(db)) = &error
        && db.is_unique_violation()
    {
        let plan = entity_type.index_plan();
        let message = format!("{} {}", db.message(), db.constraint().unwrap_or_default());
        if let Some(spec) = crate::store::unique_key_of_violation(
            dialect,
            workspace,
            &entity_type.name,
            &plan,
            &message,
        ) {
            let names: Vec<String> = spec
                .paths
                .iter()
                .map(|p| crate::schema::display_path(p))
                .collect();
            return Error::conflict(
                "unique_violation",
                format!(
                    "another {} already has this {}",
                    entity_type.name,
                    names.join(" + ")
                ),
                spec.paths
                    .iter()
                    .map(|p| {
                        FieldError::new(
                            format!("/{}", p.join("/")),
                            "x-xrm.unique",
                            "this value is already taken",
                        )
                    })
                    .collect(),
            );
        }
        return Error::conflict(
            "id_taken",
            "a record with this id already exists",
            vec![FieldError::new("/id", "unique", "this id is already taken")],
        );
    }
    error
}

/// The unique-key values of a record as comparable strings, for duplicates inside one request.
fn unique_keys(entity_type: &EntityType, data: &Value) -> Vec<String> {
    entity_type
        .annotations
        .unique
        .iter()
        .filter_map(|key| {
            let values: Option<Vec<String>> = key
                .iter()
                .map(|path| {
                    path.iter()
                        .try_fold(data, |v, segment| v.get(segment))
                        .filter(|v| !v.is_null())
                        .map(Value::to_string)
                })
                .collect();
            values.map(|values| format!("({})", values.join(", ")))
        })
        .collect()
}

/// The words full-text search indexes for a record.
pub(super) fn search_text(entity_type: &EntityType, data: &Value) -> SearchText {
    let mut text = String::new();
    for field in entity_type.search_fields() {
        if let Some(value) = data.get(&field).and_then(Value::as_str) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(value);
        }
    }
    SearchText(text)
}

/// Applies on-delete rules depth-first, then deletes the record itself.
fn delete_cascading<'a>(
    tx: &'a mut Tx,
    workspace: &'a str,
    all_types: &'a [Arc<EntityType>],
    type_name: &'a str,
    id: &'a str,
    actor: &'a Actor,
    visited: &'a mut HashSet<String>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>> {
    Box::pin(async move {
        if !visited.insert(id.to_owned()) {
            return Ok(());
        }
        if visited.len() > 10_000 {
            return Err(Error::conflict(
                "cascade_too_large",
                "deleting this record would cascade to more than 10000 records; delete its dependants first",
                Vec::new(),
            ));
        }
        for source in all_types {
            for (field, lookup) in &source.annotations.lookups {
                if lookup.target != type_name {
                    continue;
                }
                let pointing = tx
                    .referencing_ids(workspace, &source.name, field, id, 10_001)
                    .await?;
                let pointing: Vec<String> = pointing
                    .into_iter()
                    .filter(|p| !visited.contains(p))
                    .collect();
                if pointing.is_empty() {
                    continue;
                }
                match lookup.on_delete {
                    OnDelete::Restrict => {
                        return Err(Error::conflict(
                            "restricted_by_lookup",
                            format!(
                                "cannot delete {type_name} '{id}': {} {} record(s) point at it through {field} \
                                 (on_delete: restrict), e.g. {}",
                                pointing.len(),
                                source.name,
                                pointing[0]
                            ),
                            Vec::new(),
                        ));
                    }
                    OnDelete::Cascade => {
                        for dependant in &pointing {
                            delete_cascading(
                                tx,
                                workspace,
                                all_types,
                                &source.name,
                                dependant,
                                actor,
                                visited,
                            )
                            .await?;
                        }
                    }
                    OnDelete::SetNull => {
                        for dependant in &pointing {
                            let Some(before) =
                                tx.get_record_for_update(workspace, dependant).await?
                            else {
                                continue;
                            };
                            let mut record = before.clone();
                            let mut data: Value =
                                serde_json::from_str(&record.data).map_err(|error| {
                                    Error::Internal(format!("stored record is not JSON: {error}"))
                                })?;
                            if let Some(object) = data.as_object_mut() {
                                object.remove(field);
                            }
                            record.version += 1;
                            record.data = data.to_string();
                            record.updated_at = crate::clock::now();
                            record.updated_by = actor.recorded();
                            let search = search_text(source, &data);
                            tx.update_record(workspace, &record, &search).await?;
                            tx.journal(RecordChange {
                                workspace: workspace.to_owned(),
                                entity_type: source.name.clone(),
                                id: record.id.clone(),
                                actor: actor.clone(),
                                before: Some(before),
                                after: Some(record),
                            });
                        }
                    }
                }
            }
        }
        if let Some(deleted) = tx.delete_record(workspace, id).await? {
            tx.journal(RecordChange {
                workspace: workspace.to_owned(),
                entity_type: deleted.entity_type.clone(),
                id: deleted.id.clone(),
                actor: actor.clone(),
                before: Some(deleted),
                after: None,
            });
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
        let mut target = json!({"a": [1]});
        merge_patch(&mut target, &json!({"a": {"b": "c"}, "x": null}));
        assert_eq!(target, json!({"a": {"b": "c"}}));
    }

    #[test]
    fn system_fields_in_a_body_are_ignored_but_id_is_kept() {
        let id = "0194f3d2-7c1e-7a3b-9c2d-4e5f6a7b8c9d";
        let (chosen, data) =
            split_body(&json!({"id": id, "version": 9, "name": "x", "_expand": {}})).unwrap();
        assert_eq!(chosen.as_deref(), Some(id));
        assert_eq!(data, json!({"name": "x"}));
        assert!(split_body(&json!({"id": "1 OR 1=1"})).is_err());
        assert!(split_body(&json!([1])).is_err());
    }

    #[test]
    fn ids_that_are_not_uuids_are_refused() {
        assert!(check_id("0194f3d2-7c1e-7a3b-9c2d-4e5f6a7b8c9d").is_ok());
        assert!(check_id("'; DROP TABLE records; --").is_err());
        assert!(check_id("0194f3d27c1e7a3b9c2d4e5f6a7b8c9d").is_err());
    }
}
