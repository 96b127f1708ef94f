//! Entity-type documents, their version history, and the database indexes they ask for.

use super::exec::Reader;
use super::records::StoredRecord;
use super::sql::{Dialect, SqlBuilder, SqlValue, literal, stable_hash};
use super::{Store, Tx};
use crate::error::{Error, FieldError, Result};
use crate::schema::{IndexSpec, display_path};

/// One version of an entity type as stored: the document as text plus bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntityType {
    pub name: String,
    pub version: i64,
    pub document: String,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub updated_by: String,
}

/// Entity-type rows are read through the record decoder: the shapes are the same ten columns
/// (text, text, integer, text, text, text, text, text, and two null owners).
fn type_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "name, name, version, document, created_at, updated_at, created_by, updated_by, CAST(NULL AS TEXT), CAST(NULL AS TEXT)"
        }
        Dialect::Postgres => {
            "name, name, version, document::text, created_at, updated_at, created_by, updated_by, CAST(NULL AS TEXT), CAST(NULL AS TEXT)"
        }
    }
}

fn version_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "name, name, version, document, created_at, created_at, created_by, created_by, CAST(NULL AS TEXT), CAST(NULL AS TEXT)"
        }
        Dialect::Postgres => {
            "name, name, version, document::text, created_at, created_at, created_by, created_by, CAST(NULL AS TEXT), CAST(NULL AS TEXT)"
        }
    }
}

impl From<StoredRecord> for StoredEntityType {
    fn from(row: StoredRecord) -> Self {
        StoredEntityType {
            name: row.id,
            version: row.version,
            document: row.data,
            created_at: row.created_at,
            updated_at: row.updated_at,
            created_by: row.created_by,
            updated_by: row.updated_by,
        }
    }
}

impl Store {
    /// The current version of every entity type of a workspace, by name.
    pub async fn list_entity_types(&self, workspace: &str) -> Result<Vec<StoredEntityType>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT ")
            .push(type_columns(dialect))
            .push(" FROM entity_types WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" ORDER BY name");
        let mut reader: Reader<'_> = self.reader();
        Ok(reader
            .fetch_records(sql)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The current version of one entity type.
    pub async fn get_entity_type(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Option<StoredEntityType>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT ")
            .push(type_columns(dialect))
            .push(" FROM entity_types WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        Ok(self
            .reader()
            .fetch_records(sql)
            .await?
            .pop()
            .map(Into::into))
    }

    /// Every kept version of an entity type, oldest first (`version` = `Some(n)`: just that one).
    pub async fn entity_type_versions(
        &self,
        workspace: &str,
        name: &str,
        version: Option<i64>,
    ) -> Result<Vec<StoredEntityType>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT ")
            .push(version_columns(dialect))
            .push(" FROM entity_type_versions WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        if let Some(version) = version {
            sql.push(" AND version = ").bind(SqlValue::Int(version));
        }
        sql.push(" ORDER BY version");
        Ok(self
            .reader()
            .fetch_records(sql)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

impl Tx {
    /// The current version of a type, read inside the write transaction. On PostgreSQL the row
    /// is share-locked, so a schema change cannot commit while records are being written
    /// against the version this host validated with.
    pub async fn entity_type_version(
        &mut self,
        workspace: &str,
        name: &str,
    ) -> Result<Option<i64>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT version FROM entity_types WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        if dialect == Dialect::Postgres {
            sql.push(" FOR SHARE");
        }
        self.fetch_i64(sql).await
    }

    /// Locks a type's row for a schema change and returns its current version.
    pub async fn lock_entity_type(&mut self, workspace: &str, name: &str) -> Result<Option<i64>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT version FROM entity_types WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        if dialect == Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        self.fetch_i64(sql).await
    }

    /// The highest version ever kept under a name, even of a type deleted since (versions
    /// continue where they stopped, so history is never overwritten).
    pub async fn last_kept_version(&mut self, workspace: &str, name: &str) -> Result<i64> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push(
            "SELECT COALESCE(MAX(version), 0) FROM entity_type_versions WHERE workspace_id = ",
        )
        .bind(SqlValue::Text(workspace.to_owned()))
        .push(" AND name = ")
        .bind(SqlValue::Text(name.to_owned()));
        Ok(self.fetch_i64(sql).await?.unwrap_or(0))
    }

    /// Writes a type's current row (insert or replace) and appends the version to its history.
    pub async fn save_entity_type(
        &mut self,
        workspace: &str,
        stored: &StoredEntityType,
        is_new: bool,
    ) -> Result<()> {
        let dialect = self.dialect();
        let json_cast = if dialect == Dialect::Postgres {
            "::jsonb"
        } else {
            ""
        };
        let mut sql = SqlBuilder::new(dialect);
        if is_new {
            sql.push("INSERT INTO entity_types (workspace_id, name, version, document, created_at, updated_at, created_by, updated_by) VALUES (")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(", ")
                .bind(SqlValue::Text(stored.name.clone()))
                .push(", ")
                .bind(SqlValue::Int(stored.version))
                .push(", ")
                .bind(SqlValue::Text(stored.document.clone()))
                .push(json_cast);
            for value in [
                &stored.created_at,
                &stored.updated_at,
                &stored.created_by,
                &stored.updated_by,
            ] {
                sql.push(", ").bind(SqlValue::Text(value.clone()));
            }
            sql.push(")");
        } else {
            sql.push("UPDATE entity_types SET version = ")
                .bind(SqlValue::Int(stored.version))
                .push(", document = ")
                .bind(SqlValue::Text(stored.document.clone()))
                .push(json_cast)
                .push(", updated_at = ")
                .bind(SqlValue::Text(stored.updated_at.clone()))
                .push(", updated_by = ")
                .bind(SqlValue::Text(stored.updated_by.clone()))
                .push(" WHERE workspace_id = ")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(" AND name = ")
                .bind(SqlValue::Text(stored.name.clone()));
        }
        self.execute(sql).await?;
        let mut history = SqlBuilder::new(dialect);
        history
            .push("INSERT INTO entity_type_versions (workspace_id, name, version, document, created_at, created_by) VALUES (")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(", ")
            .bind(SqlValue::Text(stored.name.clone()))
            .push(", ")
            .bind(SqlValue::Int(stored.version))
            .push(", ")
            .bind(SqlValue::Text(stored.document.clone()))
            .push(json_cast)
            .push(", ")
            .bind(SqlValue::Text(stored.updated_at.clone()))
            .push(", ")
            .bind(SqlValue::Text(stored.updated_by.clone()))
            .push(")");
        self.execute(history).await?;
        Ok(())
    }

    /// Removes a type's current row; its version history stays.
    pub async fn delete_entity_type(&mut self, workspace: &str, name: &str) -> Result<()> {
        self.sync_indexes(workspace, name, &[]).await?;
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("DELETE FROM entity_types WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        self.execute(sql).await?;
        Ok(())
    }

    /// Makes the database's indexes for a type exactly `plan`: creates the missing ones and
    /// drops those no longer asked for. A unique index that existing records violate is refused.
    pub async fn sync_indexes(
        &mut self,
        workspace: &str,
        entity_type: &str,
        plan: &[IndexSpec],
    ) -> Result<()> {
        let dialect = self.dialect();
        let wanted: Vec<(String, String, &IndexSpec)> = plan
            .iter()
            .map(|spec| index_ddl(dialect, workspace, entity_type, spec))
            .collect();
        let mut existing_sql = SqlBuilder::new(dialect);
        existing_sql
            .push("SELECT index_name FROM record_indexes WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND entity_type = ")
            .bind(SqlValue::Text(entity_type.to_owned()));
        let existing = self.fetch_strings(existing_sql).await?;

        for name in existing
            .iter()
            .filter(|name| !wanted.iter().any(|(wanted, _, _)| wanted == *name))
        {
            let mut drop = SqlBuilder::new(dialect);
            drop.push("DROP INDEX IF EXISTS ").push(name);
            self.execute(drop).await?;
            let mut forget = SqlBuilder::new(dialect);
            forget
                .push("DELETE FROM record_indexes WHERE index_name = ")
                .bind(SqlValue::Text(name.clone()));
            self.execute(forget).await?;
        }
        for (name, ddl, spec) in wanted
            .iter()
            .filter(|(name, _, _)| !existing.contains(name))
        {
            let mut create = SqlBuilder::new(dialect);
            create.push(ddl);
            if let Err(error) = self.execute(create).await {
                return Err(match &error {
                    Error::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                        let key = spec
                            .paths
                            .iter()
                            .map(|p| display_path(p))
                            .collect::<Vec<_>>()
                            .join(", ");
                        Error::conflict(
                            "unique_key_violated_by_records",
                            format!(
                                "cannot make ({key}) unique: stored {entity_type} records already share values"
                            ),
                            vec![FieldError::new(
                                "/x-xrm/unique",
                                "unique",
                                format!("stored records repeat values of ({key})"),
                            )],
                        )
                    }
                    _ => error,
                });
            }
            let mut remember = SqlBuilder::new(dialect);
            remember
                .push("INSERT INTO record_indexes (workspace_id, entity_type, index_name, definition) VALUES (")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(", ")
                .bind(SqlValue::Text(entity_type.to_owned()))
                .push(", ")
                .bind(SqlValue::Text(name.clone()))
                .push(", ")
                .bind(SqlValue::Text(ddl.clone()))
                .push(")");
            self.execute(remember).await?;
        }
        Ok(())
    }
}

/// The name and `CREATE INDEX` statement of one index. Both databases get a partial index per
/// workspace and type, so a type's indexes cost nothing to other types' writes, and queries
/// that repeat the same literals (see `query::ListPlan`) can use them.
pub(super) fn index_ddl<'s>(
    dialect: Dialect,
    workspace: &str,
    entity_type: &str,
    spec: &'s IndexSpec,
) -> (String, String, &'s IndexSpec) {
    let mut columns: Vec<String> = spec
        .paths
        .iter()
        .zip(&spec.kinds)
        .map(|(path, kind)| {
            let expr = dialect.field_expr(path, *kind);
            match dialect {
                // NULLs sort first in both databases, so keyset paging treats them alike.
                Dialect::Postgres if !spec.unique => format!("{expr} NULLS FIRST"),
                _ => expr,
            }
        })
        .collect();
    if !spec.unique {
        columns.push("id".to_owned());
    }
    let columns = columns.join(", ");
    let kind = if spec.unique { "u" } else { "i" };
    let hash = stable_hash(&[workspace, entity_type, kind, &columns]);
    let name = format!("x{kind}_{hash:016x}");
    let ddl = format!(
        "CREATE {unique}INDEX IF NOT EXISTS {name} ON records ({columns}) WHERE workspace_id = {workspace} AND entity_type = {entity_type}",
        unique = if spec.unique { "UNIQUE " } else { "" },
        workspace = literal(workspace),
        entity_type = literal(entity_type),
    );
    (name, ddl, spec)
}

/// The unique key (as field paths) whose index a unique-violation message names, if any.
pub fn unique_key_of_violation<'a>(
    dialect: Dialect,
    workspace: &str,
    entity_type: &str,
    plan: &'a [IndexSpec],
    message: &str,
) -> Option<&'a IndexSpec> {
    plan.iter().filter(|spec| spec.unique).find(|spec| {
        let (name, _, _) = index_ddl(dialect, workspace, entity_type, spec);
        message.contains(&name)
    })
}
