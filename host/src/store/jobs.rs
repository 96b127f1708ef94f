//! The plugin outbox (deliveries of after-change events and schedule firings), schedule state,
//! and recent plugin failures.
//!
//! Claiming due deliveries is the one place that reads across workspaces: a worker serves every
//! workspace, and each delivery then acts strictly inside the workspace it names.

use super::sql::{Dialect, SqlBuilder, SqlValue};
use super::{Store, Tx};
use crate::error::{Error, Result};

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_owned())
}

fn optional(value: Option<&str>) -> SqlValue {
    value.map_or(SqlValue::Null, text)
}

/// Takes the columns of a text row in order.
struct Columns(std::vec::IntoIter<Option<String>>);

impl Columns {
    fn new(row: Vec<Option<String>>) -> Columns {
        Columns(row.into_iter())
    }

    fn optional(&mut self) -> Option<String> {
        self.0.next().flatten()
    }

    fn text(&mut self) -> String {
        self.optional().unwrap_or_default()
    }

    fn int(&mut self) -> i64 {
        self.optional()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    }
}

/// A delivery to write in the transaction of the change (or the schedule firing) it reports.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub workspace: String,
    pub package: String,
    pub plugin: String,
    /// `after-create`, `after-update`, `after-delete` or `schedule`.
    pub hook: String,
    /// The event as JSON text.
    pub event: String,
    /// How many after-change deliveries led to this one (a plugin's writes in an after-change
    /// hook raise events too); deliveries past the host's limit are not made.
    pub depth: i64,
    pub run_after: String,
    pub now: String,
}

/// A delivery claimed by this host until its lease ends.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub workspace: String,
    pub package: String,
    pub plugin: String,
    pub hook: String,
    pub event: String,
    pub depth: i64,
    /// Attempts including this one.
    pub attempts: i64,
}

/// A delivery as the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobRow {
    pub id: String,
    pub package: String,
    pub plugin: String,
    pub hook: String,
    pub status: String,
    pub attempts: i64,
    pub run_after: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub event: String,
}

/// When a declared schedule is next due.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRow {
    pub package: String,
    pub plugin: String,
    pub schedule: String,
    pub cron: String,
    pub next_due: String,
    pub last_fired: Option<String>,
}

/// One failure of a plugin invocation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredFailure {
    #[serde(skip)]
    pub id: String,
    pub at: String,
    pub package: String,
    pub plugin: String,
    pub hook: String,
    pub kind: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
}

/// Failures kept per package; older ones are dropped as new ones arrive.
pub const FAILURES_KEPT: i64 = 100;

const JOB_COLUMNS: &str = "id, package, plugin, hook, status, CAST(attempts AS TEXT), run_after, last_error, created_at, updated_at, event";

fn decode_job(row: Vec<Option<String>>) -> JobRow {
    let mut c = Columns::new(row);
    JobRow {
        id: c.text(),
        package: c.text(),
        plugin: c.text(),
        hook: c.text(),
        status: c.text(),
        attempts: c.int(),
        run_after: c.text(),
        last_error: c.optional(),
        created_at: c.text(),
        updated_at: c.text(),
        event: c.text(),
    }
}

impl Store {
    /// Whether any delivery is due, read without taking SQLite's write lock.
    pub async fn jobs_due(&self, now: &str) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push(
            "SELECT CAST(1 AS BIGINT) FROM plugin_jobs WHERE status = 'pending' AND run_after <= ",
        )
        .bind(text(now))
        .push(" AND (locked_until IS NULL OR locked_until < ")
        .bind(text(now))
        .push(") LIMIT 1");
        Ok(self.reader().fetch_i64(sql).await?.is_some())
    }

    /// Claims up to `limit` due deliveries until `lease_until`, counting an attempt for each.
    /// On PostgreSQL rows other hosts are claiming are skipped, never waited for or taken twice.
    pub async fn claim_jobs(
        &self,
        now: &str,
        lease_until: &str,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>> {
        let dialect = self.dialect();
        let mut tx = self.begin().await?;
        let mut sql = SqlBuilder::new(dialect);
        sql.push("UPDATE plugin_jobs SET attempts = attempts + 1, locked_until = ")
            .bind(text(lease_until))
            .push(", updated_at = ")
            .bind(text(now))
            .push(" WHERE id IN (SELECT id FROM plugin_jobs WHERE status = 'pending' AND run_after <= ")
            .bind(text(now))
            .push(" AND (locked_until IS NULL OR locked_until < ")
            .bind(text(now))
            .push(") ORDER BY run_after, id LIMIT ")
            .bind(SqlValue::Int(limit));
        if dialect == Dialect::Postgres {
            sql.push(" FOR UPDATE SKIP LOCKED");
        }
        sql.push(") RETURNING id, workspace_id, package, plugin, hook, event, CAST(depth AS TEXT), CAST(attempts AS TEXT)");
        let rows = tx.fetch_text_rows(sql).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut c = Columns::new(row);
                ClaimedJob {
                    id: c.text(),
                    workspace: c.text(),
                    package: c.text(),
                    plugin: c.text(),
                    hook: c.text(),
                    event: c.text(),
                    depth: c.int(),
                    attempts: c.int(),
                }
            })
            .collect())
    }

    /// Records a failed attempt: retried at `retry_at`, or dead-lettered when that is `None`.
    pub async fn fail_job(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<&str>,
        now: &str,
    ) -> Result<()> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("UPDATE plugin_jobs SET locked_until = NULL, last_error = ")
            .bind(text(error))
            .push(", updated_at = ")
            .bind(text(now));
        match retry_at {
            Some(at) => sql.push(", run_after = ").bind(text(at)),
            None => sql.push(", status = 'dead'"),
        };
        sql.push(" WHERE id = ").bind(text(id));
        let mut tx = self.begin().await?;
        tx.execute(sql).await?;
        tx.commit().await
    }

    /// Puts a claimed delivery back without counting the attempt (its package is disabled).
    pub async fn postpone_job(&self, id: &str, run_after: &str, now: &str) -> Result<()> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push(
            "UPDATE plugin_jobs SET locked_until = NULL, attempts = attempts - 1, run_after = ",
        )
        .bind(text(run_after))
        .push(", updated_at = ")
        .bind(text(now))
        .push(" WHERE id = ")
        .bind(text(id));
        let mut tx = self.begin().await?;
        tx.execute(sql).await?;
        tx.commit().await
    }

    /// A workspace's deliveries, oldest first, optionally of one status and one package.
    pub async fn list_jobs(
        &self,
        workspace: &str,
        status: Option<&str>,
        package: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRow>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT ")
            .push(JOB_COLUMNS)
            .push(" FROM plugin_jobs WHERE workspace_id = ")
            .bind(text(workspace));
        if let Some(status) = status {
            sql.push(" AND status = ").bind(text(status));
        }
        if let Some(package) = package {
            sql.push(" AND package = ").bind(text(package));
        }
        sql.push(" ORDER BY created_at, id LIMIT ")
            .bind(SqlValue::Int(limit));
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().map(decode_job).collect())
    }

    /// One delivery of a workspace.
    pub async fn get_job(&self, workspace: &str, id: &str) -> Result<Option<JobRow>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT ")
            .push(JOB_COLUMNS)
            .push(" FROM plugin_jobs WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND id = ")
            .bind(text(id));
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows.into_iter().next().map(decode_job))
    }

    /// The schedules of a workspace's plugins.
    pub async fn list_schedules(&self, workspace: &str) -> Result<Vec<ScheduleRow>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT package, plugin, schedule, cron, next_due, last_fired FROM plugin_schedules WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" ORDER BY package, plugin, schedule");
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut c = Columns::new(row);
                ScheduleRow {
                    package: c.text(),
                    plugin: c.text(),
                    schedule: c.text(),
                    cron: c.text(),
                    next_due: c.text(),
                    last_fired: c.optional(),
                }
            })
            .collect())
    }

    /// Keeps a failure for the admin, dropping the package's oldest beyond [`FAILURES_KEPT`].
    pub async fn record_failure(&self, workspace: &str, failure: &StoredFailure) -> Result<()> {
        let dialect = self.dialect();
        let mut tx = self.begin().await?;
        let mut sql = SqlBuilder::new(dialect);
        sql.push("INSERT INTO plugin_failures (id, workspace_id, package, plugin, hook, kind, reason, entity_type, record_id, at) SELECT ")
            .bind(text(&failure.id));
        for value in [
            text(workspace),
            text(&failure.package),
            text(&failure.plugin),
            text(&failure.hook),
            text(&failure.kind),
            text(&failure.reason),
            optional(failure.entity_type.as_deref()),
            optional(failure.record_id.as_deref()),
            text(&failure.at),
        ] {
            sql.push(", ").bind(value);
        }
        // Only while the package is installed: a failure may outlive an uninstall by a moment.
        sql.push(" WHERE EXISTS (SELECT 1 FROM packages WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND name = ")
            .bind(text(&failure.package))
            .push(")");
        tx.execute(sql).await?;
        let mut trim = SqlBuilder::new(dialect);
        trim.push("DELETE FROM plugin_failures WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND package = ")
            .bind(text(&failure.package))
            .push(" AND id NOT IN (SELECT id FROM plugin_failures WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND package = ")
            .bind(text(&failure.package))
            .push(" ORDER BY at DESC, id DESC LIMIT ")
            .bind(SqlValue::Int(FAILURES_KEPT))
            .push(")");
        tx.execute(trim).await?;
        tx.commit().await
    }

    /// A package's most recent failures, newest first.
    pub async fn list_failures(
        &self,
        workspace: &str,
        package: &str,
        limit: i64,
    ) -> Result<Vec<StoredFailure>> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT id, package, plugin, hook, kind, reason, entity_type, record_id, at FROM plugin_failures WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND package = ")
            .bind(text(package))
            .push(" ORDER BY at DESC, id DESC LIMIT ")
            .bind(SqlValue::Int(limit));
        let rows = self.reader().fetch_text_rows(sql).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut c = Columns::new(row);
                StoredFailure {
                    id: c.text(),
                    package: c.text(),
                    plugin: c.text(),
                    hook: c.text(),
                    kind: c.text(),
                    reason: c.text(),
                    entity_type: c.optional(),
                    record_id: c.optional(),
                    at: c.text(),
                }
            })
            .collect())
    }
}

impl Tx {
    /// Writes a delivery; it becomes visible to workers when the transaction commits.
    pub async fn insert_job(&mut self, job: &NewJob) -> Result<()> {
        let mut sql = SqlBuilder::new(self.dialect());
        push_job_insert(&mut sql, job, "");
        self.execute(sql).await.map(drop)
    }

    /// Removes a delivery: it succeeded (in the transaction of the plugin's writes), or an
    /// admin discarded it. `false` when there is none.
    pub async fn delete_job(&mut self, workspace: &str, id: &str) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("DELETE FROM plugin_jobs WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND id = ")
            .bind(text(id));
        Ok(self.execute(sql).await? > 0)
    }

    /// Sends a dead-lettered delivery back to the queue with fresh attempts.
    pub async fn retry_job(&mut self, workspace: &str, id: &str, now: &str) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("UPDATE plugin_jobs SET status = 'pending', attempts = 0, locked_until = NULL, run_after = ")
            .bind(text(now))
            .push(", updated_at = ")
            .bind(text(now))
            .push(" WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND id = ")
            .bind(text(id))
            .push(" AND status = 'dead'");
        Ok(self.execute(sql).await? > 0)
    }

    /// Declares a schedule, or changes its cron expression and next due time.
    pub async fn put_schedule(&mut self, workspace: &str, row: &ScheduleRow) -> Result<()> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("INSERT INTO plugin_schedules (workspace_id, package, plugin, schedule, cron, next_due) VALUES (")
            .bind(text(workspace));
        for value in [
            text(&row.package),
            text(&row.plugin),
            text(&row.schedule),
            text(&row.cron),
            text(&row.next_due),
        ] {
            sql.push(", ").bind(value);
        }
        sql.push(") ON CONFLICT (workspace_id, package, plugin, schedule) DO UPDATE SET cron = excluded.cron, next_due = excluded.next_due");
        self.execute(sql).await.map(drop)
    }

    /// Forgets a schedule the plugin no longer declares.
    pub async fn delete_schedule(
        &mut self,
        workspace: &str,
        package: &str,
        plugin: &str,
        schedule: &str,
    ) -> Result<()> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("DELETE FROM plugin_schedules WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND package = ")
            .bind(text(package))
            .push(" AND plugin = ")
            .bind(text(plugin))
            .push(" AND schedule = ")
            .bind(text(schedule));
        self.execute(sql).await.map(drop)
    }

    /// Claims one firing of a schedule: moves `next_due` from `due` to `next` unless another
    /// host already did. `true` when this transaction owns the firing.
    pub async fn advance_schedule(
        &mut self,
        workspace: &str,
        row: &ScheduleRow,
        next: &str,
    ) -> Result<bool> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("UPDATE plugin_schedules SET next_due = ")
            .bind(text(next))
            .push(", last_fired = ")
            .bind(text(&row.next_due))
            .push(" WHERE workspace_id = ")
            .bind(text(workspace))
            .push(" AND package = ")
            .bind(text(&row.package))
            .push(" AND plugin = ")
            .bind(text(&row.plugin))
            .push(" AND schedule = ")
            .bind(text(&row.schedule))
            .push(" AND next_due = ")
            .bind(text(&row.next_due));
        match self.execute(sql).await? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(Error::Internal(format!(
                "a schedule claim changed {n} rows"
            ))),
        }
    }
}

/// Appends the INSERT of one delivery, its values selected under `condition` (SQL text, may be
/// empty) so a group commit can chain it to the write that raised it.
pub(super) fn push_job_insert(sql: &mut SqlBuilder, job: &NewJob, condition: &str) {
    sql.push("INSERT INTO plugin_jobs (id, workspace_id, package, plugin, hook, event, depth, run_after, created_at, updated_at) SELECT ")
        .bind(text(&job.id));
    for value in [
        text(&job.workspace),
        text(&job.package),
        text(&job.plugin),
        text(&job.hook),
        text(&job.event),
        SqlValue::Int(job.depth),
        text(&job.run_after),
        text(&job.now),
        text(&job.now),
    ] {
        sql.push(", ").bind(value);
    }
    sql.push(condition);
}
