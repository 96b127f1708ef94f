//! Complaint service levels for xrm, as a plugin component:
//!
//! - `before-create` / `before-update`: `sla_due_at` from the priority and `opened_at`;
//! - `validate`: `resolved_at` only on a resolved or closed complaint, never before it opened;
//! - action `escalate` and schedule `escalate-overdue`: hand a complaint to a supervisor with
//!   its priority raised one step.
//!
//! Everything is deterministic given the record, the configuration and `host::now()`, so the
//! handlers are unit-tested natively against [`xrm_sdk::testing::TestHost`].

mod escalate;
mod sla;
mod time;

use xrm_sdk::prelude::*;

use crate::time::Instant;

/// The entity type this plugin's hooks, action and schedule are declared for in its manifest.
const COMPLAINT: &str = "complaint";

/// Statuses of a complaint still being worked on (of the `status` enum in complaint.json);
/// the sweep looks at these only.
const OPEN_STATUSES: [&str; 4] = ["new", "open", "in_progress", "waiting_on_customer"];

/// Statuses of a complaint that is done: no service level, no escalation, and the only ones
/// that may carry `resolved_at`.
const FINISHED_STATUSES: [&str; 2] = ["resolved", "closed"];

/// The complaint-sla plugin; the host calls it through the exports made by
/// [`export_plugin!`], one fresh instance per call, so it keeps no state.
pub struct ComplaintSla;

impl Plugin for ComplaintSla {
    fn validate(event: &RecordEvent) -> Vec<FieldError> {
        if event.entity_type != COMPLAINT || event.operation == Operation::Delete {
            return Vec::new();
        }
        event
            .record
            .as_ref()
            .map(complaint_errors)
            .unwrap_or_default()
    }

    fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
        if event.entity_type != COMPLAINT {
            return Ok(None);
        }
        sla::before_change(event)
    }

    fn action(request: &ActionRequest) -> Result<Value, Refusal> {
        match (request.entity_type.as_str(), request.name.as_str()) {
            (COMPLAINT, "escalate") => escalate::action(request),
            (entity_type, name) => Err(Refusal::Conflict(format!(
                "complaint-sla has no action {name:?} on {entity_type:?}"
            ))),
        }
    }

    fn schedule(event: &ScheduleEvent) -> Result<(), String> {
        match event.name.as_str() {
            "escalate-overdue" => escalate::sweep(),
            name => Err(format!("complaint-sla has no schedule {name:?}")),
        }
    }
}

export_plugin!(ComplaintSla);

/// A top-level string field of a record; null and other types count as absent.
fn str_field<'a>(record: &'a Value, name: &str) -> Option<&'a str> {
    record.get(name).and_then(Value::as_str)
}

/// Whether a complaint is resolved or closed, so its service level no longer runs.
fn is_finished(record: &Value) -> bool {
    str_field(record, "status").is_some_and(|status| FINISHED_STATUSES.contains(&status))
}

/// The rules of `resolved_at`. A reopened complaint (resolved → open) must clear it in the same
/// write. Malformed timestamps are the schema's to report.
fn complaint_errors(record: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(resolved_at) = str_field(record, "resolved_at") else {
        return errors;
    };
    if !is_finished(record) {
        let status = str_field(record, "status").unwrap_or("without a status");
        errors.push(FieldError::new(
            "/resolved_at",
            "resolved-requires-status",
            format!("only a resolved or closed complaint has resolved_at; this one is {status}"),
        ));
    }
    let opened_at = str_field(record, "opened_at");
    if let (Some(resolved), Some(opened)) = (
        Instant::parse(resolved_at),
        opened_at.and_then(Instant::parse),
    ) && resolved < opened
    {
        errors.push(FieldError::new(
            "/resolved_at",
            "resolved-after-opened",
            format!(
                "the complaint is resolved at {resolved_at}, before it was opened at {}",
                opened_at.unwrap_or_default()
            ),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::TestHost;

    use super::*;

    fn complaint(fields: Value) -> Value {
        let mut record = json!({
            "id": "0194f7a2-0000-7000-8000-00000000c0de",
            "case_number": "CASE-000123",
            "subject": "Invoice charged twice",
            "customer_id": "0194f7a2-0000-7000-8000-0000000000c1",
            "priority": "medium",
            "status": "resolved",
            "opened_at": "2026-11-23T08:30:00.000000Z",
            "resolved_at": "2026-11-23T09:00:00.000000Z",
        });
        for (key, value) in fields.as_object().expect("an object of fields") {
            record[key] = value.clone();
        }
        record
    }

    fn keywords(record: Value) -> Vec<String> {
        ComplaintSla::validate(&RecordEvent::create(COMPLAINT, record))
            .into_iter()
            .inspect(|error| assert_eq!(error.path, "/resolved_at"))
            .map(|error| error.keyword)
            .collect()
    }

    #[test]
    fn resolved_and_closed_complaints_may_carry_resolved_at() {
        assert!(keywords(complaint(json!({}))).is_empty());
        assert!(keywords(complaint(json!({"status": "closed"}))).is_empty());
        let same_instant = json!({"resolved_at": "2026-11-23T09:30:00+01:00"});
        assert!(keywords(complaint(same_instant)).is_empty());
        assert!(keywords(complaint(json!({"status": "open", "resolved_at": null}))).is_empty());
    }

    #[test]
    fn resolved_at_needs_a_finished_status() {
        for status in OPEN_STATUSES {
            assert_eq!(
                keywords(complaint(json!({"status": status}))),
                ["resolved-requires-status"]
            );
        }
    }

    #[test]
    fn resolved_at_cannot_precede_opened_at() {
        let early = json!({"resolved_at": "2026-11-23T08:29:59.999999Z"});
        assert_eq!(keywords(complaint(early)), ["resolved-after-opened"]);
        // Compared as instants, not as text: 09:00+01:00 is 08:00Z, before the opening.
        let offset = json!({"resolved_at": "2026-11-23T09:00:00+01:00", "status": "open"});
        assert_eq!(
            keywords(complaint(offset)),
            ["resolved-requires-status", "resolved-after-opened"]
        );
        let malformed = json!({"resolved_at": "soon"});
        assert!(keywords(complaint(malformed)).is_empty());
    }

    #[test]
    fn an_update_is_checked_and_a_delete_is_not() {
        let previous = complaint(json!({}));
        let reopened = complaint(json!({"status": "open"}));
        let errors =
            ComplaintSla::validate(&RecordEvent::update(COMPLAINT, previous, reopened.clone()));
        assert_eq!(errors.len(), 1);
        let mut event = RecordEvent::create(COMPLAINT, reopened);
        event.operation = Operation::Delete;
        assert!(ComplaintSla::validate(&event).is_empty());
        let other = RecordEvent::create("contract", complaint(json!({"status": "open"})));
        assert!(ComplaintSla::validate(&other).is_empty());
    }

    #[test]
    fn unknown_actions_and_schedules_are_refused() {
        let _host = TestHost::new().install();
        let request = ActionRequest {
            entity_type: COMPLAINT.into(),
            id: "x".into(),
            name: "close".into(),
            input: json!({}),
            actor: "test".into(),
        };
        assert!(
            matches!(ComplaintSla::action(&request), Err(Refusal::Conflict(m)) if m.contains("close"))
        );
        let event = ScheduleEvent {
            name: "nightly".into(),
            fired_at: "2026-11-23T00:00:00.000000Z".into(),
        };
        assert!(
            ComplaintSla::schedule(&event)
                .unwrap_err()
                .contains("nightly")
        );
        let event = ScheduleEvent {
            name: "escalate-overdue".into(),
            ..event
        };
        assert_eq!(ComplaintSla::schedule(&event), Ok(()));
    }

    #[test]
    fn open_and_finished_statuses_are_the_schema_s() {
        let schema: Value =
            serde_json::from_str(include_str!("../../../entity-schemas/complaint.json")).unwrap();
        let mut statuses: Vec<&str> = OPEN_STATUSES
            .iter()
            .chain(&FINISHED_STATUSES)
            .copied()
            .collect();
        statuses.sort_unstable();
        let mut expected: Vec<&str> = schema["properties"]["status"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        expected.sort_unstable();
        assert_eq!(statuses, expected);
        // Finished complaints leave only towards each other or back to open (reopening).
        let transitions = &schema["x-xrm"]["state_machine"]["transitions"];
        assert_eq!(transitions["resolved"], json!(["closed", "open"]));
        assert_eq!(transitions["closed"], json!([]));
    }

    #[test]
    fn the_manifest_matches_the_plugin() {
        let manifest: Value = serde_json::from_str(include_str!("../xrm-package.json")).unwrap();
        assert_eq!(manifest["name"], env!("CARGO_PKG_NAME"));
        assert_eq!(manifest["api"], xrm_sdk::API_VERSION);
        let plugin = &manifest["plugins"][0];
        assert_eq!(
            plugin["component"],
            format!("{}.wasm", env!("CARGO_PKG_NAME").replace('-', "_"))
        );
        let hooks: Vec<_> = plugin["hooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["hook"].as_str().unwrap(),
                    h["entity_type"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            hooks,
            [
                ("validate", COMPLAINT),
                ("before-create", COMPLAINT),
                ("before-update", COMPLAINT)
            ]
        );
        assert_eq!(plugin["actions"][0]["name"], "escalate");
        assert_eq!(plugin["actions"][0]["entity_type"], COMPLAINT);
        assert_eq!(
            plugin["schedules"],
            json!([{"name": "escalate-overdue", "cron": "*/5 * * * *"}])
        );
        assert_eq!(plugin["capabilities"]["write"], json!([COMPLAINT]));
        let defaults = &plugin["config_schema"]["properties"]["sla_hours"]["properties"];
        for (priority, hours) in sla::DEFAULT_SLA_HOURS {
            assert_eq!(defaults[priority]["default"], hours, "{priority}");
        }
        let calls = plugin["limits"]["host_calls"].as_u64().unwrap();
        assert!(
            calls > 2 * u64::from(escalate::SWEEP_BATCH),
            "the sweep needs {calls} host calls"
        );
    }
}
