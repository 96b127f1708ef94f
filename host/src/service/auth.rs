//! Proving who a caller is: passwords (argon2id), sessions, API tokens, sign-in throttling and
//! the first-run bootstrap. Secrets are random 256-bit values; only their SHA-256 is stored.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::App;
use super::access::{Access, Permissions};
use crate::error::{Error, FieldError, Result};
use crate::store::{
    Actor, ActorKind, AdminChange, StoredRole, StoredSession, StoredToken, StoredUser,
};

/// The prefix that makes a token recognisable in configuration files and secret scanners.
pub const TOKEN_PREFIX: &str = "xrm_";
/// Failed sign-ins of one account before it is locked for a while.
const FREE_FAILURES: i64 = 5;
/// The longest lock of an account after repeated failures.
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins per client address and minute, per host.
const FAILURES_PER_ADDRESS: u32 = 20;
/// The longest a token may live.
const MAX_TOKEN_DAYS: i64 = 366;
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 1024;

/// Sign-in and session policy of a host.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    pub session_ttl: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

/// How long a resolved credential is trusted without reading the database again. A change
/// made on this host (sign-out, revocation, user, role, team or workspace changes) clears the
/// cache at once; another host sees it within this time.
pub const CREDENTIAL_CACHE_TTL: Duration = Duration::from_secs(1);
const CREDENTIAL_CACHE_MAX: usize = 10_000;

/// Resolved credentials of this host, by their secret's hash, for [`CREDENTIAL_CACHE_TTL`].
#[derive(Default)]
pub struct CredentialCache {
    entries: Mutex<HashMap<String, (Instant, Access, String)>>,
}

impl CredentialCache {
    fn get(&self, hash: &str, now: &str) -> Option<Access> {
        let entries = self.entries.lock().expect("credential cache lock");
        let (at, access, expires_at) = entries.get(hash)?;
        (at.elapsed() < CREDENTIAL_CACHE_TTL && expires_at.as_str() > now).then(|| access.clone())
    }

    fn put(&self, hash: String, access: Access, expires_at: String) {
        let mut entries = self.entries.lock().expect("credential cache lock");
        if entries.len() >= CREDENTIAL_CACHE_MAX {
            entries.retain(|_, (at, ..)| at.elapsed() < CREDENTIAL_CACHE_TTL);
            if entries.len() >= CREDENTIAL_CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(hash, (Instant::now(), access, expires_at));
    }

    /// Forgets every resolved credential: after any change to who may do what.
    pub fn clear(&self) {
        self.entries.lock().expect("credential cache lock").clear();
    }
}

/// Per-host state of sign-in throttling by client address.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginThrottle {
    fn check(&self, address: Option<IpAddr>) -> Result<()> {
        let Some(address) = address else {
            return Ok(());
        };
        let failures = self.failures.lock().expect("throttle lock");
        if let Some((since, count)) = failures.get(&address) {
            let elapsed = since.elapsed();
            if elapsed < Duration::from_secs(60) && *count >= FAILURES_PER_ADDRESS {
                return Err(too_many((Duration::from_secs(60) - elapsed).as_secs() + 1));
            }
        }
        Ok(())
    }

    fn fail(&self, address: Option<IpAddr>) {
        let Some(address) = address else {
            return;
        };
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() > 100_000 {
            failures.retain(|_, (since, _)| since.elapsed() < Duration::from_secs(60));
        }
        let entry = failures.entry(address).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= Duration::from_secs(60) {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

fn too_many(retry_after_secs: u64) -> Error {
    Error::TooManyRequests {
        code: "too_many_attempts",
        detail: format!("too many failed sign-ins; try again in {retry_after_secs} s"),
        retry_after_secs,
    }
}

fn invalid_credentials() -> Error {
    Error::Unauthenticated {
        code: "invalid_credentials",
        detail: "the workspace, e-mail or password is wrong".to_owned(),
    }
}

/// The argon2id parameters OWASP recommends: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("fixed argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (on a blocking thread: it takes tens of milliseconds on purpose).
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0_u8; 16];
        getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
        let salt = SaltString::encode_b64(&salt)
            .map_err(|e| Error::Internal(format!("a password salt: {e}")))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("the hashing task failed: {e}")))?
}

/// Checks a password against a stored hash, in constant time for a given hash.
async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when there is no such user, so that a wrong e-mail costs the
/// same time as a wrong password.
async fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return hash;
    }
    let hash = hash_password("decoy password that never matches")
        .await
        .unwrap_or_default();
    DECOY.get_or_init(|| hash)
}

/// Checks a new password's length, naming the field.
pub fn check_password(password: &str, field: &str) -> Result<()> {
    let length = password.chars().count();
    if (MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
        Ok(())
    } else {
        Err(Error::unprocessable(
            "invalid_password",
            format!("a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
            vec![FieldError::new(
                format!("/{field}"),
                "length",
                format!("must have {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
            )],
        ))
    }
}

/// A new random secret, URL-safe.
fn new_secret() -> Result<String> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a secret, hex: what the database keeps.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The CSRF token of a session: derived from its secret, so nothing more is stored, and
/// useless without it.
pub fn csrf_token(session_secret: &str) -> String {
    let digest = Sha256::digest(format!("xrm-csrf:{session_secret}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Compares a presented CSRF token with the session's in constant time.
pub fn csrf_matches(session_secret: &str, presented: &str) -> bool {
    csrf_token(session_secret)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

/// Lower-cases and checks an e-mail address (a light check: one `@`, no spaces).
pub fn normalise_email(email: &str, field: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split('@').count() == 2
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(Error::unprocessable(
            "invalid_email",
            format!("'{email}' is not an e-mail address"),
            vec![FieldError::new(
                format!("/{field}"),
                "format",
                "not an e-mail address",
            )],
        ))
    }
}

/// A user to create outside any request (bootstrap, demo, command line).
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: &'a str,
    pub instance_admin: bool,
}

/// How a request proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The session cookie's secret.
    Session(String),
    /// A bearer token.
    Token(String),
}

/// Where a request came from, for the actor the audit trail records.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub via: String,
    pub request_id: Option<String>,
}

impl App {
    /// Makes sure a workspace has the built-in roles; run at start and for new workspaces.
    pub async fn ensure_builtin_roles(&self, workspace: &str) -> Result<()> {
        let existing = self.store.list_roles(workspace).await?;
        let builtins = [
            (
                "admin",
                "Everything in the workspace, including its administration.",
                Permissions::full(),
            ),
            (
                "member",
                "Reads every record, works on the team's records, deletes their own.",
                Permissions::member(),
            ),
            (
                "viewer",
                "Reads every record and runs reports; changes nothing.",
                Permissions::viewer(),
            ),
        ];
        let missing: Vec<_> = builtins
            .into_iter()
            .filter(|(name, ..)| !existing.iter().any(|role| role.name == *name))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let now = crate::clock::now();
        let mut tx = self.store.begin().await?;
        for (name, description, permissions) in missing {
            tx.put_role(
                workspace,
                &StoredRole {
                    name: name.to_owned(),
                    description: description.to_owned(),
                    permissions: serde_json::to_string(&permissions).expect("serialises"),
                    built_in: true,
                    created_at: now.clone(),
                    updated_at: now.clone(),
                },
            )
            .await?;
        }
        tx.commit().await
    }

    /// Creates a user without an acting user: the first-run bootstrap, the demo, the command
    /// line. Checks the e-mail, password and role like the API does.
    pub async fn add_user_as_system(
        &self,
        workspace: &str,
        user: &NewUser<'_>,
        actor: &Actor,
    ) -> Result<StoredUser> {
        self.ensure_builtin_roles(workspace).await?;
        let access = Access::system(workspace, actor.clone());
        self.create_user(
            &access,
            user.email,
            user.display_name,
            user.password,
            user.role,
            user.instance_admin,
        )
        .await
    }

    /// The first start: creates the instance admin from the environment if there is no user
    /// at all. Returns whether it did.
    pub async fn bootstrap_admin(&self, email: &str, password: &str) -> Result<bool> {
        if self.store.count_users().await? > 0 {
            return Ok(false);
        }
        let admin = NewUser {
            email,
            display_name: "Instance admin",
            password,
            role: "admin",
            instance_admin: true,
        };
        self.add_user_as_system(
            crate::DEFAULT_WORKSPACE,
            &admin,
            &Actor::system("bootstrap"),
        )
        .await?;
        Ok(true)
    }

    /// Signs a user in: returns the new session's secret (for the cookie) and the session
    /// document. Every kind of wrong input answers the same `invalid_credentials`.
    pub async fn login(
        &self,
        workspace: &str,
        email: &str,
        password: &str,
        address: Option<IpAddr>,
        origin: &Origin,
    ) -> Result<(String, Value)> {
        self.login_throttle.check(address)?;
        let email = email.trim().to_lowercase();
        let user = if crate::store::sql::is_workspace_id(workspace) {
            self.store.user_by_email(workspace, &email).await?
        } else {
            None
        };
        let Some(mut user) = user else {
            verify_password(password, decoy_hash().await).await;
            self.login_throttle.fail(address);
            return Err(invalid_credentials());
        };
        let now = time::OffsetDateTime::now_utc();
        if let Some(until) = user.locked_until.as_deref().and_then(crate::clock::parse)
            && until > now
        {
            let wait = (until - now).whole_seconds().max(1) as u64;
            return Err(too_many(wait));
        }
        if !verify_password(password, &user.password_hash).await || user.disabled {
            self.login_throttle.fail(address);
            let failures = user.failed_logins + 1;
            let lock = (failures >= FREE_FAILURES).then(|| {
                let doubling = (failures - FREE_FAILURES).min(20) as u32;
                let lock = Duration::from_secs(1_u64 << doubling).min(MAX_LOCK);
                crate::clock::after(lock)
            });
            let mut tx = self.store.begin().await?;
            tx.record_login_failure(workspace, &user.id, lock.as_deref())
                .await?;
            tx.commit().await?;
            return Err(invalid_credentials());
        }
        let secret = new_secret()?;
        let created_at = crate::clock::now();
        let session = StoredSession {
            workspace: workspace.to_owned(),
            user_id: user.id.clone(),
            created_at: created_at.clone(),
            expires_at: crate::clock::after(self.settings.auth.session_ttl),
        };
        user.failed_logins = 0;
        user.locked_until = None;
        user.last_login_at = Some(created_at);
        let mut tx = self.store.begin().await?;
        tx.update_user(&user).await?;
        tx.insert_session(&secret_hash(&secret), &session).await?;
        let actor = user_actor(&user, origin);
        tx.audit(
            workspace,
            &actor,
            AdminChange {
                action: "auth.login".to_owned(),
                subject_kind: "user",
                subject_type: None,
                subject_id: user.id.clone(),
                before: None,
                after: None,
            },
        );
        tx.commit().await?;
        let role = self
            .store
            .get_role(workspace, &user.role)
            .await?
            .ok_or_else(|| Error::Internal(format!("role '{}' of a user is missing", user.role)))?;
        let access = self
            .user_access(&user, &user.role, &role.permissions, actor)
            .await?;
        let document = self
            .session_document(&access, &secret, &session.expires_at)
            .await?;
        Ok((secret, document))
    }

    /// Resolves a request's credential into its access; 401 when it is not valid (any more).
    /// One read finds the credential, its user and the role's permissions; teams are read
    /// only for roles with a `team` scope.
    pub async fn authenticate(&self, credential: &Credential, origin: &Origin) -> Result<Access> {
        let hash = match credential {
            Credential::Session(secret) | Credential::Token(secret) => secret_hash(secret),
        };
        let now = crate::clock::now();
        if let Some(access) = self.credentials.get(&hash, &now) {
            return Ok(access.with_origin(origin));
        }
        let (access, expires_at) = self.resolve(credential, &hash, &now, origin).await?;
        self.credentials.put(hash, access.clone(), expires_at);
        Ok(access)
    }

    /// Reads a credential, its user and role from the database.
    async fn resolve(
        &self,
        credential: &Credential,
        hash: &str,
        now: &str,
        origin: &Origin,
    ) -> Result<(Access, String)> {
        let now = now.to_owned();
        match credential {
            Credential::Session(_) => {
                let (session, user, permissions) = self
                    .store
                    .session_principal(hash)
                    .await?
                    .ok_or_else(Error::unauthenticated)?;
                if session.expires_at <= now || user.disabled {
                    return Err(Error::unauthenticated());
                }
                let actor = user_actor(&user, origin);
                let role = user.role.clone();
                let access = self.user_access(&user, &role, &permissions, actor).await?;
                Ok((access, session.expires_at))
            }
            Credential::Token(_) => {
                let (token, user, permissions) = self
                    .store
                    .token_principal(hash)
                    .await?
                    .ok_or_else(Error::unauthenticated)?;
                if token.revoked_at.is_some() || token.expires_at <= now || user.disabled {
                    return Err(Error::unauthenticated());
                }
                // Last use is kept to the minute: no write on every request.
                let stale = token
                    .last_used_at
                    .as_deref()
                    .and_then(crate::clock::parse)
                    .is_none_or(|used| {
                        time::OffsetDateTime::now_utc() - used > time::Duration::minutes(1)
                    });
                if stale {
                    let mut tx = self.store.begin().await?;
                    tx.touch_token(&token.id, &now).await?;
                    tx.commit().await?;
                }
                let actor = Actor {
                    kind: ActorKind::Token,
                    id: token.id.clone(),
                    name: token.name.clone(),
                    via: origin.via.clone(),
                    request_id: origin.request_id.clone(),
                    user: Some(user.id.clone()),
                };
                let mut access = self
                    .user_access(&user, &token.role, &permissions, actor)
                    .await?;
                // A token never manages workspaces, whatever its user may do.
                access.instance_admin = false;
                Ok((access, token.expires_at))
            }
        }
    }

    /// The access of a user under a role whose permissions (JSON) are given.
    async fn user_access(
        &self,
        user: &StoredUser,
        role: &str,
        permissions: &str,
        actor: Actor,
    ) -> Result<Access> {
        let permissions: Permissions = serde_json::from_str(permissions)
            .map_err(|e| Error::Internal(format!("stored permissions of '{role}': {e}")))?;
        let (teams, teammates) = if permissions.uses_team_scope() {
            let teams = self.store.teams_of(&user.workspace, &user.id).await?;
            let teammates = self.store.members_of(&user.workspace, &teams).await?;
            (teams, teammates)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(Access {
            workspace: user.workspace.clone(),
            actor,
            user: Some(user.id.clone()),
            role: role.to_owned(),
            permissions: Arc::new(permissions),
            teams,
            teammates,
            instance_admin: user.instance_admin,
        })
    }

    /// The session document of `docs/security.md`.
    pub async fn session_document(
        &self,
        access: &Access,
        secret: &str,
        expires_at: &str,
    ) -> Result<Value> {
        let user_id = access.user.clone().unwrap_or_default();
        let user = self
            .store
            .get_user(&access.workspace, &user_id)
            .await?
            .ok_or_else(Error::unauthenticated)?;
        let workspace = self
            .store
            .get_workspace(&access.workspace)
            .await?
            .ok_or_else(Error::unauthenticated)?;
        Ok(json!({
            "user": {
                "id": user.id,
                "email": user.email,
                "display_name": user.display_name,
                "role": user.role,
                "instance_admin": user.instance_admin,
                "teams": self.store.teams_of(&access.workspace, &user.id).await?,
            },
            "workspace": {"id": workspace.id, "name": workspace.name},
            "csrf_token": csrf_token(secret),
            "expires_at": expires_at,
            "permissions": access.permissions.as_ref(),
        }))
    }

    /// The session document of the session behind a cookie.
    pub async fn current_session(&self, access: &Access, secret: &str) -> Result<Value> {
        let session = self
            .store
            .get_session(&secret_hash(secret))
            .await?
            .ok_or_else(Error::unauthenticated)?;
        self.session_document(access, secret, &session.expires_at)
            .await
    }

    pub async fn logout(&self, access: &Access, secret: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.delete_session(&secret_hash(secret)).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            AdminChange {
                action: "auth.logout".to_owned(),
                subject_kind: "user",
                subject_type: None,
                subject_id: access.user.clone().unwrap_or_default(),
                before: None,
                after: None,
            },
        );
        self.commit_security(tx).await
    }

    /// Changes the caller's own password; every other session of theirs ends.
    pub async fn change_password(
        &self,
        access: &Access,
        session_secret: Option<&str>,
        current: &str,
        new: &str,
    ) -> Result<()> {
        let user_id = access.user.clone().ok_or_else(Error::unauthenticated)?;
        let mut user = self
            .store
            .get_user(&access.workspace, &user_id)
            .await?
            .ok_or_else(Error::unauthenticated)?;
        if !verify_password(current, &user.password_hash).await {
            return Err(Error::unprocessable(
                "invalid_password",
                "the current password is wrong",
                vec![FieldError::new(
                    "/current_password",
                    "password",
                    "the current password is wrong",
                )],
            ));
        }
        check_password(new, "new_password")?;
        user.password_hash = hash_password(new).await?;
        user.updated_at = crate::clock::now();
        let mut tx = self.store.begin().await?;
        tx.update_user(&user).await?;
        tx.delete_user_sessions(
            &access.workspace,
            &user.id,
            session_secret.map(secret_hash).as_deref(),
        )
        .await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            AdminChange {
                action: "user.password".to_owned(),
                subject_kind: "user",
                subject_type: None,
                subject_id: user.id.clone(),
                before: None,
                after: None,
            },
        );
        self.commit_security(tx).await
    }

    pub async fn list_tokens(&self, access: &Access) -> Result<Vec<Value>> {
        access.require_admin()?;
        Ok(self
            .store
            .list_tokens(&access.workspace)
            .await?
            .iter()
            .map(token_json)
            .collect())
    }

    /// Makes an API token for the caller; the secret is in the answer and nowhere else.
    pub async fn create_token(
        &self,
        access: &Access,
        name: &str,
        role: &str,
        expires_at: &str,
    ) -> Result<Value> {
        access.require_admin()?;
        let user = access.user.clone().ok_or_else(|| {
            Error::forbidden("only a signed-in user makes API tokens (they act for that user)")
        })?;
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(Error::unprocessable(
                "invalid_token",
                "a token's name has 1 to 100 characters",
                vec![FieldError::new("/name", "length", "1 to 100 characters")],
            ));
        }
        if self
            .store
            .get_role(&access.workspace, role)
            .await?
            .is_none()
        {
            return Err(Error::unprocessable(
                "unknown_role",
                format!("there is no role '{role}'"),
                vec![FieldError::new("/role", "role", "no such role")],
            ));
        }
        let now = time::OffsetDateTime::now_utc();
        let expires = crate::clock::parse(expires_at)
            .filter(|at| *at > now && *at <= now + time::Duration::days(MAX_TOKEN_DAYS))
            .ok_or_else(|| {
                Error::unprocessable(
                    "invalid_token",
                    format!(
                        "expires_at must be an RFC 3339 time in the future, at most {MAX_TOKEN_DAYS} days ahead"
                    ),
                    vec![FieldError::new(
                        "/expires_at",
                        "format",
                        "a future RFC 3339 time within 366 days",
                    )],
                )
            })?;
        let secret = format!("{TOKEN_PREFIX}{}", new_secret()?);
        let token = StoredToken {
            id: uuid::Uuid::now_v7().to_string(),
            workspace: access.workspace.clone(),
            name: name.to_owned(),
            role: role.to_owned(),
            user_id: user,
            created_at: crate::clock::format(now),
            expires_at: crate::clock::format(expires),
            revoked_at: None,
            last_used_at: None,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_token(&secret_hash(&secret), &token).await?;
        tx.audit(
            &access.workspace,
            &access.actor,
            AdminChange {
                action: "token.create".to_owned(),
                subject_kind: "token",
                subject_type: None,
                subject_id: token.id.clone(),
                before: None,
                after: Some(token_json(&token)),
            },
        );
        tx.commit().await?;
        let mut document = token_json(&token);
        document["token"] = Value::String(secret);
        Ok(document)
    }

    pub async fn revoke_token(&self, access: &Access, id: &str) -> Result<()> {
        access.require_admin()?;
        let now = crate::clock::now();
        let mut tx = self.store.begin().await?;
        if !tx.revoke_token(&access.workspace, id, &now).await? {
            return Err(Error::not_found(format!("token '{id}'")));
        }
        tx.audit(
            &access.workspace,
            &access.actor,
            AdminChange {
                action: "token.revoke".to_owned(),
                subject_kind: "token",
                subject_type: None,
                subject_id: id.to_owned(),
                before: None,
                after: None,
            },
        );
        self.commit_security(tx).await
    }

    /// Commits a change to who may do what, and forgets this host's resolved credentials so
    /// the change holds from the next request on.
    pub(super) async fn commit_security(&self, tx: crate::store::Tx) -> Result<()> {
        let committed = tx.commit().await;
        self.credentials.clear();
        committed
    }

    /// Removes expired sessions; run now and then by the server.
    pub async fn purge_sessions(&self) -> Result<u64> {
        let mut tx = self.store.begin().await?;
        let removed = tx.delete_expired_sessions(&crate::clock::now()).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

fn user_actor(user: &StoredUser, origin: &Origin) -> Actor {
    Actor {
        kind: ActorKind::User,
        id: user.id.clone(),
        name: user.email.clone(),
        via: origin.via.clone(),
        request_id: origin.request_id.clone(),
        user: Some(user.id.clone()),
    }
}

/// A token as the API shows it: never its secret.
pub fn token_json(token: &StoredToken) -> Value {
    json!({
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse", &hash).await);
        assert!(!verify_password("correct horsf", &hash).await);
        assert!(!verify_password("correct horse", "not a hash").await);
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let token = csrf_token("secret-a");
        assert!(csrf_matches("secret-a", &token));
        assert!(!csrf_matches("secret-b", &token));
        assert!(!csrf_matches("secret-a", ""));
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            normalise_email(" Ann@Example.COM ", "email").unwrap(),
            "ann@example.com"
        );
        for bad in ["", "ann", "@x", "a@", "a b@x", "a@b@c"] {
            assert!(normalise_email(bad, "email").is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_to_1024_characters() {
        assert!(check_password("1234567", "password").is_err());
        assert!(check_password("12345678", "password").is_ok());
        assert!(check_password(&"x".repeat(1025), "password").is_err());
    }

    #[test]
    fn cached_credentials_last_a_second_until_their_expiry_or_a_clear() {
        let cache = CredentialCache::default();
        let access = Access::system("w", Actor::system("test"));
        cache.put(
            "h".into(),
            access.clone(),
            "2030-01-01T00:00:00.000000Z".into(),
        );
        assert!(cache.get("h", "2029-01-01T00:00:00.000000Z").is_some());
        assert!(
            cache.get("h", "2031-01-01T00:00:00.000000Z").is_none(),
            "expired"
        );
        assert!(cache.get("other", "2029-01-01T00:00:00.000000Z").is_none());
        cache.clear();
        assert!(cache.get("h", "2029-01-01T00:00:00.000000Z").is_none());
        cache.put("h".into(), access, "2030-01-01T00:00:00.000000Z".into());
        std::thread::sleep(CREDENTIAL_CACHE_TTL);
        assert!(
            cache.get("h", "2029-01-01T00:00:00.000000Z").is_none(),
            "stale after the TTL"
        );
    }

    #[test]
    fn the_address_throttle_refuses_after_twenty_failures_a_minute() {
        let throttle = LoginThrottle::default();
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..FAILURES_PER_ADDRESS {
            throttle.check(Some(address)).unwrap();
            throttle.fail(Some(address));
        }
        assert_eq!(throttle.check(Some(address)).unwrap_err().status(), 429);
        throttle.check(Some("192.0.2.2".parse().unwrap())).unwrap();
        throttle.check(None).unwrap();
    }
}
