//! The `renew` action: a follow-up contract for the next term, then the old one marked
//! `renewed`. The follow-up's number is derived from the old one (`CTR-2026-0042` renewed from
//! 2027 is `CTR-2027-0042`), so the unique contract number also stops a second, concurrent
//! renewal of the same contract.

use xrm_sdk::prelude::*;

use crate::CONTRACT;

/// Fields the host maintains; a new record must not carry the old one's.
const SYSTEM_FIELDS: [&str; 6] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
];

/// Data fields the follow-up gets new values for, or (`signed_on`) none until it is signed.
const NOT_CARRIED_OVER: [&str; 6] = [
    "contract_number",
    "start_date",
    "end_date",
    "status",
    "signed_on",
    "renewed_from_id",
];

/// Statuses a contract can be renewed from; the state machine allows `renewed` from both.
const RENEWABLE: [&str; 2] = ["active", "expiring"];

/// The longest term the manifest's input schema accepts, in months.
const MAX_MONTHS: u64 = 120;

/// The action's input, checked again here although the host validates it against the input
/// schema: the handler must not trust what it cannot see.
struct RenewInput {
    months: u32,
    value: Option<Value>,
}

impl RenewInput {
    fn parse(input: &Value) -> Result<RenewInput, Refusal> {
        let months = input
            .get("months")
            .and_then(whole_number)
            .filter(|months| (1..=MAX_MONTHS).contains(months))
            .ok_or_else(|| {
                Refusal::field(
                    "/months",
                    "range",
                    format!("months must be a whole number from 1 to {MAX_MONTHS}"),
                )
            })?;
        let value = match input.get("value") {
            None | Some(Value::Null) => None,
            Some(value) if value.as_f64().is_some_and(|v| v >= 0.0) => Some(value.clone()),
            Some(_) => {
                return Err(Refusal::field(
                    "/value",
                    "minimum",
                    "value must be a number of at least 0",
                ));
            }
        };
        Ok(RenewInput {
            months: months as u32,
            value,
        })
    }
}

/// A JSON integer, also when written as `12.0` (which JSON Schema counts as an integer).
fn whole_number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= u32::MAX as f64)
            .map(|v| v as u64)
    })
}

/// The follow-up's number: the old serial under the year the new term starts in. `None` when
/// the old number is not `CTR-YYYY-NNNN`, which the schema's pattern should make impossible.
fn renewal_number(old: &str, start_year: i64) -> Option<String> {
    let (year, serial) = old.strip_prefix("CTR-")?.split_once('-')?;
    let four_digits = |part: &str| part.len() == 4 && part.bytes().all(|b| b.is_ascii_digit());
    (four_digits(year) && four_digits(serial) && (0..=9999).contains(&start_year))
        .then(|| format!("CTR-{start_year:04}-{serial}"))
}

/// A failed host call as the action's answer. The plugin API has no "internal error" refusal,
/// so every failure is a conflict whose message says what could not be done and why.
fn refused(doing: &str, error: HostError) -> Refusal {
    Refusal::Conflict(format!("could not {doing}: {error}"))
}

/// Passes a successful update of the old contract; after a failed one, deletes the follow-up
/// `new_id` so a failed renewal leaves no contract behind. This host runs an action and its
/// writes in one transaction, which a refusal rolls back anyway; the plugin API (WIT) does not
/// promise that for actions, so the plugin does not rely on it.
fn undo_on_failure(
    marked: Result<Value, HostError>,
    new_id: &str,
    old_number: &str,
    number: &str,
) -> Result<(), Refusal> {
    let Err(error) = marked else { return Ok(()) };
    if let Err(undo) = host::delete_record(CONTRACT, new_id) {
        host::log(
            host::Level::Error,
            &format!("renewal {number} ({new_id}) of {old_number} is left behind: {undo}"),
        );
    }
    Err(refused(&format!("mark {old_number} renewed"), error))
}

/// Renews the contract `request.id`; returns the follow-up's id and number.
pub fn renew(request: &ActionRequest) -> Result<Value, Refusal> {
    let input = RenewInput::parse(&request.input)?;
    let old = host::get_record(CONTRACT, &request.id)
        .map_err(|e| refused("read the contract", e))?
        .ok_or_else(|| Refusal::Conflict(format!("contract {} does not exist", request.id)))?;
    let Value::Object(fields) = &old else {
        return Err(Refusal::Conflict(format!(
            "contract {} is not a JSON object",
            request.id
        )));
    };
    let old_number = old["contract_number"].as_str().unwrap_or(&request.id);
    let status = old["status"].as_str().unwrap_or_default();
    if !RENEWABLE.contains(&status) {
        return Err(Refusal::Conflict(format!(
            "contract {old_number} is {status}; only an active or expiring contract can be renewed"
        )));
    }
    let old_end = crate::date_field(&old, "end_date").ok_or_else(|| {
        Refusal::Conflict(format!(
            "contract {old_number} has no valid end_date to renew from"
        ))
    })?;
    let start = old_end.add_days(1);
    let end = start.last_day_of_term(input.months);
    let number = renewal_number(old_number, start.year())
        .filter(|_| end.year() <= 9999)
        .ok_or_else(|| {
            Refusal::Conflict(format!(
                "cannot number a renewal of {old_number} starting {start}"
            ))
        })?;

    let mut data: serde_json::Map<String, Value> = fields
        .iter()
        .filter(|(key, _)| {
            !SYSTEM_FIELDS.contains(&key.as_str())
                && !NOT_CARRIED_OVER.contains(&key.as_str())
                && !key.starts_with('_')
        })
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    data.insert("contract_number".into(), Value::from(number.clone()));
    data.insert("start_date".into(), Value::from(start.to_string()));
    data.insert("end_date".into(), Value::from(end.to_string()));
    data.insert("status".into(), Value::from("active"));
    data.insert("renewed_from_id".into(), Value::from(request.id.clone()));
    if let Some(value) = input.value {
        data.insert("value".into(), value);
    }
    let data = Value::Object(data);
    let problems = crate::contract_errors(&data);
    if !problems.is_empty() {
        let reasons: Vec<String> = problems.into_iter().map(|e| e.message).collect();
        return Err(Refusal::Conflict(format!(
            "a renewal of {old_number} for {} months would be invalid: {}",
            input.months,
            reasons.join("; ")
        )));
    }

    let created = host::create_record(CONTRACT, &data)
        .map_err(|e| refused(&format!("create {number}"), e))?;
    let new_id = created["id"].as_str().unwrap_or_default().to_owned();
    let marked = host::update_record(CONTRACT, &request.id, &json!({"status": "renewed"}));
    undo_on_failure(marked, &new_id, old_number, &number)?;
    host::log(
        host::Level::Info,
        &format!(
            "contract {old_number} renewed as {number} ({new_id}) by {}",
            request.actor
        ),
    );
    Ok(json!({"renewed_contract_id": new_id, "contract_number": number}))
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::{TestHandle, TestHost};

    use super::*;

    const OLD_ID: &str = "0194f7a2-0000-7000-8000-000000000042";

    fn contract(status: &str) -> Value {
        json!({
            "id": OLD_ID,
            "version": 4,
            "created_at": "2025-12-01T09:00:00.000000Z",
            "updated_at": "2026-01-02T09:00:00.000000Z",
            "created_by": "maria.keller",
            "updated_by": "maria.keller",
            "contract_number": "CTR-2026-0042",
            "title": "Maintenance of line 3",
            "customer_id": "0194f7a2-0000-7000-8000-0000000000c1",
            "status": status,
            "type": "maintenance",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "signed_on": "2025-12-15",
            "value": 12000,
            "currency": "EUR",
            "billing_frequency": "monthly",
            "auto_renew": false,
            "notice_period_days": 90,
            "owner": "maria.keller",
        })
    }

    fn host_with(record: Value) -> TestHandle {
        TestHost::new()
            .with_now("2026-11-23T10:00:00.000000Z")
            .with_record(CONTRACT, record)
            .install()
    }

    fn request(input: Value) -> ActionRequest {
        ActionRequest {
            entity_type: CONTRACT.into(),
            id: OLD_ID.into(),
            name: "renew".into(),
            input,
            actor: "jonas.berg".into(),
        }
    }

    fn conflict(result: Result<Value, Refusal>) -> String {
        match result {
            Err(Refusal::Conflict(message)) => message,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn renewing_creates_the_next_term_and_marks_the_old_contract() {
        let test = host_with(contract("expiring"));
        let output = renew(&request(json!({"months": 12}))).unwrap();
        let records = test.records(CONTRACT);
        assert_eq!(records.len(), 2);
        let new_id = records[1]["id"].as_str().unwrap();
        assert_eq!(
            output,
            json!({"renewed_contract_id": new_id, "contract_number": "CTR-2027-0042"})
        );
        assert_eq!(
            records[1],
            json!({
                "title": "Maintenance of line 3",
                "customer_id": "0194f7a2-0000-7000-8000-0000000000c1",
                "type": "maintenance",
                "value": 12000,
                "currency": "EUR",
                "billing_frequency": "monthly",
                "auto_renew": false,
                "notice_period_days": 90,
                "owner": "maria.keller",
                "contract_number": "CTR-2027-0042",
                "start_date": "2027-01-01",
                "end_date": "2027-12-31",
                "status": "active",
                "renewed_from_id": OLD_ID,
                "id": new_id,
                "version": 1,
            }),
            "no system fields, no signature carried over"
        );
        let old = test.record(CONTRACT, OLD_ID).unwrap();
        assert_eq!(old["status"], "renewed");
        assert_eq!(old["version"], 5);
        assert_eq!(old["end_date"], "2026-12-31", "only the status changes");
        assert_eq!(test.logs().len(), 1);
    }

    #[test]
    fn the_value_can_change_and_the_term_can_be_odd() {
        let mut old = contract("active");
        old["end_date"] = json!("2027-01-30");
        old["notice_period_days"] = json!(14);
        let test = host_with(old);
        renew(&request(json!({"months": 1, "value": 999.5}))).unwrap();
        let renewal = &test.records(CONTRACT)[1];
        assert_eq!(renewal["start_date"], "2027-01-31");
        assert_eq!(renewal["end_date"], "2027-02-28");
        assert_eq!(renewal["value"], 999.5);
        assert_eq!(renewal["contract_number"], "CTR-2027-0042");
    }

    #[test]
    fn only_active_or_expiring_contracts_are_renewed() {
        for status in ["draft", "expired", "renewed", "terminated"] {
            let test = host_with(contract(status));
            let message = conflict(renew(&request(json!({"months": 12}))));
            assert!(message.contains(status), "{message}");
            assert_eq!(
                test.records(CONTRACT).len(),
                1,
                "nothing written for {status}"
            );
        }
    }

    #[test]
    fn bad_input_is_refused_per_field() {
        let _test = host_with(contract("active"));
        for (input, path) in [
            (json!({}), "/months"),
            (json!({"months": 0}), "/months"),
            (json!({"months": 121}), "/months"),
            (json!({"months": 1.5}), "/months"),
            (json!({"months": "12"}), "/months"),
            (json!({"months": 12, "value": -1}), "/value"),
            (json!({"months": 12, "value": "lots"}), "/value"),
        ] {
            match renew(&request(input.clone())) {
                Err(Refusal::Invalid(errors)) => assert_eq!(errors[0].path, path, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        assert!(renew(&request(json!({"months": 12.0}))).is_ok());
    }

    #[test]
    fn a_term_shorter_than_the_notice_period_is_refused() {
        let test = host_with(contract("active"));
        let message = conflict(renew(&request(json!({"months": 2}))));
        assert!(message.contains("notice period of 90 days"), "{message}");
        assert_eq!(test.records(CONTRACT).len(), 1);
    }

    #[test]
    fn a_missing_contract_or_a_denied_read_is_a_conflict() {
        let _test = TestHost::new().install();
        assert!(conflict(renew(&request(json!({"months": 12})))).contains("does not exist"));
        let _test = TestHost::new().deny(CONTRACT).install();
        assert!(conflict(renew(&request(json!({"months": 12})))).contains("denied"));
    }

    #[test]
    fn a_contract_is_renewed_once() {
        let test = host_with(contract("active"));
        renew(&request(json!({"months": 12}))).unwrap();
        let message = conflict(renew(&request(json!({"months": 12}))));
        assert!(message.contains("is renewed"), "{message}");
        assert_eq!(test.records(CONTRACT).len(), 2);
    }

    #[test]
    fn a_failed_status_update_removes_the_follow_up() {
        // The test host cannot fail one call alone, so the undo step is driven directly with
        // the error the update would have returned (e.g. the contract was terminated meanwhile).
        let follow_up = json!({"id": "0194f7a2-0000-7000-8000-0000000000ff", "contract_number": "CTR-2027-0042"});
        let test = TestHost::new().with_record(CONTRACT, follow_up).install();
        let refused = HostError::Invalid(vec![FieldError::new(
            "/status",
            "x-xrm.state_machine",
            "terminated → renewed",
        )]);
        let message = conflict(
            undo_on_failure(
                Err(refused),
                "0194f7a2-0000-7000-8000-0000000000ff",
                "CTR-2026-0042",
                "CTR-2027-0042",
            )
            .map(|()| Value::Null),
        );
        assert!(
            message.contains("mark CTR-2026-0042 renewed") && message.contains("terminated"),
            "{message}"
        );
        assert!(
            test.records(CONTRACT).is_empty(),
            "the follow-up is deleted"
        );
        assert!(test.logs().is_empty());
    }

    #[test]
    fn a_failed_undo_is_logged() {
        let test = TestHost::new().install();
        let result = undo_on_failure(
            Err(HostError::Failed("database gone".into())),
            "0194f7a2-0000-7000-8000-0000000000ff",
            "CTR-2026-0042",
            "CTR-2027-0042",
        );
        assert!(matches!(result, Err(Refusal::Conflict(_))));
        let logs = test.logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].0, host::Level::Error);
        assert!(logs[0].1.contains("left behind"), "{}", logs[0].1);
    }

    #[test]
    fn contract_numbers_keep_their_serial() {
        assert_eq!(
            renewal_number("CTR-2026-0042", 2027).as_deref(),
            Some("CTR-2027-0042")
        );
        assert_eq!(
            renewal_number("CTR-2026-0042", 2026).as_deref(),
            Some("CTR-2026-0042")
        );
        assert_eq!(renewal_number("CTR-2026-0042", 10_000), None);
        assert_eq!(renewal_number("CTR-26-0042", 2027), None);
        assert_eq!(renewal_number("CTR-2026-42", 2027), None);
        assert_eq!(renewal_number("CON-2026-0042", 2027), None);
    }
}
