//! The audit trail: an append-only log of every record change and admin change, written in the
//! transaction of the change itself (see [`Tx::commit`]), so an entry exists exactly when its
//! change committed. Nothing here updates or deletes an entry; the database refuses updates.

use serde_json::{Map, Value};

use super::records::StoredRecord;
use super::sql::{Dialect, SqlBuilder, SqlValue};
use super::{RecordChange, Store, Tx};
use crate::error::Result;

/// What kind of principal made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    User,
    Token,
    Plugin,
    /// The host itself: the demo loader, the command line, schedules.
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::Plugin => "plugin",
            ActorKind::System => "system",
        }
    }
}

/// Who makes a change and through what, as records (`created_by`) and the audit trail keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// A user id, a token id, `<package>/<plugin>`, or the system part's name.
    pub id: String,
    /// What a person reads: an e-mail, a token's name, the plugin, the system part.
    pub name: String,
    /// The API call (`PATCH /api/v1/records/complaint/…`) or `plugin <p>/<q> <hook>`.
    pub via: String,
    pub request_id: Option<String>,
    /// The user a write is made for: owner of the records it creates.
    pub user: Option<String>,
}

impl Actor {
    /// The host acting on its own (`demo`, `cli`, `schedule:<name>`).
    pub fn system(name: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            id: name.to_owned(),
            name: name.to_owned(),
            via: name.to_owned(),
            request_id: None,
            user: None,
        }
    }

    /// What `created_by` / `updated_by` of a record say: the user's id for people and their
    /// tokens, `plugin:<package>/<plugin>` and `system:<name>` otherwise.
    pub fn recorded(&self) -> String {
        match self.kind {
            ActorKind::User => self.id.clone(),
            ActorKind::Token => self.user.clone().unwrap_or_else(|| self.id.clone()),
            ActorKind::Plugin => format!("plugin:{}", self.id),
            ActorKind::System => format!("system:{}", self.id),
        }
    }
}

/// One entry of the audit trail. `before`, `after` and `changed` are JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: String,
    pub via: String,
    pub request_id: Option<String>,
    pub action: String,
    pub subject_kind: String,
    pub subject_type: Option<String>,
    pub subject_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub changed: Option<String>,
}

/// An admin change to append: what changed, as JSON values the caller already shaped.
#[derive(Debug, Clone)]
pub struct AdminChange {
    pub action: String,
    pub subject_kind: &'static str,
    pub subject_type: Option<String>,
    pub subject_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Which entries to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub subject_kind: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Continue after this `(at, id)`.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

impl AuditEntry {
    fn new(actor: &Actor, at: String, change: AdminChange) -> AuditEntry {
        let changed = match (&change.before, &change.after) {
            (Some(before), Some(after)) => Some(changed_fields(before, after)),
            _ => None,
        };
        AuditEntry {
            id: uuid::Uuid::now_v7().to_string(),
            at,
            actor_kind: actor.kind.as_str().to_owned(),
            actor_id: actor.id.clone(),
            actor_name: actor.name.clone(),
            via: actor.via.clone(),
            request_id: actor.request_id.clone(),
            action: change.action,
            subject_kind: change.subject_kind.to_owned(),
            subject_type: change.subject_type,
            subject_id: change.subject_id,
            before: change.before.map(|v| v.to_string()),
            after: change.after.map(|v| v.to_string()),
            changed: changed.map(|c| Value::from(c).to_string()),
        }
    }

    /// The entry of a record change. The snapshots are spliced as text: a create or delete
    /// (most of a bulk write) parses no JSON; only an update's changed fields need both sides
    /// parsed.
    pub fn of_record_change(change: &RecordChange) -> AuditEntry {
        let (action, changed) = match (&change.before, &change.after) {
            (None, _) => ("record.create", None),
            (Some(before), Some(after)) => (
                "record.update",
                Some(changed_fields(&snapshot(before), &snapshot(after))),
            ),
            (Some(_), None) => ("record.delete", None),
        };
        let at = change
            .after
            .as_ref()
            .map(|record| record.updated_at.clone())
            .unwrap_or_else(crate::clock::now);
        let actor = &change.actor;
        AuditEntry {
            id: uuid::Uuid::now_v7().to_string(),
            at,
            actor_kind: actor.kind.as_str().to_owned(),
            actor_id: actor.id.clone(),
            actor_name: actor.name.clone(),
            via: actor.via.clone(),
            request_id: actor.request_id.clone(),
            action: action.to_owned(),
            subject_kind: "record".to_owned(),
            subject_type: Some(change.entity_type.clone()),
            subject_id: change.id.clone(),
            before: change.before.as_ref().map(snapshot_text),
            after: change.after.as_ref().map(snapshot_text),
            changed: changed.map(|c| Value::from(c).to_string()),
        }
    }
}

/// A record as the audit trail keeps it: its data fields and its owners.
fn snapshot(record: &StoredRecord) -> Value {
    let mut object: Map<String, Value> = serde_json::from_str(&record.data).unwrap_or_default();
    object.insert("owned_by".into(), record.owned_by.clone().into());
    object.insert("owning_team".into(), record.owning_team.clone().into());
    Value::Object(object)
}

/// [`snapshot`] as JSON text, made by appending the owners to the stored object's text. The
/// owner names are reserved, so the data never has them already.
fn snapshot_text(record: &StoredRecord) -> String {
    let data = record.data.trim();
    let Some(inner) = data
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return snapshot(record).to_string();
    };
    let text = |value: &Option<String>| Value::from(value.clone()).to_string();
    let separator = if inner.trim().is_empty() { "" } else { "," };
    format!(
        "{{{inner}{separator}\"owned_by\":{},\"owning_team\":{}}}",
        text(&record.owned_by),
        text(&record.owning_team)
    )
}

/// Whether two JSON values are the same data: numbers compare by value, so `1.0` and `1` (as
/// a database may store one and a client send the other) are equal.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| same_json(value, other)))
        }
        _ => a == b,
    }
}

/// The top-level members whose values differ, in a stable order.
fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|name| match (before.get(*name), after.get(*name)) {
            (Some(b), Some(a)) => !same_json(b, a),
            (b, a) => b != a,
        })
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

const COLUMNS: &str = "id, at, actor_kind, actor_id, actor_name, via, request_id, action, subject_kind, subject_type, subject_id, before, after, changed";

fn values(workspace: &str, entry: &AuditEntry) -> Vec<SqlValue> {
    let optional = |value: &Option<String>| value.clone().map_or(SqlValue::Null, SqlValue::Text);
    let text = |value: &str| SqlValue::Text(value.to_owned());
    vec![
        text(&entry.id),
        text(workspace),
        text(&entry.at),
        text(&entry.actor_kind),
        text(&entry.actor_id),
        text(&entry.actor_name),
        text(&entry.via),
        optional(&entry.request_id),
        text(&entry.action),
        text(&entry.subject_kind),
        optional(&entry.subject_type),
        text(&entry.subject_id),
        optional(&entry.before),
        optional(&entry.after),
        optional(&entry.changed),
    ]
}

const INSERT: &str = "INSERT INTO audit_log (id, workspace_id, at, actor_kind, actor_id, actor_name, via, request_id, action, subject_kind, subject_type, subject_id, before, after, changed)";

/// SQLite's group commit: appends the entry of a guarded insert, written only when the
/// statement just before it (the record's text index) wrote its row.
pub(super) fn push_guarded_audit(sql: &mut SqlBuilder, workspace: &str, entry: &AuditEntry) {
    let placeholders = vec!["?"; 15].join(", ");
    let statement = SqlBuilder::statement(
        sql.dialect,
        &format!("{INSERT} SELECT {placeholders} WHERE changes() = 1"),
        values(workspace, entry),
    );
    // Renumbering is not needed: SQLite placeholders are positional `?`.
    debug_assert_eq!(sql.dialect, Dialect::Sqlite);
    sql.push(&statement.sql);
    sql.binds.extend(statement.binds);
}

fn decode(row: Vec<Option<String>>) -> AuditEntry {
    let mut columns = row.into_iter();
    let mut next = || columns.next().flatten();
    AuditEntry {
        id: next().unwrap_or_default(),
        at: next().unwrap_or_default(),
        actor_kind: next().unwrap_or_default(),
        actor_id: next().unwrap_or_default(),
        actor_name: next().unwrap_or_default(),
        via: next().unwrap_or_default(),
        request_id: next(),
        action: next().unwrap_or_default(),
        subject_kind: next().unwrap_or_default(),
        subject_type: next(),
        subject_id: next().unwrap_or_default(),
        before: next(),
        after: next(),
        changed: next(),
    }
}

/// Entries per INSERT: 15 parameters each, so 7,500 per statement.
const AUDIT_ROWS_PER_INSERT: usize = 500;

impl Tx {
    /// Notes an admin change; it is appended when the transaction commits.
    pub fn audit(&mut self, workspace: &str, actor: &Actor, change: AdminChange) {
        self.audit.push((
            workspace.to_owned(),
            AuditEntry::new(actor, crate::clock::now(), change),
        ));
    }

    /// Appends the entries of every change noted in this transaction.
    pub(super) async fn write_audit(&mut self) -> Result<()> {
        let mut entries: Vec<(String, AuditEntry)> = self
            .changes
            .iter()
            .map(|change| {
                (
                    change.workspace.clone(),
                    AuditEntry::of_record_change(change),
                )
            })
            .collect();
        entries.extend(std::mem::take(&mut self.audit));
        // Many rows per statement: a bulk write of a thousand records appends its thousand
        // entries in two round trips, well within both databases' limits on parameters.
        let row = format!("({})", vec!["?"; 15].join(", "));
        for chunk in entries.chunks(AUDIT_ROWS_PER_INSERT) {
            let sql = SqlBuilder::statement(
                self.dialect(),
                &format!(
                    "{INSERT} VALUES {}",
                    vec![row.as_str(); chunk.len()].join(", ")
                ),
                chunk
                    .iter()
                    .flat_map(|(workspace, entry)| values(workspace, entry)),
            );
            self.execute(sql).await?;
        }
        self.changes.clear();
        Ok(())
    }
}

impl Store {
    /// Entries of a workspace, newest first.
    pub async fn list_audit(&self, workspace: &str, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT ")
            .push(COLUMNS)
            .push(" FROM audit_log WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()));
        for (column, value) in [
            ("subject_kind", &query.subject_kind),
            ("subject_type", &query.subject_type),
            ("subject_id", &query.subject_id),
            ("actor_id", &query.actor_id),
            ("action", &query.action),
        ] {
            if let Some(value) = value {
                sql.push(" AND ")
                    .push(column)
                    .push(" = ")
                    .bind(SqlValue::Text(value.clone()));
            }
        }
        if let Some(since) = &query.since {
            sql.push(" AND at >= ").bind(SqlValue::Text(since.clone()));
        }
        if let Some(until) = &query.until {
            sql.push(" AND at < ").bind(SqlValue::Text(until.clone()));
        }
        if let Some((at, id)) = &query.after {
            sql.push(" AND (at < ")
                .bind(SqlValue::Text(at.clone()))
                .push(" OR (at = ")
                .bind(SqlValue::Text(at.clone()))
                .push(" AND id < ")
                .bind(SqlValue::Text(id.clone()))
                .push("))");
        }
        sql.push(" ORDER BY at DESC, id DESC LIMIT ")
            .bind(SqlValue::Int(query.limit));
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_fields_lists_added_removed_and_changed_members() {
        let before = json!({"a": 1, "b": 2, "c": 3});
        let after = json!({"a": 1, "b": 5, "d": 4});
        assert_eq!(changed_fields(&before, &after), ["b", "c", "d"]);
    }

    #[test]
    fn numbers_are_the_same_by_value() {
        assert!(same_json(&json!({"a": [1.0, 2]}), &json!({"a": [1, 2.0]})));
        assert!(!same_json(&json!(1), &json!(1.5)));
        assert!(!same_json(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert_eq!(
            changed_fields(&json!({"n": 124000.0}), &json!({"n": 124000})),
            Vec::<String>::new()
        );
    }

    #[test]
    fn recorded_actor_names_people_by_user_id() {
        let mut actor = Actor::system("demo");
        assert_eq!(actor.recorded(), "system:demo");
        actor.kind = ActorKind::Token;
        actor.user = Some("u1".into());
        assert_eq!(actor.recorded(), "u1");
    }
}
