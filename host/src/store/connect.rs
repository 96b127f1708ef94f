//! Opening the pools and the versioned migrations of each database.

use std::borrow::Cow;
use std::str::FromStr;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use super::{Backend, Dialect, SqliteSync, Store, StoreConfig};
use crate::error::{Error, Result};

/// Migrations, oldest first: (version, description, SQLite text, PostgreSQL text).
/// A released migration is never edited; a change is a new entry.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "workspaces, entity types, records",
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "packages and plugin components",
        include_str!("../../migrations/sqlite/0002_packages.sql"),
        include_str!("../../migrations/postgres/0002_packages.sql"),
    ),
    (
        3,
        "plugin outbox, schedules, failures, trusted publishers",
        include_str!("../../migrations/sqlite/0003_plugin_jobs.sql"),
        include_str!("../../migrations/postgres/0003_plugin_jobs.sql"),
    ),
    (
        4,
        "roles, users, teams, sessions, API tokens, record ownership, audit trail",
        include_str!("../../migrations/sqlite/0004_security.sql"),
        include_str!("../../migrations/postgres/0004_security.sql"),
    ),
    (
        5,
        "record ids unique per workspace",
        include_str!("../../migrations/sqlite/0005_record_keys.sql"),
        include_str!("../../migrations/postgres/0005_record_keys.sql"),
    ),
    (
        6,
        "the entity types each package manages",
        include_str!("../../migrations/sqlite/0006_package_entity_types.sql"),
        include_str!("../../migrations/postgres/0006_package_entity_types.sql"),
    ),
];

pub(super) fn migrator(dialect: Dialect) -> Migrator {
    migrator_until(dialect, i64::MAX)
}

/// The migrations up to and including `last`: tests build a database as an older release left it.
fn migrator_until(dialect: Dialect, last: i64) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .filter(|(version, ..)| *version <= last)
        .map(|(version, description, sqlite, postgres)| {
            let text = match dialect {
                Dialect::Sqlite => *sqlite,
                Dialect::Postgres => *postgres,
            };
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                AssertSqlSafe(text).into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

pub(super) async fn open(config: &StoreConfig) -> Result<Store> {
    match &config.database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            open_postgres(url, config).await
        }
        Some(url) if url.starts_with("sqlite:") => {
            let options = SqliteConnectOptions::from_str(url).map_err(|error| {
                Error::Internal(format!("invalid SQLite database URL: {error}"))
            })?;
            open_sqlite(options, config).await
        }
        Some(url) => Err(Error::Internal(format!(
            "unsupported database URL '{}': use postgres://… or sqlite:…, or leave it out for the SQLite file in the data directory",
            redact(url)
        ))),
        None => {
            std::fs::create_dir_all(&config.data_dir).map_err(|error| {
                Error::Internal(format!(
                    "cannot create the data directory {}: {error}",
                    config.data_dir.display()
                ))
            })?;
            let options =
                SqliteConnectOptions::new().filename(Store::sqlite_path(&config.data_dir));
            open_sqlite(options, config).await
        }
    }
}

async fn open_sqlite(options: SqliteConnectOptions, config: &StoreConfig) -> Result<Store> {
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match config.sqlite_sync {
            SqliteSync::Normal => SqliteSynchronous::Normal,
            SqliteSync::Full => SqliteSynchronous::Full,
        })
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(10))
        .pragma("temp_store", "memory")
        .statement_cache_capacity(512);
    // The writer's page cache stays small: SQLite scans the whole cache at every commit.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(config.acquire_timeout)
        // Checkpoints run on their own connection (`Store::checkpoint`), off the write path.
        .connect_with(
            options
                .clone()
                .pragma("cache_size", "-8192")
                .pragma("wal_autocheckpoint", "0"),
        )
        .await
        .map_err(|error| Error::Internal(format!("cannot open the SQLite database: {error}")))?;
    let checkpointer = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(config.acquire_timeout)
        .connect_with(options.clone())
        .await
        .map_err(|error| Error::Internal(format!("cannot open the SQLite database: {error}")))?;
    let read = SqlitePoolOptions::new()
        .max_connections(config.max_connections.max(2))
        .acquire_timeout(config.acquire_timeout)
        .connect_with(options.pragma("cache_size", "-32768").read_only(true))
        .await
        .map_err(|error| Error::Internal(format!("cannot open the SQLite database: {error}")))?;
    Ok(Store {
        backend: Backend::Sqlite {
            read,
            queue: super::batch::WriteQueue::start(write.clone()),
            write,
            checkpointer,
            analyzed_rows: Default::default(),
        },
    })
}

async fn open_postgres(url: &str, config: &StoreConfig) -> Result<Store> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|error| {
            Error::Internal(format!("invalid PostgreSQL URL '{}': {error}", redact(url)))
        })?
        .application_name("xrm");
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .connect_with(options)
        .await
        .map_err(|error| {
            Error::Internal(format!(
                "cannot connect to PostgreSQL at '{}': {error}",
                redact(url)
            ))
        })?;
    Ok(Store {
        backend: Backend::Postgres(pool),
    })
}

/// A database URL with its password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}://{}:***@{}",
                    &url[..scheme_end],
                    &credentials[..colon],
                    &url[at + 1..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Dialect, migrator_until, redact};
    use crate::store::{SqliteSync, Store, StoreConfig};
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    /// A database that release 4 left behind (a global record key, a per-type index, a
    /// full-text entry) comes out of migration 5 with its records, its index and its search
    /// intact, and with ids unique per workspace only.
    #[tokio::test]
    async fn record_keys_migration_keeps_records_indexes_and_search() {
        let dir = std::env::temp_dir().join(format!(
            "xrm-migration-{}-{}",
            std::process::id(),
            crate::clock::now().replace([':', '.'], "-")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let options = SqliteConnectOptions::new()
            .filename(Store::sqlite_path(&dir))
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .unwrap();
        migrator_until(Dialect::Sqlite, 4).run(&pool).await.unwrap();
        let index = "CREATE INDEX IF NOT EXISTS xi_customer_name ON records \
                     (json_extract(data, '$.name')) WHERE workspace_id = 'default' AND entity_type = 'customer'";
        for statement in [
            "INSERT INTO workspaces (id, name, created_at) VALUES ('beta', 'Beta', '2026-01-01T00:00:00.000000Z')",
            "INSERT INTO entity_types VALUES ('default', 'customer', 1, '{}', 't', 't', 'a', 'a')",
            "INSERT INTO entity_types VALUES ('beta', 'customer', 1, '{}', 't', 't', 'a', 'a')",
            "INSERT INTO records (id, workspace_id, entity_type, version, data, created_at, updated_at, created_by, updated_by) \
             VALUES ('r1', 'default', 'customer', 1, '{\"name\":\"Ada\"}', 't', 't', 'a', 'a')",
            "INSERT INTO records_fts (rowid, content) SELECT rowid, 'ada' FROM records WHERE id = 'r1'",
            index,
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&pool)
                .await
                .unwrap();
        }
        sqlx::query(
            "INSERT INTO record_indexes VALUES ('default', 'customer', 'xi_customer_name', ?)",
        )
        .bind(index)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let store = Store::open(&StoreConfig {
            database_url: None,
            data_dir: dir.clone(),
            max_connections: 2,
            sqlite_sync: SqliteSync::Normal,
            acquire_timeout: std::time::Duration::from_secs(5),
        })
        .await
        .unwrap();
        drop(store);

        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(
            indexes.iter().any(|name| name == "xi_customer_name"),
            "{indexes:?}"
        );
        let found: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM records WHERE rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH 'ada')",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(found, ["r1"]);
        sqlx::query(
            "INSERT INTO records (id, workspace_id, entity_type, version, data, created_at, updated_at, created_by, updated_by) \
             VALUES ('r1', 'beta', 'customer', 1, '{}', 't', 't', 'a', 'a')",
        )
        .execute(&pool)
        .await
        .expect("the same id in another workspace");
        let again = sqlx::query(
            "INSERT INTO records (id, workspace_id, entity_type, version, data, created_at, updated_at, created_by, updated_by) \
             VALUES ('r1', 'beta', 'customer', 1, '{}', 't', 't', 'a', 'a')",
        )
        .execute(&pool)
        .await;
        assert!(again.is_err(), "an id stays unique within its workspace");
        pool.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/xrm"),
            "postgres://app:***@db:5432/xrm"
        );
        assert_eq!(redact("postgres://db/xrm"), "postgres://db/xrm");
    }
}
