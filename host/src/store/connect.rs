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
        6,
        "the entity types each package manages",
        include_str!("../../migrations/sqlite/0006_package_entity_types.sql"),
        include_str!("../../migrations/postgres/0006_package_entity_types.sql"),
    ),
];

pub(super) fn migrator(dialect: Dialect) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
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
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/xrm"),
            "postgres://app:***@db:5432/xrm"
        );
        assert_eq!(redact("postgres://db/xrm"), "postgres://db/xrm");
    }
}
