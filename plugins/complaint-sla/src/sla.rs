//! Service levels: a complaint must be resolved within a number of hours set by its priority,
//! counted from when it was opened. `sla_due_at` is set on create and follows later priority
//! changes while the complaint is still open.

use xrm_sdk::prelude::*;

use crate::time::Instant;
use crate::{is_finished, str_field};

/// Hours to resolve a complaint per priority when the configuration sets none; also the
/// defaults of the manifest's `config_schema`.
pub const DEFAULT_SLA_HOURS: [(&str, i64); 4] =
    [("low", 72), ("medium", 24), ("high", 8), ("critical", 4)];

/// The most hours the config schema accepts for one priority (a year).
const MAX_SLA_HOURS: i64 = 8_760;

/// The service level of `priority` under `config` (the plugin's configuration), or `None` for
/// a priority the schema does not know.
pub fn sla_hours(config: &Value, priority: &str) -> Option<i64> {
    let default = DEFAULT_SLA_HOURS
        .iter()
        .find(|(name, _)| *name == priority)?
        .1;
    let configured = config
        .get("sla_hours")
        .and_then(|hours| hours.get(priority));
    Some(
        configured
            .and_then(Value::as_i64)
            .filter(|hours| (1..=MAX_SLA_HOURS).contains(hours))
            .unwrap_or(default),
    )
}

/// When a complaint of `priority` opened at `opened_at` is due, in the host's timestamp form.
/// `None` when the opening time is not a timestamp or the priority is unknown.
pub fn due_at(config: &Value, opened_at: &str, priority: &str) -> Option<String> {
    let opened = Instant::parse(opened_at)?;
    Some(opened.plus_hours(sla_hours(config, priority)?).to_string())
}

/// The record with `sla_due_at` (and on create a missing `opened_at`) set, or `None` when
/// nothing changes: deletes, updates that keep the priority, finished complaints.
pub fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
    let Some(record) = &event.record else {
        return Ok(None);
    };
    match event.operation {
        Operation::Create => {}
        Operation::Update if event.changed("priority") && !is_finished(record) => {}
        Operation::Update | Operation::Delete => return Ok(None),
    }
    let Some(priority) = str_field(record, "priority") else {
        return Ok(None);
    };
    let mut changed = record.clone();
    let opened_at = match str_field(record, "opened_at") {
        Some(opened_at) => opened_at.to_owned(),
        // Only a new complaint may take the current time as its opening; an update without
        // `opened_at` is a replacement the schema refuses, not a case opened now.
        None if event.operation == Operation::Create => {
            let now = host::now();
            changed["opened_at"] = Value::from(now.clone());
            now
        }
        None => return Ok(None),
    };
    if Instant::parse(&opened_at).is_none() {
        return Err(Refusal::field(
            "/opened_at",
            "format",
            format!("{opened_at:?} is not an RFC 3339 timestamp, so no service level can be set"),
        ));
    }
    let Some(due) = due_at(&host::config(), &opened_at, priority) else {
        return Ok(None);
    };
    changed["sla_due_at"] = Value::from(due);
    Ok((changed != *record).then_some(changed))
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::TestHost;

    use super::*;

    const NOW: &str = "2026-11-23T10:00:00.000000Z";

    fn complaint(fields: Value) -> Value {
        let mut record = json!({
            "id": "0194f7a2-0000-7000-8000-00000000c0de",
            "version": 1,
            "case_number": "CASE-000123",
            "subject": "Invoice charged twice",
            "customer_id": "0194f7a2-0000-7000-8000-0000000000c1",
            "priority": "medium",
            "status": "new",
            "opened_at": "2026-11-23T08:30:00.000000Z",
        });
        for (key, value) in fields.as_object().expect("an object of fields") {
            if value.is_null() {
                record.as_object_mut().unwrap().remove(key);
            } else {
                record[key] = value.clone();
            }
        }
        record
    }

    fn created(fields: Value) -> Result<Option<Value>, Refusal> {
        before_change(&RecordEvent::create("complaint", complaint(fields)))
    }

    fn updated(previous: Value, record: Value) -> Result<Option<Value>, Refusal> {
        before_change(&RecordEvent::update(
            "complaint",
            complaint(previous),
            complaint(record),
        ))
    }

    #[test]
    fn create_sets_the_due_time_from_the_priority() {
        let _host = TestHost::new().with_now(NOW).install();
        for (priority, due) in [
            ("critical", "2026-11-23T12:30:00.000000Z"),
            ("high", "2026-11-23T16:30:00.000000Z"),
            ("medium", "2026-11-24T08:30:00.000000Z"),
            ("low", "2026-11-26T08:30:00.000000Z"),
        ] {
            let record = created(json!({"priority": priority}))
                .unwrap()
                .expect("changed");
            assert_eq!(record["sla_due_at"], due, "{priority}");
            assert_eq!(
                record,
                complaint(json!({"priority": priority, "sla_due_at": due}))
            );
        }
    }

    #[test]
    fn create_without_an_opening_time_opens_now() {
        let _host = TestHost::new().with_now(NOW).install();
        let record = created(json!({"opened_at": null, "priority": "critical"}))
            .unwrap()
            .unwrap();
        assert_eq!(record["opened_at"], NOW);
        assert_eq!(record["sla_due_at"], "2026-11-23T14:00:00.000000Z");
    }

    #[test]
    fn create_overrides_a_client_due_time_and_keeps_a_correct_one() {
        let _host = TestHost::new().install();
        let record = created(json!({"sla_due_at": "2030-01-01T00:00:00.000000Z"}))
            .unwrap()
            .unwrap();
        assert_eq!(record["sla_due_at"], "2026-11-24T08:30:00.000000Z");
        assert_eq!(
            created(json!({"sla_due_at": "2026-11-24T08:30:00.000000Z"})).unwrap(),
            None
        );
    }

    #[test]
    fn an_opening_time_with_an_offset_gives_a_utc_due_time() {
        let _host = TestHost::new().install();
        let record = created(json!({"opened_at": "2026-11-23T09:30:00+01:00", "priority": "high"}))
            .unwrap()
            .unwrap();
        assert_eq!(
            record["opened_at"], "2026-11-23T09:30:00+01:00",
            "the input is kept"
        );
        assert_eq!(record["sla_due_at"], "2026-11-23T16:30:00.000000Z");
    }

    #[test]
    fn a_malformed_opening_time_is_refused() {
        let _host = TestHost::new().install();
        match created(json!({"opened_at": "yesterday"})) {
            Err(Refusal::Invalid(errors)) => assert_eq!(errors[0].path, "/opened_at"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_hours_come_from_the_configuration() {
        let _host = TestHost::new()
            .with_config(json!({"sla_hours": {"medium": 12, "low": 0}}))
            .install();
        let record = created(json!({})).unwrap().unwrap();
        assert_eq!(record["sla_due_at"], "2026-11-23T20:30:00.000000Z");
        let record = created(json!({"priority": "low"})).unwrap().unwrap();
        assert_eq!(
            record["sla_due_at"], "2026-11-26T08:30:00.000000Z",
            "0 falls back to 72"
        );
        let record = created(json!({"priority": "critical"})).unwrap().unwrap();
        assert_eq!(
            record["sla_due_at"], "2026-11-23T12:30:00.000000Z",
            "unset keeps 4"
        );
    }

    #[test]
    fn a_priority_change_recomputes_from_the_opening_time() {
        let _host = TestHost::new().with_now(NOW).install();
        let before = json!({"sla_due_at": "2026-11-24T08:30:00.000000Z", "status": "open"});
        let after = json!({"sla_due_at": "2026-11-24T08:30:00.000000Z", "status": "open", "priority": "high"});
        let record = updated(before, after).unwrap().unwrap();
        assert_eq!(record["sla_due_at"], "2026-11-23T16:30:00.000000Z");
    }

    #[test]
    fn updates_that_keep_the_priority_or_finish_the_case_change_nothing() {
        let _host = TestHost::new().with_now(NOW).install();
        let before = json!({"sla_due_at": "2026-11-24T08:30:00.000000Z"});
        let same = json!({"sla_due_at": "2026-11-24T08:30:00.000000Z", "subject": "Charged twice"});
        assert_eq!(updated(before.clone(), same).unwrap(), None);
        for status in ["resolved", "closed"] {
            let after = json!({"sla_due_at": "2026-11-24T08:30:00.000000Z", "status": status, "priority": "low"});
            assert_eq!(updated(before.clone(), after).unwrap(), None, "{status}");
        }
        let no_opening = json!({"opened_at": null, "priority": "high"});
        assert_eq!(updated(before.clone(), no_opening).unwrap(), None);
        let mut event = RecordEvent::create("complaint", complaint(json!({})));
        event.operation = Operation::Delete;
        assert_eq!(before_change(&event).unwrap(), None);
    }

    #[test]
    fn unknown_priorities_are_left_to_the_schema() {
        let _host = TestHost::new().install();
        assert_eq!(created(json!({"priority": "urgent"})).unwrap(), None);
        assert_eq!(created(json!({"priority": null})).unwrap(), None);
    }
}
