//! The status of a running contract follows its end date: `active`, then `expiring` within the
//! configured window, then `expired`. People decide the other statuses (draft, terminated,
//! renewed), and the contract type's state machine has the last word on every change.

use xrm_sdk::prelude::*;

use crate::date::Date;

/// The expiry window when the configuration sets none; also the manifest's default.
pub const DEFAULT_EXPIRING_WITHIN_DAYS: i64 = 60;

/// Statuses set by people or by the `renew` action, never derived from dates.
const DECIDED_STATUSES: [&str; 3] = ["draft", "terminated", "renewed"];

/// The transitions of `x-xrm.state_machine` in `entity-schemas/contract.json`. The host checks
/// them on every write; the plugin needs them to avoid proposing a change the host would refuse.
/// A test keeps this table equal to the schema.
const TRANSITIONS: [(&str, &[&str]); 6] = [
    ("draft", &["active", "terminated"]),
    ("active", &["expiring", "renewed", "terminated"]),
    ("expiring", &["renewed", "expired", "terminated"]),
    ("expired", &[]),
    ("renewed", &[]),
    ("terminated", &[]),
];

/// Whether the state machine lets a stored contract go from `from` to `to`; staying is always
/// allowed.
fn may_move(from: &str, to: &str) -> bool {
    from == to
        || TRANSITIONS
            .iter()
            .any(|(state, next)| *state == from && next.contains(&to))
}

/// The status the dates call for on `today`. The end date is the last day of the contract, so a
/// contract ending today is still running.
fn status_on(today: Date, end: Date, expiring_within_days: i64) -> &'static str {
    if end < today {
        "expired"
    } else if today.days_until(end) <= expiring_within_days {
        "expiring"
    } else {
        "active"
    }
}

/// `expiring_within_days` from the configuration; the host validates it against the config
/// schema, but an out-of-range value still falls back to the default rather than misfiring.
fn expiring_within_days() -> i64 {
    host::config()
        .get("expiring_within_days")
        .and_then(Value::as_i64)
        .filter(|days| (1..=365).contains(days))
        .unwrap_or(DEFAULT_EXPIRING_WITHIN_DAYS)
}

/// The record with its status derived from its dates, or `None` when the status stays (a
/// decided status, dates the schema will refuse, or a move the state machine forbids from the
/// stored status).
pub fn derive(event: &RecordEvent) -> Option<Value> {
    if event.operation == Operation::Delete {
        return None;
    }
    let record = event.record.as_ref()?;
    let status = record.get("status")?.as_str()?;
    if DECIDED_STATUSES.contains(&status) {
        return None;
    }
    let end = crate::date_field(record, "end_date")?;
    let now = host::now();
    let Some(today) = now.get(..10).and_then(Date::parse) else {
        host::log(
            host::Level::Error,
            &format!("host time {now:?} has no date; status kept"),
        );
        return None;
    };
    let derived = status_on(today, end, expiring_within_days());
    if derived == status {
        return None;
    }
    if event.operation == Operation::Update
        && let Some(stored) = event.previous_field("status").and_then(Value::as_str)
        && !may_move(stored, derived)
    {
        return None;
    }
    let mut record = record.clone();
    record["status"] = Value::from(derived);
    Some(record)
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::TestHost;

    use super::*;

    const NOW: &str = "2026-11-23T10:00:00.000000Z";

    fn contract(status: &str, end_date: &str) -> Value {
        json!({
            "id": "0194f7a2-0000-7000-8000-000000000042",
            "version": 3,
            "created_at": "2025-12-01T09:00:00.000000Z",
            "contract_number": "CTR-2026-0042",
            "title": "Maintenance",
            "customer_id": "0194f7a2-0000-7000-8000-0000000000c1",
            "status": status,
            "start_date": "2026-01-01",
            "end_date": end_date,
            "value": 12000,
            "currency": "EUR",
        })
    }

    fn created(status: &str, end_date: &str) -> Option<Value> {
        derive(&RecordEvent::create("contract", contract(status, end_date)))
    }

    fn updated(stored: &str, status: &str, end_date: &str) -> Option<Value> {
        let previous = contract(stored, "2026-12-31");
        derive(&RecordEvent::update(
            "contract",
            previous,
            contract(status, end_date),
        ))
    }

    fn status(record: Option<Value>) -> Option<String> {
        record.map(|r| r["status"].as_str().unwrap().to_owned())
    }

    #[test]
    fn the_dates_decide_on_create() {
        let _host = TestHost::new().with_now(NOW).install();
        assert_eq!(
            status(created("active", "2026-11-22")),
            Some("expired".into())
        );
        assert_eq!(
            status(created("active", "2026-11-23")),
            Some("expiring".into())
        );
        assert_eq!(
            status(created("active", "2027-01-22")),
            Some("expiring".into()),
            "60 days"
        );
        assert_eq!(
            status(created("active", "2027-01-23")),
            None,
            "61 days: stays active"
        );
        assert_eq!(
            status(created("expiring", "2027-06-30")),
            Some("active".into())
        );
        assert_eq!(
            status(created("expired", "2027-06-30")),
            Some("active".into())
        );
    }

    #[test]
    fn only_the_status_changes() {
        let _host = TestHost::new().with_now(NOW).install();
        let record = created("active", "2026-12-31").expect("expiring");
        let mut expected = contract("expiring", "2026-12-31");
        expected["status"] = json!("expiring");
        assert_eq!(record, expected, "system fields and data are kept");
    }

    #[test]
    fn decided_statuses_are_kept() {
        let _host = TestHost::new().with_now(NOW).install();
        for decided in DECIDED_STATUSES {
            assert_eq!(created(decided, "2020-01-01"), None, "{decided}");
            assert_eq!(updated("active", decided, "2020-01-01"), None, "{decided}");
        }
    }

    #[test]
    fn updates_follow_the_state_machine() {
        let _host = TestHost::new().with_now(NOW).install();
        assert_eq!(
            status(updated("active", "active", "2026-12-01")),
            Some("expiring".into())
        );
        assert_eq!(
            status(updated("expiring", "expiring", "2026-11-01")),
            Some("expired".into())
        );
        // active → expired skips expiring, which the state machine forbids: keep.
        assert_eq!(updated("active", "active", "2026-11-01"), None);
        // Extending an expiring contract cannot make it active again.
        assert_eq!(updated("expiring", "expiring", "2028-12-31"), None);
        assert_eq!(updated("expired", "expired", "2028-12-31"), None);
        // Activating a draft keeps `active` when the dates call for a status a draft cannot reach.
        assert_eq!(updated("draft", "active", "2026-12-01"), None);
        assert_eq!(updated("draft", "active", "2026-10-01"), None);
        // A manual active → expiring on a long contract goes back to what the dates say.
        assert_eq!(
            status(updated("active", "expiring", "2028-12-31")),
            Some("active".into())
        );
    }

    #[test]
    fn the_window_comes_from_the_configuration() {
        let _host = TestHost::new()
            .with_now(NOW)
            .with_config(json!({"expiring_within_days": 10}))
            .install();
        assert_eq!(
            status(created("active", "2026-12-03")),
            Some("expiring".into())
        );
        assert_eq!(status(created("active", "2026-12-04")), None);
        let _host = TestHost::new()
            .with_now(NOW)
            .with_config(json!({"expiring_within_days": 0}))
            .install();
        assert_eq!(
            status(created("active", "2027-01-22")),
            Some("expiring".into()),
            "default"
        );
    }

    #[test]
    fn unusable_input_keeps_the_record() {
        let _host = TestHost::new().with_now(NOW).install();
        assert_eq!(created("active", "2026-02-30"), None);
        let mut event = RecordEvent::create("contract", contract("active", "2020-01-01"));
        event.operation = Operation::Delete;
        assert_eq!(derive(&event), None);
        let test = TestHost::new().with_now("soon").install();
        assert_eq!(created("active", "2020-01-01"), None);
        assert_eq!(test.logs().len(), 1);
    }

    #[test]
    fn the_transition_table_is_the_schema_s() {
        let schema: Value =
            serde_json::from_str(include_str!("../../../entity-schemas/contract.json")).unwrap();
        let machine = &schema["x-xrm"]["state_machine"];
        assert_eq!(machine["field"], "status");
        let table: serde_json::Map<String, Value> = TRANSITIONS
            .iter()
            .map(|(from, to)| ((*from).to_owned(), json!(to)))
            .collect();
        assert_eq!(machine["transitions"], Value::Object(table));
        let states: Vec<&str> = TRANSITIONS.iter().map(|(state, _)| *state).collect();
        assert_eq!(schema["properties"]["status"]["enum"], json!(states));
    }
}
