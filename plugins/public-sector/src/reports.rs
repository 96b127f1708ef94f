//! The package's reports: parking violations by status, open appeals by age, and overdue
//! property tax. Each reads every matching record by paging on `id` (the host caps a query at
//! 500 records), up to [`MAX_PAGES`] pages.

use xrm_sdk::prelude::*;

use crate::calendar::{Date, Instant};
use crate::{APPEAL, ASSESSMENT, VIOLATION, cents, number_field, str_field, today};

/// Records per query: the host's cap for plugin queries.
const PAGE: u32 = 500;
/// The most pages a report reads (10 000 records); past that it asks for a narrower report.
pub const MAX_PAGES: u32 = 20;

/// Statuses of a violation that still owe money.
const OWING: [&str; 5] = ["issued", "appealed", "upheld", "reduced", "overdue"];

/// Every record of `entity_type` matching `filter`, in `id` order.
fn query_all(entity_type: &str, filter: &str) -> Result<Vec<Value>, String> {
    let mut all: Vec<Value> = Vec::new();
    for _ in 0..MAX_PAGES {
        let after = all.last().and_then(|last| str_field(last, "id"));
        let page_filter = match (filter.is_empty(), after) {
            (true, None) => String::new(),
            (true, Some(id)) => format!("id gt '{id}'"),
            (false, None) => filter.to_owned(),
            (false, Some(id)) => format!("({filter}) and id gt '{id}'"),
        };
        let query = Query {
            filter: (!page_filter.is_empty()).then_some(page_filter),
            order_by: Some("id asc".into()),
            top: Some(PAGE),
        };
        let page = host::query_records(entity_type, &query)
            .map_err(|e| format!("could not query {entity_type}: {e}"))?;
        let full = page.len() == PAGE as usize;
        all.extend(page);
        if !full {
            return Ok(all);
        }
    }
    Err(format!(
        "more than {} {entity_type} records match; narrow the report's parameters",
        MAX_PAGES * PAGE
    ))
}

/// A report parameter as the host passes it (a string), parsed.
fn parameter<T: std::str::FromStr>(request: &ReportRequest, name: &str) -> Option<T> {
    request.parameters[name]
        .as_str()
        .and_then(|text| text.parse().ok())
}

/// The schema's statuses of a violation, in the order of its enum (the life of a ticket).
const STATUSES: [&str; 7] = [
    "issued",
    "appealed",
    "upheld",
    "reduced",
    "cancelled",
    "overdue",
    "paid",
];

/// `parking-violations-by-status`: per status, how many violations, the fines they carry, and
/// what is still owed; `issued_from` (a date) limits it to tickets issued from that day on.
pub fn violations_by_status(request: &ReportRequest) -> Result<Report, String> {
    let filter = match parameter::<String>(request, "issued_from")
        .as_deref()
        .and_then(Date::parse)
    {
        Some(from) => format!("issued_at ge '{from}T00:00:00.000000Z'"),
        None => String::new(),
    };
    let violations = query_all(VIOLATION, &filter)?;
    let rows = STATUSES
        .iter()
        .map(|status| {
            let of_status: Vec<&Value> = violations
                .iter()
                .filter(|v| str_field(v, "status") == Some(status))
                .collect();
            let fines: f64 = of_status
                .iter()
                .filter_map(|v| number_field(v, "fine_amount"))
                .sum();
            let paid: f64 = of_status
                .iter()
                .filter_map(|v| number_field(v, "amount_paid"))
                .sum();
            let outstanding = if OWING.contains(status) {
                (fines - paid).max(0.0)
            } else {
                0.0
            };
            vec![
                json!(status),
                json!(of_status.len()),
                json!(cents(fines)),
                json!(cents(outstanding)),
            ]
        })
        .collect();
    Ok(Report {
        columns: vec![
            Column::new("status", "Status", ColumnKind::Text),
            Column::new("count", "Violations", ColumnKind::Integer),
            Column::new("fines", "Fines", ColumnKind::Number),
            Column::new("outstanding", "Outstanding", ColumnKind::Number),
        ],
        rows,
        chart: Some(Chart {
            kind: ChartKind::Bar,
            x: "status".into(),
            y: vec!["count".into()],
        }),
    })
}

/// `parking-open-appeals`: appeals waiting for a decision, oldest first, with the days they
/// have waited (at least `min_age_days`) and the ticket and fine at stake.
pub fn open_appeals(request: &ReportRequest) -> Result<Report, String> {
    let min_age: i64 = parameter(request, "min_age_days").unwrap_or(0);
    let today = today()?;
    let appeals = query_all(APPEAL, "status eq 'open'")?;
    let violations = query_all(VIOLATION, "status eq 'appealed'")?;
    let mut rows: Vec<(String, Vec<Value>)> = appeals
        .iter()
        .filter_map(|appeal| {
            let filed_at = str_field(appeal, "filed_at")?;
            let age = Instant::parse(filed_at)?.date().days_until(today);
            if age < min_age {
                return None;
            }
            let violation = violations
                .iter()
                .find(|v| v.get("id") == appeal.get("violation_id"));
            let of_violation = |field: &str| {
                violation
                    .and_then(|v| v.get(field))
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            let row = vec![
                of_violation("ticket_number"),
                of_violation("plate"),
                appeal["appellant"].clone(),
                appeal["grounds"].clone(),
                json!(filed_at),
                json!(age),
                of_violation("fine_amount"),
            ];
            Some((Instant::parse(filed_at)?.to_string(), row))
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Report {
        columns: vec![
            Column::new("ticket_number", "Ticket", ColumnKind::Text),
            Column::new("plate", "Plate", ColumnKind::Text),
            Column::new("appellant", "Appellant", ColumnKind::Text),
            Column::new("grounds", "Grounds", ColumnKind::Text),
            Column::new("filed_at", "Filed", ColumnKind::DateTime),
            Column::new("age_days", "Days waiting", ColumnKind::Integer),
            Column::new("fine_amount", "Fine", ColumnKind::Number),
        ],
        rows: rows.into_iter().map(|(_, row)| row).collect(),
        chart: Some(Chart {
            kind: ChartKind::Bar,
            x: "ticket_number".into(),
            y: vec!["age_days".into()],
        }),
    })
}

/// `property-tax-overdue`: assessments past their due date and not fully paid (whether or not
/// the schedule has marked them yet), largest outstanding amount first, then a total row
/// (parcel "Total", the number of assessments as owner) summing tax, paid and outstanding.
/// `tax_year` limits it to one year.
pub fn tax_overdue(request: &ReportRequest) -> Result<Report, String> {
    let today = today()?;
    let mut filter = format!("payment_status ne 'paid' and due_date lt '{today}'");
    if let Some(year) = parameter::<i64>(request, "tax_year") {
        filter.push_str(&format!(" and tax_year eq {year}"));
    }
    let assessments = query_all(ASSESSMENT, &filter)?;
    let mut owed: Vec<(f64, &Value)> = assessments
        .iter()
        .filter(|a| {
            str_field(a, "due_date")
                .and_then(Date::parse)
                .is_some_and(|due| due < today)
        })
        .map(|a| {
            let tax = number_field(a, "computed_tax").unwrap_or_default();
            let paid = number_field(a, "amount_paid").unwrap_or_default();
            (cents(tax - paid), a)
        })
        .filter(|(outstanding, _)| *outstanding > 0.0)
        .collect();
    owed.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| str_field(a.1, "parcel_id").cmp(&str_field(b.1, "parcel_id")))
    });
    let mut totals = (0.0, 0.0, 0.0);
    let mut rows: Vec<Vec<Value>> = owed
        .iter()
        .map(|(outstanding, a)| {
            let tax = number_field(a, "computed_tax").unwrap_or_default();
            let paid = number_field(a, "amount_paid").unwrap_or_default();
            totals = (totals.0 + tax, totals.1 + paid, totals.2 + outstanding);
            let days = str_field(a, "due_date")
                .and_then(Date::parse)
                .map(|due| due.days_until(today));
            vec![
                a["parcel_id"].clone(),
                a["owner_name"].clone(),
                a["tax_year"].clone(),
                a["property_class"].clone(),
                a["due_date"].clone(),
                json!(days),
                json!(tax),
                json!(paid),
                json!(outstanding),
            ]
        })
        .collect();
    rows.push(vec![
        json!("Total"),
        json!(format!("{} assessments", owed.len())),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        json!(cents(totals.0)),
        json!(cents(totals.1)),
        json!(cents(totals.2)),
    ]);
    Ok(Report {
        columns: vec![
            Column::new("parcel_id", "Parcel", ColumnKind::Text),
            Column::new("owner_name", "Owner", ColumnKind::Text),
            Column::new("tax_year", "Tax year", ColumnKind::Integer),
            Column::new("property_class", "Class", ColumnKind::Text),
            Column::new("due_date", "Due", ColumnKind::Date),
            Column::new("days_overdue", "Days overdue", ColumnKind::Integer),
            Column::new("computed_tax", "Tax", ColumnKind::Number),
            Column::new("amount_paid", "Paid", ColumnKind::Number),
            Column::new("outstanding", "Outstanding", ColumnKind::Number),
        ],
        rows,
        chart: Some(Chart {
            kind: ChartKind::Bar,
            x: "parcel_id".into(),
            y: vec!["outstanding".into()],
        }),
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use xrm_sdk::testing::TestHost;

    use super::*;

    const NOW: &str = "2026-11-23T10:00:00.000000Z";

    fn request(name: &str, parameters: Value) -> ReportRequest {
        ReportRequest {
            name: name.into(),
            parameters,
            actor: "test".into(),
        }
    }

    fn id(n: u32) -> String {
        format!("0194f7a2-0000-7000-8000-{n:012}")
    }

    #[test]
    fn violations_are_counted_per_status_with_what_is_owed() {
        let mut host = TestHost::new().with_now(NOW);
        for (n, (status, fine, paid)) in [
            ("issued", 60.0, 0.0),
            ("issued", 40.0, 0.0),
            ("overdue", 90.0, 0.0),
            ("paid", 60.0, 60.0),
            ("cancelled", 60.0, 0.0),
            ("reduced", 25.5, 10.0),
        ]
        .into_iter()
        .enumerate()
        {
            host = host.with_record(VIOLATION, json!({"id": id(n as u32), "status": status, "fine_amount": fine, "amount_paid": paid}));
        }
        let _test = host.install();
        let report =
            violations_by_status(&request("parking-violations-by-status", json!({}))).unwrap();
        assert_eq!(
            report.rows,
            [
                vec![json!("issued"), json!(2), json!(100.0), json!(100.0)],
                vec![json!("appealed"), json!(0), json!(0.0), json!(0.0)],
                vec![json!("upheld"), json!(0), json!(0.0), json!(0.0)],
                vec![json!("reduced"), json!(1), json!(25.5), json!(15.5)],
                vec![json!("cancelled"), json!(1), json!(60.0), json!(0.0)],
                vec![json!("overdue"), json!(1), json!(90.0), json!(90.0)],
                vec![json!("paid"), json!(1), json!(60.0), json!(0.0)],
            ]
        );
        assert_eq!(report.chart.unwrap().y, ["count"]);
    }

    #[test]
    fn the_statuses_are_the_schema_s_in_its_order() {
        let schema: Value = serde_json::from_str(include_str!(
            "../../../entity-schemas/parking_violation.json"
        ))
        .unwrap();
        assert_eq!(schema["properties"]["status"]["enum"], json!(STATUSES));
    }

    #[test]
    fn reports_page_through_every_match() {
        let filters = Rc::new(RefCell::new(Vec::new()));
        let seen = filters.clone();
        let _test = TestHost::new()
            .with_now(NOW)
            .on_query(move |_, query, _| {
                seen.borrow_mut().push(query.filter.clone());
                assert_eq!(query.order_by.as_deref(), Some("id asc"));
                let start = seen.borrow().len() as u32 * 1000;
                let size = if seen.borrow().len() < 3 { PAGE } else { 7 };
                Ok((0..size)
                    .map(|n| json!({"id": id(start + n), "status": "issued", "fine_amount": 1}))
                    .collect())
            })
            .install();
        let report = violations_by_status(&request(
            "parking-violations-by-status",
            json!({"issued_from": "2026-11-01"}),
        ))
        .unwrap();
        assert_eq!(report.rows[0][1], json!(2 * PAGE + 7));
        let filters = filters.borrow();
        assert_eq!(
            filters[0].as_deref(),
            Some("issued_at ge '2026-11-01T00:00:00.000000Z'")
        );
        assert_eq!(
            filters[1],
            Some(format!(
                "(issued_at ge '2026-11-01T00:00:00.000000Z') and id gt '{}'",
                id(1000 + PAGE - 1)
            ))
        );
        assert_eq!(filters.len(), 3);
    }

    #[test]
    fn too_many_matches_ask_for_a_narrower_report() {
        let _test = TestHost::new()
            .with_now(NOW)
            .on_query(|_, _, _| Ok((0..PAGE).map(|n| json!({"id": id(n)})).collect()))
            .install();
        let error = tax_overdue(&request("property-tax-overdue", json!({}))).unwrap_err();
        assert!(
            error.contains("more than 10000 property_tax_assessment records"),
            "{error}"
        );
    }

    #[test]
    fn open_appeals_are_listed_oldest_first_with_their_ticket() {
        let _test = TestHost::new()
            .with_now(NOW)
            .with_record(VIOLATION, json!({"id": id(1), "ticket_number": "PV-00000001", "plate": "HH A 1", "status": "appealed", "fine_amount": 60}))
            .with_record(VIOLATION, json!({"id": id(2), "ticket_number": "PV-00000002", "plate": "HH B 2", "status": "appealed", "fine_amount": 120}))
            .with_record(APPEAL, json!({"id": id(11), "violation_id": id(1), "appellant": "A", "grounds": "other", "status": "open", "filed_at": "2026-11-20T08:00:00Z"}))
            .with_record(APPEAL, json!({"id": id(12), "violation_id": id(2), "appellant": "B", "grounds": "valid_permit", "status": "open", "filed_at": "2026-11-02T08:00:00+02:00"}))
            .install();
        let report = open_appeals(&request("parking-open-appeals", json!({}))).unwrap();
        let summary: Vec<(Value, Value, Value)> = report
            .rows
            .iter()
            .map(|r| (r[0].clone(), r[5].clone(), r[6].clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (json!("PV-00000002"), json!(21), json!(120)),
                (json!("PV-00000001"), json!(3), json!(60))
            ]
        );
        let report = open_appeals(&request(
            "parking-open-appeals",
            json!({"min_age_days": "4"}),
        ))
        .unwrap();
        assert_eq!(report.rows.len(), 1);
    }

    #[test]
    fn overdue_tax_is_listed_largest_first_with_a_total() {
        let row = |n: u32, parcel: &str, tax: f64, paid: f64, due: &str, status: &str| {
            json!({"id": id(n), "parcel_id": parcel, "owner_name": format!("Owner {n}"), "tax_year": 2026,
                   "property_class": "residential", "computed_tax": tax, "amount_paid": paid, "due_date": due, "payment_status": status})
        };
        let _test = TestHost::new()
            .with_now(NOW)
            .with_record(
                ASSESSMENT,
                row(1, "P-001", 1000.0, 250.0, "2026-06-30", "overdue"),
            )
            .with_record(
                ASSESSMENT,
                row(2, "P-002", 3000.0, 0.0, "2026-11-22", "unpaid"),
            )
            .with_record(
                ASSESSMENT,
                row(3, "P-003", 500.0, 0.0, "2026-11-23", "unpaid"),
            )
            .install();
        let report = tax_overdue(&request("property-tax-overdue", json!({}))).unwrap();
        assert_eq!(report.rows.len(), 3);
        assert_eq!(report.rows[0][0], "P-002");
        assert_eq!(report.rows[0][5], 1, "one day overdue");
        assert_eq!(report.rows[1][0], "P-001");
        assert_eq!(report.rows[1][8], 750.0);
        assert_eq!(
            report.rows[2],
            vec![
                json!("Total"),
                json!("2 assessments"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                json!(4000.0),
                json!(250.0),
                json!(3750.0)
            ]
        );
        assert_eq!(report.columns.len(), report.rows[0].len());
    }
}
