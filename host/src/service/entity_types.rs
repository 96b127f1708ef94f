//! Creating, changing and deleting entity types: every version kept, stored records checked
//! against a new schema before it is accepted, database indexes kept in step.

use std::sync::Arc;

use serde_json::Value;

use super::App;
use crate::error::{Error, InvalidRecordExample, InvalidRecordsReport, Result};
use crate::schema::EntityType;
use crate::store::Actor;
use crate::store::StoredEntityType;

/// Records checked per round trip when a schema change re-validates stored records.
const SCAN_BATCH: i64 = 500;
/// Offending records listed in a refusal report.
const REPORT_EXAMPLES: usize = 20;

impl App {
    pub async fn create_entity_type(
        &self,
        workspace: &str,
        document: Value,
        actor: &Actor,
    ) -> Result<StoredEntityType> {
        // Compiled once outside the transaction, so a bad document never takes the write lock.
        EntityType::compile(document.clone(), 1)?;
        let mut tx = self.store.begin().await?;
        let (stored, entity_type) = self
            .create_entity_type_in(&mut tx, workspace, document, actor)
            .await?;
        tx.commit().await?;
        self.types.put(workspace, Arc::new(entity_type));
        Ok(stored)
    }

    /// Creates a type inside a transaction (the API's own, or a package install's): the
    /// document compiled at the next kept version, its indexes, its audit entry. The caller
    /// commits, then caches the returned type.
    pub(super) async fn create_entity_type_in(
        &self,
        tx: &mut crate::store::Tx,
        workspace: &str,
        document: Value,
        actor: &Actor,
    ) -> Result<(StoredEntityType, EntityType)> {
        let probe = EntityType::compile(document.clone(), 1)?;
        let name = probe.name.clone();
        if tx.lock_entity_type(workspace, &name).await?.is_some() {
            return Err(Error::conflict(
                "entity_type_exists",
                format!(
                    "entity type '{name}' already exists; PUT /api/v1/entity-types/{name} to change it"
                ),
                Vec::new(),
            ));
        }
        let version = tx.last_kept_version(workspace, &name).await? + 1;
        let entity_type = EntityType::compile(document, version)?;
        let now = crate::clock::now();
        let stored = StoredEntityType {
            name: name.clone(),
            version,
            document: entity_type.document.to_string(),
            created_at: now.clone(),
            updated_at: now,
            created_by: actor.recorded(),
            updated_by: actor.recorded(),
        };
        tx.save_entity_type(workspace, &stored, true).await?;
        tx.sync_indexes(workspace, &name, &entity_type.index_plan())
            .await?;
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: "entity_type.create".to_owned(),
                subject_kind: "entity_type",
                subject_type: None,
                subject_id: name.clone(),
                before: None,
                after: Some(entity_type.document.clone()),
            },
        );
        Ok((stored, entity_type))
    }

    /// Replaces a type's schema with a new version. Refused with a report when stored records
    /// would be invalid, unless `allow_invalid_records` says the admin accepts that.
    pub async fn update_entity_type(
        &self,
        workspace: &str,
        name: &str,
        document: Value,
        allow_invalid_records: bool,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<StoredEntityType> {
        let probe = EntityType::compile(document.clone(), 1)?;
        if probe.name != name {
            return Err(Error::unprocessable(
                "entity_type_renamed",
                format!(
                    "x-xrm.name is '{}' but the URL names '{name}'; a type's name cannot change",
                    probe.name
                ),
                vec![crate::error::FieldError::new(
                    "/x-xrm/name",
                    "x-xrm",
                    format!("expected '{name}'"),
                )],
            ));
        }
        let mut tx = self.store.begin().await?;
        let (stored, entity_type) = self
            .update_entity_type_in(
                &mut tx,
                workspace,
                name,
                document,
                allow_invalid_records,
                expected_version,
                actor,
            )
            .await?;
        tx.commit().await?;
        self.types.put(workspace, Arc::new(entity_type));
        Ok(stored)
    }

    /// Changes a type inside a transaction (the API's own, or a package upgrade's), with every
    /// rule of `PUT /api/v1/entity-types/{name}`: the version check, the re-validation of
    /// stored records, the index sync (refused when stored records break a new unique key).
    /// The caller commits, then caches the returned type.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn update_entity_type_in(
        &self,
        tx: &mut crate::store::Tx,
        workspace: &str,
        name: &str,
        document: Value,
        allow_invalid_records: bool,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(StoredEntityType, EntityType)> {
        let Some(current_version) = tx.lock_entity_type(workspace, name).await? else {
            return Err(Error::not_found(format!("entity type '{name}'")));
        };
        if let Some(expected) = expected_version
            && expected != current_version
        {
            return Err(Error::PreconditionFailed {
                expected: expected.to_string(),
                current: current_version,
            });
        }
        let entity_type = EntityType::compile(document, current_version + 1)?;
        let report = check_stored_records(tx, workspace, &entity_type).await?;
        if report.invalid_count > 0 && !allow_invalid_records {
            return Err(Error::InvalidRecords { report });
        }
        let previous = self.store.get_entity_type(workspace, name).await?;
        let before_document = previous
            .as_ref()
            .and_then(|p| serde_json::from_str::<Value>(&p.document).ok());
        let now = crate::clock::now();
        let stored = StoredEntityType {
            name: name.to_owned(),
            version: entity_type.version,
            document: entity_type.document.to_string(),
            created_at: previous
                .map(|p| p.created_at)
                .unwrap_or_else(|| now.clone()),
            updated_at: now,
            created_by: actor.recorded(),
            updated_by: actor.recorded(),
        };
        tx.save_entity_type(workspace, &stored, false).await?;
        tx.sync_indexes(workspace, name, &entity_type.index_plan())
            .await?;
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: "entity_type.update".to_owned(),
                subject_kind: "entity_type",
                subject_type: None,
                subject_id: name.to_owned(),
                before: before_document,
                after: Some(entity_type.document.clone()),
            },
        );
        Ok((stored, entity_type))
    }

    /// Deletes a type. Refused while other types look it up, and while it has records unless
    /// `delete_records` is set.
    pub async fn delete_entity_type(
        &self,
        workspace: &str,
        name: &str,
        delete_records: bool,
        actor: &Actor,
    ) -> Result<()> {
        let all_types = self.types.all(&self.store, workspace).await?;
        let dependants: Vec<String> = all_types
            .iter()
            .filter(|t| t.name != name)
            .flat_map(|t| {
                t.annotations
                    .lookups
                    .iter()
                    .filter(|(_, lookup)| lookup.target == name)
                    .map(|(field, _)| format!("{}.{field}", t.name))
                    .collect::<Vec<_>>()
            })
            .collect();
        if !dependants.is_empty() {
            return Err(Error::conflict(
                "entity_type_in_use",
                format!(
                    "cannot delete entity type '{name}': lookups point at it from {}",
                    dependants.join(", ")
                ),
                Vec::new(),
            ));
        }
        let mut tx = self.store.begin().await?;
        if tx.lock_entity_type(workspace, name).await?.is_none() {
            return Err(Error::not_found(format!("entity type '{name}'")));
        }
        let count = tx.count_of_type(workspace, name).await?;
        if count > 0 && !delete_records {
            return Err(Error::conflict(
                "entity_type_has_records",
                format!(
                    "entity type '{name}' has {count} records; delete them first, or repeat the request with \
                     ?delete_records=true to delete the type and its records"
                ),
                Vec::new(),
            ));
        }
        tx.delete_all_of_type(workspace, name).await?;
        tx.delete_entity_type(workspace, name).await?;
        // A package that managed the type no longer does: a later upgrade creates it anew.
        tx.release_type(workspace, name).await?;
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: "entity_type.delete".to_owned(),
                subject_kind: "entity_type",
                subject_type: None,
                subject_id: name.to_owned(),
                before: Some(serde_json::json!({"records_deleted": count})),
                after: None,
            },
        );

        tx.commit().await?;
        self.types.forget(workspace, name);
        Ok(())
    }
}

/// Validates every stored record of the type against a proposed version.
async fn check_stored_records(
    tx: &mut crate::store::Tx,
    workspace: &str,
    entity_type: &EntityType,
) -> Result<InvalidRecordsReport> {
    let mut report = InvalidRecordsReport {
        entity_type: entity_type.name.clone(),
        invalid_count: 0,
        checked_count: 0,
        examples: Vec::new(),
    };
    let mut after = String::new();
    loop {
        let batch = tx
            .scan_type(workspace, &entity_type.name, &after, SCAN_BATCH)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id.clone();
        for record in &batch {
            report.checked_count += 1;
            let data: Value = serde_json::from_str(&record.data).map_err(|error| {
                Error::Internal(format!("stored record {} is not JSON: {error}", record.id))
            })?;
            let errors = entity_type.validate(&data);
            if !errors.is_empty() {
                report.invalid_count += 1;
                if report.examples.len() < REPORT_EXAMPLES {
                    report.examples.push(InvalidRecordExample {
                        id: record.id.clone(),
                        errors,
                    });
                }
            }
        }
    }
    Ok(report)
}
