//! Workspaces, roles, users, teams, sessions and API tokens. Secrets are never stored: sessions
//! and tokens are found by the SHA-256 of their secret, users by e-mail within a workspace.

use super::sql::{Dialect, SqlBuilder, SqlValue};
use super::{Store, Tx};
use crate::error::Result;

/// A workspace (tenant).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWorkspace {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

/// A role; `permissions` is the JSON document of `docs/security.md`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRole {
    pub name: String,
    pub description: String,
    pub permissions: String,
    pub built_in: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A user of one workspace, with the sign-in throttling state.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    pub id: String,
    pub workspace: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub instance_admin: bool,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
}

/// A team and its members' user ids.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTeam {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredToken {
    pub id: String,
    pub workspace: String,
    pub name: String,
    pub role: String,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A session found by its secret's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub workspace: String,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: String,
}

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_owned())
}

fn optional(value: &Option<String>) -> SqlValue {
    value.clone().map_or(SqlValue::Null, SqlValue::Text)
}

fn flag(value: bool) -> SqlValue {
    SqlValue::Int(i64::from(value))
}

/// Takes the columns of a text row in order.
struct Columns(std::vec::IntoIter<Option<String>>);

impl Columns {
    fn new(row: Vec<Option<String>>) -> Self {
        Columns(row.into_iter())
    }
    fn text(&mut self) -> String {
        self.0.next().flatten().unwrap_or_default()
    }
    fn optional(&mut self) -> Option<String> {
        self.0.next().flatten()
    }
    fn flag(&mut self) -> bool {
        self.0.next().flatten().as_deref() == Some("1")
    }
    fn int(&mut self) -> i64 {
        self.text().parse().unwrap_or(0)
    }
}

const USER_COLUMNS: &str = "u.id, u.workspace_id, u.email, u.display_name, u.password_hash, u.role, CAST(u.instance_admin AS TEXT), CAST(u.disabled AS TEXT), CAST(u.failed_logins AS TEXT), u.locked_until, u.created_at, u.updated_at, u.last_login_at";

fn decode_user(row: Vec<Option<String>>) -> StoredUser {
    let mut c = Columns::new(row);
    StoredUser {
        id: c.text(),
        workspace: c.text(),
        email: c.text(),
        display_name: c.text(),
        password_hash: c.text(),
        role: c.text(),
        instance_admin: c.flag(),
        disabled: c.flag(),
        failed_logins: c.int(),
        locked_until: c.optional(),
        created_at: c.text(),
        updated_at: c.text(),
        last_login_at: c.optional(),
    }
}

const ROLE_COLUMNS: &str =
    "name, description, CAST(permissions AS TEXT), CAST(built_in AS TEXT), created_at, updated_at";

fn decode_role(row: Vec<Option<String>>) -> StoredRole {
    let mut c = Columns::new(row);
    StoredRole {
        name: c.text(),
        description: c.text(),
        permissions: c.text(),
        built_in: c.flag(),
        created_at: c.text(),
        updated_at: c.text(),
    }
}

const TOKEN_COLUMNS: &str =
    "id, workspace_id, name, role, user_id, created_at, expires_at, revoked_at, last_used_at";

fn decode_token(row: Vec<Option<String>>) -> StoredToken {
    let mut c = Columns::new(row);
    StoredToken {
        id: c.text(),
        workspace: c.text(),
        name: c.text(),
        role: c.text(),
        user_id: c.text(),
        created_at: c.text(),
        expires_at: c.text(),
        revoked_at: c.optional(),
        last_used_at: c.optional(),
    }
}

fn json_param(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "?",
        Dialect::Postgres => "CAST(? AS JSONB)",
    }
}

/// Every table that holds a workspace's data, children before parents, for removing one.
const WORKSPACE_TABLES: [&str; 18] = [
    "audit_log",
    "api_tokens",
    "sessions",
    "team_members",
    "teams",
    "users",
    "roles",
    "plugin_failures",
    "plugin_jobs",
    "plugin_schedules",
    "plugin_components",
    "package_entity_types",
    "trusted_publishers",
    "packages",
    "record_indexes",
    "records",
    "entity_type_versions",
    "entity_types",
];

impl Store {
    /// How many users the whole instance has: none means the first start.
    pub async fn count_users(&self) -> Result<i64> {
        let sql = SqlBuilder::statement(self.dialect(), "SELECT COUNT(*) FROM users", []);
        Ok(self.reader().fetch_i64(sql).await?.unwrap_or(0))
    }

    pub async fn list_workspaces(&self) -> Result<Vec<StoredWorkspace>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "SELECT id, name, created_at FROM workspaces ORDER BY id",
            [],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_workspace).collect())
    }

    pub async fn get_workspace(&self, id: &str) -> Result<Option<StoredWorkspace>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "SELECT id, name, created_at FROM workspaces WHERE id = ?",
            [text(id)],
        );
        Ok(self
            .reader()
            .fetch_text_rows(sql)
            .await?
            .into_iter()
            .next()
            .map(decode_workspace))
    }

    pub async fn list_roles(&self, workspace: &str) -> Result<Vec<StoredRole>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!("SELECT {ROLE_COLUMNS} FROM roles WHERE workspace_id = ? ORDER BY name"),
            [text(workspace)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_role).collect())
    }

    pub async fn get_role(&self, workspace: &str, name: &str) -> Result<Option<StoredRole>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!("SELECT {ROLE_COLUMNS} FROM roles WHERE workspace_id = ? AND name = ?"),
            [text(workspace), text(name)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_role).next())
    }

    /// How many users and live tokens have a role.
    pub async fn role_holders(&self, workspace: &str, role: &str) -> Result<i64> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "SELECT (SELECT COUNT(*) FROM users WHERE workspace_id = ? AND role = ?) + (SELECT COUNT(*) FROM api_tokens WHERE workspace_id = ? AND role = ? AND revoked_at IS NULL)",
            [text(workspace), text(role), text(workspace), text(role)],
        );
        Ok(self.reader().fetch_i64(sql).await?.unwrap_or(0))
    }

    pub async fn list_users(&self, workspace: &str) -> Result<Vec<StoredUser>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.workspace_id = ? ORDER BY u.email"
            ),
            [text(workspace)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_user).collect())
    }

    pub async fn get_user(&self, workspace: &str, id: &str) -> Result<Option<StoredUser>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.workspace_id = ? AND u.id = ?"),
            [text(workspace), text(id)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_user).next())
    }

    /// A user by e-mail (already lower-cased) in a workspace.
    pub async fn user_by_email(&self, workspace: &str, email: &str) -> Result<Option<StoredUser>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.workspace_id = ? AND u.email = ?"),
            [text(workspace), text(email)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_user).next())
    }

    /// The teams a user is a member of.
    pub async fn teams_of(&self, workspace: &str, user_id: &str) -> Result<Vec<String>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "SELECT team_id FROM team_members WHERE workspace_id = ? AND user_id = ? ORDER BY team_id",
            [text(workspace), text(user_id)],
        );
        self.reader().fetch_strings(sql).await
    }

    /// Every member of any of the teams.
    pub async fn members_of(&self, workspace: &str, teams: &[String]) -> Result<Vec<String>> {
        if teams.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; teams.len()].join(", ");
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!(
                "SELECT DISTINCT user_id FROM team_members WHERE workspace_id = ? AND team_id IN ({placeholders}) ORDER BY user_id"
            ),
            std::iter::once(text(workspace)).chain(teams.iter().map(|t| text(t))),
        );
        self.reader().fetch_strings(sql).await
    }

    pub async fn list_teams(&self, workspace: &str) -> Result<Vec<StoredTeam>> {
        let dialect = self.dialect();
        let sql = SqlBuilder::statement(
            dialect,
            "SELECT id, name, created_at, updated_at FROM teams WHERE workspace_id = ? ORDER BY name",
            [text(workspace)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        let members = SqlBuilder::statement(
            dialect,
            "SELECT team_id, user_id FROM team_members WHERE workspace_id = ? ORDER BY team_id, user_id",
            [text(workspace)],
        );
        let members = self.reader().fetch_pairs(members).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut c = Columns::new(row);
                let id = c.text();
                StoredTeam {
                    members: members
                        .iter()
                        .filter(|(team, _)| *team == id)
                        .map(|(_, user)| user.clone())
                        .collect(),
                    id,
                    name: c.text(),
                    created_at: c.text(),
                    updated_at: c.text(),
                }
            })
            .collect())
    }

    /// A session by its secret's hash, in any workspace: the session names its workspace.
    pub async fn get_session(&self, secret_hash: &str) -> Result<Option<StoredSession>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "SELECT workspace_id, user_id, created_at, expires_at FROM sessions WHERE secret_hash = ?",
            [text(secret_hash)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut c = Columns::new(row);
                StoredSession {
                    workspace: c.text(),
                    user_id: c.text(),
                    created_at: c.text(),
                    expires_at: c.text(),
                }
            })
            .next())
    }

    /// Who holds a session, in one round trip: the session, its (enabled) user and the
    /// permissions of the user's role.
    pub async fn session_principal(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(StoredSession, StoredUser, String)>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!(
                "SELECT s.workspace_id, s.user_id, s.created_at, s.expires_at, CAST(r.permissions AS TEXT), {USER_COLUMNS} \
                 FROM sessions s JOIN users u ON u.id = s.user_id AND u.workspace_id = s.workspace_id \
                 JOIN roles r ON r.workspace_id = u.workspace_id AND r.name = u.role \
                 WHERE s.secret_hash = ?"
            ),
            [text(secret_hash)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().next().map(|row| {
            let mut row = row.into_iter();
            let mut head = Columns::new(row.by_ref().take(5).collect());
            let session = StoredSession {
                workspace: head.text(),
                user_id: head.text(),
                created_at: head.text(),
                expires_at: head.text(),
            };
            let permissions = head.text();
            (session, decode_user(row.collect()), permissions)
        }))
    }

    /// Who holds a token, in one round trip: the token, its user and the permissions of the
    /// token's role.
    pub async fn token_principal(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(StoredToken, StoredUser, String)>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!(
                "SELECT t.id, t.workspace_id, t.name, t.role, t.user_id, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, CAST(r.permissions AS TEXT), {USER_COLUMNS} \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.workspace_id = t.workspace_id \
                 JOIN roles r ON r.workspace_id = t.workspace_id AND r.name = t.role \
                 WHERE t.secret_hash = ?"
            ),
            [text(secret_hash)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().next().map(|row| {
            let mut row = row.into_iter();
            let token = decode_token(row.by_ref().take(9).collect());
            let permissions = row.next().flatten().unwrap_or_default();
            (token, decode_user(row.collect()), permissions)
        }))
    }

    /// A token by its secret's hash, in any workspace: the token names its workspace.
    pub async fn token_by_secret(&self, secret_hash: &str) -> Result<Option<StoredToken>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = ?"),
            [text(secret_hash)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_token).next())
    }

    pub async fn list_tokens(&self, workspace: &str) -> Result<Vec<StoredToken>> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            &format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE workspace_id = ? ORDER BY created_at DESC, id"
            ),
            [text(workspace)],
        );
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_token).collect())
    }
}

impl Tx {
    pub async fn insert_workspace(&mut self, workspace: &StoredWorkspace) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)",
            [
                text(&workspace.id),
                text(&workspace.name),
                text(&workspace.created_at),
            ],
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Removes a workspace and everything in it; `false` when there is no such workspace.
    pub async fn delete_workspace(&mut self, id: &str) -> Result<bool> {
        let dialect = self.dialect();
        let indexes = SqlBuilder::statement(
            dialect,
            "SELECT index_name FROM record_indexes WHERE workspace_id = ?",
            [text(id)],
        );
        for index in self.fetch_strings(indexes).await? {
            // Index names are made by the store from checked names; quoted all the same.
            let sql = SqlBuilder::statement(
                dialect,
                &format!("DROP INDEX IF EXISTS \"{}\"", index.replace('"', "")),
                [],
            );
            self.execute(sql).await?;
        }
        if dialect == Dialect::Sqlite {
            // The contentless full-text index has no workspace column: remove by rowid first.
            let sql = SqlBuilder::statement(
                dialect,
                "DELETE FROM records_fts WHERE rowid IN (SELECT rowid FROM records WHERE workspace_id = ?)",
                [text(id)],
            );
            self.execute(sql).await?;
        }
        for table in WORKSPACE_TABLES {
            let sql = SqlBuilder::statement(
                dialect,
                &format!("DELETE FROM {table} WHERE workspace_id = ?"),
                [text(id)],
            );
            self.execute(sql).await?;
        }
        let sql = SqlBuilder::statement(dialect, "DELETE FROM workspaces WHERE id = ?", [text(id)]);
        Ok(self.execute(sql).await? > 0)
    }

    /// Inserts a role, or replaces its description and permissions.
    pub async fn put_role(&mut self, workspace: &str, role: &StoredRole) -> Result<()> {
        let dialect = self.dialect();
        let sql = SqlBuilder::statement(
            dialect,
            &format!(
                "INSERT INTO roles (workspace_id, name, description, permissions, built_in, created_at, updated_at) VALUES (?, ?, ?, {}, ?, ?, ?) ON CONFLICT (workspace_id, name) DO UPDATE SET description = excluded.description, permissions = excluded.permissions, updated_at = excluded.updated_at",
                json_param(dialect)
            ),
            [
                text(workspace),
                text(&role.name),
                text(&role.description),
                text(&role.permissions),
                flag(role.built_in),
                text(&role.created_at),
                text(&role.updated_at),
            ],
        );
        self.execute(sql).await?;
        Ok(())
    }

    pub async fn delete_role(&mut self, workspace: &str, name: &str) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "DELETE FROM roles WHERE workspace_id = ? AND name = ?",
            [text(workspace), text(name)],
        );
        Ok(self.execute(sql).await? > 0)
    }

    pub async fn insert_user(&mut self, user: &StoredUser) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "INSERT INTO users (id, workspace_id, email, display_name, password_hash, role, instance_admin, disabled, failed_logins, locked_until, created_at, updated_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                text(&user.id),
                text(&user.workspace),
                text(&user.email),
                text(&user.display_name),
                text(&user.password_hash),
                text(&user.role),
                flag(user.instance_admin),
                flag(user.disabled),
                SqlValue::Int(user.failed_logins),
                optional(&user.locked_until),
                text(&user.created_at),
                text(&user.updated_at),
                optional(&user.last_login_at),
            ],
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Writes every changeable column of a user back.
    pub async fn update_user(&mut self, user: &StoredUser) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "UPDATE users SET email = ?, display_name = ?, password_hash = ?, role = ?, instance_admin = ?, disabled = ?, failed_logins = ?, locked_until = ?, updated_at = ?, last_login_at = ? WHERE workspace_id = ? AND id = ?",
            [
                text(&user.email),
                text(&user.display_name),
                text(&user.password_hash),
                text(&user.role),
                flag(user.instance_admin),
                flag(user.disabled),
                SqlValue::Int(user.failed_logins),
                optional(&user.locked_until),
                text(&user.updated_at),
                optional(&user.last_login_at),
                text(&user.workspace),
                text(&user.id),
            ],
        );
        Ok(self.execute(sql).await? > 0)
    }

    /// Counts a failed sign-in and sets the lock; atomic, so concurrent failures all count.
    pub async fn record_login_failure(
        &mut self,
        workspace: &str,
        user_id: &str,
        locked_until: Option<&str>,
    ) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "UPDATE users SET failed_logins = failed_logins + 1, locked_until = COALESCE(?, locked_until) WHERE workspace_id = ? AND id = ?",
            [
                locked_until.map_or(SqlValue::Null, text),
                text(workspace),
                text(user_id),
            ],
        );
        self.execute(sql).await?;
        Ok(())
    }

    pub async fn delete_user(&mut self, workspace: &str, id: &str) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "DELETE FROM users WHERE workspace_id = ? AND id = ?",
            [text(workspace), text(id)],
        );
        Ok(self.execute(sql).await? > 0)
    }

    pub async fn insert_team(&mut self, workspace: &str, team: &StoredTeam) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "INSERT INTO teams (id, workspace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [
                text(&team.id),
                text(workspace),
                text(&team.name),
                text(&team.created_at),
                text(&team.updated_at),
            ],
        );
        self.execute(sql).await?;
        self.set_team_members(workspace, &team.id, &team.members)
            .await
    }

    pub async fn rename_team(
        &mut self,
        workspace: &str,
        id: &str,
        name: &str,
        now: &str,
    ) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "UPDATE teams SET name = ?, updated_at = ? WHERE workspace_id = ? AND id = ?",
            [text(name), text(now), text(workspace), text(id)],
        );
        Ok(self.execute(sql).await? > 0)
    }

    pub async fn set_team_members(
        &mut self,
        workspace: &str,
        team: &str,
        members: &[String],
    ) -> Result<()> {
        let dialect = self.dialect();
        let sql = SqlBuilder::statement(
            dialect,
            "DELETE FROM team_members WHERE workspace_id = ? AND team_id = ?",
            [text(workspace), text(team)],
        );
        self.execute(sql).await?;
        for member in members {
            let sql = SqlBuilder::statement(
                dialect,
                "INSERT INTO team_members (workspace_id, team_id, user_id) VALUES (?, ?, ?)",
                [text(workspace), text(team), text(member)],
            );
            self.execute(sql).await?;
        }
        Ok(())
    }

    /// Whether a user exists in the workspace, read in this transaction (an owner set in it).
    pub async fn user_exists(&mut self, workspace: &str, id: &str) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "SELECT COUNT(*) FROM users WHERE workspace_id = ? AND id = ?",
            [text(workspace), text(id)],
        );
        Ok(self.fetch_i64(sql).await?.unwrap_or(0) > 0)
    }

    /// Whether a team exists in the workspace, read in this transaction.
    pub async fn team_exists(&mut self, workspace: &str, id: &str) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "SELECT COUNT(*) FROM teams WHERE workspace_id = ? AND id = ?",
            [text(workspace), text(id)],
        );
        Ok(self.fetch_i64(sql).await?.unwrap_or(0) > 0)
    }

    pub async fn delete_team(&mut self, workspace: &str, id: &str) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "DELETE FROM teams WHERE workspace_id = ? AND id = ?",
            [text(workspace), text(id)],
        );
        Ok(self.execute(sql).await? > 0)
    }

    pub async fn insert_session(
        &mut self,
        secret_hash: &str,
        session: &StoredSession,
    ) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "INSERT INTO sessions (secret_hash, workspace_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [
                text(secret_hash),
                text(&session.workspace),
                text(&session.user_id),
                text(&session.created_at),
                text(&session.expires_at),
            ],
        );
        self.execute(sql).await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, secret_hash: &str) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "DELETE FROM sessions WHERE secret_hash = ?",
            [text(secret_hash)],
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Ends a user's sessions, except the one whose hash is `keep`.
    pub async fn delete_user_sessions(
        &mut self,
        workspace: &str,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "DELETE FROM sessions WHERE workspace_id = ? AND user_id = ? AND secret_hash <> ?",
            [text(workspace), text(user_id), text(keep.unwrap_or(""))],
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Removes sessions that expired before `now`, in every workspace.
    pub async fn delete_expired_sessions(&mut self, now: &str) -> Result<u64> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "DELETE FROM sessions WHERE expires_at < ?",
            [text(now)],
        );
        self.execute(sql).await
    }

    pub async fn insert_token(&mut self, secret_hash: &str, token: &StoredToken) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "INSERT INTO api_tokens (id, workspace_id, name, secret_hash, role, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                text(&token.id),
                text(&token.workspace),
                text(&token.name),
                text(secret_hash),
                text(&token.role),
                text(&token.user_id),
                text(&token.created_at),
                text(&token.expires_at),
            ],
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Revokes a live token; `false` when there is no such token or it was revoked already.
    pub async fn revoke_token(&mut self, workspace: &str, id: &str, now: &str) -> Result<bool> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "UPDATE api_tokens SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL",
            [text(now), text(workspace), text(id)],
        );
        Ok(self.execute(sql).await? > 0)
    }

    pub async fn touch_token(&mut self, id: &str, now: &str) -> Result<()> {
        let sql = SqlBuilder::statement(
            self.dialect(),
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
            [text(now), text(id)],
        );
        self.execute(sql).await?;
        Ok(())
    }
}

fn decode_workspace(row: Vec<Option<String>>) -> StoredWorkspace {
    let mut c = Columns::new(row);
    StoredWorkspace {
        id: c.text(),
        name: c.text(),
        created_at: c.text(),
    }
}
