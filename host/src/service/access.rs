//! What a caller may do in its workspace: the role permissions model of `docs/security.md`
//! and [`Access`], the resolved rights of one request, checked before every operation.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, FieldError, Result};
use crate::store::{Actor, OwnerFilter, StoredRecord};

/// Which records an operation reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    None,
    Own,
    Team,
    Workspace,
}

/// An operation on existing records that a role grants with a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOp {
    Read,
    Update,
    Delete,
    Actions,
}

impl RecordOp {
    fn as_str(self) -> &'static str {
        match self {
            RecordOp::Read => "read",
            RecordOp::Update => "update",
            RecordOp::Delete => "delete",
            RecordOp::Actions => "actions",
        }
    }
}

/// A restriction on one top-level field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRule {
    Hidden,
    ReadOnly,
}

/// One entity type's entry (or `*`): every key is optional and falls back to `*`, then to
/// nothing granted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypePermissions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Scope>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldRule>,
}

/// A role's permissions document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub audit: bool,
    #[serde(default)]
    pub reports: bool,
    #[serde(default)]
    pub types: BTreeMap<String, TypePermissions>,
}

impl Permissions {
    /// Reads a permissions document, saying precisely what is wrong with it.
    pub fn parse(value: &Value) -> Result<Permissions> {
        let permissions: Permissions = serde_json::from_value(value.clone()).map_err(|error| {
            Error::unprocessable(
                "invalid_permissions",
                format!("the permissions document is not valid: {error}"),
                vec![FieldError::new(
                    "/permissions",
                    "permissions",
                    error.to_string(),
                )],
            )
        })?;
        for name in permissions.types.keys() {
            if name != "*" && !crate::schema::is_valid_type_name(name) {
                return Err(Error::unprocessable(
                    "invalid_permissions",
                    format!("'{name}' is not an entity type name"),
                    vec![FieldError::new(
                        format!("/permissions/types/{name}"),
                        "types",
                        "not an entity type name",
                    )],
                ));
            }
        }
        Ok(permissions)
    }

    /// Everything: the built-in `admin` role.
    pub fn full() -> Permissions {
        Permissions {
            admin: true,
            audit: true,
            reports: true,
            types: BTreeMap::from([("*".to_owned(), TypePermissions::all(Scope::Workspace))]),
        }
    }

    /// The built-in `member` role: work on the team's records, delete one's own.
    pub fn member() -> Permissions {
        Permissions {
            reports: true,
            types: BTreeMap::from([(
                "*".to_owned(),
                TypePermissions {
                    create: Some(true),
                    read: Some(Scope::Workspace),
                    update: Some(Scope::Team),
                    delete: Some(Scope::Own),
                    actions: Some(Scope::Team),
                    fields: BTreeMap::new(),
                },
            )]),
            ..Permissions::default()
        }
    }

    /// The built-in `viewer` role: read everything, run reports, change nothing.
    pub fn viewer() -> Permissions {
        Permissions {
            reports: true,
            types: BTreeMap::from([(
                "*".to_owned(),
                TypePermissions {
                    read: Some(Scope::Workspace),
                    ..TypePermissions::default()
                },
            )]),
            ..Permissions::default()
        }
    }

    fn entry(&self, type_name: &str) -> (Option<&TypePermissions>, Option<&TypePermissions>) {
        (self.types.get(type_name), self.types.get("*"))
    }

    /// The scope of an operation on a type's records.
    pub fn scope(&self, type_name: &str, op: RecordOp) -> Scope {
        let pick = |entry: &TypePermissions| match op {
            RecordOp::Read => entry.read,
            RecordOp::Update => entry.update,
            RecordOp::Delete => entry.delete,
            RecordOp::Actions => entry.actions,
        };
        let (own, all) = self.entry(type_name);
        own.and_then(pick)
            .or_else(|| all.and_then(pick))
            .unwrap_or(Scope::None)
    }

    pub fn can_create(&self, type_name: &str) -> bool {
        let (own, all) = self.entry(type_name);
        own.and_then(|e| e.create)
            .or_else(|| all.and_then(|e| e.create))
            .unwrap_or(false)
    }

    /// The field restrictions on a type: the type's own, else those of `*`.
    pub fn field_rules(&self, type_name: &str) -> BTreeMap<String, FieldRule> {
        let (own, all) = self.entry(type_name);
        let mut rules = all.map(|e| e.fields.clone()).unwrap_or_default();
        if let Some(own) = own {
            rules.extend(own.fields.clone());
        }
        rules
    }

    /// Whether any type grants a `team` scope, which is when teammates must be known.
    pub fn uses_team_scope(&self) -> bool {
        self.types.values().any(|entry| {
            [entry.read, entry.update, entry.delete, entry.actions].contains(&Some(Scope::Team))
        })
    }
}

impl TypePermissions {
    fn all(scope: Scope) -> TypePermissions {
        TypePermissions {
            create: Some(true),
            read: Some(scope),
            update: Some(scope),
            delete: Some(scope),
            actions: Some(scope),
            fields: BTreeMap::new(),
        }
    }
}

tokio::task_local! {
    /// The access of the request being served, so that a plugin running for it (validate,
    /// before-* hooks, actions) is held to the request user's rights. Background work
    /// (after-change hooks, schedules) runs outside any request and has none.
    pub static REQUEST_ACCESS: Access;
}

/// The resolved rights of one caller in one workspace.
#[derive(Debug, Clone)]
pub struct Access {
    pub workspace: String,
    pub actor: Actor,
    /// The signed-in user (for a token, the token's user): "own" records are theirs.
    pub user: Option<String>,
    pub role: String,
    pub permissions: Arc<Permissions>,
    /// The user's teams.
    pub teams: Vec<String>,
    /// Members of the user's teams (the user included), when a team scope needs them.
    pub teammates: Vec<String>,
    pub instance_admin: bool,
}

impl Access {
    /// The host itself acting in a workspace: every right (demo data, the command line,
    /// background work whose plugin capabilities are checked separately).
    pub fn system(workspace: &str, actor: Actor) -> Access {
        Access {
            workspace: workspace.to_owned(),
            actor,
            user: None,
            role: "admin".to_owned(),
            permissions: Arc::new(Permissions::full()),
            teams: Vec::new(),
            teammates: Vec::new(),
            instance_admin: false,
        }
    }

    /// This caller's rights for another request of theirs: the same principal, this request's
    /// API call and id.
    pub fn with_origin(mut self, origin: &super::auth::Origin) -> Access {
        self.actor.via = origin.via.clone();
        self.actor.request_id = origin.request_id.clone();
        self
    }

    /// This caller with another actor (a plugin running for its request).
    pub fn acting_as(&self, actor: Actor) -> Access {
        Access {
            actor,
            ..self.clone()
        }
    }

    fn forbidden(&self, what: String) -> Error {
        Error::forbidden(format!("your role '{}' does not allow {what}", self.role))
    }

    /// Workspace administration: types, packages, users, roles, tokens.
    pub fn require_admin(&self) -> Result<()> {
        if self.permissions.admin {
            Ok(())
        } else {
            Err(self.forbidden("administering the workspace".to_owned()))
        }
    }

    pub fn require_audit(&self) -> Result<()> {
        if self.permissions.admin || self.permissions.audit {
            Ok(())
        } else {
            Err(self.forbidden("reading the audit trail".to_owned()))
        }
    }

    pub fn require_reports(&self) -> Result<()> {
        if self.permissions.reports {
            Ok(())
        } else {
            Err(self.forbidden("running reports".to_owned()))
        }
    }

    pub fn require_instance_admin(&self) -> Result<()> {
        if self.instance_admin {
            Ok(())
        } else {
            Err(Error::forbidden(
                "only an instance admin manages workspaces",
            ))
        }
    }

    pub fn require_create(&self, type_name: &str) -> Result<()> {
        if self.permissions.can_create(type_name) {
            Ok(())
        } else {
            Err(self.forbidden(format!("create on {type_name}")))
        }
    }

    /// The fields of a type the caller's role hides.
    pub fn hidden_fields(&self, type_name: &str) -> Vec<String> {
        self.permissions
            .field_rules(type_name)
            .into_iter()
            .filter(|(_, rule)| *rule == FieldRule::Hidden)
            .map(|(field, _)| field)
            .collect()
    }

    /// A record as the caller may see it: without the fields their role hides.
    pub fn visible(&self, type_name: &str, mut record: StoredRecord) -> StoredRecord {
        let hidden = self.hidden_fields(type_name);
        if !hidden.is_empty() {
            record.data = super::field_access::strip_hidden(&record.data, &hidden);
        }
        record
    }

    /// Checks a create (`current` is `None`), replace or merge patch against the role's field
    /// rules: a read-only field may be sent only with its stored value (a form's round trip);
    /// a hidden field may not be sent at all, since accepting its stored value would tell the
    /// caller what it is. A replace that leaves such a field out keeps its current value rather
    /// than removing it.
    pub fn guard_fields(
        &self,
        type_name: &str,
        body: &mut Value,
        current: Option<&Value>,
        replace: bool,
    ) -> Result<()> {
        let rules = self.permissions.field_rules(type_name);
        let Some(object) = body.as_object_mut() else {
            return Ok(());
        };
        let mut refused = Vec::new();
        for (field, rule) in &rules {
            let now = current.and_then(|c| c.get(field));
            match object.get(field) {
                Some(_) if *rule == FieldRule::Hidden => refused.push(field.clone()),
                Some(value) if !now.is_some_and(|now| crate::store::same_json(value, now)) => {
                    refused.push(field.clone())
                }
                Some(_) => {}
                None if replace => {
                    if let Some(value) = now {
                        object.insert(field.clone(), value.clone());
                    }
                }
                None => {}
            }
        }
        if refused.is_empty() {
            return Ok(());
        }
        Err(Error::Forbidden {
            code: "field_read_only",
            detail: format!(
                "your role '{}' may not set or change {} of {type_name} records",
                self.role,
                refused.join(", ")
            ),
        })
    }

    /// Checks an update of a record the write transaction has just read (and, on PostgreSQL,
    /// locked): the caller's update scope on it, then the field rules against its stored data.
    /// Checking here rather than before the transaction means an owner change in between
    /// cannot slip a write past the rules.
    pub fn guard_update(
        &self,
        type_name: &str,
        current: &StoredRecord,
        body: &mut Value,
        replace: bool,
    ) -> Result<()> {
        self.check_record(type_name, RecordOp::Update, current)?;
        if self.permissions.field_rules(type_name).is_empty() {
            return Ok(());
        }
        let stored: Value = serde_json::from_str(&current.data).unwrap_or(Value::Null);
        self.guard_fields(type_name, body, Some(&stored), replace)
    }

    /// Whether the caller reaches a record with a scope.
    pub fn reaches(&self, scope: Scope, record: &StoredRecord) -> bool {
        match scope {
            Scope::None => false,
            Scope::Workspace => true,
            Scope::Own => self.user.is_some() && record.owned_by == self.user,
            Scope::Team => {
                (self.user.is_some() && record.owned_by == self.user)
                    || record
                        .owned_by
                        .as_ref()
                        .is_some_and(|owner| self.teammates.contains(owner))
                    || record
                        .owning_team
                        .as_ref()
                        .is_some_and(|team| self.teams.contains(team))
            }
        }
    }

    /// Checks an operation on a record: a record the caller cannot read does not exist for
    /// them (404); a readable one they may not change is 403.
    pub fn check_record(&self, type_name: &str, op: RecordOp, record: &StoredRecord) -> Result<()> {
        if !self.reaches(self.permissions.scope(type_name, RecordOp::Read), record) {
            return Err(Error::not_found(format!(
                "{type_name} record '{}'",
                record.id
            )));
        }
        if op != RecordOp::Read && !self.reaches(self.permissions.scope(type_name, op), record) {
            return Err(self.forbidden(format!("{} on this {type_name} record", op.as_str())));
        }
        Ok(())
    }

    /// The filter a list of a type's records needs: `None` for every record, an empty filter
    /// for none.
    pub fn owner_filter(&self, type_name: &str, op: RecordOp) -> Option<OwnerFilter> {
        let user: Vec<String> = self.user.iter().cloned().collect();
        match self.permissions.scope(type_name, op) {
            Scope::Workspace => None,
            Scope::None => Some(OwnerFilter {
                users: Vec::new(),
                teams: Vec::new(),
            }),
            Scope::Own => Some(OwnerFilter {
                users: user,
                teams: Vec::new(),
            }),
            Scope::Team => {
                let mut users = self.teammates.clone();
                users.extend(user);
                users.sort();
                users.dedup();
                Some(OwnerFilter {
                    users,
                    teams: self.teams.clone(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(owner: Option<&str>, team: Option<&str>) -> StoredRecord {
        StoredRecord {
            id: "r".into(),
            entity_type: "complaint".into(),
            version: 1,
            data: "{}".into(),
            created_at: String::new(),
            updated_at: String::new(),
            created_by: String::new(),
            updated_by: String::new(),
            owned_by: owner.map(Into::into),
            owning_team: team.map(Into::into),
        }
    }

    fn access(permissions: Permissions) -> Access {
        Access {
            user: Some("me".into()),
            role: "r".into(),
            permissions: Arc::new(permissions),
            teams: vec!["t1".into()],
            teammates: vec!["me".into(), "mate".into()],
            ..Access::system("w", Actor::system("test"))
        }
    }

    #[test]
    fn a_type_entry_overrides_the_star_entry_key_by_key() {
        let permissions = Permissions::parse(&json!({
            "types": {
                "*": {"create": true, "read": "workspace", "update": "team"},
                "customer": {"update": "own", "fields": {"tax_id": "hidden"}}
            }
        }))
        .unwrap();
        assert_eq!(permissions.scope("customer", RecordOp::Update), Scope::Own);
        assert_eq!(
            permissions.scope("customer", RecordOp::Read),
            Scope::Workspace
        );
        assert_eq!(permissions.scope("lead", RecordOp::Update), Scope::Team);
        assert_eq!(permissions.scope("lead", RecordOp::Delete), Scope::None);
        assert!(permissions.can_create("customer"));
        assert_eq!(
            permissions.field_rules("customer").get("tax_id"),
            Some(&FieldRule::Hidden)
        );
    }

    #[test]
    fn unknown_keys_and_scopes_are_refused() {
        for bad in [
            json!({"types": {"*": {"raed": "own"}}}),
            json!({"types": {"*": {"read": "everyone"}}}),
            json!({"admin": "yes"}),
            json!({"types": {"Bad Name": {}}}),
        ] {
            let error = Permissions::parse(&bad).unwrap_err();
            assert_eq!(error.code(), "invalid_permissions", "{bad}");
        }
    }

    #[test]
    fn scopes_reach_own_team_and_workspace_records() {
        let access = access(Permissions::member());
        assert!(access.reaches(Scope::Own, &record(Some("me"), None)));
        assert!(!access.reaches(Scope::Own, &record(Some("mate"), None)));
        assert!(access.reaches(Scope::Team, &record(Some("mate"), None)));
        assert!(access.reaches(Scope::Team, &record(None, Some("t1"))));
        assert!(!access.reaches(Scope::Team, &record(Some("stranger"), Some("t2"))));
        assert!(access.reaches(Scope::Workspace, &record(None, None)));
        assert!(!access.reaches(Scope::None, &record(Some("me"), None)));
    }

    #[test]
    fn unreadable_records_are_not_found_and_unchangeable_ones_forbidden() {
        let mut permissions = Permissions::member();
        permissions.types.insert(
            "secret".into(),
            TypePermissions {
                read: Some(Scope::Own),
                ..TypePermissions::default()
            },
        );
        let access = access(permissions);
        let theirs = record(Some("stranger"), None);
        assert_eq!(
            access
                .check_record("secret", RecordOp::Read, &theirs)
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(
            access
                .check_record("complaint", RecordOp::Delete, &theirs)
                .unwrap_err()
                .status(),
            403
        );
        assert!(
            access
                .check_record("complaint", RecordOp::Delete, &record(Some("me"), None))
                .is_ok()
        );
    }

    #[test]
    fn field_rules_refuse_changes_and_keep_what_a_replace_leaves_out() {
        let permissions = Permissions::parse(
            &json!({"types": {"*": {"create": true, "update": "workspace",
            "fields": {"tier": "read_only", "secret": "hidden"}}}}),
        )
        .unwrap();
        let access = access(permissions);
        let current = json!({"name": "a", "tier": 124000.0, "secret": "s"});
        let mut same = json!({"name": "b", "tier": 124000});
        access
            .guard_fields("x", &mut same, Some(&current), true)
            .unwrap();
        assert_eq!(same["secret"], "s", "a replace keeps the hidden value");
        let mut changed = json!({"tier": 2});
        let error = access
            .guard_fields("x", &mut changed, Some(&current), false)
            .unwrap_err();
        assert_eq!(error.code(), "field_read_only");
        let mut create = json!({"name": "n", "secret": "mine"});
        assert!(access.guard_fields("x", &mut create, None, false).is_err());
        // Sending a hidden field's stored value is refused too: accepting it would confirm
        // a guess.
        let mut guess = json!({"secret": "s"});
        let error = access
            .guard_fields("x", &mut guess, Some(&current), false)
            .unwrap_err();
        assert_eq!(error.code(), "field_read_only");
    }

    #[test]
    fn owner_filters_follow_the_scope() {
        let access = access(Permissions::member());
        assert_eq!(access.owner_filter("x", RecordOp::Read), None);
        assert_eq!(
            access.owner_filter("x", RecordOp::Update),
            Some(OwnerFilter {
                users: vec!["mate".into(), "me".into()],
                teams: vec!["t1".into()],
            })
        );
    }
}
