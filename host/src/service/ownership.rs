//! Row-level security on single records: reading a record with a permission check, and
//! changing who owns it.

use super::App;
use super::access::{Access, RecordOp};
use super::records::check_id;
use crate::error::{Error, FieldError, Result};
use crate::plugin::bindings::types::{Member, TeamRef};
use crate::store::{Actor, RecordChange, StoredRecord, Tx};

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
        let workspace = access.workspace.as_str();
        let owners = Owners {
            owned_by: owned_by.map(str::to_owned),
            owning_team: owning_team.map(str::to_owned),
        };
        let mut tx = self.store.begin().await?;
        let record = self
            .assign_in(
                &mut tx,
                workspace,
                type_name,
                id,
                &owners,
                &access.actor,
                |current| access.check_record(type_name, RecordOp::Update, current),
            )
            .await?;
        self.commit(tx, workspace, 0).await?;
        Ok(record)
    }

    /// Gives a record new owners inside `tx` (the API's assign, a plugin's `assign-record`):
    /// the owners are checked in the transaction, `allowed` decides on the current row, and the
    /// change is journaled (audited, delivered to after-update hooks) with the transaction.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn assign_in(
        &self,
        tx: &mut Tx,
        workspace: &str,
        type_name: &str,
        id: &str,
        owners: &Owners,
        actor: &Actor,
        allowed: impl FnOnce(&StoredRecord) -> Result<()>,
    ) -> Result<StoredRecord> {
        check_id(id)?;
        let entity_type = self.types.get(&self.store, workspace, type_name).await?;
        check_owners(tx, workspace, owners).await?;
        let current = tx
            .get_record_for_update(workspace, id)
            .await?
            .filter(|record| record.entity_type == entity_type.name)
            .ok_or_else(|| Error::not_found(format!("{type_name} record '{id}'")))?;
        allowed(&current)?;
        let record = StoredRecord {
            version: current.version + 1,
            updated_at: crate::clock::now(),
            updated_by: actor.recorded(),
            owned_by: owners.owned_by.clone(),
            owning_team: owners.owning_team.clone(),
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
            actor: actor.clone(),
            before: Some(current),
            after: Some(record.clone()),
        });
        Ok(record)
    }

    /// The workspace's users with their teams, for routing plugins: no e-mail, role or
    /// sign-in data. Ordered by display name, then id.
    pub(super) async fn members(&self, workspace: &str) -> Result<Vec<Member>> {
        let users = self.store.list_users(workspace).await?;
        let teams = self.store.list_teams(workspace).await?;
        let mut members: Vec<Member> = users
            .into_iter()
            .map(|user| Member {
                teams: teams
                    .iter()
                    .filter(|team| team.members.contains(&user.id))
                    .map(|team| TeamRef {
                        id: team.id.clone(),
                        name: team.name.clone(),
                    })
                    .collect(),
                id: user.id,
                display_name: user.display_name,
                disabled: user.disabled,
            })
            .collect();
        members.sort_by(|a, b| (&a.display_name, &a.id).cmp(&(&b.display_name, &b.id)));
        Ok(members)
    }
}

/// Who owns a record: a user and a team, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owners {
    pub owned_by: Option<String>,
    pub owning_team: Option<String>,
}

/// Refuses owners that are not a user or team of the workspace, read in `tx`: 422
/// `unknown_owner` with an error at `/owned_by` or `/owning_team` naming the id.
pub(super) async fn check_owners(tx: &mut Tx, workspace: &str, owners: &Owners) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(user) = &owners.owned_by
        && !tx.user_exists(workspace, user).await?
    {
        errors.push(FieldError::new(
            "/owned_by",
            "user",
            format!("there is no user '{user}' in this workspace"),
        ));
    }
    if let Some(team) = &owners.owning_team
        && !tx.team_exists(workspace, team).await?
    {
        errors.push(FieldError::new(
            "/owning_team",
            "team",
            format!("there is no team '{team}' in this workspace"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::unprocessable(
            "unknown_owner",
            "the new owner does not exist in this workspace",
            errors,
        ))
    }
}
