//! Who is in a workspace and what they may do: users, teams, roles, and the workspaces
//! themselves. Every change is checked against the caller's access and audited.

use serde_json::{Value, json};

use super::App;
use super::access::{Access, Permissions};
use super::auth::{check_password, hash_password, normalise_email};
use crate::error::{Error, FieldError, Result};
use crate::store::{AdminChange, StoredRole, StoredTeam, StoredUser, StoredWorkspace};

/// A change to a user; absent members stay as they are.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

fn user_json(user: &StoredUser, teams: &[StoredTeam]) -> Value {
    let member_of: Vec<&str> = teams
        .iter()
        .filter(|team| team.members.contains(&user.id))
        .map(|team| team.id.as_str())
        .collect();
    json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "instance_admin": user.instance_admin,
        "disabled": user.disabled,
        "teams": member_of,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login_at": user.last_login_at,
    })
}

fn team_json(team: &StoredTeam) -> Value {
    json!({
        "id": team.id,
        "name": team.name,
        "members": team.members,
        "created_at": team.created_at,
        "updated_at": team.updated_at,
    })
}

/// A role as the API shows it.
pub fn role_json(role: &StoredRole) -> Value {
    json!({
        "name": role.name,
        "description": role.description,
        "built_in": role.built_in,
        "permissions": serde_json::from_str::<Value>(&role.permissions).unwrap_or(Value::Null),
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    })
}

fn change(
    action: &str,
    kind: &'static str,
    id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> AdminChange {
    AdminChange {
        action: action.to_owned(),
        subject_kind: kind,
        subject_type: None,
        subject_id: id.to_owned(),
        before,
        after,
    }
}

fn self_lockout(detail: &str) -> Error {
    Error::conflict("self_lockout", detail, Vec::new())
}

fn check_display_name(name: &str, field: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::unprocessable(
            "invalid_name",
            format!("{field} has 1 to 200 characters"),
            vec![FieldError::new(
                format!("/{field}"),
                "length",
                "1 to 200 characters",
            )],
        ));
    }
    Ok(name.to_owned())
}

impl App {
    async fn require_role(&self, workspace: &str, role: &str) -> Result<()> {
        if self.store.get_role(workspace, role).await?.is_none() {
            return Err(Error::unprocessable(
                "unknown_role",
                format!("there is no role '{role}'"),
                vec![FieldError::new("/role", "role", "no such role")],
            ));
        }
        Ok(())
    }

    pub async fn list_users(&self, access: &Access) -> Result<Vec<Value>> {
        access.require_admin()?;
        self.users_json(&access.workspace).await
    }

    /// The workspace's people as every member may see them — id, display name, e-mail, teams,
    /// whether disabled — so that owners show as names and anyone who may assign a record can
    /// pick its new owner. Roles, sign-in times and instance-admin flags stay with admins.
    pub async fn list_members(&self, access: &Access) -> Result<Vec<Value>> {
        let mut users = self.users_json(&access.workspace).await?;
        for user in &mut users {
            if let Some(object) = user.as_object_mut() {
                object.retain(|key, _| {
                    matches!(
                        key.as_str(),
                        "id" | "email" | "display_name" | "disabled" | "teams"
                    )
                });
            }
        }
        Ok(users)
    }

    /// Every user of a workspace as `user_json` shows them.
    async fn users_json(&self, workspace: &str) -> Result<Vec<Value>> {
        let teams = self.store.list_teams(workspace).await?;
        Ok(self
            .store
            .list_users(workspace)
            .await?
            .iter()
            .map(|user| user_json(user, &teams))
            .collect())
    }

    pub async fn get_user(&self, access: &Access, id: &str) -> Result<Value> {
        access.require_admin()?;
        let user = self
            .store
            .get_user(&access.workspace, id)
            .await?
            .ok_or_else(|| Error::not_found(format!("user '{id}'")))?;
        let teams = self.store.list_teams(&access.workspace).await?;
        Ok(user_json(&user, &teams))
    }

    /// Creates a user in the caller's workspace.
    pub async fn create_user(
        &self,
        access: &Access,
        email: &str,
        display_name: &str,
        password: &str,
        role: &str,
        instance_admin: bool,
    ) -> Result<StoredUser> {
        access.require_admin()?;
        let email = normalise_email(email, "email")?;
        let display_name = check_display_name(display_name, "display_name")?;
        check_password(password, "password")?;
        self.require_role(&access.workspace, role).await?;
        if self
            .store
            .user_by_email(&access.workspace, &email)
            .await?
            .is_some()
        {
            return Err(Error::conflict(
                "user_exists",
                format!("a user with the e-mail '{email}' exists in this workspace"),
                vec![FieldError::new(
                    "/email",
                    "unique",
                    "taken in this workspace",
                )],
            ));
        }
        let now = crate::clock::now();
        let user = StoredUser {
            id: uuid::Uuid::now_v7().to_string(),
            workspace: access.workspace.clone(),
            email,
            display_name,
            password_hash: hash_password(password).await?,
            role: role.to_owned(),
            instance_admin,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            created_at: now.clone(),
            updated_at: now,
            last_login_at: None,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_user(&user).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change(
                "user.create",
                "user",
                &user.id,
                None,
                Some(user_json(&user, &[])),
            ),
        );
        self.commit_security(tx).await?;
        Ok(user)
    }

    pub async fn update_user(&self, access: &Access, id: &str, patch: UserPatch) -> Result<Value> {
        access.require_admin()?;
        let before = self
            .store
            .get_user(&access.workspace, id)
            .await?
            .ok_or_else(|| Error::not_found(format!("user '{id}'")))?;
        let mut user = before.clone();
        let is_self = access.user.as_deref() == Some(id);
        if let Some(email) = &patch.email {
            user.email = normalise_email(email, "email")?;
            if user.email != before.email
                && self
                    .store
                    .user_by_email(&access.workspace, &user.email)
                    .await?
                    .is_some()
            {
                return Err(Error::conflict(
                    "user_exists",
                    format!(
                        "a user with the e-mail '{}' exists in this workspace",
                        user.email
                    ),
                    vec![FieldError::new(
                        "/email",
                        "unique",
                        "taken in this workspace",
                    )],
                ));
            }
        }
        if let Some(name) = &patch.display_name {
            user.display_name = check_display_name(name, "display_name")?;
        }
        if let Some(role) = &patch.role {
            self.require_role(&access.workspace, role).await?;
            if is_self && role != "admin" && before.role == "admin" {
                return Err(self_lockout("you cannot take the admin role from yourself"));
            }
            user.role = role.clone();
        }
        if let Some(disabled) = patch.disabled {
            if is_self && disabled {
                return Err(self_lockout("you cannot disable yourself"));
            }
            user.disabled = disabled;
        }
        if let Some(password) = &patch.password {
            check_password(password, "password")?;
            user.password_hash = hash_password(password).await?;
            user.failed_logins = 0;
            user.locked_until = None;
        }
        user.updated_at = crate::clock::now();
        let mut tx = self.store.begin().await?;
        tx.update_user(&user).await?;
        if user.disabled || patch.password.is_some() {
            tx.delete_user_sessions(&access.workspace, &user.id, None)
                .await?;
        }
        tx.audit(
            &access.workspace,
            &access.actor,
            change(
                "user.update",
                "user",
                id,
                Some(user_json(&before, &[])),
                Some(user_json(&user, &[])),
            ),
        );
        self.commit_security(tx).await?;
        self.get_user(access, id).await
    }

    pub async fn delete_user(&self, access: &Access, id: &str) -> Result<()> {
        access.require_admin()?;
        if access.user.as_deref() == Some(id) {
            return Err(self_lockout("you cannot delete yourself"));
        }
        let user = self
            .store
            .get_user(&access.workspace, id)
            .await?
            .ok_or_else(|| Error::not_found(format!("user '{id}'")))?;
        let mut tx = self.store.begin().await?;
        tx.delete_user(&access.workspace, id).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change("user.delete", "user", id, Some(user_json(&user, &[])), None),
        );
        self.commit_security(tx).await
    }

    pub async fn list_teams(&self, access: &Access) -> Result<Vec<Value>> {
        // Teams are what owners are picked from: every member may read them.
        Ok(self
            .store
            .list_teams(&access.workspace)
            .await?
            .iter()
            .map(team_json)
            .collect())
    }

    async fn team(&self, workspace: &str, id: &str) -> Result<StoredTeam> {
        self.store
            .list_teams(workspace)
            .await?
            .into_iter()
            .find(|team| team.id == id)
            .ok_or_else(|| Error::not_found(format!("team '{id}'")))
    }

    pub async fn get_team(&self, access: &Access, id: &str) -> Result<Value> {
        Ok(team_json(&self.team(&access.workspace, id).await?))
    }

    async fn check_members(&self, workspace: &str, members: &[String]) -> Result<Vec<String>> {
        let users = self.store.list_users(workspace).await?;
        let mut errors = Vec::new();
        for (index, member) in members.iter().enumerate() {
            if !users.iter().any(|user| user.id == *member) {
                errors.push(FieldError::new(
                    format!("/members/{index}"),
                    "user",
                    format!("there is no user '{member}'"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::unprocessable(
                "unknown_user",
                "a member is not a user of this workspace",
                errors,
            ));
        }
        let mut members = members.to_vec();
        members.sort();
        members.dedup();
        Ok(members)
    }

    pub async fn create_team(
        &self,
        access: &Access,
        name: &str,
        members: &[String],
    ) -> Result<Value> {
        access.require_admin()?;
        let name = check_display_name(name, "name")?;
        let members = self.check_members(&access.workspace, members).await?;
        if self
            .store
            .list_teams(&access.workspace)
            .await?
            .iter()
            .any(|t| t.name == name)
        {
            return Err(Error::conflict(
                "name_taken",
                format!("a team is named '{name}'"),
                vec![FieldError::new("/name", "unique", "taken")],
            ));
        }
        let now = crate::clock::now();
        let team = StoredTeam {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            members,
            created_at: now.clone(),
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_team(&access.workspace, &team).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change(
                "team.create",
                "team",
                &team.id,
                None,
                Some(team_json(&team)),
            ),
        );
        self.commit_security(tx).await?;
        Ok(team_json(&team))
    }

    pub async fn update_team(
        &self,
        access: &Access,
        id: &str,
        name: Option<&str>,
        members: Option<&[String]>,
    ) -> Result<Value> {
        access.require_admin()?;
        let before = self.team(&access.workspace, id).await?;
        let mut team = before.clone();
        if let Some(name) = name {
            team.name = check_display_name(name, "name")?;
            if team.name != before.name
                && self
                    .store
                    .list_teams(&access.workspace)
                    .await?
                    .iter()
                    .any(|t| t.name == team.name)
            {
                return Err(Error::conflict(
                    "name_taken",
                    format!("a team is named '{}'", team.name),
                    vec![FieldError::new("/name", "unique", "taken")],
                ));
            }
        }
        if let Some(members) = members {
            team.members = self.check_members(&access.workspace, members).await?;
        }
        team.updated_at = crate::clock::now();
        let mut tx = self.store.begin().await?;
        tx.rename_team(&access.workspace, id, &team.name, &team.updated_at)
            .await?;
        tx.set_team_members(&access.workspace, id, &team.members)
            .await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change(
                "team.update",
                "team",
                id,
                Some(team_json(&before)),
                Some(team_json(&team)),
            ),
        );
        self.commit_security(tx).await?;
        Ok(team_json(&team))
    }

    pub async fn delete_team(&self, access: &Access, id: &str) -> Result<()> {
        access.require_admin()?;
        let team = self.team(&access.workspace, id).await?;
        let mut tx = self.store.begin().await?;
        tx.delete_team(&access.workspace, id).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change("team.delete", "team", id, Some(team_json(&team)), None),
        );
        self.commit_security(tx).await
    }

    pub async fn list_roles(&self, access: &Access) -> Result<Vec<Value>> {
        // Every member may see the roles (the UI shows what a role allows).
        Ok(self
            .store
            .list_roles(&access.workspace)
            .await?
            .iter()
            .map(role_json)
            .collect())
    }

    pub async fn get_role(&self, access: &Access, name: &str) -> Result<Value> {
        let role = self
            .store
            .get_role(&access.workspace, name)
            .await?
            .ok_or_else(|| Error::not_found(format!("role '{name}'")))?;
        Ok(role_json(&role))
    }

    /// Creates (`create`) or replaces a role's description and permissions.
    pub async fn put_role(
        &self,
        access: &Access,
        name: &str,
        description: &str,
        permissions: &Value,
        create: bool,
    ) -> Result<Value> {
        access.require_admin()?;
        if !crate::schema::is_valid_type_name(name) {
            return Err(Error::unprocessable(
                "invalid_name",
                format!(
                    "'{name}' is not a valid role name: lower-case letters, digits and '_', starting with a letter"
                ),
                vec![FieldError::new("/name", "pattern", "^[a-z][a-z0-9_]*$")],
            ));
        }
        let parsed = Permissions::parse(permissions)?;
        let existing = self.store.get_role(&access.workspace, name).await?;
        match (&existing, create) {
            (Some(_), true) => {
                return Err(Error::conflict(
                    "name_taken",
                    format!("a role is named '{name}'"),
                    vec![FieldError::new("/name", "unique", "taken")],
                ));
            }
            (None, false) => return Err(Error::not_found(format!("role '{name}'"))),
            (Some(role), false) if role.name == "admin" => {
                return Err(Error::conflict(
                    "built_in_role",
                    "the admin role cannot be changed",
                    Vec::new(),
                ));
            }
            _ => {}
        }
        let now = crate::clock::now();
        let role = StoredRole {
            name: name.to_owned(),
            description: description.trim().to_owned(),
            permissions: serde_json::to_string(&parsed).expect("serialises"),
            built_in: existing.as_ref().is_some_and(|r| r.built_in),
            created_at: existing
                .as_ref()
                .map_or(now.clone(), |r| r.created_at.clone()),
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.put_role(&access.workspace, &role).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change(
                if create { "role.create" } else { "role.update" },
                "role",
                name,
                existing.as_ref().map(role_json),
                Some(role_json(&role)),
            ),
        );
        self.commit_security(tx).await?;
        Ok(role_json(&role))
    }

    pub async fn delete_role(&self, access: &Access, name: &str) -> Result<()> {
        access.require_admin()?;
        let role = self
            .store
            .get_role(&access.workspace, name)
            .await?
            .ok_or_else(|| Error::not_found(format!("role '{name}'")))?;
        if role.name == "admin" {
            return Err(Error::conflict(
                "built_in_role",
                "the admin role cannot be removed",
                Vec::new(),
            ));
        }
        let holders = self.store.role_holders(&access.workspace, name).await?;
        if holders > 0 {
            return Err(Error::conflict(
                "role_in_use",
                format!(
                    "{holders} users or tokens have the role '{name}'; give them another role first"
                ),
                Vec::new(),
            ));
        }
        let mut tx = self.store.begin().await?;
        tx.delete_role(&access.workspace, name).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change("role.delete", "role", name, Some(role_json(&role)), None),
        );
        self.commit_security(tx).await
    }

    pub async fn list_workspaces(&self, access: &Access) -> Result<Vec<Value>> {
        access.require_instance_admin()?;
        Ok(self
            .store
            .list_workspaces()
            .await?
            .iter()
            .map(workspace_json)
            .collect())
    }

    /// Creates a workspace with its built-in roles and its first admin.
    pub async fn create_workspace(
        &self,
        access: &Access,
        id: &str,
        name: &str,
        admin_email: &str,
        admin_password: &str,
        admin_name: &str,
    ) -> Result<Value> {
        access.require_instance_admin()?;
        if !crate::store::sql::is_workspace_id(id) {
            return Err(Error::unprocessable(
                "invalid_name",
                format!("'{id}' is not a valid workspace id: ^[a-z][a-z0-9-]{{1,62}}$"),
                vec![FieldError::new("/id", "pattern", "^[a-z][a-z0-9-]{1,62}$")],
            ));
        }
        let name = check_display_name(name, "name")?;
        normalise_email(admin_email, "admin/email")?;
        check_password(admin_password, "admin/password")?;
        if self.store.get_workspace(id).await?.is_some() {
            return Err(Error::conflict(
                "name_taken",
                format!("a workspace '{id}' exists"),
                vec![FieldError::new("/id", "unique", "taken")],
            ));
        }
        let workspace = StoredWorkspace {
            id: id.to_owned(),
            name,
            created_at: crate::clock::now(),
        };
        let mut tx = self.store.begin().await?;
        tx.insert_workspace(&workspace).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change(
                "workspace.create",
                "workspace",
                id,
                None,
                Some(workspace_json(&workspace)),
            ),
        );
        self.commit_security(tx).await?;
        let inside = Access::system(id, access.actor.clone());
        self.ensure_builtin_roles(id).await?;
        self.create_user(
            &inside,
            admin_email,
            admin_name,
            admin_password,
            "admin",
            false,
        )
        .await?;
        Ok(workspace_json(&workspace))
    }

    pub async fn delete_workspace(&self, access: &Access, id: &str) -> Result<()> {
        access.require_instance_admin()?;
        if id == access.workspace {
            return Err(Error::conflict(
                "workspace_in_use",
                "you cannot remove the workspace you are signed in to",
                Vec::new(),
            ));
        }
        let workspace = self
            .store
            .get_workspace(id)
            .await?
            .ok_or_else(|| Error::not_found(format!("workspace '{id}'")))?;
        let mut tx = self.store.begin().await?;
        tx.delete_workspace(id).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            change(
                "workspace.delete",
                "workspace",
                id,
                Some(workspace_json(&workspace)),
                None,
            ),
        );
        self.commit_security(tx).await?;
        self.types.forget_workspace(id);
        Ok(())
    }
}

fn workspace_json(workspace: &StoredWorkspace) -> Value {
    json!({"id": workspace.id, "name": workspace.name, "created_at": workspace.created_at})
}
