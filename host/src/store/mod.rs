//! Storage: the only module that talks SQL. One interface, two databases — SQLite embedded by
//! default, PostgreSQL for production and for several hosts sharing one database.
//!
//! [`Store`] hands out read queries on a pool and write transactions as [`Tx`]; higher layers
//! compose validation, lookups and writes inside one `Tx` so that they commit or roll back
//! together.

mod audit;
mod batch;
mod connect;
mod entity_types;
mod exec;
mod jobs;
mod packages;
mod query;
mod records;
mod security;
pub mod sql;

use std::path::Path;
use std::time::Duration;

use sqlx::{Postgres, Sqlite, Transaction};

pub use self::audit::{Actor, ActorKind, AdminChange, AuditEntry, AuditQuery, same_json};
pub use self::batch::BoxFuture;
pub use self::connect::redact as redact_url;
pub use self::entity_types::{StoredEntityType, unique_key_of_violation};
pub use self::jobs::{ClaimedJob, FAILURES_KEPT, JobRow, NewJob, ScheduleRow, StoredFailure};
pub use self::packages::{ManagedType, StoredComponent, StoredPackage, TrustedPublisher};
pub use self::query::{ListPlan, OwnerFilter, SearchText, SortKey, has_search_words, list_sql};
pub use self::records::{InsertCommand, StoredRecord};
pub use self::security::{
    StoredRole, StoredSession, StoredTeam, StoredToken, StoredUser, StoredWorkspace,
};
pub use self::sql::{Dialect, SqlValue};
use crate::error::{Error, Result};

/// How the SQLite file trades durability for speed; see `docs/operations.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    /// An acknowledged write survives a crash of the process (WAL, `synchronous=NORMAL`).
    Normal,
    /// An acknowledged write also survives a power loss (fsync on every commit).
    Full,
}

/// Where the data lives and how the pools are sized.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `postgres://…` for PostgreSQL; `None` for the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: std::path::PathBuf,
    pub max_connections: u32,
    pub sqlite_sync: SqliteSync,
    pub acquire_timeout: Duration,
}

/// The database, shared by every request; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    /// Readers share a pool; all writes go through one connection, as SQLite has one writer.
    Sqlite {
        read: sqlx::SqlitePool,
        write: sqlx::SqlitePool,
        /// Single-record writes, committed in groups (see `batch`).
        queue: batch::WriteQueue,
        /// Copies the WAL back into the database file, so the writer never has to.
        checkpointer: sqlx::SqlitePool,
        /// Rows in `records` when the planner statistics were last refreshed.
        analyzed_rows: std::sync::Arc<std::sync::atomic::AtomicI64>,
    },
    Postgres(sqlx::PgPool),
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back.
///
/// It carries the journal of the record changes made in it, which the service turns into
/// after-change deliveries inside the same transaction, so an event exists exactly when its
/// change was committed.
pub struct Tx {
    conn: TxConn,
    changes: Vec<RecordChange>,
    /// Admin changes to append to the audit trail at commit, with their workspace.
    audit: Vec<(String, AuditEntry)>,
}

enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// One record written in a transaction: `before` is absent on create, `after` on delete.
#[derive(Debug, Clone)]
pub struct RecordChange {
    pub workspace: String,
    pub entity_type: String,
    pub id: String,
    /// Who made the change.
    pub actor: Actor,
    pub before: Option<StoredRecord>,
    pub after: Option<StoredRecord>,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub async fn open(config: &StoreConfig) -> Result<Store> {
        let store = connect::open(config).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations. Safe to run from several hosts at once on PostgreSQL
    /// (the migrator holds an advisory lock).
    pub async fn migrate(&self) -> Result<()> {
        let migrator = connect::migrator(self.dialect());
        let result = match &self.backend {
            Backend::Sqlite { write, .. } => migrator.run(write).await,
            Backend::Postgres(pool) => migrator.run(pool).await,
        };
        result.map_err(|error| Error::Internal(format!("migration failed: {error}")))?;
        self.restore_record_indexes().await
    }

    /// Recreates the per-type indexes that `record_indexes` lists but the database lacks.
    /// Rebuilding `records` (SQLite migration 5) drops them with the old table; their
    /// definitions are kept, so nothing an admin declared is lost. A no-op on a sound database:
    /// one read of the catalogue.
    async fn restore_record_indexes(&self) -> Result<()> {
        let Backend::Sqlite { write, .. } = &self.backend else {
            return Ok(());
        };
        let missing: Vec<(String, String)> = sqlx::query_as(
            "SELECT index_name, definition FROM record_indexes \
             WHERE index_name NOT IN (SELECT name FROM sqlite_master WHERE type = 'index')",
        )
        .fetch_all(write)
        .await
        .map_err(pool_error)?;
        for (name, definition) in missing {
            sqlx::query(sqlx::AssertSqlSafe(definition))
                .execute(write)
                .await
                .map_err(|error| {
                    Error::Internal(format!("cannot recreate the record index {name}: {error}"))
                })?;
            tracing::info!(index = %name, "recreated a record index after a migration");
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite { .. } => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so a transaction never fails half-way for lack of it.
    pub async fn begin(&self) -> Result<Tx> {
        match &self.backend {
            Backend::Sqlite { write, .. } => Ok(Tx::new(TxConn::Sqlite(
                write
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(pool_error)?,
            ))),
            Backend::Postgres(pool) => Ok(Tx::new(TxConn::Postgres(
                pool.begin().await.map_err(pool_error)?,
            ))),
        }
    }

    /// Whether the database answers, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { read, .. } => sqlx::query("SELECT 1").execute(read).await.map(drop),
            Backend::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
        .map_err(pool_error)
    }

    /// Pool sizes for `/metrics`: (connections open, idle).
    pub fn pool_stats(&self) -> (u32, usize) {
        match &self.backend {
            Backend::Sqlite { read, write, .. } => (
                read.size() + write.size(),
                read.num_idle() + write.num_idle(),
            ),
            Backend::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// Refreshes SQLite's planner statistics when `records` has grown by a fifth (and at
    /// least 1000 rows) since the last time. Without them SQLite cannot tell a selective index
    /// from a useless one and may scan; PostgreSQL's autovacuum does this on its own.
    pub async fn refresh_statistics(&self) -> Result<()> {
        let Backend::Sqlite {
            read,
            write,
            analyzed_rows,
            ..
        } = &self.backend
        else {
            return Ok(());
        };
        let rows: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM records")
            .fetch_one(read)
            .await
            .map_err(pool_error)?;
        let last = analyzed_rows.load(std::sync::atomic::Ordering::Relaxed);
        if rows < last + (last / 5).max(1000) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        sqlx::query("ANALYZE records")
            .execute(write)
            .await
            .map_err(pool_error)?;
        analyzed_rows.store(rows, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(
            rows,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "refreshed planner statistics"
        );
        Ok(())
    }

    /// Moves committed pages from SQLite's write-ahead log into the database file without
    /// blocking writers or readers (a passive checkpoint). The writer connection has automatic
    /// checkpoints turned off, so the host calls this regularly; a no-op on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        let Backend::Sqlite { checkpointer, .. } = &self.backend else {
            return Ok(());
        };
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(checkpointer)
            .await
            .map_err(pool_error)?;
        Ok(())
    }

    /// Closes the pools, letting in-flight statements finish; SQLite checkpoints its WAL.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite {
                read,
                write,
                checkpointer,
                ..
            } => {
                read.close().await;
                write.close().await;
                checkpointer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// The path of the SQLite file inside a data directory.
    pub fn sqlite_path(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("xrm.sqlite3")
    }
}

impl Tx {
    fn new(conn: TxConn) -> Tx {
        Tx {
            conn,
            changes: Vec::new(),
            audit: Vec::new(),
        }
    }

    /// Appends the audit entries of every change made in the transaction, then commits.
    pub async fn commit(mut self) -> Result<()> {
        self.write_audit().await?;
        match self.conn {
            TxConn::Sqlite(tx) => tx.commit().await,
            TxConn::Postgres(tx) => tx.commit().await,
        }
        .map_err(Error::from)
    }

    pub fn dialect(&self) -> Dialect {
        match self.conn {
            TxConn::Sqlite(_) => Dialect::Sqlite,
            TxConn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Notes a record change for the journal.
    pub fn journal(&mut self, change: RecordChange) {
        self.changes.push(change);
    }

    /// The record changes noted so far.
    pub fn changes(&self) -> &[RecordChange] {
        &self.changes
    }
}

/// Failing to get a connection is the database being unavailable, which a client may retry.
fn pool_error(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Error::Unavailable(error.to_string())
        }
        other => Error::Database(other),
    }
}
