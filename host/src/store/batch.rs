//! Group commit for SQLite: concurrent writes share one transaction.
//!
//! SQLite has one writer, and most of a small write's cost is around it: taking the lock,
//! the round trips to the driver's worker thread, writing the WAL frames of every touched page.
//! A writer task takes the writes queued while the previous batch ran and commits them together.
//! A write's result is sent only after the commit, so nothing is acknowledged before it is
//! durable.
//!
//! Two kinds of writes are queued:
//! - [`InsertCommand`]s, the hot path of record creation: a batch's consecutive inserts run as
//!   one multi-statement round trip, each insert guarded by SQL conditions (type version,
//!   lookup targets) instead of separate reads;
//! - general jobs (closures over a [`Tx`]).
//!
//! If anything in a batch fails, the batch is rolled back and every write runs again in its own
//! transaction, so one bad write never costs another its success. Jobs are therefore `Fn`: they
//! may run twice, and must have no effects outside the transaction.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::records::{InsertCommand, push_guarded_insert};
use super::sql::{Dialect, SqlBuilder};
use super::{Backend, Store, Tx};
use crate::error::{Error, Result};

/// A boxed future that may borrow the transaction it runs in.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Most writes committed together.
const MAX_BATCH: usize = 128;
/// Writes waiting for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 4096;

type AnyResult = Result<Box<dyn Any + Send>>;
type JobFn = dyn for<'t> Fn(&'t mut Tx) -> BoxFuture<'t, AnyResult> + Send + Sync;

enum Write {
    Job {
        run: Box<JobFn>,
        reply: oneshot::Sender<AnyResult>,
    },
    Insert {
        command: Box<InsertCommand>,
        reply: oneshot::Sender<Result<bool>>,
    },
}

/// The queue in front of the SQLite writer task.
#[derive(Clone, Debug)]
pub(super) struct WriteQueue {
    sender: mpsc::Sender<Write>,
}

impl WriteQueue {
    /// Starts the writer task over the SQLite write pool.
    pub(super) fn start(pool: SqlitePool) -> WriteQueue {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(writer(pool, receiver));
        WriteQueue { sender }
    }

    async fn send(&self, write: Write) -> Result<()> {
        self.sender.send(write).await.map_err(|_| stopped())
    }
}

fn stopped() -> Error {
    Error::Unavailable("the database writer has stopped".into())
}

async fn writer(pool: SqlitePool, mut receiver: mpsc::Receiver<Write>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        if batch.len() > 1 {
            let started = std::time::Instant::now();
            match run_together(&pool, &batch).await {
                Ok(results) => {
                    for (write, result) in batch.into_iter().zip(results) {
                        match (write, result) {
                            (Write::Job { reply, .. }, Some(result)) => {
                                drop(reply.send(Ok(result)))
                            }
                            (Write::Insert { reply, .. }, _) => drop(reply.send(Ok(true))),
                            (Write::Job { .. }, None) => unreachable!("every job has a result"),
                        }
                    }
                    tracing::trace!(
                        micros = started.elapsed().as_micros() as u64,
                        "group commit"
                    );
                    continue;
                }
                Err(error) => {
                    tracing::debug!(%error, "a grouped write failed; running the batch one by one")
                }
            }
        }
        for write in batch {
            match write {
                Write::Job { run, reply } => drop(reply.send(run_job_alone(&pool, &run).await)),
                Write::Insert { command, reply } => {
                    drop(reply.send(run_insert_alone(&pool, &command).await))
                }
            }
        }
    }
}

async fn begin(pool: &SqlitePool) -> Result<Tx> {
    Ok(Tx::new(super::TxConn::Sqlite(
        pool.begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(super::pool_error)?,
    )))
}

/// Runs a whole batch in one transaction: `Some(result)` per job, `None` per insert.
async fn run_together(
    pool: &SqlitePool,
    batch: &[Write],
) -> Result<Vec<Option<Box<dyn Any + Send>>>> {
    let mut tx = begin(pool).await?;
    let mut results = Vec::with_capacity(batch.len());
    let mut inserts = SqlBuilder::new(Dialect::Sqlite);
    let mut pending_rows = 0_u64;
    for write in batch {
        match write {
            Write::Insert { command, .. } => {
                push_guarded_insert(&mut inserts, command);
                inserts.push("; ");
                pending_rows += command.rows();
                results.push(None);
            }
            Write::Job { run, .. } => {
                flush_inserts(&mut tx, &mut inserts, &mut pending_rows).await?;
                results.push(Some(run(&mut tx).await?));
            }
        }
    }
    flush_inserts(&mut tx, &mut inserts, &mut pending_rows).await?;
    tx.commit().await?;
    Ok(results)
}

/// Runs the queued inserts as one statement list; `pending` rows are expected (see
/// [`InsertCommand::rows`]), so fewer means a guard failed somewhere and the batch must be
/// retried one by one.
async fn flush_inserts(tx: &mut Tx, inserts: &mut SqlBuilder, pending: &mut u64) -> Result<()> {
    if *pending == 0 {
        return Ok(());
    }
    let sql = std::mem::replace(inserts, SqlBuilder::new(Dialect::Sqlite));
    let expected = std::mem::take(pending);
    let written = tx.execute(sql).await?;
    if written == expected {
        Ok(())
    } else {
        Err(Error::Internal(format!(
            "a guarded insert wrote nothing ({written} of {expected} rows)"
        )))
    }
}

async fn run_job_alone(pool: &SqlitePool, run: &JobFn) -> AnyResult {
    let mut tx = begin(pool).await?;
    let result = run(&mut tx).await?;
    tx.commit().await?;
    Ok(result)
}

async fn run_insert_alone(pool: &SqlitePool, command: &InsertCommand) -> Result<bool> {
    let mut tx = begin(pool).await?;
    let mut sql = SqlBuilder::new(Dialect::Sqlite);
    push_guarded_insert(&mut sql, command);
    if tx.execute(sql).await? != command.rows() {
        // A guard failed: the rollback on drop undoes whatever the chain wrote.
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

impl Store {
    /// Runs `job` in a write transaction and commits it; on SQLite it may share the transaction
    /// with other writes (group commit). Returns only after the commit.
    pub async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> Fn(&'t mut Tx) -> BoxFuture<'t, Result<T>> + Send + Sync + 'static,
    {
        let Backend::Sqlite { queue, .. } = &self.backend else {
            let mut tx = self.begin().await?;
            let value = job(&mut tx).await?;
            tx.commit().await?;
            return Ok(value);
        };
        let (reply, answer) = oneshot::channel();
        let run: Box<JobFn> = Box::new(move |tx: &mut Tx| {
            let future = job(tx);
            Box::pin(async move {
                future
                    .await
                    .map(|value| Box::new(value) as Box<dyn Any + Send>)
            })
        });
        queue.send(Write::Job { run, reply }).await?;
        let value = answer.await.map_err(|_| stopped())??;
        Ok(*value
            .downcast::<T>()
            .expect("a job's result has the job's type"))
    }

    /// Inserts a new record through the group commit, checking its guards (type version,
    /// lookup targets) in SQL. Returns `Ok(false)` when nothing was written: a guard failed, or
    /// the database is PostgreSQL, which does not group writes. The caller then takes the
    /// transactional path, which re-checks everything and says precisely what is wrong.
    pub async fn try_insert_grouped(&self, command: InsertCommand) -> Result<bool> {
        let Backend::Sqlite { queue, .. } = &self.backend else {
            return Ok(false);
        };
        let (reply, answer) = oneshot::channel();
        queue
            .send(Write::Insert {
                command: Box::new(command),
                reply,
            })
            .await?;
        answer.await.map_err(|_| stopped())?
    }
}
