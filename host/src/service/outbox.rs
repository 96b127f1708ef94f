//! After-change hooks and schedules, delivered from a durable outbox.
//!
//! A change's deliveries are written in the change's own transaction ([`App::commit`]), so a
//! delivery exists exactly when its change committed, and survives a crash. Workers on every
//! host claim due deliveries with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two hosts
//! never take the same one), run the plugin, and remove the delivery in the transaction of the
//! plugin's own writes: both commit, or neither. A failure is retried with exponential backoff
//! and, after the last attempt, kept as dead for an admin to retry or discard. Delivery is at
//! least once; order between deliveries is not guaranteed.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::App;
use super::hooks::Subject;
use super::plugin_host::Writes;
use super::plugins::WorkspacePlugins;
use crate::error::{Error, Result};
use crate::plugin::bindings::types as wit;
use crate::plugin::manifest::MAX_DEADLINE_MS;
use crate::plugin::{FailureKind, Hook};
use crate::store::Actor;
use crate::store::{ClaimedJob, NewJob, RecordChange, Tx};

/// How deliveries are retried and run; `xrm serve` reads them from its settings.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: i64,
    /// The first retry waits this long; each further one twice as long as the one before.
    pub retry_base: Duration,
    /// The longest wait between attempts.
    pub retry_max: Duration,
    /// How often an idle worker looks for due deliveries (other hosts' changes, retries).
    pub poll: Duration,
    /// Deliveries one host runs at once; the worker claims up to this many in one write.
    pub concurrency: usize,
    /// After-change hooks whose writes raise events that reach after-change hooks again are
    /// cut off at this depth, so two plugins cannot ping-pong forever.
    pub max_depth: i64,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            max_attempts: 8,
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(3600),
            poll: Duration::from_millis(500),
            concurrency: 16,
            max_depth: 8,
        }
    }
}

/// A claimed delivery is another host's to retry only after this long: longer than any
/// plugin may run.
const LEASE: Duration = Duration::from_millis(2 * MAX_DEADLINE_MS + 30_000);

/// A record event as the outbox keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct StoredEvent {
    entity_type: String,
    operation: String,
    id: String,
    record: Option<String>,
    previous: Option<String>,
    actor: String,
}

/// A schedule firing as the outbox keeps it.
#[derive(Debug, Serialize, Deserialize)]
struct StoredFiring {
    name: String,
    fired_at: String,
}

impl App {
    /// Commits a write transaction, first writing a delivery for every after-* subscriber of
    /// each record change it journaled. `depth`: how many after-change deliveries led to this
    /// transaction (0 for a request).
    pub(super) async fn commit(&self, mut tx: Tx, workspace: &str, depth: i64) -> Result<()> {
        let mut enqueued = false;
        if !tx.changes().is_empty() {
            let plugins = self.workspace_plugins(workspace).await?;
            let jobs: Vec<NewJob> = tx
                .changes()
                .iter()
                .flat_map(|change| self.deliveries(&plugins, change, depth))
                .collect();
            for job in &jobs {
                tx.insert_job(job).await?;
            }
            enqueued = !jobs.is_empty();
        }
        tx.commit().await?;
        if enqueued {
            self.plugins.wake.notify_one();
        }
        Ok(())
    }

    /// The deliveries one record change owes its after-* subscribers, for the transaction that
    /// makes the change to write. `depth`: how many after-change deliveries led to it.
    pub(super) fn deliveries(
        &self,
        plugins: &WorkspacePlugins,
        change: &RecordChange,
        depth: i64,
    ) -> Vec<NewJob> {
        let (hook, operation) = match (&change.before, &change.after) {
            (None, Some(_)) => (Hook::AfterCreate, "create"),
            (Some(_), Some(_)) => (Hook::AfterUpdate, "update"),
            (Some(_), None) => (Hook::AfterDelete, "delete"),
            (None, None) => return Vec::new(),
        };
        let subscribers = plugins.subscribed(&change.entity_type, hook);
        if subscribers.is_empty() {
            return Vec::new();
        }
        if depth >= self.jobs.max_depth {
            tracing::warn!(
                entity_type = %change.entity_type, id = %change.id, depth,
                "after-change hooks nested too deep; this change's deliveries are not made"
            );
            return Vec::new();
        }
        let event = serde_json::to_string(&StoredEvent {
            entity_type: change.entity_type.clone(),
            operation: operation.to_owned(),
            id: change.id.clone(),
            record: change.after.as_ref().map(super::record_text),
            previous: change.before.as_ref().map(super::record_text),
            actor: change.actor.recorded(),
        })
        .expect("an event serialises");
        let now = crate::clock::now();
        subscribers
            .into_iter()
            .map(|plugin| NewJob {
                id: uuid::Uuid::now_v7().to_string(),
                workspace: change.workspace.clone(),
                package: plugin.package.clone(),
                plugin: plugin.manifest.name.clone(),
                hook: hook.as_str().to_owned(),
                event: event.clone(),
                depth,
                run_after: now.clone(),
                now: now.clone(),
            })
            .collect()
    }

    /// Tells this host's delivery worker that deliveries were committed.
    pub(super) fn wake_deliveries(&self) {
        self.plugins.wake.notify_one();
    }

    /// Delivers due jobs until the process ends: claims as many as there are free slots and runs
    /// them side by side, waking on a local commit, a finished delivery or the poll interval.
    pub async fn run_deliveries(self: Arc<App>) {
        let mut running = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            let free = self.jobs.concurrency.saturating_sub(running.len());
            // A claim is a write: refill when half the slots are free, not after every
            // delivery, so claims stay few when the outbox is busy.
            if free > 0 && (running.is_empty() || free * 2 >= self.jobs.concurrency) {
                match self.claim_due(free as i64).await {
                    Ok(jobs) => {
                        for job in jobs {
                            let app = self.clone();
                            running.spawn(async move { app.deliver(job).await });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot claim plugin deliveries"),
                }
            }
            tokio::select! {
                () = self.plugins.wake.notified() => {}
                _ = running.join_next(), if !running.is_empty() => {}
                () = tokio::time::sleep(self.jobs.poll) => {}
            }
        }
    }

    async fn claim_due(&self, limit: i64) -> Result<Vec<ClaimedJob>> {
        let now = crate::clock::now();
        if !self.store.jobs_due(&now).await? {
            return Ok(Vec::new());
        }
        self.store
            .claim_jobs(&now, &crate::clock::after(LEASE), limit)
            .await
    }

    /// Runs one claimed delivery and records its outcome.
    async fn deliver(&self, job: ClaimedJob) {
        let outcome = self.try_deliver(&job).await;
        let now = crate::clock::now();
        let reason = match outcome {
            Ok(Delivery::Done) => return,
            Ok(Delivery::Postponed) => {
                let later = crate::clock::after(Duration::from_secs(60));
                if let Err(error) = self.store.postpone_job(&job.id, &later, &now).await {
                    tracing::warn!(%error, job = %job.id, "cannot postpone a plugin delivery");
                }
                return;
            }
            Ok(Delivery::Failed(reason))
            | Err(Error::PluginFailed(crate::plugin::Failure { reason, .. })) => reason,
            Err(error) => {
                // The host's own trouble (the database): retry later, as a failed attempt.
                tracing::warn!(%error, job = %job.id, "a plugin delivery could not complete");
                format!("host error: {error}")
            }
        };
        let retry_at = (job.attempts < self.jobs.max_attempts)
            .then(|| crate::clock::after(self.backoff(job.attempts)));
        let recorded = self
            .store
            .fail_job(&job.id, &reason, retry_at.as_deref(), &now)
            .await;
        if let Err(error) = recorded {
            // The lease runs out and another attempt comes; nothing is lost.
            tracing::warn!(%error, job = %job.id, "cannot record a plugin delivery's outcome");
        }
    }

    /// The wait before attempt `attempts + 1`: doubling from the base, capped, with up to a
    /// fifth of jitter so failures of many deliveries do not retry in step.
    fn backoff(&self, attempts: i64) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let wait = self
            .jobs
            .retry_base
            .saturating_mul(1u32 << exponent.min(20))
            .min(self.jobs.retry_max);
        let jitter = f64::from(uuid::Uuid::now_v7().as_u128() as u16) / f64::from(u16::MAX) * 0.2;
        wait.mul_f64(1.0 + jitter).min(self.jobs.retry_max)
    }

    async fn try_deliver(&self, job: &ClaimedJob) -> Result<Delivery> {
        let plugins = self.workspace_plugins(&job.workspace).await?;
        let Some(plugin) = plugins
            .plugins
            .iter()
            .find(|p| p.package == job.package && p.manifest.name == job.plugin)
            .cloned()
        else {
            let installed = self.store.list_packages(&job.workspace).await?;
            return Ok(match installed.iter().find(|p| p.name == job.package) {
                Some(package) if !package.enabled => Delivery::Postponed,
                _ => Delivery::Failed(format!(
                    "plugin {}/{} is no longer in its package",
                    job.package, job.plugin
                )),
            });
        };
        let deadline = plugin.limits.async_deadline_ms;
        let (outcome, host, subject_type, subject_id) = if job.hook == "schedule" {
            let firing: StoredFiring = serde_json::from_str(&job.event)
                .map_err(|e| Error::Internal(format!("a stored schedule firing: {e}")))?;
            let hook = format!("schedule {}", firing.name);
            let host = self.plugin_host(
                &job.workspace,
                &plugin,
                Writes::OwnTransaction,
                None,
                &Actor::system(&format!("schedule:{}", firing.name)),
            );
            let event = wit::ScheduleEvent {
                name: firing.name,
                fired_at: firing.fired_at,
            };
            let (outcome, host) = self
                .invoke_plugin(
                    &job.workspace,
                    &plugin,
                    &hook,
                    Subject::default(),
                    host,
                    deadline,
                    |instance, store| {
                        Box::pin(async move {
                            let outcome = instance
                                .xrm_plugin_hooks()
                                .call_schedule(store, event)
                                .await?;
                            Ok(Ok(outcome))
                        })
                    },
                )
                .await
                .map_err(Error::PluginFailed)?;
            (outcome.map_err(|m| (hook, m)), host, None, None)
        } else {
            let stored: StoredEvent = serde_json::from_str(&job.event)
                .map_err(|e| Error::Internal(format!("a stored record event: {e}")))?;
            let event = wit::RecordEvent {
                operation: match stored.operation.as_str() {
                    "create" => wit::Operation::Create,
                    "update" => wit::Operation::Update,
                    _ => wit::Operation::Delete,
                },
                entity_type: stored.entity_type.clone(),
                id: stored.id.clone(),
                record: stored.record,
                previous: stored.previous,
                actor: stored.actor.clone(),
            };
            let host = self.plugin_host(
                &job.workspace,
                &plugin,
                Writes::OwnTransaction,
                None,
                &Actor::system("outbox"),
            );
            let call_event = super::hooks::event_for(&plugin, &event);
            let (outcome, host) = self
                .invoke_plugin(
                    &job.workspace,
                    &plugin,
                    &job.hook,
                    Subject::record(&event.entity_type, &event.id),
                    host,
                    deadline,
                    move |instance, store| {
                        Box::pin(async move {
                            let outcome = instance
                                .xrm_plugin_hooks()
                                .call_after_change(store, call_event)
                                .await?;
                            Ok(Ok(outcome))
                        })
                    },
                )
                .await
                .map_err(Error::PluginFailed)?;
            (
                outcome.map_err(|m| (job.hook.clone(), m)),
                host,
                Some(event.entity_type),
                Some(event.id),
            )
        };
        if let Err((hook, message)) = outcome {
            // Roll the plugin's writes back before recording the failure.
            drop(host);
            let reason = format!(
                "the plugin reported: {}",
                message.chars().take(1000).collect::<String>()
            );
            let subject = Subject {
                entity_type: subject_type.as_deref(),
                record_id: subject_id.as_deref(),
            };
            self.file_failure(
                &job.workspace,
                &plugin,
                &hook,
                FailureKind::Error.as_str(),
                &reason,
                subject,
            );
            return Ok(Delivery::Failed(reason));
        }
        match host.tx {
            Some(mut tx) => {
                tx.delete_job(&job.workspace, &job.id).await?;
                self.commit(tx, &job.workspace, job.depth + 1).await?;
            }
            // Nothing else to commit: the removal shares a group commit with other writes.
            None => {
                let (workspace, id) = (job.workspace.clone(), job.id.clone());
                self.store
                    .write(move |tx| {
                        let (workspace, id) = (workspace.clone(), id.clone());
                        Box::pin(async move { tx.delete_job(&workspace, &id).await })
                    })
                    .await?;
            }
        }
        Ok(Delivery::Done)
    }

    /// Writes a firing of a schedule as a delivery, now (an admin's "run now").
    pub async fn run_schedule_now(
        &self,
        workspace: &str,
        package: &str,
        plugin: &str,
        schedule: &str,
    ) -> Result<Value> {
        let manifest = self.package_manifest(workspace, package).await?;
        manifest
            .plugins
            .iter()
            .find(|p| p.name == plugin)
            .and_then(|p| p.schedules.iter().find(|s| s.name == schedule))
            .ok_or_else(|| {
                Error::not_found(format!(
                    "schedule '{schedule}' of plugin {package}/{plugin}"
                ))
            })?;
        let now = crate::clock::now();
        let mut tx = self.store.begin().await?;
        let id = self
            .enqueue_firing(&mut tx, workspace, package, plugin, schedule, &now)
            .await?;
        tx.commit().await?;
        self.plugins.wake.notify_one();
        self.get_job(workspace, &id).await
    }

    pub(super) async fn enqueue_firing(
        &self,
        tx: &mut Tx,
        workspace: &str,
        package: &str,
        plugin: &str,
        schedule: &str,
        fired_at: &str,
    ) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = crate::clock::now();
        tx.insert_job(&NewJob {
            id: id.clone(),
            workspace: workspace.to_owned(),
            package: package.to_owned(),
            plugin: plugin.to_owned(),
            hook: "schedule".into(),
            event: serde_json::to_string(&StoredFiring {
                name: schedule.to_owned(),
                fired_at: fired_at.to_owned(),
            })
            .expect("a firing serialises"),
            depth: 0,
            run_after: now.clone(),
            now,
        })
        .await?;
        Ok(id)
    }

    /// A workspace's deliveries: `status` pending or dead, optionally of one package.
    pub async fn list_jobs(
        &self,
        workspace: &str,
        status: Option<&str>,
        package: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Value>> {
        if let Some(status) = status
            && !matches!(status, "pending" | "dead")
        {
            return Err(Error::bad_request(
                "invalid_query",
                format!("status must be pending or dead, not {status:?}"),
            ));
        }
        let rows = self
            .store
            .list_jobs(workspace, status, package, limit)
            .await?;
        Ok(rows.into_iter().map(job_json).collect())
    }

    pub async fn get_job(&self, workspace: &str, id: &str) -> Result<Value> {
        self.store
            .get_job(workspace, id)
            .await?
            .map(job_json)
            .ok_or_else(|| Error::not_found(format!("delivery '{id}'")))
    }

    /// Sends a dead delivery back to the queue with fresh attempts.
    pub async fn retry_job(&self, workspace: &str, id: &str) -> Result<Value> {
        let mut tx = self.store.begin().await?;
        if !tx.retry_job(workspace, id, &crate::clock::now()).await? {
            drop(tx);
            let job = self.get_job(workspace, id).await?;
            return Err(Error::conflict(
                "job_not_dead",
                format!(
                    "delivery '{id}' is {}; only dead deliveries can be retried",
                    job["status"].as_str().unwrap_or("pending")
                ),
                vec![],
            ));
        }
        tx.commit().await?;
        self.plugins.wake.notify_one();
        self.get_job(workspace, id).await
    }

    /// Discards a delivery for good.
    pub async fn discard_job(&self, workspace: &str, id: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if !tx.delete_job(workspace, id).await? {
            return Err(Error::not_found(format!("delivery '{id}'")));
        }
        tx.commit().await
    }
}

/// What became of one delivery attempt.
enum Delivery {
    Done,
    /// Its package is disabled: tried again later, without counting an attempt.
    Postponed,
    /// The plugin failed or reported an error.
    Failed(String),
}

fn job_json(row: crate::store::JobRow) -> Value {
    let event: Value = serde_json::from_str(&row.event).unwrap_or(Value::Null);
    let event = match event {
        // The records travel as JSON text; show them as JSON.
        Value::Object(mut object) => {
            for key in ["record", "previous"] {
                if let Some(Value::String(text)) = object.get(key) {
                    let parsed = serde_json::from_str(text).unwrap_or(Value::Null);
                    object.insert(key.to_owned(), parsed);
                }
            }
            Value::Object(object)
        }
        other => other,
    };
    let mut value = json!(row);
    value["event"] = event;
    value
}
