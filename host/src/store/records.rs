//! Reading and writing single records, their full-text entries, and the lookups between them.

use super::exec::Reader;
use super::query::SearchText;
use super::sql::{Dialect, SqlBuilder, SqlValue, literal};
use super::{Store, Tx};
use crate::error::Result;
use crate::query::FieldKind;

/// A record as stored: system columns plus the data fields as a JSON object's text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub id: String,
    pub entity_type: String,
    pub version: i64,
    /// The data fields, a JSON object in text form exactly as the database returns it.
    pub data: String,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub updated_by: String,
    /// The user who owns the record, for row-level permissions (`docs/security.md`).
    pub owned_by: Option<String>,
    /// The team that owns the record, if any.
    pub owning_team: Option<String>,
}

/// A new record to insert with its guards: conditions checked by the INSERT itself, so that
/// a create needs no reads before it (see `batch`).
#[derive(Debug, Clone)]
pub struct InsertCommand {
    pub workspace: String,
    pub record: StoredRecord,
    pub search: SearchText,
    /// The entity-type version the record was validated against.
    pub type_version: i64,
    /// Lookup targets that must exist: (record id, entity type).
    pub lookups: Vec<(String, String)>,
    /// Who creates it, for the audit entry written with it; `None` inside a [`Tx`], whose
    /// journal writes the entry at commit.
    pub audited_as: Option<super::Actor>,
    /// The after-create deliveries of the new record, written with it or not at all.
    pub deliveries: Vec<super::NewJob>,
}

impl InsertCommand {
    /// The rows the command writes when its guards hold: the record, its text index entry,
    /// the audit entry and the deliveries. Fewer means a guard failed and nothing may commit.
    pub(super) fn rows(&self) -> u64 {
        2 + u64::from(self.audited_as.is_some()) + self.deliveries.len() as u64
    }
}

/// Appends the record's column values: id, workspace, type, version, data, timestamps, actors.
fn push_record_values(sql: &mut SqlBuilder, workspace: &str, record: &StoredRecord) {
    sql.bind(SqlValue::Text(record.id.clone()))
        .push(", ")
        .bind(SqlValue::Text(workspace.to_owned()))
        .push(", ")
        .bind(SqlValue::Text(record.entity_type.clone()))
        .push(", ")
        .bind(SqlValue::Int(record.version))
        .push(", ")
        .bind(SqlValue::Text(record.data.clone()));
    if sql.dialect == Dialect::Postgres {
        sql.push("::jsonb");
    }
    for value in [
        &record.created_at,
        &record.updated_at,
        &record.created_by,
        &record.updated_by,
    ] {
        sql.push(", ").bind(SqlValue::Text(value.clone()));
    }
    for value in [&record.owned_by, &record.owning_team] {
        sql.push(", ")
            .bind(value.clone().map_or(SqlValue::Null, SqlValue::Text));
    }
}

/// SQLite: two statements that insert the record only if every guard holds, then its
/// full-text entry only if the record was inserted. Writes two rows, or none.
pub(super) fn push_guarded_insert(sql: &mut SqlBuilder, command: &InsertCommand) {
    debug_assert_eq!(sql.dialect, Dialect::Sqlite);
    let record = &command.record;
    sql.push("INSERT INTO records (id, workspace_id, entity_type, version, data, created_at, updated_at, created_by, updated_by, owned_by, owning_team) SELECT ");
    push_record_values(sql, &command.workspace, record);
    sql.push(" WHERE EXISTS (SELECT 1 FROM entity_types WHERE workspace_id = ")
        .bind(SqlValue::Text(command.workspace.clone()))
        .push(" AND name = ")
        .bind(SqlValue::Text(record.entity_type.clone()))
        .push(" AND version = ")
        .bind(SqlValue::Int(command.type_version))
        .push(")");
    for (id, target_type) in &command.lookups {
        sql.push(" AND EXISTS (SELECT 1 FROM records WHERE id = ")
            .bind(SqlValue::Text(id.clone()))
            .push(" AND workspace_id = ")
            .bind(SqlValue::Text(command.workspace.clone()))
            .push(" AND entity_type = ")
            .bind(SqlValue::Text(target_type.clone()))
            .push(")");
    }
    // changes() and last_insert_rowid() describe the INSERT just above.
    sql.push("; INSERT INTO records_fts (rowid, content) SELECT last_insert_rowid(), ")
        .bind(SqlValue::Text(command.search.0.clone()))
        .push(" WHERE changes() = 1");
    if let Some(actor) = &command.audited_as {
        let change = super::RecordChange {
            workspace: command.workspace.clone(),
            entity_type: record.entity_type.clone(),
            id: record.id.clone(),
            actor: actor.clone(),
            before: None,
            after: Some(record.clone()),
        };
        sql.push("; ");
        super::audit::push_guarded_audit(
            sql,
            &command.workspace,
            &super::AuditEntry::of_record_change(&change),
        );
    }
    // Each statement of the chain writes one row only if the one before did.
    for job in &command.deliveries {
        sql.push("; ");
        super::jobs::push_job_insert(sql, job, " WHERE changes() = 1");
    }
}

/// The select list that `exec::decode_record` expects, in its order.
/// The record columns in a `RETURNING` clause, which takes no table alias.
fn returning_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "id, entity_type, version, data, created_at, updated_at, created_by, updated_by, owned_by, owning_team"
        }
        Dialect::Postgres => {
            "id, entity_type, version, data::text, created_at, updated_at, created_by, updated_by, owned_by, owning_team"
        }
    }
}

pub(super) fn record_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "r.id, r.entity_type, r.version, r.data, r.created_at, r.updated_at, r.created_by, r.updated_by, r.owned_by, r.owning_team"
        }
        Dialect::Postgres => {
            "r.id, r.entity_type, r.version, r.data::text, r.created_at, r.updated_at, r.created_by, r.updated_by, r.owned_by, r.owning_team"
        }
    }
}

fn select_by_id(dialect: Dialect, workspace: &str, id: &str) -> SqlBuilder {
    let mut sql = SqlBuilder::new(dialect);
    sql.push("SELECT ")
        .push(record_columns(dialect))
        .push(" FROM records r WHERE r.workspace_id = ")
        .bind(SqlValue::Text(workspace.to_owned()))
        .push(" AND r.id = ")
        .bind(SqlValue::Text(id.to_owned()));
    sql
}

impl Store {
    /// One record by id, outside any transaction.
    pub async fn get_record(&self, workspace: &str, id: &str) -> Result<Option<StoredRecord>> {
        let sql = select_by_id(self.dialect(), workspace, id);
        Ok(self.reader().fetch_records(sql).await?.pop())
    }

    /// Records by id (for `$expand`), in no particular order; missing ids are skipped.
    pub async fn get_records(&self, workspace: &str, ids: &[String]) -> Result<Vec<StoredRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT ")
            .push(record_columns(dialect))
            .push(" FROM records r WHERE r.workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND r.id IN (");
        for (index, id) in ids.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(SqlValue::Text(id.clone()));
        }
        sql.push(")");
        let mut reader: Reader<'_> = self.reader();
        reader.fetch_records(sql).await
    }
}

impl Tx {
    /// One record by id; on PostgreSQL the row stays locked until the transaction ends, so a
    /// read-modify-write cannot interleave with another host's.
    pub async fn get_record_for_update(
        &mut self,
        workspace: &str,
        id: &str,
    ) -> Result<Option<StoredRecord>> {
        let mut sql = select_by_id(self.dialect(), workspace, id);
        if self.dialect() == Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        Ok(self.fetch_records(sql).await?.pop())
    }

    /// Inserts a new record and its full-text entry, if the entity type is still at
    /// `type_version`. Returns `false`, writing nothing, when the type changed meanwhile.
    pub async fn insert_record(
        &mut self,
        workspace: &str,
        record: &StoredRecord,
        search: &SearchText,
        type_version: i64,
    ) -> Result<bool> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        match dialect {
            Dialect::Sqlite => {
                let command = InsertCommand {
                    workspace: workspace.to_owned(),
                    record: record.clone(),
                    search: search.clone(),
                    type_version,
                    lookups: Vec::new(),
                    audited_as: None,
                    deliveries: Vec::new(),
                };
                push_guarded_insert(&mut sql, &command);
            }
            Dialect::Postgres => {
                // Share-locks the type's row: a schema change waits until this record commits.
                match self
                    .entity_type_version(workspace, &record.entity_type)
                    .await?
                {
                    Some(version) if version == type_version => {}
                    _ => return Ok(false),
                }
                sql.push("INSERT INTO records (id, workspace_id, entity_type, version, data, created_at, updated_at, created_by, updated_by, owned_by, owning_team, search) VALUES (");
                push_record_values(&mut sql, workspace, record);
                sql.push(", to_tsvector('simple', ")
                    .bind(SqlValue::Text(search.0.clone()))
                    .push("))");
            }
        }
        Ok(self.execute(sql).await? > 0)
    }

    /// Writes a new version of a record. Returns `false` when the stored version is no longer
    /// `record.version - 1`: someone else wrote in between, and nothing was changed.
    pub async fn update_record(
        &mut self,
        workspace: &str,
        record: &StoredRecord,
        search: &SearchText,
    ) -> Result<bool> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("UPDATE records SET data = ")
            .bind(SqlValue::Text(record.data.clone()));
        if dialect == Dialect::Postgres {
            sql.push("::jsonb, search = to_tsvector('simple', ")
                .bind(SqlValue::Text(search.0.clone()))
                .push(")");
        }
        sql.push(", version = ")
            .bind(SqlValue::Int(record.version))
            .push(", updated_at = ")
            .bind(SqlValue::Text(record.updated_at.clone()))
            .push(", updated_by = ")
            .bind(SqlValue::Text(record.updated_by.clone()))
            .push(", owned_by = ")
            .bind(
                record
                    .owned_by
                    .clone()
                    .map_or(SqlValue::Null, SqlValue::Text),
            )
            .push(", owning_team = ")
            .bind(
                record
                    .owning_team
                    .clone()
                    .map_or(SqlValue::Null, SqlValue::Text),
            )
            .push(" WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND id = ")
            .bind(SqlValue::Text(record.id.clone()))
            .push(" AND version = ")
            .bind(SqlValue::Int(record.version - 1));
        if self.execute(sql).await? == 0 {
            return Ok(false);
        }
        if dialect == Dialect::Sqlite {
            // A contentless FTS5 table cannot UPDATE a row: replace it.
            let mut fts = SqlBuilder::new(dialect);
            fts.push("INSERT OR REPLACE INTO records_fts (rowid, content) VALUES ((SELECT rowid FROM records WHERE workspace_id = ")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(" AND id = ")
                .bind(SqlValue::Text(record.id.clone()))
                .push("), ")
                .bind(SqlValue::Text(search.0.clone()))
                .push(")");
            self.execute(fts).await?;
        }
        Ok(true)
    }

    /// Deletes one record and its full-text entry. Returns whether it existed.
    /// Deletes a record; returns it as it was, or `None` when there was none.
    pub async fn delete_record(
        &mut self,
        workspace: &str,
        id: &str,
    ) -> Result<Option<StoredRecord>> {
        let dialect = self.dialect();
        if dialect == Dialect::Sqlite {
            let mut fts = SqlBuilder::new(dialect);
            fts.push("DELETE FROM records_fts WHERE rowid = (SELECT rowid FROM records WHERE workspace_id = ")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(" AND id = ")
                .bind(SqlValue::Text(id.to_owned()))
                .push(")");
            self.execute(fts).await?;
        }
        let mut sql = SqlBuilder::new(dialect);
        sql.push("DELETE FROM records WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND id = ")
            .bind(SqlValue::Text(id.to_owned()))
            .push(" RETURNING ")
            .push(returning_columns(dialect));
        Ok(self.fetch_records(sql).await?.pop())
    }

    /// The entity type of each id that exists in the workspace. On PostgreSQL the targets are
    /// locked against deletion until the transaction ends, so a lookup cannot dangle.
    pub async fn lookup_targets(
        &mut self,
        workspace: &str,
        ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT id, entity_type FROM records WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND id IN (");
        for (index, id) in ids.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(SqlValue::Text(id.clone()));
        }
        sql.push(")");
        if dialect == Dialect::Postgres {
            sql.push(" FOR SHARE");
        }
        self.fetch_pairs(sql).await
    }

    /// Ids of the `source_type` records whose lookup `field` points at `target_id`.
    pub async fn referencing_ids(
        &mut self,
        workspace: &str,
        source_type: &str,
        field: &str,
        target_id: &str,
        limit: i64,
    ) -> Result<Vec<String>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT id FROM records WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND entity_type = ")
            .push(&literal(source_type))
            .push(" AND ")
            .push(&dialect.field_expr(&[field.to_owned()], FieldKind::String))
            .push(" = ")
            .bind(SqlValue::Text(target_id.to_owned()))
            .push(" ORDER BY id LIMIT ")
            .bind(SqlValue::Int(limit));
        self.fetch_strings(sql).await
    }

    /// How many records of a type exist in the workspace.
    pub async fn count_of_type(&mut self, workspace: &str, entity_type: &str) -> Result<i64> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT COUNT(*) FROM records WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND entity_type = ")
            .bind(SqlValue::Text(entity_type.to_owned()));
        Ok(self.fetch_i64(sql).await?.unwrap_or(0))
    }

    /// A page of a type's records in id order, for checking them all against a new schema.
    pub async fn scan_type(
        &mut self,
        workspace: &str,
        entity_type: &str,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<StoredRecord>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT ")
            .push(record_columns(dialect))
            .push(" FROM records r WHERE r.workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND r.entity_type = ")
            .bind(SqlValue::Text(entity_type.to_owned()))
            .push(" AND r.id > ")
            .bind(SqlValue::Text(after_id.to_owned()))
            .push(" ORDER BY r.id LIMIT ")
            .bind(SqlValue::Int(limit));
        self.fetch_records(sql).await
    }

    /// Deletes every record of a type (when the type itself is deleted).
    pub async fn delete_all_of_type(&mut self, workspace: &str, entity_type: &str) -> Result<u64> {
        let dialect = self.dialect();
        if dialect == Dialect::Sqlite {
            let mut fts = SqlBuilder::new(dialect);
            fts.push("DELETE FROM records_fts WHERE rowid IN (SELECT rowid FROM records WHERE workspace_id = ")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(" AND entity_type = ")
                .bind(SqlValue::Text(entity_type.to_owned()))
                .push(")");
            self.execute(fts).await?;
        }
        let mut sql = SqlBuilder::new(dialect);
        sql.push("DELETE FROM records WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND entity_type = ")
            .bind(SqlValue::Text(entity_type.to_owned()));
        self.execute(sql).await
    }
}
