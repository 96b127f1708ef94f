//! Schedules: the cron triggers plugins declare. Every host ticks; a due schedule is fired by
//! moving its `next_due` forward with a compare-and-set in the same transaction that writes the
//! firing to the outbox, so each firing happens once however many hosts share the database.
//! Firings missed while no host ran (or while the package was disabled) are made up by one.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::App;
use crate::error::{Error, Result};
use crate::plugin::manifest::parse_cron;
use crate::store::ScheduleRow;

/// How often a host looks for due schedules.
const TICK: Duration = Duration::from_secs(1);

/// The first time after `after` that `cron` selects, as the store writes timestamps.
pub(super) fn next_due(cron: &str, after: OffsetDateTime) -> Option<String> {
    let cron = parse_cron(cron).ok()?;
    // Cron selects whole seconds: start from the second `after` falls in.
    let start = chrono::DateTime::from_timestamp(after.unix_timestamp(), 0)?;
    let next = cron.find_next_occurrence(&start, false).ok()?;
    let next = OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(next.timestamp()) * 1_000_000_000 + i128::from(next.timestamp_subsec_nanos()),
    )
    .ok()?;
    Some(crate::clock::format(next))
}

impl App {
    /// Fires due schedules until the process ends.
    pub async fn run_schedules(self: Arc<App>) {
        loop {
            if let Err(error) = self.fire_due_schedules(OffsetDateTime::now_utc()).await {
                tracing::warn!(%error, "cannot check plugin schedules");
            }
            tokio::time::sleep(TICK).await;
        }
    }

    /// One tick: brings every workspace's schedule rows in line with its enabled plugins'
    /// declarations and fires those that are due at `now`.
    pub(super) async fn fire_due_schedules(&self, now: OffsetDateTime) -> Result<()> {
        for workspace in self.store.list_workspaces_with_packages().await? {
            let plugins = self.workspace_plugins(&workspace).await?;
            let rows = self.store.list_schedules(&workspace).await?;
            let enabled: Vec<&str> = plugins.plugins.iter().map(|p| p.package.as_str()).collect();
            let mut fired = false;
            for plugin in &plugins.plugins {
                for declared in &plugin.manifest.schedules {
                    let existing = rows.iter().find(|r| {
                        r.package == plugin.package
                            && r.plugin == plugin.manifest.name
                            && r.schedule == declared.name
                    });
                    match existing {
                        Some(row) if row.cron == declared.cron => {
                            let due = crate::clock::parse(&row.next_due).is_none_or(|at| at <= now);
                            if due {
                                fired |= self.fire(&workspace, row, now).await?;
                            }
                        }
                        _ => {
                            let Some(next) = next_due(&declared.cron, now) else {
                                continue;
                            };
                            let row = ScheduleRow {
                                package: plugin.package.clone(),
                                plugin: plugin.manifest.name.clone(),
                                schedule: declared.name.clone(),
                                cron: declared.cron.clone(),
                                next_due: next,
                                last_fired: None,
                            };
                            let mut tx = self.store.begin().await?;
                            tx.put_schedule(&workspace, &row).await?;
                            tx.commit().await?;
                        }
                    }
                }
            }
            // Rows of enabled packages that no longer declare them (an upgrade dropped them).
            for row in rows
                .iter()
                .filter(|r| enabled.contains(&r.package.as_str()))
            {
                let declared = plugins.plugins.iter().any(|p| {
                    p.package == row.package
                        && p.manifest.name == row.plugin
                        && p.manifest.schedules.iter().any(|s| s.name == row.schedule)
                });
                if !declared {
                    let mut tx = self.store.begin().await?;
                    tx.delete_schedule(&workspace, &row.package, &row.plugin, &row.schedule)
                        .await?;
                    tx.commit().await?;
                }
            }
            if fired {
                self.plugins.wake.notify_one();
            }
        }
        Ok(())
    }

    /// Claims and fires one due schedule; `false` when another host got there first.
    async fn fire(&self, workspace: &str, row: &ScheduleRow, now: OffsetDateTime) -> Result<bool> {
        let Some(next) = next_due(&row.cron, now) else {
            return Ok(false);
        };
        let mut tx = self.store.begin().await?;
        if !tx.advance_schedule(workspace, row, &next).await? {
            return Ok(false);
        }
        self.enqueue_firing(
            &mut tx,
            workspace,
            &row.package,
            &row.plugin,
            &row.schedule,
            &row.next_due,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A package's schedules: cron, when each is next due and when it last fired.
    pub async fn package_schedules(&self, workspace: &str, package: &str) -> Result<Vec<Value>> {
        let manifest = self.package_manifest(workspace, package).await?;
        let rows = self.store.list_schedules(workspace).await?;
        Ok(manifest
            .plugins
            .iter()
            .flat_map(|plugin| {
                plugin.schedules.iter().map(|schedule| {
                    let row = rows.iter().find(|r| {
                        r.package == package
                            && r.plugin == plugin.name
                            && r.schedule == schedule.name
                    });
                    json!({
                        "plugin": plugin.name,
                        "name": schedule.name,
                        "cron": schedule.cron,
                        "next_due": row.map(|r| r.next_due.clone()),
                        "last_fired": row.and_then(|r| r.last_fired.clone()),
                    })
                })
            })
            .collect())
    }

    /// The manifest of an installed package.
    pub(super) async fn package_manifest(
        &self,
        workspace: &str,
        package: &str,
    ) -> Result<crate::plugin::Manifest> {
        let stored = self
            .store
            .list_packages(workspace)
            .await?
            .into_iter()
            .find(|p| p.name == package)
            .ok_or_else(|| Error::not_found(format!("package '{package}'")))?;
        serde_json::from_str(&stored.manifest)
            .map_err(|e| Error::Internal(format!("stored manifest of {package}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::next_due;

    #[test]
    fn next_due_follows_the_cron_expression_in_utc() {
        let at = datetime!(2026-11-23 10:07:30 UTC);
        assert_eq!(
            next_due("*/5 * * * *", at).as_deref(),
            Some("2026-11-23T10:10:00.000000Z")
        );
        assert_eq!(
            next_due("0 9 * * MON", at).as_deref(),
            Some("2026-11-30T09:00:00.000000Z")
        );
        assert_eq!(
            next_due("*/10 * * * * *", at).as_deref(),
            Some("2026-11-23T10:07:40.000000Z")
        );
        // whole seconds, and strictly after: a time that matches is not its own next firing
        assert_eq!(
            next_due("* * * * * *", datetime!(2026-11-23 10:07:30.75 UTC)).as_deref(),
            Some("2026-11-23T10:07:31.000000Z")
        );
        assert_eq!(
            next_due("*/5 * * * *", datetime!(2026-11-23 10:10:00 UTC)).as_deref(),
            Some("2026-11-23T10:15:00.000000Z")
        );
        assert_eq!(next_due("not cron", at), None);
    }
}
