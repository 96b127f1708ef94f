//! Records what the host delivers: every after-change event on `watched` and, when configured,
//! every firing of the `tick` schedule becomes a `journal_entry` record. Its configuration
//! makes it fail on purpose (`fail`: `always`, `after-write` — write, then fail — or `trap`),
//! so the tests can watch retries, dead letters and rollbacks. The `journal-summary` report
//! counts the journal by event.

use std::collections::BTreeMap;

use xrm_sdk::prelude::*;

struct Recorder;

const JOURNAL: &str = "journal_entry";

fn fail_mode() -> String {
    host::config()["fail"]
        .as_str()
        .unwrap_or("never")
        .to_owned()
}

/// Writes one journal entry, then fails as configured.
fn journal(entry: Value) -> Result<(), String> {
    let mode = fail_mode();
    match mode.as_str() {
        "always" => return Err("configured to fail".into()),
        "trap" => panic!("configured to trap"),
        _ => {}
    }
    host::create_record(JOURNAL, &entry).map_err(|e| e.to_string())?;
    if mode == "after-write" {
        return Err("configured to fail after writing".into());
    }
    Ok(())
}

impl Plugin for Recorder {
    fn after_change(event: &RecordEvent) -> Result<(), String> {
        let operation = match event.operation {
            Operation::Create => "after-create",
            Operation::Update => "after-update",
            Operation::Delete => "after-delete",
        };
        let version = event
            .record
            .as_ref()
            .or(event.previous.as_ref())
            .and_then(|r| r.get("version"))
            .cloned()
            .unwrap_or(Value::Null);
        journal(json!({
            "event": operation,
            "watched_id": event.id,
            "watched_version": version,
            "actor": event.actor,
        }))
    }

    fn schedule(event: &ScheduleEvent) -> Result<(), String> {
        if host::config()["journal_ticks"] != json!(true) {
            return Ok(());
        }
        journal(json!({ "event": format!("schedule {}", event.name), "fired_at": event.fired_at }))
    }

    fn report(request: &ReportRequest) -> Result<Report, String> {
        let min_count: usize = request.parameters["min_count"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let entries =
            host::query_records(JOURNAL, &Query::default().top(500)).map_err(|e| e.to_string())?;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for entry in &entries {
            let event = entry["event"].as_str().unwrap_or("?").to_owned();
            *counts.entry(event).or_default() += 1;
        }
        Ok(Report {
            columns: vec![
                Column::new("event", "Event", ColumnKind::Text),
                Column::new("count", "Entries", ColumnKind::Integer),
            ],
            rows: counts
                .into_iter()
                .filter(|(_, count)| *count >= min_count)
                .map(|(event, count)| vec![json!(event), json!(count)])
                .collect(),
            chart: Some(Chart {
                kind: ChartKind::Bar,
                x: "event".into(),
                y: vec!["count".into()],
            }),
        })
    }
}

export_plugin!(Recorder);
