//! Installed packages and the components of their plugins.

use super::sql::{Dialect, SqlBuilder, SqlValue};
use super::{Store, Tx};
use crate::error::Result;

/// A package as stored: its manifest and the admin's settings as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPackage {
    pub name: String,
    pub version: String,
    pub manifest: String,
    pub enabled: bool,
    /// `{"<plugin>": {"config": {...}, "limits": {...}}}`, set by the admin.
    pub settings: String,
    pub installed_at: String,
    pub updated_at: String,
    pub installed_by: String,
}

/// One plugin's component: the bytes (base64) and their sha256 (hex).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredComponent {
    pub package: String,
    pub plugin: String,
    pub sha256: String,
    pub base64: String,
}

/// Package rows are read through the record decoder (eight columns, the third an integer).
fn package_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "name, version, enabled, manifest, installed_at, updated_at, installed_by, settings"
        }
        Dialect::Postgres => {
            "name, version, (CASE WHEN enabled THEN 1 ELSE 0 END)::int8, manifest::text, installed_at, updated_at, installed_by, settings::text"
        }
    }
}

fn decode_package(row: super::StoredRecord) -> StoredPackage {
    StoredPackage {
        name: row.id,
        version: row.entity_type,
        enabled: row.version != 0,
        manifest: row.data,
        installed_at: row.created_at,
        updated_at: row.updated_at,
        installed_by: row.created_by,
        settings: row.updated_by,
    }
}

fn json_param(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => "::jsonb",
    }
}

impl Store {
    /// Every package of a workspace, by name.
    pub async fn list_packages(&self, workspace: &str) -> Result<Vec<StoredPackage>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT ")
            .push(package_columns(dialect))
            .push(" FROM packages WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" ORDER BY name");
        let rows = self.reader().fetch_records(sql).await?;
        Ok(rows.into_iter().map(decode_package).collect())
    }

    /// Every package of every workspace that is enabled, for loading plugins at start.
    pub async fn list_workspaces_with_packages(&self) -> Result<Vec<String>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT DISTINCT workspace_id FROM packages ORDER BY workspace_id");
        self.reader().fetch_strings(sql).await
    }

    /// The components of a workspace's enabled packages.
    pub async fn enabled_components(&self, workspace: &str) -> Result<Vec<StoredComponent>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push(
            "SELECT c.plugin, c.package, CAST(0 AS BIGINT), c.component, c.sha256, c.sha256, c.sha256, c.sha256 \
             FROM plugin_components c JOIN packages p \
             ON p.workspace_id = c.workspace_id AND p.name = c.package \
             WHERE c.workspace_id = ",
        )
        .bind(SqlValue::Text(workspace.to_owned()))
        .push(" AND p.enabled = ")
        .bind(SqlValue::Bool(true))
        .push(" ORDER BY c.package, c.plugin");
        let rows = self.reader().fetch_records(sql).await?;
        Ok(rows
            .into_iter()
            .map(|row| StoredComponent {
                plugin: row.id,
                package: row.entity_type,
                base64: row.data,
                sha256: row.created_at,
            })
            .collect())
    }

    /// The sha256 of every plugin's component of a workspace, enabled or not, without the
    /// components themselves: (package, plugin, sha256).
    pub async fn component_hashes(&self, workspace: &str) -> Result<Vec<(String, String, String)>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push(
            "SELECT package || '/' || plugin, sha256 FROM plugin_components WHERE workspace_id = ",
        )
        .bind(SqlValue::Text(workspace.to_owned()));
        let pairs = self.reader().fetch_pairs(sql).await?;
        Ok(pairs
            .into_iter()
            .filter_map(|(qualified, sha256)| {
                let (package, plugin) = qualified.split_once('/')?;
                Some((package.to_owned(), plugin.to_owned(), sha256))
            })
            .collect())
    }
}

impl Tx {
    /// A package, locked for the rest of the transaction on PostgreSQL.
    pub async fn get_package(
        &mut self,
        workspace: &str,
        name: &str,
    ) -> Result<Option<StoredPackage>> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("SELECT ")
            .push(package_columns(dialect))
            .push(" FROM packages WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        if dialect == Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        Ok(self.fetch_records(sql).await?.pop().map(decode_package))
    }

    /// Inserts or replaces a package row and all its components.
    pub async fn save_package(
        &mut self,
        workspace: &str,
        package: &StoredPackage,
        components: &[StoredComponent],
    ) -> Result<()> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("DELETE FROM plugin_components WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND package = ")
            .bind(SqlValue::Text(package.name.clone()));
        self.execute(sql).await?;
        let mut sql = SqlBuilder::new(dialect);
        sql.push("INSERT INTO packages (workspace_id, name, version, manifest, enabled, settings, installed_at, updated_at, installed_by) VALUES (")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(", ")
            .bind(SqlValue::Text(package.name.clone()))
            .push(", ")
            .bind(SqlValue::Text(package.version.clone()))
            .push(", ")
            .bind(SqlValue::Text(package.manifest.clone()))
            .push(json_param(dialect))
            .push(", ")
            .bind(SqlValue::Bool(package.enabled))
            .push(", ")
            .bind(SqlValue::Text(package.settings.clone()))
            .push(json_param(dialect))
            .push(", ")
            .bind(SqlValue::Text(package.installed_at.clone()))
            .push(", ")
            .bind(SqlValue::Text(package.updated_at.clone()))
            .push(", ")
            .bind(SqlValue::Text(package.installed_by.clone()))
            .push(") ON CONFLICT (workspace_id, name) DO UPDATE SET version = excluded.version, manifest = excluded.manifest, enabled = excluded.enabled, settings = excluded.settings, updated_at = excluded.updated_at");
        self.execute(sql).await?;
        for component in components {
            let mut sql = SqlBuilder::new(dialect);
            sql.push("INSERT INTO plugin_components (workspace_id, package, plugin, sha256, component) VALUES (")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(", ")
                .bind(SqlValue::Text(package.name.clone()))
                .push(", ")
                .bind(SqlValue::Text(component.plugin.clone()))
                .push(", ")
                .bind(SqlValue::Text(component.sha256.clone()))
                .push(", ")
                .bind(SqlValue::Text(component.base64.clone()))
                .push(")");
            self.execute(sql).await?;
        }
        Ok(())
    }

    /// Turns a package on or off; `false` when there is no such package.
    pub async fn set_package_enabled(
        &mut self,
        workspace: &str,
        name: &str,
        enabled: bool,
        now: &str,
    ) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("UPDATE packages SET enabled = ")
            .bind(SqlValue::Bool(enabled))
            .push(", updated_at = ")
            .bind(SqlValue::Text(now.to_owned()))
            .push(" WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        Ok(self.execute(sql).await? > 0)
    }

    /// Replaces a package's settings; `false` when there is no such package.
    pub async fn set_package_settings(
        &mut self,
        workspace: &str,
        name: &str,
        settings: &str,
        now: &str,
    ) -> Result<bool> {
        let dialect = self.dialect();
        let mut sql = SqlBuilder::new(dialect);
        sql.push("UPDATE packages SET settings = ")
            .bind(SqlValue::Text(settings.to_owned()))
            .push(json_param(dialect))
            .push(", updated_at = ")
            .bind(SqlValue::Text(now.to_owned()))
            .push(" WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        Ok(self.execute(sql).await? > 0)
    }

    /// Removes a package and its components; `false` when there is no such package.
    pub async fn delete_package(&mut self, workspace: &str, name: &str) -> Result<bool> {
        let dialect = self.dialect();
        for table in ["plugin_components", "packages"] {
            let column = if table == "packages" {
                "name"
            } else {
                "package"
            };
            let mut sql = SqlBuilder::new(dialect);
            sql.push("DELETE FROM ")
                .push(table)
                .push(" WHERE workspace_id = ")
                .bind(SqlValue::Text(workspace.to_owned()))
                .push(" AND ")
                .push(column)
                .push(" = ")
                .bind(SqlValue::Text(name.to_owned()));
            if self.execute(sql).await? == 0 && table == "packages" {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
