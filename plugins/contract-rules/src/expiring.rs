//! The `contracts-expiring` report: running contracts whose term ends within the next `days`
//! (90 unless asked otherwise), soonest first, with their value, so account managers see which
//! renewals to start and how much revenue is at stake.

use xrm_sdk::prelude::*;

use crate::CONTRACT;
use crate::date::Date;

/// The window when the request names none; also the manifest's documented default.
pub const DEFAULT_DAYS: i64 = 90;
/// The most contracts one report lists (the host's query cap).
const MAX_ROWS: u32 = 500;

pub fn report(request: &ReportRequest) -> Result<Report, String> {
    let days = request.parameters["days"]
        .as_str()
        .and_then(|text| text.parse::<i64>().ok())
        .unwrap_or(DEFAULT_DAYS);
    let now = host::now();
    let today = now
        .get(..10)
        .and_then(Date::parse)
        .ok_or_else(|| format!("the host's time {now:?} is not a date"))?;
    let until = today.add_days(days);
    let filter = format!(
        "status in ('active', 'expiring') and end_date ge '{today}' and end_date le '{until}'"
    );
    let contracts = host::query_records(
        CONTRACT,
        &Query::filter(filter)
            .order_by("end_date, contract_number")
            .top(MAX_ROWS),
    )
    .map_err(|e| e.to_string())?;
    let rows = contracts
        .iter()
        .map(|contract| {
            let days_left = contract["end_date"]
                .as_str()
                .and_then(Date::parse)
                .map(|end| today.days_until(end));
            vec![
                contract["contract_number"].clone(),
                contract["title"].clone(),
                contract["customer_id"].clone(),
                contract["status"].clone(),
                contract["end_date"].clone(),
                json!(days_left),
                contract["value"].clone(),
                contract["currency"].clone(),
            ]
        })
        .collect();
    Ok(Report {
        columns: vec![
            Column::new("contract_number", "Contract", ColumnKind::Text),
            Column::new("title", "Title", ColumnKind::Text),
            Column::new("customer_id", "Customer", ColumnKind::Text),
            Column::new("status", "Status", ColumnKind::Text),
            Column::new("end_date", "Ends", ColumnKind::Date),
            Column::new("days_left", "Days left", ColumnKind::Integer),
            Column::new("value", "Value", ColumnKind::Number),
            Column::new("currency", "Currency", ColumnKind::Text),
        ],
        rows,
        chart: Some(Chart {
            kind: ChartKind::Bar,
            x: "contract_number".into(),
            y: vec!["value".into()],
        }),
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use xrm_sdk::testing::TestHost;

    use super::*;

    fn contract(number: &str, status: &str, end: &str, value: f64) -> Value {
        json!({"contract_number": number, "title": format!("Contract {number}"),
               "customer_id": "0194f7a2-0000-7000-8000-0000000000c1", "status": status,
               "start_date": "2026-01-01", "end_date": end, "value": value, "currency": "EUR"})
    }

    fn request(parameters: Value) -> ReportRequest {
        ReportRequest {
            name: "contracts-expiring".into(),
            parameters,
            actor: "maria.keller".into(),
        }
    }

    #[test]
    fn lists_running_contracts_ending_in_the_window_with_days_left() {
        let asked = Rc::new(RefCell::new(None));
        let seen = asked.clone();
        let _test = TestHost::new()
            .with_now("2026-11-23T08:00:00.000000Z")
            .with_record(
                CONTRACT,
                contract("CTR-1", "expiring", "2026-12-01", 1200.0),
            )
            .on_query(move |_, query, stored| {
                *seen.borrow_mut() = Some((query.filter.clone(), query.order_by.clone()));
                Ok(stored.to_vec())
            })
            .install();
        let report = report(&request(json!({"days": "30"}))).unwrap();
        let (filter, order) = asked.borrow().clone().unwrap();
        assert_eq!(
            filter.as_deref(),
            Some(
                "status in ('active', 'expiring') and end_date ge '2026-11-23' and end_date le '2026-12-23'"
            )
        );
        assert_eq!(order.as_deref(), Some("end_date, contract_number"));
        assert_eq!(report.columns.len(), 8);
        assert_eq!(
            report.rows,
            vec![vec![
                json!("CTR-1"),
                json!("Contract CTR-1"),
                json!("0194f7a2-0000-7000-8000-0000000000c1"),
                json!("expiring"),
                json!("2026-12-01"),
                json!(8),
                json!(1200.0),
                json!("EUR"),
            ]]
        );
        assert_eq!(report.chart.unwrap().y, vec!["value".to_owned()]);
    }

    #[test]
    fn the_window_defaults_to_ninety_days() {
        let asked = Rc::new(RefCell::new(None));
        let seen = asked.clone();
        let _test = TestHost::new()
            .with_now("2026-11-23T08:00:00.000000Z")
            .on_query(move |_, query, _| {
                *seen.borrow_mut() = query.filter.clone();
                Ok(vec![])
            })
            .install();
        let report = report(&request(json!({}))).unwrap();
        assert!(report.rows.is_empty());
        assert!(
            asked
                .borrow()
                .as_deref()
                .unwrap()
                .ends_with("end_date le '2027-02-21'")
        );
    }
}
