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
    /// The public key (base64) that signed the package, if it was signed.
    pub signed_by: Option<String>,
}

/// One plugin's component: the bytes (base64) and their sha256 (hex).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredComponent {
    pub package: String,
    pub plugin: String,
    pub sha256: String,
    pub base64: String,
}

fn package_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "name, version, CAST(enabled AS TEXT), manifest, installed_at, updated_at, installed_by, settings, signed_by"
        }
        Dialect::Postgres => {
            "name, version, CASE WHEN enabled THEN '1' ELSE '0' END, manifest::text, installed_at, updated_at, installed_by, settings::text, signed_by"
        }
    }
}

fn decode_package(row: Vec<Option<String>>) -> StoredPackage {
    let mut columns = row.into_iter();
    let mut next = || columns.next().flatten();
    StoredPackage {
        name: next().unwrap_or_default(),
        version: next().unwrap_or_default(),
        enabled: next().as_deref() == Some("1"),
        manifest: next().unwrap_or_default(),
        installed_at: next().unwrap_or_default(),
        updated_at: next().unwrap_or_default(),
        installed_by: next().unwrap_or_default(),
        settings: next().unwrap_or_else(|| "{}".to_owned()),
        signed_by: next(),
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
        let rows = self.reader().fetch_text_rows(sql).await?;
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
            "SELECT c.plugin, c.package, CAST(0 AS BIGINT), c.component, c.sha256, c.sha256, c.sha256, c.sha256, CAST(NULL AS TEXT), CAST(NULL AS TEXT) \
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

/// A publisher key an admin trusts: (name, public key in base64, when it was added).
pub type TrustedPublisher = (String, String, String);

impl Store {
    /// The publisher keys trusted in a workspace, by name.
    pub async fn trusted_publishers(&self, workspace: &str) -> Result<Vec<TrustedPublisher>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT name, public_key, added_at FROM trusted_publishers WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" ORDER BY name");
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut columns = row.into_iter().map(Option::unwrap_or_default);
                let mut next = || columns.next().unwrap_or_default();
                (next(), next(), next())
            })
            .collect())
    }
}

impl Tx {
    /// Trusts a publisher key; `false` when the name or the key is already trusted.
    pub async fn add_trusted_publisher(
        &mut self,
        workspace: &str,
        name: &str,
        public_key: &str,
        now: &str,
    ) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push(
            "INSERT INTO trusted_publishers (workspace_id, name, public_key, added_at) VALUES (",
        )
        .bind(SqlValue::Text(workspace.to_owned()))
        .push(", ")
        .bind(SqlValue::Text(name.to_owned()))
        .push(", ")
        .bind(SqlValue::Text(public_key.to_owned()))
        .push(", ")
        .bind(SqlValue::Text(now.to_owned()))
        .push(") ON CONFLICT DO NOTHING");
        Ok(self.execute(sql).await? > 0)
    }

    /// Stops trusting a publisher key; `false` when there was none of that name.
    pub async fn remove_trusted_publisher(&mut self, workspace: &str, name: &str) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("DELETE FROM trusted_publishers WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND name = ")
            .bind(SqlValue::Text(name.to_owned()));
        Ok(self.execute(sql).await? > 0)
    }

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
        Ok(self.fetch_text_rows(sql).await?.pop().map(decode_package))
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
        sql.push("INSERT INTO packages (workspace_id, name, version, manifest, enabled, settings, installed_at, updated_at, installed_by, signed_by) VALUES (")
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
            .push(", ")
            .bind(package.signed_by.clone().map_or(SqlValue::Null, SqlValue::Text))
            .push(") ON CONFLICT (workspace_id, name) DO UPDATE SET version = excluded.version, manifest = excluded.manifest, enabled = excluded.enabled, settings = excluded.settings, updated_at = excluded.updated_at, signed_by = excluded.signed_by");
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

    /// Removes a package and its components, and releases the entity types it managed (they
    /// stay, with their records); `false` when there is no such package.
    pub async fn delete_package(&mut self, workspace: &str, name: &str) -> Result<bool> {
        let dialect = self.dialect();
        for table in ["plugin_components", "package_entity_types", "packages"] {
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

/// An entity type a package manages, and the type version the package last set (created,
/// adopted or updated): a later current version means an admin changed the type since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedType {
    pub entity_type: String,
    pub package: String,
    pub type_version: i64,
}

fn managed_select(dialect: Dialect, workspace: &str) -> SqlBuilder {
    let mut sql = SqlBuilder::new(dialect);
    sql.push(
        "SELECT entity_type, package, CAST(type_version AS TEXT) FROM package_entity_types WHERE workspace_id = ",
    )
    .bind(SqlValue::Text(workspace.to_owned()));
    sql
}

fn decode_managed(row: Vec<Option<String>>) -> ManagedType {
    let mut columns = row.into_iter().map(Option::unwrap_or_default);
    let mut next = || columns.next().unwrap_or_default();
    ManagedType {
        entity_type: next(),
        package: next(),
        type_version: next().parse().unwrap_or_default(),
    }
}

impl Store {
    /// The entity types the packages of a workspace manage, by type name.
    pub async fn managed_types(&self, workspace: &str) -> Result<Vec<ManagedType>> {
        let mut sql = managed_select(self.dialect(), workspace);
        sql.push(" ORDER BY entity_type");
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_managed).collect())
    }
}

impl Tx {
    /// The entity types the packages of a workspace manage, read in the transaction (locked
    /// on PostgreSQL, so two installs cannot both take the same type).
    pub async fn managed_types(&mut self, workspace: &str) -> Result<Vec<ManagedType>> {
        let dialect = self.dialect();
        let mut sql = managed_select(dialect, workspace);
        sql.push(" ORDER BY entity_type");
        if dialect == Dialect::Postgres {
            sql.push(" FOR UPDATE");
        }
        let rows = self.fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_managed).collect())
    }

    /// Records that a package manages a type at a version (insert or replace).
    pub async fn manage_type(&mut self, workspace: &str, managed: &ManagedType) -> Result<()> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push(
            "INSERT INTO package_entity_types (workspace_id, entity_type, package, type_version) VALUES (",
        )
        .bind(SqlValue::Text(workspace.to_owned()))
        .push(", ")
        .bind(SqlValue::Text(managed.entity_type.clone()))
        .push(", ")
        .bind(SqlValue::Text(managed.package.clone()))
        .push(", ")
        .bind(SqlValue::Int(managed.type_version))
        .push(
            ") ON CONFLICT (workspace_id, entity_type) DO UPDATE SET package = excluded.package, type_version = excluded.type_version",
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Releases a type from the package that manages it, if any; the type stays as it is.
    pub async fn release_type(&mut self, workspace: &str, entity_type: &str) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("DELETE FROM package_entity_types WHERE workspace_id = ")
            .bind(SqlValue::Text(workspace.to_owned()))
            .push(" AND entity_type = ")
            .bind(SqlValue::Text(entity_type.to_owned()));
        Ok(self.execute(sql).await? > 0)
    }
}
