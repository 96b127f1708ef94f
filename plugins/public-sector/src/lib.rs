//! Municipal services for xrm, as one plugin component:
//!
//! - [`parking`]: parking violations — due date and fine from the configuration, the rules of
//!   who may move a violation where, payment (with an optional early-payment discount), and the
//!   `parking-overdue` schedule that marks unpaid violations overdue and adds the late
//!   surcharge once;
//! - [`appeals`]: appeals against them — the appeal window, one open appeal per violation, the
//!   violation following its appeal, and the `decide` action;
//! - [`tax`]: property-tax assessments — the tax from the workspace's rate tables, the payment
//!   status from the amount paid and the due date, and the `property-tax-overdue` schedule;
//! - [`reports`]: violations by status, open appeals by age, overdue property tax.
//!
//! Every number the rules use (windows, periods, percentages, fines, rate tables) comes from the
//! package's configuration, whose defaults live in one place, the manifest's `config_schema`;
//! the host fills them in. Everything is deterministic given the records, the configuration
//! and `host::now()`, so the handlers are unit-tested natively against
//! [`xrm_sdk::testing::TestHost`].

mod appeals;
mod calendar;
mod parking;
mod reports;
mod tax;

use xrm_sdk::prelude::*;

/// The entity types of this package (`entity-schemas/*.json`), as its manifest names them.
pub const VIOLATION: &str = "parking_violation";
pub const APPEAL: &str = "parking_appeal";
pub const ASSESSMENT: &str = "property_tax_assessment";

/// The public-sector plugin; the host calls it through the exports made by
/// [`export_plugin!`], one fresh instance per call, so it keeps no state.
pub struct PublicSector;

impl Plugin for PublicSector {
    fn validate(event: &RecordEvent) -> Vec<FieldError> {
        match event.entity_type.as_str() {
            VIOLATION => parking::validate(event),
            APPEAL => appeals::validate(event),
            _ => Vec::new(),
        }
    }

    fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
        if event.operation == Operation::Delete {
            return Ok(None);
        }
        match event.entity_type.as_str() {
            VIOLATION => parking::before_change(event),
            APPEAL => appeals::before_change(event),
            ASSESSMENT => tax::before_change(event),
            _ => Ok(None),
        }
    }

    fn action(request: &ActionRequest) -> Result<Value, Refusal> {
        match (request.entity_type.as_str(), request.name.as_str()) {
            (APPEAL, "decide") => appeals::decide(request),
            (entity_type, name) => Err(Refusal::Conflict(format!(
                "public-sector has no action {name:?} on {entity_type:?}"
            ))),
        }
    }

    fn schedule(event: &ScheduleEvent) -> Result<(), String> {
        match event.name.as_str() {
            "parking-overdue" => parking::sweep(),
            "property-tax-overdue" => tax::sweep(),
            name => Err(format!("public-sector has no schedule {name:?}")),
        }
    }

    fn report(request: &ReportRequest) -> Result<Report, String> {
        match request.name.as_str() {
            "parking-violations-by-status" => reports::violations_by_status(request),
            "parking-open-appeals" => reports::open_appeals(request),
            "property-tax-overdue" => reports::tax_overdue(request),
            name => Err(format!("public-sector has no report {name:?}")),
        }
    }
}

export_plugin!(PublicSector);

/// A top-level string field of a record; null and other types count as absent.
fn str_field<'a>(record: &'a Value, name: &str) -> Option<&'a str> {
    record.get(name).and_then(Value::as_str)
}

/// A top-level number field of a record; null and other types count as absent.
fn number_field(record: &Value, name: &str) -> Option<f64> {
    record.get(name).and_then(Value::as_f64)
}

/// An amount of money rounded to cents, as it is stored and shown; never `-0.0` (an empty
/// sum of `f64` is `-0.0`, which JSON would show as such).
fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0 + 0.0
}

/// A configuration value the manifest's schema gives a default, so the host always fills it
/// in; its absence means the plugin runs against a configuration it was not built for.
fn setting<'a>(config: &'a Value, section: &str, name: &str) -> Result<&'a Value, String> {
    config
        .get(section)
        .and_then(|section| section.get(name))
        .filter(|value| !value.is_null())
        .ok_or_else(|| format!("the package configuration has no {section}.{name}"))
}

/// A whole-number setting (days).
fn days_setting(config: &Value, section: &str, name: &str) -> Result<i64, String> {
    setting(config, section, name)?
        .as_i64()
        .ok_or_else(|| format!("the package setting {section}.{name} is not a whole number"))
}

/// A number setting (percentages, amounts).
fn number_setting(config: &Value, section: &str, name: &str) -> Result<f64, String> {
    setting(config, section, name)?
        .as_f64()
        .ok_or_else(|| format!("the package setting {section}.{name} is not a number"))
}

/// Today's UTC date by the host's clock.
fn today() -> Result<calendar::Date, String> {
    let now = host::now();
    calendar::Date::today(&now).ok_or_else(|| format!("the host's time {now:?} is not a date"))
}

/// A record's display name for messages: its title field, or its id.
fn name_of<'a>(record: &'a Value, title_field: &str) -> &'a str {
    str_field(record, title_field)
        .or(str_field(record, "id"))
        .unwrap_or("?")
}

/// Logs what a schedule's sweep did: the records it could not change (an error naming each)
/// and, when it changed any, `done` (a summary).
fn log_sweep(schedule: &str, failed: &[String], noun: &str, done: Option<String>) {
    if !failed.is_empty() {
        host::log(
            host::Level::Error,
            &format!(
                "{schedule} could not mark {} {noun}: {}",
                failed.len(),
                failed.join("; ")
            ),
        );
    }
    if let Some(done) = done {
        host::log(host::Level::Info, &format!("{schedule} {done}"));
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the modules' tests share: the configuration as the host fills it in from the
    //! manifest's defaults, and a record builder.

    use super::*;

    /// Fills the `default` of every absent property into nested objects too, as the host does.
    fn fill_defaults(schema: &Value, value: &mut Value) {
        let (Some(properties), Some(object)) = (
            schema.get("properties").and_then(Value::as_object),
            value.as_object_mut(),
        ) else {
            return;
        };
        for (name, property) in properties {
            if !object.contains_key(name) {
                if let Some(default) = property.get("default") {
                    object.insert(name.clone(), default.clone());
                } else if property.get("properties").is_some() {
                    object.insert(name.clone(), json!({}));
                }
            }
            if let Some(child) = object.get_mut(name) {
                fill_defaults(property, child);
            }
        }
    }

    /// The manifest's configuration schema.
    pub fn config_schema() -> Value {
        let manifest: Value = serde_json::from_str(include_str!("../xrm-package.json")).unwrap();
        manifest["plugins"][0]["config_schema"].clone()
    }

    /// The configuration the host hands the plugin when the admin set `overrides`.
    pub fn config_with(overrides: Value) -> Value {
        let mut config = overrides;
        fill_defaults(&config_schema(), &mut config);
        config
    }

    /// `base` with the members of `fields` set (null removes one).
    pub fn with(base: Value, fields: Value) -> Value {
        let mut record = base;
        for (key, value) in fields.as_object().expect("an object of fields") {
            if value.is_null() {
                record.as_object_mut().unwrap().remove(key);
            } else {
                record[key] = value.clone();
            }
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::TestHost;

    use super::*;

    #[test]
    fn unknown_actions_schedules_and_reports_are_refused() {
        let _host = TestHost::new().install();
        let request = ActionRequest {
            entity_type: APPEAL.into(),
            id: "x".into(),
            name: "approve".into(),
            input: json!({}),
            actor: "test".into(),
        };
        assert!(
            matches!(PublicSector::action(&request), Err(Refusal::Conflict(m)) if m.contains("approve"))
        );
        let event = ScheduleEvent {
            name: "nightly".into(),
            fired_at: "2026-11-23T00:00:00.000000Z".into(),
        };
        assert!(
            PublicSector::schedule(&event)
                .unwrap_err()
                .contains("nightly")
        );
        let request = ReportRequest {
            name: "nope".into(),
            parameters: json!({}),
            actor: "test".into(),
        };
        assert!(PublicSector::report(&request).unwrap_err().contains("nope"));
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
        let types = json!([VIOLATION, APPEAL, ASSESSMENT]);
        assert_eq!(plugin["capabilities"]["read"], types);
        assert_eq!(plugin["capabilities"]["write"], types);
        let files: Vec<String> = [VIOLATION, APPEAL, ASSESSMENT]
            .iter()
            .map(|t| format!("entity-schemas/{t}.json"))
            .collect();
        assert_eq!(manifest["entity_types"], json!(files));
        assert_eq!(plugin["actions"][0]["name"], "decide");
        assert_eq!(plugin["actions"][0]["entity_type"], APPEAL);
        let schedules: Vec<&str> = plugin["schedules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(schedules, ["parking-overdue", "property-tax-overdue"]);
        let reports: Vec<&str> = plugin["reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            reports,
            [
                "parking-violations-by-status",
                "parking-open-appeals",
                "property-tax-overdue"
            ]
        );
        let calls = plugin["limits"]["host_calls"].as_u64().unwrap();
        assert!(
            calls >= u64::from(parking::SWEEP_BATCH.max(tax::SWEEP_BATCH)) + 2,
            "a sweep needs a query, its updates and a log line: {calls}"
        );
        assert!(calls > u64::from(reports::MAX_PAGES) * 2 + 2, "{calls}");
    }

    #[test]
    fn every_setting_the_rules_read_has_a_default() {
        let config = testing::config_with(json!({}));
        for name in [
            "appeal_window_days",
            "payment_days",
            "payment_days_after_decision",
            "early_payment_days",
        ] {
            assert!(days_setting(&config, "parking", name).is_ok(), "{name}");
        }
        for name in ["early_payment_discount_percent", "late_surcharge_percent"] {
            assert!(number_setting(&config, "parking", name).is_ok(), "{name}");
        }
        let schema: Value = serde_json::from_str(include_str!(
            "../../../entity-schemas/parking_violation.json"
        ))
        .unwrap();
        for offence in schema["properties"]["offence_code"]["enum"]
            .as_array()
            .unwrap()
        {
            let offence = offence.as_str().unwrap();
            assert!(parking::fine_for(&config, offence).is_ok(), "{offence}");
        }
        let schema: Value = serde_json::from_str(include_str!(
            "../../../entity-schemas/property_tax_assessment.json"
        ))
        .unwrap();
        for class in schema["properties"]["property_class"]["enum"]
            .as_array()
            .unwrap()
        {
            let class = class.as_str().unwrap();
            assert!(tax::RateTable::of(&config, class).is_ok(), "{class}");
        }
        assert_eq!(
            days_setting(&json!({}), "parking", "payment_days").unwrap_err(),
            "the package configuration has no parking.payment_days"
        );
    }

    #[test]
    fn amounts_are_rounded_to_cents() {
        assert_eq!(cents(10.006), 10.01);
        assert_eq!(cents(59.994), 59.99);
        assert_eq!(cents(0.1 + 0.2), 0.3);
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert!(cents(empty).is_sign_positive());
    }
}
