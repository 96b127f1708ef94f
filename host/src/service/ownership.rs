//! Row-level security on single records: reading a record with a permission check, and
//! changing who owns it.

use super::App;
use super::access::{Access, RecordOp};
use super::records::check_id;
use crate::error::{Error, FieldError, Result};
use crate::store::{RecordChange, StoredRecord};

impl App {
    /// A record the caller may reach with `op`: 404 if they may not read it (or it does not
    /// exist), 403 if they may read but not `op` it.
    pub async fn authorized_record(
        &self,
        access: &Access,
        type_name: &str,
        id: &str,
        op: RecordOp,
    ) -> Result<StoredRecord> {
        let record = self.get_record(&access.workspace, type_name, id).await?;
        access.check_record(type_name, op, &record)?;
        Ok(record)
    }

    /// Gives a record a new owning user and team (both may be null). Needs the `update` scope
    /// on the record; the new owners must exist in the workspace. Bumps the version, like any
    /// change, and is audited and delivered to after-update hooks.
    pub async fn assign_record(
        &self,
        access: &Access,
        type_name: &str,
        id: &str,
        owned_by: Option<&str>,
        owning_team: Option<&str>,
    ) -> Result<StoredRecord> {
        check_id(id)?;
        let workspace = access.workspace.as_str();
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        let mut errors = Vec::new();
        if let Some(user) = owned_by
            && self.store.get_user(workspace, user).await?.is_none()
        {
            errors.push(FieldError::new(
                "/owned_by",
                "user",
                format!("there is no user '{user}'"),
            ));
        }
        if let Some(team) = owning_team
            && !self
                .store
                .list_teams(workspace)
                .await?
                .iter()
                .any(|t| t.id == team)
        {
            errors.push(FieldError::new(
                "/owning_team",
                "team",
                format!("there is no team '{team}'"),
            ));
        }
        if !errors.is_empty() {
            return Err(Error::unprocessable(
                "unknown_owner",
                "the new owner does not exist in this workspace",
                errors,
            ));
        }
        let mut tx = self.store.begin().await?;
        let current = tx
            .get_record_for_update(workspace, id)
            .await?
            .filter(|record| record.entity_type == entity_type.name)
            .ok_or_else(|| Error::not_found(format!("{type_name} record '{id}'")))?;
        access.check_record(type_name, RecordOp::Update, &current)?;
        let record = StoredRecord {
            version: current.version + 1,
            updated_at: crate::clock::now(),
            updated_by: access.actor.recorded(),
            owned_by: owned_by.map(str::to_owned),
            owning_team: owning_team.map(str::to_owned),
            ..current.clone()
        };
        let search = super::records::search_text(
            &entity_type,
            &serde_json::from_str(&record.data).unwrap_or_default(),
        );
        if !tx.update_record(workspace, &record, &search).await? {
            return Err(Error::PreconditionFailed {
                expected: current.version.to_string(),
                current: -1,
            });
        }
        tx.journal(RecordChange {
            workspace: workspace.to_owned(),
            entity_type: entity_type.name.clone(),
            id: record.id.clone(),
            actor: access.actor.clone(),
            before: Some(current),
            after: Some(record.clone()),
        });
        self.commit(tx, workspace, 0).await?;
        Ok(record)
    }
}
