//! Parking violations: what a new ticket gets from the configuration (its fine and due date),
//! who may move a violation where (appeals and the overdue schedule own the statuses in
//! between; people record payment), what paying means (at least the amount due, with the
//! early-payment discount when it applies), and the `parking-overdue` schedule.

use xrm_sdk::prelude::*;

use crate::calendar::{Date, Instant};
use crate::{
    VIOLATION, cents, days_setting, log_sweep, name_of, number_field, number_setting, str_field,
    today,
};

/// Statuses only an appeal sets: filing one (appealed) and deciding it.
const SET_BY_APPEAL: [&str; 4] = ["appealed", "upheld", "reduced", "cancelled"];

/// Statuses of a violation that is owed and not suspended by an appeal: past its due date such
/// a violation becomes overdue.
pub const PAYABLE: [&str; 3] = ["issued", "upheld", "reduced"];

/// Fields fixed when the ticket is issued.
const ISSUED_FIELDS: [&str; 3] = ["ticket_number", "offence_code", "issued_at"];

/// Fields of the fine: changed only by an appeal decision or the late surcharge.
const FINE_FIELDS: [&str; 3] = ["fine_amount", "original_fine", "surcharge_amount"];

/// How far ahead of the host's clock a ticket may be dated (officers' devices drift).
const CLOCK_SKEW_DAYS: i64 = 1;

/// The most violations one run of the sweep marks overdue; each costs one host call, plus the
/// query and the summary log line. The rest wait for the next run.
pub const SWEEP_BATCH: u32 = 200;

/// The fine the configuration sets for an offence.
pub fn fine_for(config: &Value, offence: &str) -> Result<f64, String> {
    config["parking"]["offence_fines"][offence]
        .as_f64()
        .ok_or_else(|| format!("the package configuration has no fine for offence {offence:?}"))
}

/// A configuration problem, refused as a conflict: the request is fine, the settings are not.
fn misconfigured(message: String) -> Refusal {
    Refusal::Conflict(message)
}

/// Rules on what people write; the plugin's own writes (appeals, decisions, the sweep) do not
/// pass through here.
pub fn validate(event: &RecordEvent) -> Vec<FieldError> {
    let Some(record) = event.record.as_ref() else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    if event.operation == Operation::Create {
        // Not the schema's `initial`: package sample data holds tickets in every status.
        if let Some(status) = str_field(record, "status").filter(|s| *s != "issued") {
            errors.push(FieldError::new(
                "/status",
                "issued-first",
                format!("a new ticket is issued; it becomes {status} later, through its appeal, payment or the overdue schedule"),
            ));
        }
        if let (Some(issued), Some(now)) = (
            str_field(record, "issued_at").and_then(Instant::parse),
            Instant::parse(&host::now()),
        ) && issued > now.plus_days(CLOCK_SKEW_DAYS)
        {
            errors.push(FieldError::new(
                "/issued_at",
                "issued-in-future",
                format!(
                    "the ticket is dated {}, more than a day after now ({now})",
                    str_field(record, "issued_at").unwrap_or_default()
                ),
            ));
        }
        return errors;
    }
    let Some(previous) = event.previous.as_ref() else {
        return errors;
    };
    for field in ISSUED_FIELDS {
        if event.changed(field) {
            errors.push(FieldError::new(
                &format!("/{field}"),
                "fixed-at-issue",
                format!("{field} is fixed when the ticket is issued; cancel it through an appeal and issue a new one"),
            ));
        }
    }
    for field in FINE_FIELDS {
        if event.changed(field) {
            errors.push(FieldError::new(
                &format!("/{field}"),
                "fine-locked",
                format!("{field} changes only through an appeal decision (action decide) or the late surcharge"),
            ));
        }
    }
    if event.changed("status") {
        let status = str_field(record, "status").unwrap_or_default();
        if SET_BY_APPEAL.contains(&status) {
            errors.push(FieldError::new(
                "/status",
                "set-by-appeal",
                format!("a violation becomes {status} only through its appeal: file a parking_appeal, then decide it with the decide action"),
            ));
        } else if status == "overdue" {
            errors.push(FieldError::new(
                "/status",
                "set-by-schedule",
                "the parking-overdue schedule marks a violation overdue once its due date has passed",
            ));
        } else if status == "paid" {
            errors.extend(payment_errors(previous, record));
        }
    }
    errors
}

/// A payment must cover the amount due when it is made.
fn payment_errors(previous: &Value, record: &Value) -> Vec<FieldError> {
    let config = host::config();
    let paid_at = str_field(record, "paid_at")
        .map(str::to_owned)
        .unwrap_or_else(host::now);
    let due = match amount_due(previous, &config, &paid_at) {
        Ok(due) => due,
        Err(message) => return vec![FieldError::new("/status", "misconfigured", message)],
    };
    let paid = number_field(record, "amount_paid");
    if paid.is_some_and(|paid| cents(paid) >= due) {
        return Vec::new();
    }
    let ticket = name_of(previous, "ticket_number");
    let message = match paid {
        Some(paid) => format!("{ticket} owes {due:.2} when paid at {paid_at}; {paid:.2} was paid"),
        None => format!("{ticket} owes {due:.2}; record amount_paid to mark it paid"),
    };
    vec![FieldError::new("/amount_paid", "short-payment", message)]
}

/// What settles `violation` when paid at `paid_at`: its fine, less the early-payment discount
/// when it is paid within the configured days of issue and was never appealed or overdue.
pub fn amount_due(violation: &Value, config: &Value, paid_at: &str) -> Result<f64, String> {
    let fine = number_field(violation, "fine_amount").unwrap_or_default();
    let discount = number_setting(config, "parking", "early_payment_discount_percent")?;
    let within = days_setting(config, "parking", "early_payment_days")?;
    let early = match (
        str_field(violation, "issued_at").and_then(Instant::parse),
        Instant::parse(paid_at),
    ) {
        (Some(issued), Some(paid)) => paid < issued.plus_days(within),
        _ => false,
    };
    if discount > 0.0 && early && str_field(violation, "status") == Some("issued") {
        return Ok(cents(fine * (100.0 - discount) / 100.0));
    }
    Ok(cents(fine))
}

/// Create: the fine from the offence when left out, the original fine, the due date from the
/// payment period, the initial status. Update: `paid_at` when a violation is marked paid.
pub fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
    let Some(mut record) = event.record.clone() else {
        return Ok(None);
    };
    let original = record.clone();
    if event.operation == Operation::Create {
        let config = host::config();
        if number_field(&record, "fine_amount").is_none()
            && let Some(offence) = str_field(&record, "offence_code")
        {
            let fine = fine_for(&config, offence).map_err(misconfigured)?;
            record["fine_amount"] = json!(fine);
        }
        if record.get("original_fine").is_none() && number_field(&record, "fine_amount").is_some() {
            record["original_fine"] = record["fine_amount"].clone();
        }
        if record.get("due_date").is_none()
            && let Some(issued) = str_field(&record, "issued_at").and_then(Instant::parse)
        {
            let days = days_setting(&config, "parking", "payment_days").map_err(misconfigured)?;
            record["due_date"] = json!(issued.date().add_days(days).to_string());
        }
        if record.get("status").is_none() {
            record["status"] = json!("issued");
        }
    } else if event.changed("status")
        && str_field(&record, "status") == Some("paid")
        && record.get("paid_at").is_none()
    {
        record["paid_at"] = json!(host::now());
    }
    Ok((record != original).then_some(record))
}

/// Whether `violation` is owed, not suspended, and its due date is before `today`.
fn is_past_due(violation: &Value, today: Date) -> bool {
    let payable = str_field(violation, "status").is_some_and(|s| PAYABLE.contains(&s));
    let due = str_field(violation, "due_date").and_then(Date::parse);
    payable && due.is_some_and(|due| due < today)
}

/// The surcharge a violation becoming overdue gets on its current fine.
pub fn surcharge(violation: &Value, config: &Value) -> Result<f64, String> {
    let percent = number_setting(config, "parking", "late_surcharge_percent")?;
    let fine = number_field(violation, "fine_amount").unwrap_or_default();
    Ok(cents(fine * percent / 100.0))
}

/// Schedule `parking-overdue`: every payable violation past its due date becomes overdue and
/// gets the late surcharge added to its fine. An overdue violation is never picked again, so a
/// second run changes nothing more.
pub fn sweep() -> Result<(), String> {
    let config = host::config();
    let today = today()?;
    let filter = format!("status in ('issued', 'upheld', 'reduced') and due_date lt '{today}'");
    let found = host::query_records(
        VIOLATION,
        &Query::filter(filter)
            .order_by("due_date asc")
            .top(SWEEP_BATCH),
    )
    .map_err(|e| format!("could not query overdue violations: {e}"))?;
    let (mut marked, mut surcharged, mut failed) = (0, 0.0, Vec::new());
    for violation in found.iter().filter(|v| is_past_due(v, today)) {
        let added = surcharge(violation, &config)?;
        let fine = number_field(violation, "fine_amount").unwrap_or_default();
        let patch = json!({
            "status": "overdue",
            "surcharge_amount": added,
            "fine_amount": cents(fine + added),
        });
        let id = str_field(violation, "id").unwrap_or_default();
        match host::update_record(VIOLATION, id, &patch) {
            Ok(_) => {
                marked += 1;
                surcharged += added;
            }
            Err(e) => failed.push(format!("{}: {e}", name_of(violation, "ticket_number"))),
        }
    }
    log_sweep(
        "parking-overdue",
        &failed,
        "violations",
        (marked > 0).then(|| {
            format!("marked {marked} violations overdue, adding {surcharged:.2} in surcharges")
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::{TestHandle, TestHost};

    use super::*;
    use crate::testing::{config_with, with};

    const NOW: &str = "2026-11-23T10:00:00.000000Z";
    const ID: &str = "0194f7a2-0000-7000-8000-0000000000a1";

    fn violation(fields: Value) -> Value {
        with(
            json!({
                "id": ID, "version": 1, "ticket_number": "PV-00000001", "plate": "HH AB 123",
                "offence_code": "no_parking_zone", "issued_at": "2026-11-01T09:00:00.000000Z",
                "fine_amount": 60, "original_fine": 60, "due_date": "2026-11-29", "status": "issued",
            }),
            fields,
        )
    }

    fn host_with(config: Value, records: Vec<Value>) -> TestHandle {
        let mut host = TestHost::new()
            .with_now(NOW)
            .with_config(config_with(config));
        for record in records {
            host = host.with_record(VIOLATION, record);
        }
        host.install()
    }

    fn keywords(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.path, e.keyword)).collect()
    }

    fn update(previous: Value, fields: Value) -> Vec<(String, String)> {
        let record = with(previous.clone(), fields);
        keywords(validate(&RecordEvent::update(VIOLATION, previous, record)))
    }

    #[test]
    fn a_new_ticket_gets_its_fine_due_date_and_status_from_the_configuration() {
        let _host = host_with(json!({"parking": {"payment_days": 21}}), vec![]);
        let record = json!({"ticket_number": "PV-00000002", "plate": "B X 1", "offence_code": "disabled_bay",
                            "issued_at": "2026-11-22T23:30:00-02:00"});
        let filled = before_change(&RecordEvent::create(VIOLATION, record))
            .unwrap()
            .unwrap();
        assert_eq!(
            filled["fine_amount"], 120.0,
            "the default fine of disabled_bay"
        );
        assert_eq!(filled["original_fine"], 120.0);
        // 23:30-02:00 is 01:30Z on the 23rd; 21 days later.
        assert_eq!(filled["due_date"], "2026-12-14");
        assert_eq!(filled["status"], "issued");
        // What the officer wrote is kept.
        let record =
            violation(json!({"original_fine": null, "due_date": "2026-12-01", "fine_amount": 75}));
        let filled = before_change(&RecordEvent::create(VIOLATION, record))
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                filled["fine_amount"].clone(),
                filled["original_fine"].clone()
            ),
            (json!(75), json!(75))
        );
        assert_eq!(filled["due_date"], "2026-12-01");
        assert_eq!(
            before_change(&RecordEvent::create(VIOLATION, violation(json!({})))),
            Ok(None)
        );
    }

    #[test]
    fn a_ticket_dated_in_the_future_is_refused() {
        let _host = host_with(json!({}), vec![]);
        let late = violation(json!({"issued_at": "2026-11-24T10:00:01Z"}));
        assert_eq!(
            keywords(validate(&RecordEvent::create(VIOLATION, late))),
            [("/issued_at".into(), "issued-in-future".into())]
        );
        let skewed = violation(json!({"issued_at": "2026-11-24T10:00:00Z"}));
        assert!(validate(&RecordEvent::create(VIOLATION, skewed)).is_empty());
        let paid = violation(json!({"status": "paid", "amount_paid": 60}));
        assert_eq!(
            keywords(validate(&RecordEvent::create(VIOLATION, paid))),
            [("/status".into(), "issued-first".into())]
        );
    }

    #[test]
    fn appeals_and_the_schedule_own_the_statuses_in_between() {
        let _host = host_with(json!({}), vec![]);
        for status in SET_BY_APPEAL {
            assert_eq!(
                update(violation(json!({})), json!({"status": status})),
                [("/status".into(), "set-by-appeal".into())]
            );
        }
        assert_eq!(
            update(violation(json!({})), json!({"status": "overdue"})),
            [("/status".into(), "set-by-schedule".into())]
        );
        let changed = update(
            violation(json!({})),
            json!({"fine_amount": 10, "offence_code": "no_ticket", "notes": "x"}),
        );
        assert_eq!(
            changed,
            [
                ("/offence_code".into(), "fixed-at-issue".into()),
                ("/fine_amount".into(), "fine-locked".into())
            ]
        );
        assert!(
            update(
                violation(json!({})),
                json!({"notes": "driver spoke to officer", "due_date": "2026-12-31"})
            )
            .is_empty()
        );
    }

    #[test]
    fn paying_needs_the_amount_due() {
        let _host = host_with(json!({}), vec![]);
        assert_eq!(
            update(violation(json!({})), json!({"status": "paid"})),
            [("/amount_paid".into(), "short-payment".into())]
        );
        assert_eq!(
            update(
                violation(json!({})),
                json!({"status": "paid", "amount_paid": 59.99})
            ),
            [("/amount_paid".into(), "short-payment".into())]
        );
        assert!(
            update(
                violation(json!({})),
                json!({"status": "paid", "amount_paid": 60})
            )
            .is_empty()
        );
        // Overdue: the surcharged fine is due.
        let overdue =
            violation(json!({"status": "overdue", "fine_amount": 90, "surcharge_amount": 30}));
        assert_eq!(
            update(
                overdue.clone(),
                json!({"status": "paid", "amount_paid": 60})
            )
            .len(),
            1
        );
        assert!(update(overdue, json!({"status": "paid", "amount_paid": 90})).is_empty());
    }

    #[test]
    fn the_early_payment_discount_applies_within_its_days_to_unappealed_tickets() {
        let config = config_with(
            json!({"parking": {"early_payment_discount_percent": 50, "early_payment_days": 14}}),
        );
        let ticket = violation(json!({}));
        assert_eq!(
            amount_due(&ticket, &config, "2026-11-15T08:59:59Z"),
            Ok(30.0)
        );
        assert_eq!(
            amount_due(&ticket, &config, "2026-11-15T09:00:00Z"),
            Ok(60.0),
            "14 days after issue"
        );
        let upheld = violation(json!({"status": "upheld"}));
        assert_eq!(
            amount_due(&upheld, &config, "2026-11-02T09:00:00Z"),
            Ok(60.0)
        );
        assert_eq!(
            amount_due(&ticket, &config_with(json!({})), "2026-11-02T09:00:00Z"),
            Ok(60.0),
            "off by default"
        );
        let _host = host_with(
            json!({"parking": {"early_payment_discount_percent": 50}}),
            vec![],
        );
        assert!(
            update(
                ticket,
                json!({"status": "paid", "amount_paid": 30, "paid_at": "2026-11-03T12:00:00Z"})
            )
            .is_empty()
        );
    }

    #[test]
    fn marking_paid_records_when() {
        let _host = host_with(json!({}), vec![]);
        let previous = violation(json!({}));
        let paid = with(
            previous.clone(),
            json!({"status": "paid", "amount_paid": 60}),
        );
        let stored = before_change(&RecordEvent::update(VIOLATION, previous.clone(), paid))
            .unwrap()
            .unwrap();
        assert_eq!(stored["paid_at"], NOW);
        let dated = with(
            previous.clone(),
            json!({"status": "paid", "amount_paid": 60, "paid_at": "2026-11-20T08:00:00Z"}),
        );
        assert_eq!(
            before_change(&RecordEvent::update(VIOLATION, previous, dated)),
            Ok(None)
        );
    }

    #[test]
    fn the_sweep_marks_past_due_violations_overdue_with_the_surcharge_once() {
        let ids = [
            "0194f7a2-0000-7000-8000-000000000001",
            "0194f7a2-0000-7000-8000-000000000002",
            "0194f7a2-0000-7000-8000-000000000003",
            "0194f7a2-0000-7000-8000-000000000004",
            "0194f7a2-0000-7000-8000-000000000005",
        ];
        let test = host_with(
            json!({"parking": {"late_surcharge_percent": 25}}),
            vec![
                violation(json!({"id": ids[0], "due_date": "2026-11-22"})),
                violation(
                    json!({"id": ids[1], "due_date": "2026-11-20", "status": "reduced", "fine_amount": 30.5}),
                ),
                violation(json!({"id": ids[2], "due_date": "2026-11-23"})),
                violation(json!({"id": ids[3], "due_date": "2026-11-01", "status": "appealed"})),
                violation(json!({"id": ids[4], "due_date": "2026-11-01", "status": "paid"})),
            ],
        );
        sweep().unwrap();
        let state = |id: &str| {
            let v = test.record(VIOLATION, id).unwrap();
            (
                v["status"].clone(),
                v["fine_amount"].clone(),
                v["surcharge_amount"].clone(),
            )
        };
        assert_eq!(state(ids[0]), (json!("overdue"), json!(75.0), json!(15.0)));
        assert_eq!(state(ids[1]), (json!("overdue"), json!(38.13), json!(7.63)));
        for id in &ids[2..] {
            assert_eq!(
                test.record(VIOLATION, id).unwrap()["version"],
                1,
                "{id} untouched"
            );
        }
        assert_eq!(test.logs().len(), 1);
        assert!(
            test.logs()[0]
                .1
                .contains("marked 2 violations overdue, adding 22.63"),
            "{:?}",
            test.logs()
        );
        // Idempotent: the second run finds nothing more to do.
        sweep().unwrap();
        assert_eq!(state(ids[0]), (json!("overdue"), json!(75.0), json!(15.0)));
        assert_eq!(test.logs().len(), 1);
    }

    #[test]
    fn the_sweep_asks_for_payable_past_due_violations() {
        let _test = TestHost::new()
            .with_now(NOW)
            .with_config(config_with(json!({})))
            .on_query(|entity_type, query, _| {
                assert_eq!(entity_type, VIOLATION);
                assert_eq!(
                    query.filter.as_deref(),
                    Some("status in ('issued', 'upheld', 'reduced') and due_date lt '2026-11-23'")
                );
                assert_eq!(query.top, Some(SWEEP_BATCH));
                Ok(Vec::new())
            })
            .install();
        sweep().unwrap();
        let _test = TestHost::new()
            .deny(VIOLATION)
            .with_config(config_with(json!({})))
            .install();
        assert!(sweep().unwrap_err().contains("could not query"));
    }

    #[test]
    fn the_plugin_s_statuses_are_the_schema_s() {
        let schema: Value = serde_json::from_str(include_str!(
            "../../../entity-schemas/parking_violation.json"
        ))
        .unwrap();
        let statuses = &schema["properties"]["status"]["enum"];
        for status in SET_BY_APPEAL
            .iter()
            .chain(&PAYABLE)
            .chain(&["overdue", "paid"])
        {
            assert!(
                statuses.as_array().unwrap().contains(&json!(status)),
                "{status}"
            );
        }
        let machine = &schema["x-xrm"]["state_machine"];
        for status in PAYABLE {
            assert!(
                machine["transitions"][status]
                    .as_array()
                    .unwrap()
                    .contains(&json!("overdue")),
                "{status}"
            );
        }
        assert_eq!(machine["transitions"]["paid"], json!([]));
        assert_eq!(machine["transitions"]["cancelled"], json!([]));
    }
}
