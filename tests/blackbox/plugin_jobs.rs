//! After-change hooks, schedules, reports and plugin settings against the real host, with the
//! `recorder` test plugin: it journals every delivery as a `journal_entry` record and fails on
//! purpose when its configuration says so.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use xrm_tests::{Backend, Method, TestServer, both_backends, tar_of};

use crate::fixtures::join_all;

/// Retries come fast in these tests; three attempts, then the dead-letter list.
const FAST_RETRIES: [&str; 4] = ["--job-retry-base-ms", "50", "--job-max-attempts", "3"];

async fn with_recorder(server: &TestServer) {
    server
        .create_type(&json!({
            "type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {"name": {"type": "string"}},
            "x-xrm": {"name": "watched", "display_name": "Watched", "title_field": "name"}
        }))
        .await
        .expect_status(201);
    with_recorder_types(server).await;
    server.install_package("recorder").await.expect_status(201);
}

/// The recorder's journal type.
async fn with_recorder_types(server: &TestServer) {
    server
        .create_type(&json!({
            "type": "object", "additionalProperties": false, "required": ["event"],
            "properties": {
                "event": {"type": "string"}, "watched_id": {"type": "string"},
                "watched_version": {"type": "integer"}, "actor": {"type": "string"},
                "fired_at": {"type": "string"}
            },
            "x-xrm": {"name": "journal_entry", "display_name": "Journal entry", "title_field": "event",
                      "indexed": ["event", "watched_id"]}
        }))
        .await
        .expect_status(201);
}

async fn configure(server: &TestServer, config: Value) {
    server
        .put_json(
            "/api/v1/packages/recorder/plugins/recorder/settings",
            &json!({ "config": config }),
        )
        .await
        .expect_status(200);
}

async fn journal(server: &TestServer) -> Vec<Value> {
    server
        .list(
            "journal_entry",
            &[("$top", "1000"), ("$orderby", "created_at")],
        )
        .await
        .values()
}

/// Polls `check` until it answers `Some`, for at most `seconds`.
async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn jobs(server: &TestServer, status: &str) -> Vec<Value> {
    let response = server
        .get(&format!("/api/v1/plugin-jobs?status={status}"))
        .await;
    response.expect_status(200);
    response.values()
}

both_backends! {
    async fn after_change_hooks_are_delivered_after_commit(server: &TestServer) {
        with_recorder(server).await;
        let created = server.create("watched", &json!({"name": "pump 7"})).await;
        let id = created["id"].as_str().unwrap().to_owned();
        server
            .patch_json(&format!("/api/v1/records/watched/{id}"), &json!({"name": "pump 7b"}))
            .await
            .expect_status(200);
        server.delete(&format!("/api/v1/records/watched/{id}")).await.expect_status(204);

        let me = server.get("/api/v1/auth/session").await.body["user"]["id"].as_str().unwrap().to_owned();
        let entries = eventually(20, "three journal entries", || async {
            let entries = journal(server).await;
            (entries.len() >= 3).then_some(entries)
        })
        .await;
        let mut seen: Vec<(String, i64)> = entries
            .iter()
            .map(|e| {
                assert_eq!(e["watched_id"], id.as_str());
                assert_eq!(e["actor"], me.as_str(), "the event names who made the change");
                assert_eq!(e["created_by"], "plugin:recorder/recorder");
                (e["event"].as_str().unwrap().to_owned(), e["watched_version"].as_i64().unwrap())
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ("after-create".to_owned(), 1),
                ("after-delete".to_owned(), 2),
                ("after-update".to_owned(), 2)
            ]
        );
        // Delivered means gone from the outbox; nothing is delivered twice.
        eventually(10, "an empty outbox", || async {
            jobs(server, "pending").await.is_empty().then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(journal(server).await.len(), 3);

        // A refused write raises no event: only committed changes are delivered.
        server
            .post_json("/api/v1/records/watched", &json!({"name": 7}))
            .await
            .expect_problem(422, "validation_failed");

        let stats = server.get("/api/v1/packages/recorder/stats").await;
        stats.expect_status(200);
        let lines = stats.values();
        for hook in ["after-create", "after-update", "after-delete"] {
            let line = lines.iter().find(|l| l["hook"] == hook).unwrap_or_else(|| panic!("{hook} in {lines:?}"));
            assert_eq!(line["invocations"], 1, "{line}");
            assert_eq!(line["failures"], 0);
            assert!(line["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
        }
        let metrics = server.get("/metrics").await;
        assert!(metrics.text.contains("xrm_plugin_invocations_total{"), "plugin counters in /metrics");
        assert!(metrics.text.contains("hook=\"after-create\""));
    }
}

both_backends! {
    async fn failing_deliveries_are_retried_then_dead_lettered(server: &TestServer) args [
        FAST_RETRIES[0], FAST_RETRIES[1], FAST_RETRIES[2], FAST_RETRIES[3]
    ] {
        with_recorder(server).await;
        // The plugin writes its journal entry, then fails: the entry must roll back each time.
        configure(server, json!({"fail": "after-write"})).await;
        let record = server.create("watched", &json!({"name": "valve 3"})).await;
        let dead = eventually(30, "a dead delivery", || async {
            jobs(server, "dead").await.into_iter().next()
        })
        .await;
        assert_eq!(dead["hook"], "after-create");
        assert_eq!(dead["attempts"], 3);
        assert_eq!(dead["event"]["id"], record["id"]);
        assert_eq!(dead["event"]["record"]["name"], "valve 3");
        assert!(
            dead["last_error"].as_str().unwrap().contains("configured to fail after writing"),
            "{dead}"
        );
        assert!(journal(server).await.is_empty(), "a failed delivery's writes roll back");
        let failures = eventually(10, "three filed failures", || async {
            let failures = server.get("/api/v1/packages/recorder/failures").await.values();
            (failures.len() >= 3).then_some(failures)
        })
        .await;
        assert_eq!(failures[0]["kind"], "error");
        assert_eq!(failures[0]["entity_type"], "watched");
        assert_eq!(failures[0]["record_id"], record["id"]);

        // The admin fixes the cause and retries the dead letter: it is delivered once.
        configure(server, json!({"fail": "never"})).await;
        let id = dead["id"].as_str().unwrap();
        let retried = server
            .post_json(&format!("/api/v1/plugin-jobs/{id}/retry"), &json!({}))
            .await;
        retried.expect_status(200);
        assert_eq!(retried.body["status"], "pending");
        assert_eq!(retried.body["attempts"], 0);
        let entries = eventually(20, "the retried delivery", || async {
            let entries = journal(server).await;
            (!entries.is_empty()).then_some(entries)
        })
        .await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["event"], "after-create");
        server.get(&format!("/api/v1/plugin-jobs/{id}")).await.expect_problem(404, "not_found");

        // A trapping plugin is retried the same way; an admin may discard the dead letter.
        configure(server, json!({"fail": "trap"})).await;
        server.create("watched", &json!({"name": "valve 4"})).await;
        let dead = eventually(30, "a dead trapping delivery", || async {
            jobs(server, "dead").await.into_iter().next()
        })
        .await;
        assert!(dead["last_error"].as_str().unwrap().contains("configured to trap"), "{dead}");
        let id = dead["id"].as_str().unwrap();
        let again = server
            .post_json(&format!("/api/v1/plugin-jobs/{id}/retry"), &json!({}))
            .await;
        again.expect_status(200);
        let dead = eventually(30, "dead again", || async {
            jobs(server, "dead").await.into_iter().next()
        })
        .await;
        server.delete(&format!("/api/v1/plugin-jobs/{}", dead["id"].as_str().unwrap())).await.expect_status(204);
        assert!(jobs(server, "dead").await.is_empty());
        server.delete("/api/v1/plugin-jobs/01a20862-0000-7000-8000-000000000000").await.expect_problem(404, "not_found");
        server.get("/api/v1/plugin-jobs?status=stuck").await.expect_problem(400, "invalid_query");
        assert_eq!(journal(server).await.len(), 1, "nothing partial from the trapping attempts");
    }
}

both_backends! {
    async fn schedules_fire_once_per_due_time_and_can_run_now(server: &TestServer) {
        with_recorder(server).await;
        configure(server, json!({"journal_ticks": true})).await;
        let ticks = eventually(20, "three schedule firings", || async {
            let ticks: Vec<Value> = journal(server)
                .await
                .into_iter()
                .filter(|e| e["event"] == "schedule tick")
                .collect();
            (ticks.len() >= 3).then_some(ticks)
        })
        .await;
        let mut fired: Vec<String> = ticks.iter().map(|t| t["fired_at"].as_str().unwrap().to_owned()).collect();
        assert!(fired.iter().all(|at| at.ends_with(".000000Z")), "whole seconds: {fired:?}");
        let count = fired.len();
        fired.dedup();
        assert_eq!(fired.len(), count, "no firing twice");

        let schedules = server.get("/api/v1/packages/recorder/schedules").await;
        schedules.expect_status(200);
        let tick = &schedules.values()[0];
        assert_eq!(tick["name"], "tick");
        assert_eq!(tick["cron"], "* * * * * *");
        assert!(tick["last_fired"].is_string() && tick["next_due"].is_string(), "{tick}");

        let run = server
            .post_json("/api/v1/packages/recorder/plugins/recorder/schedules/tick/run", &json!({}))
            .await;
        run.expect_status(202);
        assert_eq!(run.body["hook"], "schedule");
        assert_eq!(run.body["event"]["name"], "tick");
        server
            .post_json("/api/v1/packages/recorder/plugins/recorder/schedules/nope/run", &json!({}))
            .await
            .expect_problem(404, "not_found");

        // A disabled package's schedules stop.
        server
            .post_json("/api/v1/packages/recorder/disable", &json!({}))
            .await
            .expect_status(200);
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let before = journal(server).await.len();
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(journal(server).await.len(), before, "no firings while disabled");
    }
}

/// Several hosts on one PostgreSQL database share the outbox and the schedules: every change
/// is delivered exactly once and every schedule firing happens once, whichever host claims it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_deliver_each_event_and_firing_once() {
    let Some(first) = TestServer::start_or_skip(Backend::Postgres, &[]).await else {
        return;
    };
    with_recorder(&first).await;
    configure(&first, json!({"journal_ticks": true})).await;
    let second = first.peer().await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let host = if i % 2 == 0 { &first } else { &second };
        let record = host
            .create("watched", &json!({"name": format!("meter {i}")}))
            .await;
        ids.push(record["id"].as_str().unwrap().to_owned());
    }
    eventually(
        30,
        "30 after-create entries and three schedule firings",
        || async {
            let entries = journal(&first).await;
            let count = |event: &str| entries.iter().filter(|e| e["event"] == event).count();
            (count("after-create") >= 30 && count("schedule tick") >= 3).then_some(())
        },
    )
    .await;
    // Give a double delivery, if there were one, time to show.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let entries = journal(&first).await;
    for id in &ids {
        let deliveries = entries
            .iter()
            .filter(|e| e["event"] == "after-create" && e["watched_id"] == id.as_str())
            .count();
        assert_eq!(deliveries, 1, "record {id} delivered {deliveries} times");
    }
    let mut fired: Vec<&str> = entries
        .iter()
        .filter(|e| e["event"] == "schedule tick")
        .map(|e| e["fired_at"].as_str().unwrap())
        .collect();
    assert!(fired.len() >= 3, "the schedule fired: {fired:?}");
    let count = fired.len();
    fired.sort_unstable();
    fired.dedup();
    assert_eq!(fired.len(), count, "a firing happened on both hosts");
    assert!(jobs(&second, "dead").await.is_empty());
}

both_backends! {
    async fn reports_run_with_typed_checked_parameters(server: &TestServer) {
        with_recorder(server).await;
        server.create("watched", &json!({"name": "a"})).await;
        server.create("watched", &json!({"name": "b"})).await;
        eventually(20, "two journal entries", || async {
            (journal(server).await.len() >= 2).then_some(())
        })
        .await;
        let listed = server.get("/api/v1/reports").await;
        listed.expect_status(200);
        let summary = listed
            .values()
            .into_iter()
            .find(|r| r["name"] == "journal-summary")
            .expect("the recorder's report is listed");
        assert_eq!(summary["display_name"], "Journal by event");
        assert_eq!(summary["package"], "recorder");
        assert_eq!(summary["parameters"]["properties"]["min_count"]["type"], "integer");

        let report = server.get("/api/v1/reports/journal-summary?min_count=2").await;
        report.expect_status(200);
        assert_eq!(report.body["parameters"], json!({"min_count": 2}));
        assert_eq!(report.body["columns"][1], json!({"name": "count", "label": "Entries", "kind": "integer"}));
        assert_eq!(report.body["rows"], json!([["after-create", 2]]));
        assert_eq!(report.body["chart"], json!({"kind": "bar", "x": "event", "y": ["count"]}));
        let none = server.get("/api/v1/reports/journal-summary?min_count=3").await;
        assert_eq!(none.body["rows"], json!([]));

        let bad = server.get("/api/v1/reports/journal-summary?min_count=many&colour=red").await;
        bad.expect_problem(422, "invalid_report_parameters");
        let mut paths = bad.error_paths();
        paths.sort();
        assert_eq!(paths, vec!["".to_owned(), "/min_count".to_owned()]);
        server.get("/api/v1/reports/nope").await.expect_problem(404, "not_found");

        // A disabled package's reports are gone.
        server.post_json("/api/v1/packages/recorder/disable", &json!({})).await.expect_status(200);
        server.get("/api/v1/reports/journal-summary").await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn plugin_settings_are_checked_and_shown(server: &TestServer) {
        with_recorder(server).await;
        let bad = server
            .put_json(
                "/api/v1/packages/recorder/plugins/recorder/settings",
                &json!({"config": {"fail": "sometimes", "colour": 1}, "limits": {"memory_mb": 100000, "host_calls": 0}}),
            )
            .await;
        bad.expect_problem(422, "invalid_settings");
        let mut paths = bad.error_paths();
        paths.sort();
        assert_eq!(paths, vec!["/config", "/config/fail", "/limits/host_calls", "/limits/memory_mb"]);
        server
            .put_json("/api/v1/packages/recorder/plugins/recorder/settings", &json!({"colour": 1}))
            .await
            .expect_problem(422, "invalid_settings");
        server
            .put_json("/api/v1/packages/recorder/plugins/nope/settings", &json!({}))
            .await
            .expect_problem(404, "not_found");
        server
            .put_json("/api/v1/packages/nope/plugins/recorder/settings", &json!({}))
            .await
            .expect_problem(404, "not_found");

        let good = server
            .put_json(
                "/api/v1/packages/recorder/plugins/recorder/settings",
                &json!({"config": {"journal_ticks": false}, "limits": {"host_calls": 20}}),
            )
            .await;
        good.expect_status(200);
        let plugin = &good.body["plugins"][0];
        assert_eq!(plugin["settings"]["config"], json!({"journal_ticks": false}));
        assert_eq!(plugin["settings"]["limits"]["host_calls"], 20);
        assert_eq!(plugin["effective_limits"]["host_calls"], 20);
        assert_eq!(plugin["effective_limits"]["async_deadline_ms"], 2000, "the manifest's request stays");
        // Settings survive an upgrade-free restart and are what the package shows.
        server.restart().await;
        let shown = server.get("/api/v1/packages/recorder").await;
        assert_eq!(shown.body["plugins"][0]["settings"]["config"], json!({"journal_ticks": false}));
    }
}

both_backends! {
    async fn a_second_package_cannot_take_a_report_name(server: &TestServer) {
        with_recorder(server).await;
        let manifest = std::fs::read_to_string(
            xrm_tests::packages_dir().with_file_name("test-packages").join("recorder/xrm-package.json"),
        )
        .unwrap()
        .replace("\"name\": \"recorder\",\n  \"version\"", "\"name\": \"recorder-copy\",\n  \"version\"");
        assert!(manifest.contains("recorder-copy"));
        let component = std::fs::read(
            xrm_tests::packages_dir().with_file_name("test-packages").join("recorder/recorder_plugin.wasm"),
        )
        .unwrap();
        let tar = tar_of(&[("xrm-package.json", manifest.as_bytes()), ("recorder_plugin.wasm", &component)]);
        let response = server
            .send(Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(tar))
            .await;
        response.expect_problem(409, "name_taken");
        assert_eq!(response.error_paths(), vec!["/plugins/0/reports/0/name"]);
        server.get("/api/v1/packages/recorder-copy").await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn each_create_is_delivered_once_and_a_refused_one_never(server: &TestServer) {
        // `watched` gets a lookup to itself, so a create can fail a guard of SQLite's group
        // commit (the target is missing) after its deliveries were chained to the insert.
        server
            .create_type(&json!({
                "type": "object", "additionalProperties": false, "required": ["name"],
                "properties": {"name": {"type": "string"}, "parent": {"type": "string"}},
                "x-xrm": {"name": "watched", "display_name": "Watched", "title_field": "name",
                          "lookups": {"parent": {"target": "watched", "on_delete": "set_null"}}}
            }))
            .await
            .expect_status(201);
        with_recorder_types(server).await;
        server.install_package("recorder").await.expect_status(201);

        let missing = "0194f3d2-7c1e-7a3b-9c2d-4e5f6a7b8c9d";
        let refused = server
            .post_json("/api/v1/records/watched", &json!({"name": "orphan", "parent": missing}))
            .await;
        refused.expect_status(422);
        assert!(refused.text.contains("/parent"), "names the lookup: {}", refused.text);

        // A burst of creates shares group commits; each is delivered exactly once.
        let creates = (0..24).map(|i| async move {
            let body = json!({"name": format!("pump {i}")});
            server.post_json("/api/v1/records/watched", &body).await
        });
        let mut ids = Vec::new();
        for response in join_all(creates).await {
            response.expect_status(201);
            ids.push(response.body["id"].as_str().unwrap().to_owned());
        }
        let entries = eventually(30, "24 journal entries", || async {
            let entries = journal(server).await;
            (entries.len() >= 24).then_some(entries)
        })
        .await;
        eventually(10, "an empty outbox", || async {
            jobs(server, "pending").await.is_empty().then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(journal(server).await.len(), entries.len(), "nothing delivered twice");
        let mut delivered: Vec<String> = entries
            .iter()
            .map(|e| {
                assert_eq!(e["event"], "after-create");
                e["watched_id"].as_str().unwrap().to_owned()
            })
            .collect();
        delivered.sort();
        ids.sort();
        assert_eq!(delivered, ids, "one delivery per created record, none for the refused one");
        assert_eq!(server.count("watched").await, 24);
    }
}
