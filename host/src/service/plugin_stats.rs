//! How each plugin's hooks are doing on this host: invocations, failures and a latency
//! histogram per (workspace, package, plugin, hook), for the API; the same numbers go to
//! `/metrics` through the `metrics` facade. Counts are this host's since it started; failures
//! with their messages are kept in the database for every host (see `store::jobs`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Upper bounds of the latency buckets, in microseconds; the last bucket is open.
const BUCKETS_US: [u64; 20] = [
    10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000,
    500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 60_000_000,
];

#[derive(Default, Clone)]
struct Counts {
    invocations: u64,
    failures: u64,
    buckets: [u64; BUCKETS_US.len() + 1],
}

impl Counts {
    /// The latency below which `quantile` of the invocations finished: the upper bound of the
    /// bucket holding that rank, so it errs high, never low.
    fn quantile_ms(&self, quantile: f64) -> f64 {
        if self.invocations == 0 {
            return 0.0;
        }
        let rank = ((self.invocations as f64) * quantile).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let bound = BUCKETS_US
                    .get(index)
                    .copied()
                    .unwrap_or(BUCKETS_US[BUCKETS_US.len() - 1]);
                return bound as f64 / 1000.0;
            }
        }
        BUCKETS_US[BUCKETS_US.len() - 1] as f64 / 1000.0
    }
}

/// One line of a package's statistics.
#[derive(Debug, Serialize, PartialEq)]
pub struct HookStats {
    pub plugin: String,
    pub hook: String,
    pub invocations: u64,
    pub failures: u64,
    pub latency_ms: Latency,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

type Key = (String, String, String, String);

/// The counters of every hook that ran on this host.
#[derive(Default)]
pub struct PluginStats {
    counts: Mutex<HashMap<Key, Counts>>,
}

impl PluginStats {
    /// Counts one invocation of `hook` (e.g. `validate`, `action renew`) of `package/plugin`.
    pub fn record(
        &self,
        workspace: &str,
        package: &str,
        plugin: &str,
        hook: &str,
        elapsed: Duration,
        failed: bool,
    ) {
        let micros = elapsed.as_micros() as u64;
        let bucket = BUCKETS_US
            .iter()
            .position(|bound| micros <= *bound)
            .unwrap_or(BUCKETS_US.len());
        {
            let mut counts = self.counts.lock().expect("plugin stats lock");
            let entry = counts
                .entry((
                    workspace.to_owned(),
                    package.to_owned(),
                    plugin.to_owned(),
                    hook.to_owned(),
                ))
                .or_default();
            entry.invocations += 1;
            entry.failures += u64::from(failed);
            entry.buckets[bucket] += 1;
        }
        let labels = [
            ("package", package.to_owned()),
            ("plugin", plugin.to_owned()),
            ("hook", hook.to_owned()),
        ];
        metrics::counter!("xrm_plugin_invocations_total", &labels).increment(1);
        if failed {
            metrics::counter!("xrm_plugin_failures_total", &labels).increment(1);
        }
        metrics::histogram!("xrm_plugin_invocation_duration_seconds", &labels)
            .record(elapsed.as_secs_f64());
    }

    /// A package's hooks in a workspace, by plugin and hook.
    pub fn package(&self, workspace: &str, package: &str) -> Vec<HookStats> {
        let counts = self.counts.lock().expect("plugin stats lock");
        let mut lines: Vec<HookStats> = counts
            .iter()
            .filter(|((w, p, _, _), _)| w == workspace && p == package)
            .map(|((_, _, plugin, hook), c)| HookStats {
                plugin: plugin.clone(),
                hook: hook.clone(),
                invocations: c.invocations,
                failures: c.failures,
                latency_ms: Latency {
                    p50: c.quantile_ms(0.50),
                    p95: c.quantile_ms(0.95),
                    p99: c.quantile_ms(0.99),
                },
            })
            .collect();
        lines.sort_by(|a, b| (&a.plugin, &a.hook).cmp(&(&b.plugin, &b.hook)));
        lines
    }

    /// Forgets a package's counts (uninstalled).
    pub fn forget(&self, workspace: &str, package: &str) {
        self.counts
            .lock()
            .expect("plugin stats lock")
            .retain(|(w, p, _, _), _| !(w == workspace && p == package));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_bucket_upper_bounds_and_never_low() {
        let stats = PluginStats::default();
        for _ in 0..90 {
            stats.record("w", "p", "q", "validate", Duration::from_micros(15), false);
        }
        for _ in 0..9 {
            stats.record("w", "p", "q", "validate", Duration::from_micros(900), false);
        }
        stats.record("w", "p", "q", "validate", Duration::from_millis(40), true);
        stats.record(
            "w",
            "other",
            "q",
            "validate",
            Duration::from_millis(40),
            true,
        );
        let lines = stats.package("w", "p");
        assert_eq!(
            lines,
            vec![HookStats {
                plugin: "q".into(),
                hook: "validate".into(),
                invocations: 100,
                failures: 1,
                latency_ms: Latency {
                    p50: 0.02,
                    p95: 1.0,
                    p99: 1.0
                },
            }]
        );
        stats.forget("w", "p");
        assert!(stats.package("w", "p").is_empty());
        assert_eq!(stats.package("w", "other").len(), 1);
    }

    #[test]
    fn slower_than_every_bound_lands_in_the_last_bucket() {
        let stats = PluginStats::default();
        stats.record("w", "p", "q", "schedule s", Duration::from_secs(90), false);
        assert_eq!(stats.package("w", "p")[0].latency_ms.p99, 60_000.0);
    }
}
