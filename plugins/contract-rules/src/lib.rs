//! Contract rules for xrm, as a plugin component:
//!
//! - `validate`: the dates of a contract are in order and the notice period fits its term;
//! - `before-create` / `before-update`: the status follows the dates (active, expiring,
//!   expired) where the state machine allows it;
//! - action `renew`: a follow-up contract for the next term, and the old one marked renewed;
//! - report `contracts-expiring`: running contracts ending within the next days, with value.
//!
//! Everything is deterministic given the record, the configuration and `host::now()`, so the
//! handlers are unit-tested natively against [`xrm_sdk::testing::TestHost`].

mod date;
mod expiring;
mod renew;
mod status;

use xrm_sdk::prelude::*;

use crate::date::Date;

/// The entity type this plugin's hooks and action are declared for in its manifest.
const CONTRACT: &str = "contract";

/// The contract-rules plugin; the host calls it through the exports made by
/// [`export_plugin!`], one fresh instance per call, so it keeps no state.
pub struct ContractRules;

impl Plugin for ContractRules {
    fn validate(event: &RecordEvent) -> Vec<FieldError> {
        if event.entity_type != CONTRACT || event.operation == Operation::Delete {
            return Vec::new();
        }
        event
            .record
            .as_ref()
            .map(contract_errors)
            .unwrap_or_default()
    }

    fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
        if event.entity_type != CONTRACT {
            return Ok(None);
        }
        Ok(status::derive(event))
    }

    fn action(request: &ActionRequest) -> Result<Value, Refusal> {
        match (request.entity_type.as_str(), request.name.as_str()) {
            (CONTRACT, "renew") => renew::renew(request),
            (entity_type, name) => Err(Refusal::Conflict(format!(
                "contract-rules has no action {name:?} on {entity_type:?}"
            ))),
        }
    }

    fn report(request: &ReportRequest) -> Result<Report, String> {
        match request.name.as_str() {
            "contracts-expiring" => expiring::report(request),
            name => Err(format!("contract-rules has no report {name:?}")),
        }
    }
}

export_plugin!(ContractRules);

/// A date field of a record, when present and a valid `YYYY-MM-DD` date. Malformed dates are
/// the schema's to report, so the rules here skip them rather than add a second error.
fn date_field(record: &Value, name: &str) -> Option<Date> {
    record
        .get(name)
        .and_then(Value::as_str)
        .and_then(Date::parse)
}

/// The rules of a contract's dates. Shared by `validate` and the `renew` action, which checks
/// the follow-up contract before creating it.
fn contract_errors(record: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let start = date_field(record, "start_date");
    let end = date_field(record, "end_date");
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            errors.push(FieldError::new(
                "/end_date",
                "end-after-start",
                format!("the contract ends on {end}, before it starts on {start}"),
            ));
        } else if let Some(notice) = record.get("notice_period_days").and_then(Value::as_i64) {
            // Both dates are days of the term, so a contract from 1 to 31 January lasts 31 days.
            let duration = start.days_until(end) + 1;
            if notice >= duration {
                errors.push(FieldError::new(
                    "/notice_period_days",
                    "notice-shorter-than-duration",
                    format!(
                        "a notice period of {notice} days must be shorter than the contract's \
                         {duration} days"
                    ),
                ));
            }
        }
    }
    if let (Some(signed), Some(start)) = (date_field(record, "signed_on"), start)
        && signed > start
    {
        errors.push(FieldError::new(
            "/signed_on",
            "signed-before-start",
            format!("the contract is signed on {signed}, after it starts on {start}"),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::TestHost;

    use super::*;

    fn contract(fields: Value) -> Value {
        let mut record = json!({
            "id": "0194f7a2-0000-7000-8000-000000000042",
            "version": 1,
            "contract_number": "CTR-2026-0042",
            "title": "Maintenance",
            "customer_id": "0194f7a2-0000-7000-8000-0000000000c1",
            "status": "active",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "value": 12000,
            "currency": "EUR",
        });
        for (key, value) in fields.as_object().expect("an object of fields") {
            record[key] = value.clone();
        }
        record
    }

    fn keywords(record: Value) -> Vec<(String, String)> {
        ContractRules::validate(&RecordEvent::create(CONTRACT, record))
            .into_iter()
            .map(|e| (e.path, e.keyword))
            .collect()
    }

    fn pair(path: &str, keyword: &str) -> (String, String) {
        (path.to_owned(), keyword.to_owned())
    }

    #[test]
    fn a_consistent_contract_is_valid() {
        assert_eq!(keywords(contract(json!({}))), []);
        let signed_on_start = json!({"signed_on": "2026-01-01", "notice_period_days": 364});
        assert_eq!(keywords(contract(signed_on_start)), []);
        let one_day = json!({"end_date": "2026-01-01", "notice_period_days": 0});
        assert_eq!(keywords(contract(one_day)), []);
    }

    #[test]
    fn end_before_start_is_refused() {
        let record = contract(json!({"end_date": "2025-12-31", "notice_period_days": 30}));
        // The notice rule needs a term, so a reversed term reports only the dates.
        assert_eq!(keywords(record), [pair("/end_date", "end-after-start")]);
    }

    #[test]
    fn signing_after_the_start_is_refused() {
        let record = contract(json!({"signed_on": "2026-01-02"}));
        assert_eq!(
            keywords(record),
            [pair("/signed_on", "signed-before-start")]
        );
    }

    #[test]
    fn notice_must_be_shorter_than_the_term() {
        let record = contract(json!({"end_date": "2026-01-31", "notice_period_days": 31}));
        assert_eq!(
            keywords(record),
            [pair("/notice_period_days", "notice-shorter-than-duration")]
        );
        let record = contract(json!({"end_date": "2026-01-31", "notice_period_days": 30}));
        assert_eq!(keywords(record), []);
    }

    #[test]
    fn every_broken_rule_is_reported_on_update() {
        let previous = contract(json!({}));
        let record = contract(json!({
            "start_date": "2026-03-01", "end_date": "2026-03-31",
            "notice_period_days": 90, "signed_on": "2026-04-01"
        }));
        let errors = ContractRules::validate(&RecordEvent::update(CONTRACT, previous, record));
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/notice_period_days", "/signed_on"]);
    }

    #[test]
    fn malformed_or_missing_dates_are_left_to_the_schema() {
        assert_eq!(keywords(contract(json!({"end_date": "2025-02-30"}))), []);
        assert_eq!(
            keywords(contract(
                json!({"start_date": null, "signed_on": "2030-01-01"})
            )),
            []
        );
    }

    #[test]
    fn deletes_and_other_types_are_not_checked() {
        let mut event = RecordEvent::create(CONTRACT, contract(json!({"end_date": "2020-01-01"})));
        event.operation = Operation::Delete;
        assert!(ContractRules::validate(&event).is_empty());
        let event = RecordEvent::create("asset", contract(json!({"end_date": "2020-01-01"})));
        assert!(ContractRules::validate(&event).is_empty());
    }

    #[test]
    fn unknown_actions_are_refused() {
        let _host = TestHost::new().install();
        let request = ActionRequest {
            entity_type: CONTRACT.into(),
            id: "x".into(),
            name: "terminate".into(),
            input: json!({}),
            actor: "test".into(),
        };
        assert!(
            matches!(ContractRules::action(&request), Err(Refusal::Conflict(m)) if m.contains("terminate"))
        );
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
                ("validate", CONTRACT),
                ("before-create", CONTRACT),
                ("before-update", CONTRACT)
            ]
        );
        assert_eq!(plugin["actions"][0]["name"], "renew");
        assert_eq!(plugin["capabilities"]["write"], json!([CONTRACT]));
        let config = &plugin["config_schema"]["properties"]["expiring_within_days"];
        assert_eq!(config["default"], status::DEFAULT_EXPIRING_WITHIN_DAYS);
        let months = &plugin["actions"][0]["input_schema"]["properties"]["months"];
        assert_eq!(
            (months["minimum"].as_u64(), months["maximum"].as_u64()),
            (Some(1), Some(120))
        );
    }
}
