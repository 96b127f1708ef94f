//! Property-tax assessments: the tax computed from the assessed value and the rate table of the
//! property's class in the workspace's configuration (an exemption, then marginal brackets),
//! the payment status from the amount paid and the due date, and the `property-tax-overdue`
//! schedule that marks unpaid assessments overdue.

use xrm_sdk::prelude::*;

use crate::calendar::Date;
use crate::{ASSESSMENT, cents, log_sweep, name_of, number_field, setting, str_field, today};

/// The most assessments one run of the sweep marks overdue; each costs one host call, plus the
/// query and the summary log line.
pub const SWEEP_BATCH: u32 = 200;

/// One class's rate table: the exemption taken off the assessed value, then marginal brackets.
#[derive(Debug, Clone, PartialEq)]
pub struct RateTable {
    pub exemption: f64,
    /// `(up_to, rate_percent)`, ascending; only the last has no `up_to`.
    pub brackets: Vec<(Option<f64>, f64)>,
}

impl RateTable {
    /// The rate table of `class` in the configuration, checked for what its JSON Schema cannot
    /// say: bounds rising, every band bounded but the last.
    pub fn of(config: &Value, class: &str) -> Result<RateTable, String> {
        let table = setting(config, "property_tax", "rate_tables")?
            .get(class)
            .ok_or_else(|| {
                format!("the package configuration has no rate table for property class {class:?}")
            })?;
        let problem = |what: String| {
            format!("the rate table for {class} in the package configuration is not usable: {what}")
        };
        let brackets = table["brackets"]
            .as_array()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| problem("it has no brackets".into()))?;
        let mut parsed = Vec::with_capacity(brackets.len());
        let mut floor = 0.0;
        for (index, bracket) in brackets.iter().enumerate() {
            let rate = bracket["rate_percent"]
                .as_f64()
                .ok_or_else(|| problem(format!("bracket {index} has no rate_percent")))?;
            let up_to = bracket["up_to"].as_f64();
            let last = index + 1 == brackets.len();
            match up_to {
                None if !last => {
                    return Err(problem(format!(
                        "bracket {index} has no up_to, but only the last may be open-ended"
                    )));
                }
                Some(_) if last => {
                    return Err(problem(
                        "the last bracket has an up_to; leave it out so every value is taxed"
                            .into(),
                    ));
                }
                Some(bound) if bound <= floor => {
                    return Err(problem(format!(
                        "bracket {index} ends at {bound}, not above the bracket before it ({floor})"
                    )));
                }
                Some(bound) => floor = bound,
                None => {}
            }
            parsed.push((up_to, rate));
        }
        Ok(RateTable {
            exemption: table["exemption"].as_f64().unwrap_or_default(),
            brackets: parsed,
        })
    }

    /// The tax on `assessed_value`: each band of the value above the exemption at its rate,
    /// rounded to cents.
    pub fn tax(&self, assessed_value: f64) -> f64 {
        let taxable = (assessed_value - self.exemption).max(0.0);
        let mut floor = 0.0;
        let mut tax = 0.0;
        for &(up_to, rate) in &self.brackets {
            let ceiling = up_to.unwrap_or(f64::INFINITY);
            let band = (taxable.min(ceiling) - floor).max(0.0);
            tax += band * rate / 100.0;
            floor = ceiling;
        }
        cents(tax)
    }
}

/// Where an assessment stands: paid in full, else overdue past its due date, else partially
/// paid or unpaid.
pub fn payment_status(tax: f64, paid: f64, due: Option<Date>, today: Date) -> &'static str {
    if cents(paid) >= tax {
        "paid"
    } else if due.is_some_and(|due| due < today) {
        "overdue"
    } else if paid > 0.0 {
        "partially_paid"
    } else {
        "unpaid"
    }
}

/// The due date of a tax year by the configured `MM-DD`.
fn configured_due_date(config: &Value, year: i64) -> Result<Date, Refusal> {
    let day = setting(config, "property_tax", "due_date")
        .map_err(Refusal::Conflict)?
        .as_str()
        .unwrap_or_default();
    let (month, day_of_month) = day.split_once('-').unwrap_or_default();
    let parsed = (month.parse().ok(), day_of_month.parse().ok());
    match parsed {
        (Some(month), Some(day_of_month)) => Date::from_ymd(year, month, day_of_month),
        _ => None,
    }
    .ok_or_else(|| {
        Refusal::field(
            "/due_date",
            "no-due-date",
            format!("the configured due day {day:?} does not exist in {year}; give the assessment a due_date"),
        )
    })
}

/// Before every create and update: `computed_tax`, `amount_paid` (0 when left out),
/// `due_date` (from the configuration when left out) and `payment_status`, whatever the writer
/// sent for them. An amount paid above the tax is refused.
pub fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
    let Some(mut record) = event.record.clone() else {
        return Ok(None);
    };
    let original = record.clone();
    let config = host::config();
    let (Some(class), Some(value)) = (
        str_field(&record, "property_class").map(str::to_owned),
        number_field(&record, "assessed_value"),
    ) else {
        // Missing required members: the host names them after the hooks.
        return Ok(None);
    };
    let table = RateTable::of(&config, &class).map_err(Refusal::Conflict)?;
    let tax = table.tax(value);
    let paid = number_field(&record, "amount_paid").unwrap_or_default();
    if cents(paid) > tax {
        return Err(Refusal::field(
            "/amount_paid",
            "overpaid",
            format!(
                "the {class} tax of parcel {} on an assessed value of {value:.2} is {tax:.2}; {paid:.2} paid is more than that",
                name_of(&record, "parcel_id")
            ),
        ));
    }
    if record.get("due_date").is_none()
        && let Some(year) = record.get("tax_year").and_then(Value::as_i64)
    {
        record["due_date"] = json!(configured_due_date(&config, year)?.to_string());
    }
    let due = str_field(&record, "due_date").and_then(Date::parse);
    let status = payment_status(tax, paid, due, today().map_err(Refusal::Conflict)?);
    record["computed_tax"] = json!(tax);
    record["amount_paid"] = json!(paid);
    record["payment_status"] = json!(status);
    Ok((record != original).then_some(record))
}

/// Schedule `property-tax-overdue`: unpaid and partially paid assessments past their due date
/// become overdue. An overdue assessment is not picked again; a payment in full (the
/// before-update hook) makes it paid.
pub fn sweep() -> Result<(), String> {
    let today = today()?;
    let filter =
        format!("payment_status in ('unpaid', 'partially_paid') and due_date lt '{today}'");
    let found = host::query_records(
        ASSESSMENT,
        &Query::filter(filter)
            .order_by("due_date asc")
            .top(SWEEP_BATCH),
    )
    .map_err(|e| format!("could not query assessments past due: {e}"))?;
    let past_due = |a: &&Value| {
        matches!(
            str_field(a, "payment_status"),
            Some("unpaid" | "partially_paid")
        ) && str_field(a, "due_date")
            .and_then(Date::parse)
            .is_some_and(|due| due < today)
    };
    let (mut marked, mut failed) = (0, Vec::new());
    for assessment in found.iter().filter(past_due) {
        let id = str_field(assessment, "id").unwrap_or_default();
        match host::update_record(ASSESSMENT, id, &json!({"payment_status": "overdue"})) {
            Ok(_) => marked += 1,
            Err(e) => failed.push(format!("{}: {e}", name_of(assessment, "parcel_id"))),
        }
    }
    log_sweep(
        "property-tax-overdue",
        &failed,
        "assessments",
        (marked > 0).then(|| format!("marked {marked} assessments overdue")),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::{TestHandle, TestHost};

    use super::*;
    use crate::testing::{config_with, with};

    const NOW: &str = "2026-11-23T10:00:00.000000Z";

    fn assessment(fields: Value) -> Value {
        with(
            json!({"parcel_id": "HH-0815-12", "owner_name": "Greta Hansen", "tax_year": 2026,
                   "property_class": "residential", "assessed_value": 325000}),
            fields,
        )
    }

    fn host_with(config: Value, records: Vec<Value>) -> TestHandle {
        let mut host = TestHost::new()
            .with_now(NOW)
            .with_config(config_with(config));
        for record in records {
            host = host.with_record(ASSESSMENT, record);
        }
        host.install()
    }

    fn stored(fields: Value) -> Value {
        before_change(&RecordEvent::create(ASSESSMENT, assessment(fields)))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn the_default_tables_tax_each_class() {
        let config = config_with(json!({}));
        let tax = |class: &str, value: f64| RateTable::of(&config, class).unwrap().tax(value);
        // Residential: 25 000 exempt, 1 % up to 500 000, 1.25 % above.
        assert_eq!(tax("residential", 325_000.0), 3_000.0);
        assert_eq!(tax("residential", 20_000.0), 0.0);
        assert_eq!(tax("residential", 625_000.0), 5_000.0 + 1_250.0);
        assert_eq!(tax("commercial", 1_500_000.0), 15_000.0 + 9_000.0);
        assert_eq!(tax("industrial", 123_456.78), 2_469.14);
        assert_eq!(tax("agricultural", 250_000.0), 1_000.0);
        assert_eq!(tax("exempt", 9_000_000.0), 0.0);
    }

    #[test]
    fn a_workspace_s_own_table_replaces_the_default() {
        let config = config_with(json!({"property_tax": {"rate_tables": {
            "residential": {"brackets": [{"up_to": 100000, "rate_percent": 0.5}, {"rate_percent": 2}]}}}}));
        let table = RateTable::of(&config, "residential").unwrap();
        assert_eq!(
            table,
            RateTable {
                exemption: 0.0,
                brackets: vec![(Some(100_000.0), 0.5), (None, 2.0)]
            }
        );
        assert_eq!(table.tax(325_000.0), 500.0 + 4_500.0);
        // The other classes keep their defaults.
        assert_eq!(
            RateTable::of(&config, "industrial").unwrap().tax(100.0),
            2.0
        );
    }

    #[test]
    fn a_table_its_schema_cannot_check_is_refused_with_the_reason() {
        let bad = |brackets: Value| {
            let config = config_with(
                json!({"property_tax": {"rate_tables": {"commercial": {"brackets": brackets}}}}),
            );
            RateTable::of(&config, "commercial").unwrap_err()
        };
        assert!(
            bad(json!([{"rate_percent": 1}, {"rate_percent": 2}]))
                .contains("only the last may be open-ended")
        );
        assert!(
            bad(json!([{"up_to": 10, "rate_percent": 1}]))
                .contains("the last bracket has an up_to")
        );
        assert!(bad(json!([{"up_to": 10, "rate_percent": 1}, {"up_to": 10, "rate_percent": 1}, {"rate_percent": 1}]))
            .contains("bracket 1 ends at 10, not above the bracket before it (10)"));
        assert!(bad(json!([])).contains("no brackets"));
        let _host = host_with(
            json!({"property_tax": {"rate_tables": {"residential": {"brackets": []}}}}),
            vec![],
        );
        assert!(
            matches!(before_change(&RecordEvent::create(ASSESSMENT, assessment(json!({})))),
                         Err(Refusal::Conflict(m)) if m.contains("residential"))
        );
    }

    #[test]
    fn the_status_follows_payment_and_due_date() {
        let today = Date::parse("2026-11-23").unwrap();
        let due = Date::parse("2026-11-23");
        let past = Date::parse("2026-11-22");
        assert_eq!(payment_status(100.0, 0.0, due, today), "unpaid");
        assert_eq!(payment_status(100.0, 40.0, due, today), "partially_paid");
        assert_eq!(payment_status(100.0, 100.0, past, today), "paid");
        assert_eq!(
            payment_status(100.0, 99.999, past, today),
            "paid",
            "to the cent"
        );
        assert_eq!(payment_status(100.0, 40.0, past, today), "overdue");
        assert_eq!(
            payment_status(0.0, 0.0, past, today),
            "paid",
            "nothing owed"
        );
        assert_eq!(payment_status(100.0, 0.0, None, today), "unpaid");
    }

    #[test]
    fn the_hook_computes_and_overrides_what_the_writer_sent() {
        let _host = host_with(json!({"property_tax": {"due_date": "03-31"}}), vec![]);
        let record = stored(json!({"computed_tax": 1, "payment_status": "paid"}));
        assert_eq!(record["computed_tax"], 3000.0);
        assert_eq!(record["amount_paid"], 0.0);
        assert_eq!(record["due_date"], "2026-03-31");
        assert_eq!(
            record["payment_status"], "overdue",
            "due in March, unpaid in November"
        );
        let record = stored(json!({"due_date": "2026-12-31", "amount_paid": 1000}));
        assert_eq!(record["payment_status"], "partially_paid");
        let record = stored(json!({"tax_year": 2027, "amount_paid": 3000}));
        assert_eq!(
            (record["due_date"].clone(), record["payment_status"].clone()),
            (json!("2027-03-31"), json!("paid"))
        );
        // An update recomputes from the new value.
        let previous = stored(json!({"due_date": "2026-12-31", "amount_paid": 1000}));
        let revalued = with(previous.clone(), json!({"assessed_value": 125000}));
        let record = before_change(&RecordEvent::update(ASSESSMENT, previous, revalued))
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                record["computed_tax"].clone(),
                record["payment_status"].clone()
            ),
            (json!(1000.0), json!("paid"))
        );
    }

    #[test]
    fn an_overpayment_or_an_impossible_due_day_is_refused() {
        let _host = host_with(json!({"property_tax": {"due_date": "02-30"}}), vec![]);
        let refused = before_change(&RecordEvent::create(
            ASSESSMENT,
            assessment(json!({"amount_paid": 3000.01})),
        ));
        assert!(
            matches!(&refused, Err(Refusal::Invalid(e)) if e[0].path == "/amount_paid" && e[0].keyword == "overpaid"
            && e[0].message.contains("is 3000.00; 3000.01 paid")),
            "{refused:?}"
        );
        let refused = before_change(&RecordEvent::create(ASSESSMENT, assessment(json!({}))));
        assert!(
            matches!(&refused, Err(Refusal::Invalid(e)) if e[0].path == "/due_date" && e[0].keyword == "no-due-date"),
            "{refused:?}"
        );
        assert_eq!(
            before_change(&RecordEvent::create(
                ASSESSMENT,
                assessment(json!({"assessed_value": null}))
            )),
            Ok(None)
        );
    }

    #[test]
    fn the_sweep_marks_unpaid_assessments_past_due_once() {
        let ids = [
            "0194f7a2-0000-7000-8000-000000000001",
            "0194f7a2-0000-7000-8000-000000000002",
            "0194f7a2-0000-7000-8000-000000000003",
            "0194f7a2-0000-7000-8000-000000000004",
        ];
        let test = host_with(
            json!({}),
            vec![
                assessment(
                    json!({"id": ids[0], "version": 1, "payment_status": "unpaid", "due_date": "2026-06-30"}),
                ),
                assessment(
                    json!({"id": ids[1], "version": 1, "payment_status": "partially_paid", "due_date": "2026-11-22"}),
                ),
                assessment(
                    json!({"id": ids[2], "version": 1, "payment_status": "unpaid", "due_date": "2026-11-23"}),
                ),
                assessment(
                    json!({"id": ids[3], "version": 1, "payment_status": "paid", "due_date": "2026-06-30"}),
                ),
            ],
        );
        sweep().unwrap();
        let status = |id: &str| test.record(ASSESSMENT, id).unwrap()["payment_status"].clone();
        assert_eq!(
            [
                status(ids[0]),
                status(ids[1]),
                status(ids[2]),
                status(ids[3])
            ],
            [
                json!("overdue"),
                json!("overdue"),
                json!("unpaid"),
                json!("paid")
            ]
        );
        sweep().unwrap();
        assert_eq!(
            test.record(ASSESSMENT, ids[0]).unwrap()["version"],
            2,
            "a second run changes nothing"
        );
        assert_eq!(test.logs().len(), 1);
    }

    #[test]
    fn the_sample_data_is_taxed_by_the_default_tables() {
        let config = config_with(json!({}));
        let sample: Value = serde_json::from_str(include_str!("../sample-data.json")).unwrap();
        for record in sample[ASSESSMENT].as_array().unwrap() {
            let class = record["property_class"].as_str().unwrap();
            let tax = RateTable::of(&config, class)
                .unwrap()
                .tax(record["assessed_value"].as_f64().unwrap());
            assert_eq!(record["computed_tax"].as_f64(), Some(tax), "{record}");
        }
    }
}
