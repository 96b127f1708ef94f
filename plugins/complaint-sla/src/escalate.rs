//! Escalation: a complaint is handed to a supervisor once, with its priority raised one step,
//! either by a person (action `escalate`) or because its service level passed (schedule
//! `escalate-overdue`). Both take the same path, so they follow the same rules.

use xrm_sdk::prelude::*;

use crate::sla::due_at;
use crate::time::Instant;
use crate::{COMPLAINT, OPEN_STATUSES, is_finished, str_field};

/// The most complaints one run of the sweep escalates. Each costs two host calls (update and
/// log) on top of the query, so the manifest asks for `host_calls` of at least 2 × this + 1;
/// a test keeps the two in step. The rest wait for the next run.
pub const SWEEP_BATCH: u32 = 100;

/// The priorities from lowest to highest: escalation moves one step to the right.
const PRIORITY_LADDER: [&str; 4] = ["low", "medium", "high", "critical"];

/// The priority one step up; `critical` stays, an unknown priority is kept for the schema.
fn raised(priority: &str) -> &str {
    match PRIORITY_LADDER.iter().position(|p| *p == priority) {
        Some(step) => PRIORITY_LADDER[(step + 1).min(PRIORITY_LADDER.len() - 1)],
        None => priority,
    }
}

/// Why `complaint` cannot be escalated, or `None` when it can.
fn refusal_reason(complaint: &Value) -> Option<String> {
    let case = case_name(complaint);
    if complaint.get("escalated").and_then(Value::as_bool) == Some(true) {
        return Some(format!("complaint {case} is already escalated"));
    }
    if is_finished(complaint) {
        let status = str_field(complaint, "status").unwrap_or_default();
        return Some(format!(
            "complaint {case} is {status}; only an open complaint is escalated"
        ));
    }
    None
}

/// The case number for messages, or the id when a record has none.
fn case_name(complaint: &Value) -> &str {
    str_field(complaint, "case_number")
        .or(str_field(complaint, "id"))
        .unwrap_or("?")
}

/// A reason on one line, so a log entry cannot pose as several.
fn one_line(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Marks `complaint` escalated and raises its priority, with the service level of the new
/// priority (the same value the before-update hook would compute), then logs a warning naming
/// who escalated it and why. Returns the record as stored.
fn escalate(complaint: &Value, config: &Value, by: &str, reason: &str) -> Result<Value, HostError> {
    let id = str_field(complaint, "id").unwrap_or_default();
    let from = str_field(complaint, "priority").unwrap_or_default();
    let to = raised(from);
    let mut patch = json!({"escalated": true, "priority": to});
    if let Some(due) =
        str_field(complaint, "opened_at").and_then(|opened| due_at(config, opened, to))
    {
        patch["sla_due_at"] = Value::from(due);
    }
    let stored = host::update_record(COMPLAINT, id, &patch)?;
    host::log(
        host::Level::Warn,
        &format!(
            "complaint {} escalated ({from} → {to}) by {by}: {}",
            case_name(complaint),
            one_line(reason)
        ),
    );
    Ok(stored)
}

/// Action `escalate`: input `{"reason": "…"}`; answers `{"id", "priority"}` of the stored record.
pub fn action(request: &ActionRequest) -> Result<Value, Refusal> {
    let reason = request
        .input
        .get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .ok_or_else(|| {
            Refusal::field("/reason", "minLength", "say why the complaint is escalated")
        })?;
    let complaint = host::get_record(COMPLAINT, &request.id)
        .map_err(|e| Refusal::Conflict(format!("could not read complaint {}: {e}", request.id)))?
        .ok_or_else(|| Refusal::Conflict(format!("complaint {} does not exist", request.id)))?;
    if let Some(reason) = refusal_reason(&complaint) {
        return Err(Refusal::Conflict(reason));
    }
    let stored = escalate(&complaint, &host::config(), &request.actor, reason).map_err(|e| {
        Refusal::Conflict(format!(
            "could not escalate complaint {}: {e}",
            case_name(&complaint)
        ))
    })?;
    Ok(json!({"id": stored["id"], "priority": stored["priority"]}))
}

/// The `$filter` of open, unescalated complaints due before `now`. `escalated ne true` also
/// matches complaints that never had the field set, which `eq false` would miss.
fn overdue_filter(now: &str) -> String {
    let open: Vec<String> = OPEN_STATUSES
        .iter()
        .map(|status| format!("'{status}'"))
        .collect();
    format!(
        "escalated ne true and sla_due_at lt '{now}' and status in ({})",
        open.join(", ")
    )
}

/// Schedule `escalate-overdue`: escalates up to [`SWEEP_BATCH`] overdue complaints, most
/// overdue first. A complaint whose update fails is logged and left for the next run; only a
/// failed query fails the run.
pub fn sweep() -> Result<(), String> {
    let now = host::now();
    let Some(now_instant) = Instant::parse(&now) else {
        return Err(format!("the host's time {now:?} is not a timestamp"));
    };
    let query = Query::filter(overdue_filter(&now))
        .order_by("sla_due_at asc")
        .top(SWEEP_BATCH);
    let overdue = host::query_records(COMPLAINT, &query)
        .map_err(|e| format!("could not query overdue complaints: {e}"))?;
    let config = host::config();
    for complaint in &overdue {
        // The query says the same; checking again keeps the rule in one place and the sweep
        // safe if the filter and the rule ever drift apart.
        let due = str_field(complaint, "sla_due_at").unwrap_or_default();
        let overdue = Instant::parse(due).is_some_and(|due| due < now_instant);
        if !overdue || refusal_reason(complaint).is_some() {
            continue;
        }
        let reason = format!("the service level passed at {due}");
        if let Err(error) = escalate(complaint, &config, "schedule escalate-overdue", &reason) {
            host::log(
                host::Level::Error,
                &format!(
                    "could not escalate overdue complaint {}: {error}",
                    case_name(complaint)
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use xrm_sdk::host::Level;
    use xrm_sdk::testing::{TestHandle, TestHost};

    use super::*;

    const NOW: &str = "2026-11-23T10:00:00.000000Z";
    const ID: &str = "0194f7a2-0000-7000-8000-00000000c0de";

    fn complaint(id: &str, fields: Value) -> Value {
        let mut record = json!({
            "id": id,
            "version": 3,
            "case_number": format!("CASE-{}", &id[id.len() - 6..]),
            "subject": "Invoice charged twice",
            "customer_id": "0194f7a2-0000-7000-8000-0000000000c1",
            "priority": "medium",
            "status": "open",
            "opened_at": "2026-11-22T08:30:00.000000Z",
            "sla_due_at": "2026-11-23T08:30:00.000000Z",
        });
        for (key, value) in fields.as_object().expect("an object of fields") {
            record[key] = value.clone();
        }
        record
    }

    fn host_with(records: Vec<Value>) -> TestHandle {
        records
            .into_iter()
            .fold(TestHost::new().with_now(NOW), |host, record| {
                host.with_record(COMPLAINT, record)
            })
            .install()
    }

    fn request(input: Value) -> ActionRequest {
        ActionRequest {
            entity_type: COMPLAINT.into(),
            id: ID.into(),
            name: "escalate".into(),
            input,
            actor: "jonas.berg".into(),
        }
    }

    #[test]
    fn the_ladder_ends_at_critical() {
        assert_eq!(raised("low"), "medium");
        assert_eq!(raised("medium"), "high");
        assert_eq!(raised("high"), "critical");
        assert_eq!(raised("critical"), "critical");
        assert_eq!(raised("urgent"), "urgent");
    }

    #[test]
    fn the_action_escalates_raises_and_logs() {
        let test = host_with(vec![complaint(ID, json!({}))]);
        let output = action(&request(json!({"reason": "Customer called\nthree times"}))).unwrap();
        assert_eq!(output, json!({"id": ID, "priority": "high"}));
        let stored = test.record(COMPLAINT, ID).unwrap();
        assert_eq!(stored["escalated"], true);
        assert_eq!(stored["priority"], "high");
        assert_eq!(
            stored["sla_due_at"], "2026-11-22T16:30:00.000000Z",
            "8 hours from opening"
        );
        assert_eq!(stored["version"], 4);
        assert_eq!(
            test.logs(),
            [(Level::Warn, "complaint CASE-00c0de escalated (medium → high) by jonas.berg: Customer called three times".to_owned())]
        );
    }

    #[test]
    fn a_critical_complaint_is_marked_but_stays_critical() {
        let test = host_with(vec![complaint(
            ID,
            json!({"priority": "critical", "escalated": false}),
        )]);
        let output = action(&request(json!({"reason": "VIP"}))).unwrap();
        assert_eq!(output["priority"], "critical");
        assert_eq!(test.record(COMPLAINT, ID).unwrap()["escalated"], true);
    }

    #[test]
    fn the_action_refuses_escalated_and_finished_complaints() {
        let cases = [
            (json!({"escalated": true}), "already escalated"),
            (json!({"status": "resolved"}), "is resolved"),
            (json!({"status": "closed"}), "is closed"),
        ];
        for (fields, expected) in cases {
            let test = host_with(vec![complaint(ID, fields.clone())]);
            match action(&request(json!({"reason": "late"}))) {
                Err(Refusal::Conflict(message)) => assert!(message.contains(expected), "{message}"),
                other => panic!("{fields}: {other:?}"),
            }
            assert_eq!(
                test.record(COMPLAINT, ID).unwrap()["version"],
                3,
                "no write"
            );
            assert!(test.logs().is_empty());
        }
    }

    #[test]
    fn the_action_needs_a_reason_and_a_complaint() {
        let _test = host_with(vec![complaint(ID, json!({}))]);
        for input in [json!({}), json!({"reason": "  "}), json!({"reason": 7})] {
            assert!(
                matches!(action(&request(input)), Err(Refusal::Invalid(e)) if e[0].path == "/reason")
            );
        }
        let _test = host_with(vec![]);
        assert!(
            matches!(action(&request(json!({"reason": "x"}))), Err(Refusal::Conflict(m)) if m.contains("does not exist"))
        );
        let _test = TestHost::new().deny(COMPLAINT).install();
        assert!(
            matches!(action(&request(json!({"reason": "x"}))), Err(Refusal::Conflict(m)) if m.contains("denied"))
        );
    }

    #[test]
    fn the_sweep_asks_for_open_overdue_unescalated_complaints() {
        let _test = TestHost::new()
            .with_now(NOW)
            .on_query(|entity_type, query, _| {
                assert_eq!(entity_type, COMPLAINT);
                assert_eq!(
                    query.filter.as_deref(),
                    Some(
                        "escalated ne true and sla_due_at lt '2026-11-23T10:00:00.000000Z' and \
                         status in ('new', 'open', 'in_progress', 'waiting_on_customer')"
                    )
                );
                assert_eq!(query.order_by.as_deref(), Some("sla_due_at asc"));
                assert_eq!(query.top, Some(SWEEP_BATCH));
                Ok(Vec::new())
            })
            .install();
        sweep().unwrap();
    }

    #[test]
    fn the_sweep_escalates_each_overdue_complaint() {
        let ids = [
            "0194f7a2-0000-7000-8000-000000000001",
            "0194f7a2-0000-7000-8000-000000000002",
            "0194f7a2-0000-7000-8000-000000000003",
        ];
        let test = host_with(vec![
            complaint(ids[0], json!({"priority": "low"})),
            complaint(
                ids[1],
                json!({"priority": "high", "status": "waiting_on_customer"}),
            ),
            // 10:30+01:00 is 09:30Z: due before now as an instant, though not as text.
            complaint(
                ids[2],
                json!({"status": "new", "sla_due_at": "2026-11-23T10:30:00+01:00"}),
            ),
        ]);
        sweep().unwrap();
        let escalated: Vec<(Value, Value)> = ids
            .iter()
            .map(|id| test.record(COMPLAINT, id).unwrap())
            .map(|stored| (stored["escalated"].clone(), stored["priority"].clone()))
            .collect();
        assert_eq!(
            escalated,
            [
                (json!(true), json!("medium")),
                (json!(true), json!("critical")),
                (json!(true), json!("high")),
            ]
        );
        let logs = test.logs();
        assert_eq!(logs.len(), 3);
        assert!(logs.iter().all(|(level, _)| *level == Level::Warn));
        assert!(
            logs[0].1.contains(
                "CASE-000001 escalated (low → medium) by schedule escalate-overdue: \
                 the service level passed at 2026-11-23T08:30:00.000000Z"
            ),
            "{}",
            logs[0].1
        );
    }

    #[test]
    fn the_sweep_skips_what_the_rule_excludes() {
        // The test host does not filter, so everything stored comes back from the query.
        let ids = [
            "0194f7a2-0000-7000-8000-000000000001",
            "0194f7a2-0000-7000-8000-000000000002",
            "0194f7a2-0000-7000-8000-000000000003",
            "0194f7a2-0000-7000-8000-000000000004",
        ];
        let test = host_with(vec![
            complaint(ids[0], json!({"escalated": true})),
            complaint(ids[1], json!({"status": "resolved"})),
            complaint(ids[2], json!({"sla_due_at": NOW})),
            complaint(ids[3], json!({"sla_due_at": null})),
        ]);
        sweep().unwrap();
        for id in ids {
            assert_eq!(test.record(COMPLAINT, id).unwrap()["version"], 3, "{id}");
        }
        assert!(test.logs().is_empty());
    }

    #[test]
    fn a_failed_update_is_logged_and_skipped() {
        let present = "0194f7a2-0000-7000-8000-000000000002";
        // The query answers with a complaint that is gone by the time it is updated.
        let test = TestHost::new()
            .with_now(NOW)
            .with_record(COMPLAINT, complaint(present, json!({})))
            .on_query(move |_, _, stored| {
                let mut found = vec![complaint("0194f7a2-0000-7000-8000-000000000001", json!({}))];
                found.extend(stored.iter().cloned());
                Ok(found)
            })
            .install();
        sweep().unwrap();
        let logs = test.logs();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].0, Level::Error);
        assert!(
            logs[0].1.contains("CASE-000001") && logs[0].1.contains("not found"),
            "{}",
            logs[0].1
        );
        assert_eq!(logs[1].0, Level::Warn);
        assert_eq!(test.record(COMPLAINT, present).unwrap()["escalated"], true);
    }

    #[test]
    fn a_failed_query_fails_the_run() {
        let _test = TestHost::new().deny(COMPLAINT).install();
        assert!(sweep().unwrap_err().contains("could not query"));
    }

    #[test]
    fn the_ladder_is_the_schema_s_priorities() {
        let schema: Value =
            serde_json::from_str(include_str!("../../../entity-schemas/complaint.json")).unwrap();
        assert_eq!(
            schema["properties"]["priority"]["enum"],
            json!(PRIORITY_LADDER)
        );
    }
}
