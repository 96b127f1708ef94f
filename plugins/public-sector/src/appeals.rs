//! Appeals against parking violations: filed within the configured window after the ticket's
//! issue, at most one open per violation, the violation suspended (`appealed`) while one is
//! open and back to `issued` when it is withdrawn, and decided only with the `decide` action,
//! which moves appeal and violation together.

use xrm_sdk::prelude::*;

use crate::calendar::Instant;
use crate::{APPEAL, VIOLATION, cents, days_setting, name_of, number_field, str_field, today};

/// The fields of a decision: written by the `decide` action only.
const DECISION_FIELDS: [&str; 5] = [
    "decision",
    "reduced_amount",
    "decision_reason",
    "decided_at",
    "decided_by",
];

/// Fields fixed when the appeal is filed.
const FILED_FIELDS: [&str; 2] = ["violation_id", "filed_at"];

/// Rules on what people write.
pub fn validate(event: &RecordEvent) -> Vec<FieldError> {
    let Some(record) = event.record.as_ref() else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let statement = str_field(record, "statement")
        .map(str::trim)
        .unwrap_or_default();
    if str_field(record, "grounds") == Some("other") && statement.is_empty() {
        errors.push(FieldError::new(
            "/statement",
            "statement-required",
            "an appeal on grounds 'other' needs a statement saying what they are",
        ));
    }
    let previous = event.previous.as_ref();
    let differs = |field: &str| record.get(field) != previous.and_then(|p| p.get(field));
    for field in DECISION_FIELDS.into_iter().filter(|f| differs(f)) {
        errors.push(FieldError::new(
            &format!("/{field}"),
            "use-decide-action",
            format!("{field} is set when the appeal is decided, with the decide action"),
        ));
    }
    if previous.is_none() && str_field(record, "status").is_some_and(|s| s != "open") {
        // Not the schema's `initial`: package sample data holds decided appeals too.
        errors.push(FieldError::new(
            "/status",
            "filed-open",
            "a new appeal is open; it is decided with the decide action or withdrawn",
        ));
    }
    if previous.is_some() {
        if differs("status") && str_field(record, "status") == Some("decided") {
            errors.push(FieldError::new(
                "/status",
                "use-decide-action",
                "an appeal is decided with the decide action, which also settles its violation",
            ));
        }
        for field in FILED_FIELDS.into_iter().filter(|f| differs(f)) {
            errors.push(FieldError::new(
                &format!("/{field}"),
                "fixed-at-filing",
                format!(
                    "{field} is fixed when the appeal is filed; withdraw it and file a new one"
                ),
            ));
        }
    }
    errors
}

/// Create: the filing time, the window, one open appeal, and the violation moved to
/// `appealed` in the same transaction. Update: a withdrawn appeal returns its violation to
/// `issued`.
pub fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
    let Some(record) = event.record.as_ref() else {
        return Ok(None);
    };
    match event.operation {
        Operation::Create => file(record),
        _ if event.changed("status") && str_field(record, "status") == Some("withdrawn") => {
            withdraw(record)?;
            Ok(None)
        }
        _ => Ok(None),
    }
}

fn host_failed(what: &str, e: HostError) -> Refusal {
    Refusal::Conflict(format!("could not {what}: {e}"))
}

fn file(record: &Value) -> Result<Option<Value>, Refusal> {
    let mut record = record.clone();
    if record.get("filed_at").is_none() {
        record["filed_at"] = json!(host::now());
    }
    if record.get("status").is_none() {
        record["status"] = json!("open");
    }
    // A missing or wrong violation is the host's lookup check to report.
    let Some(violation_id) = str_field(&record, "violation_id").map(str::to_owned) else {
        return Ok(Some(record));
    };
    let Some(violation) = host::get_record(VIOLATION, &violation_id)
        .map_err(|e| host_failed("read the violation", e))?
    else {
        return Ok(Some(record));
    };
    let window = days_setting(&host::config(), "parking", "appeal_window_days")
        .map_err(Refusal::Conflict)?;
    if let Some(error) = window_error(&violation, str_field(&record, "filed_at"), window) {
        return Err(Refusal::Invalid(vec![error]));
    }
    let ticket = name_of(&violation, "ticket_number");
    let open = host::query_records(
        APPEAL,
        &Query::filter(format!(
            "violation_id eq '{violation_id}' and status eq 'open'"
        ))
        .top(1),
    )
    .map_err(|e| host_failed("look for open appeals", e))?;
    if let Some(open) = open.iter().find(|a| str_field(a, "status") == Some("open")) {
        return Err(Refusal::field(
            "/violation_id",
            "one-open-appeal",
            format!(
                "{ticket} already has an open appeal ({}, filed {}); decide or withdraw it first",
                str_field(open, "id").unwrap_or("?"),
                str_field(open, "filed_at").unwrap_or("?")
            ),
        ));
    }
    let status = str_field(&violation, "status").unwrap_or_default();
    if status != "issued" {
        return Err(Refusal::field(
            "/violation_id",
            "not-appealable",
            format!("{ticket} is {status}; only an issued violation can be appealed"),
        ));
    }
    host::update_record(VIOLATION, &violation_id, &json!({"status": "appealed"}))
        .map_err(|e| host_failed(&format!("mark {ticket} appealed"), e))?;
    Ok(Some(record))
}

/// Why an appeal filed at `filed_at` is outside the window of `window_days` after the
/// violation's issue, or `None` when it is inside (or a timestamp is the schema's to report).
pub fn window_error(
    violation: &Value,
    filed_at: Option<&str>,
    window_days: i64,
) -> Option<FieldError> {
    let issued_text = str_field(violation, "issued_at")?;
    let (issued, filed) = (Instant::parse(issued_text)?, Instant::parse(filed_at?)?);
    let ticket = name_of(violation, "ticket_number");
    if filed < issued {
        return Some(FieldError::new(
            "/filed_at",
            "filed-before-issue",
            format!("the appeal is filed at {filed}, before {ticket} was issued at {issued}"),
        ));
    }
    let closes = issued.plus_days(window_days);
    (filed >= closes).then(|| {
        FieldError::new(
            "/filed_at",
            "appeal-window",
            format!(
                "appeals against {ticket} had to be filed within {window_days} days of its issue at {issued}, that is before {closes}; this one is filed at {filed}"
            ),
        )
    })
}

fn withdraw(record: &Value) -> Result<(), Refusal> {
    let Some(violation_id) = str_field(record, "violation_id") else {
        return Ok(());
    };
    let violation = host::get_record(VIOLATION, violation_id)
        .map_err(|e| host_failed("read the violation", e))?;
    if violation.is_some_and(|v| str_field(&v, "status") == Some("appealed")) {
        host::update_record(VIOLATION, violation_id, &json!({"status": "issued"}))
            .map_err(|e| host_failed("return the violation to issued", e))?;
    }
    Ok(())
}

/// Action `decide`: input `{"decision": "upheld"|"cancelled"|"reduced", "reason": "…",
/// "new_amount": n}` (new_amount with `reduced` only, as the input schema says). Records the
/// decision on the appeal and moves the violation to the decision's status, with the reduced
/// fine and a new due date for what is still owed, in one transaction. Answers the violation's
/// new state.
pub fn decide(request: &ActionRequest) -> Result<Value, Refusal> {
    let input = &request.input;
    let decision = str_field(input, "decision").unwrap_or_default();
    let reason = str_field(input, "reason")
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            Refusal::field("/reason", "minLength", "say why the appeal is decided so")
        })?;
    let appeal = host::get_record(APPEAL, &request.id)
        .map_err(|e| host_failed("read the appeal", e))?
        .ok_or_else(|| Refusal::Conflict(format!("appeal {} does not exist", request.id)))?;
    let status = str_field(&appeal, "status").unwrap_or_default();
    if status != "open" {
        return Err(Refusal::Conflict(format!(
            "the appeal is {status}; only an open appeal is decided"
        )));
    }
    let violation_id = str_field(&appeal, "violation_id").unwrap_or_default();
    let violation = host::get_record(VIOLATION, violation_id)
        .map_err(|e| host_failed("read the violation", e))?
        .ok_or_else(|| Refusal::Conflict(format!("violation {violation_id} does not exist")))?;
    let ticket = name_of(&violation, "ticket_number");
    if str_field(&violation, "status") != Some("appealed") {
        return Err(Refusal::Conflict(format!(
            "{ticket} is {}, not appealed; its appeal cannot be decided",
            str_field(&violation, "status").unwrap_or("without a status")
        )));
    }
    let fine = number_field(&violation, "fine_amount").unwrap_or_default();
    let mut violation_patch = json!({"status": decision});
    let mut appeal_patch = json!({
        "status": "decided",
        "decision": decision,
        "decision_reason": reason,
        "decided_at": host::now(),
        "decided_by": request.actor,
    });
    if decision == "reduced" {
        let amount = number_field(input, "new_amount")
            .map(cents)
            .unwrap_or_default();
        if amount <= 0.0 || amount >= fine {
            return Err(Refusal::field(
                "/new_amount",
                "reduce-below-fine",
                format!(
                    "a reduced fine is more than 0 and less than the fine of {ticket}, {fine:.2}; to waive it, cancel"
                ),
            ));
        }
        violation_patch["fine_amount"] = json!(amount);
        appeal_patch["reduced_amount"] = json!(amount);
    }
    if decision != "cancelled" {
        let days = days_setting(&host::config(), "parking", "payment_days_after_decision")
            .map_err(Refusal::Conflict)?;
        let due = today().map_err(Refusal::Conflict)?.add_days(days);
        violation_patch["due_date"] = json!(due.to_string());
    }
    host::update_record(APPEAL, &request.id, &appeal_patch)
        .map_err(|e| host_failed("record the decision", e))?;
    let stored = host::update_record(VIOLATION, violation_id, &violation_patch)
        .map_err(|e| host_failed(&format!("update {ticket}"), e))?;
    Ok(json!({
        "appeal_id": request.id,
        "decision": decision,
        "violation_id": violation_id,
        "violation_status": stored["status"],
        "fine_amount": stored["fine_amount"],
        "due_date": stored["due_date"],
    }))
}

#[cfg(test)]
mod tests {
    use xrm_sdk::testing::{TestHandle, TestHost};

    use super::*;
    use crate::testing::{config_with, with};

    const NOW: &str = "2026-11-23T10:00:00.000000Z";
    const VIOLATION_ID: &str = "0194f7a2-0000-7000-8000-0000000000a1";
    const APPEAL_ID: &str = "0194f7a2-0000-7000-8000-0000000000b1";

    fn violation(fields: Value) -> Value {
        with(
            json!({
                "id": VIOLATION_ID, "version": 1, "ticket_number": "PV-00000001", "plate": "HH AB 123",
                "offence_code": "no_parking_zone", "issued_at": "2026-11-01T09:00:00.000000Z",
                "fine_amount": 60, "original_fine": 60, "due_date": "2026-11-29", "status": "issued",
            }),
            fields,
        )
    }

    fn appeal(fields: Value) -> Value {
        with(
            json!({"id": APPEAL_ID, "version": 1, "violation_id": VIOLATION_ID, "appellant": "Jana Novak",
                   "grounds": "signage_unclear", "filed_at": "2026-11-10T12:00:00.000000Z", "status": "open"}),
            fields,
        )
    }

    fn host_with(config: Value, violations: Vec<Value>, appeals: Vec<Value>) -> TestHandle {
        let mut host = TestHost::new()
            .with_now(NOW)
            .with_config(config_with(config));
        for record in violations {
            host = host.with_record(VIOLATION, record);
        }
        for record in appeals {
            host = host.with_record(APPEAL, record);
        }
        host.install()
    }

    fn refused_at(result: Result<Option<Value>, Refusal>) -> (String, String) {
        match result {
            Err(Refusal::Invalid(errors)) => (errors[0].path.clone(), errors[0].keyword.clone()),
            other => panic!("expected a field refusal, got {other:?}"),
        }
    }

    fn new_appeal(fields: Value) -> RecordEvent {
        RecordEvent::create(APPEAL, appeal(fields))
    }

    #[test]
    fn the_appeal_window_is_counted_from_the_issue() {
        let ticket = violation(json!({}));
        let error = window_error(&ticket, Some("2026-11-29T09:00:00Z"), 28).unwrap();
        assert_eq!(
            (error.path.as_str(), error.keyword.as_str()),
            ("/filed_at", "appeal-window")
        );
        assert_eq!(
            error.message,
            "appeals against PV-00000001 had to be filed within 28 days of its issue at \
             2026-11-01T09:00:00.000000Z, that is before 2026-11-29T09:00:00.000000Z; this one is \
             filed at 2026-11-29T09:00:00.000000Z"
        );
        assert_eq!(
            window_error(&ticket, Some("2026-11-29T08:59:59.999999Z"), 28),
            None
        );
        assert_eq!(
            window_error(&ticket, Some("2026-11-29T10:59:59+02:00"), 28),
            None,
            "08:59:59Z"
        );
        assert!(window_error(&ticket, Some("2026-11-29T09:00:00Z"), 30).is_none());
        let early = window_error(&ticket, Some("2026-10-31T09:00:00Z"), 28).unwrap();
        assert_eq!(early.keyword, "filed-before-issue");
        assert_eq!(window_error(&ticket, Some("soon"), 28), None);
    }

    #[test]
    fn filing_suspends_the_violation_in_the_same_write() {
        let test = host_with(json!({}), vec![violation(json!({}))], vec![]);
        let event = new_appeal(json!({"filed_at": null}));
        let stored = before_change(&event).unwrap().unwrap();
        assert_eq!(stored["filed_at"], NOW);
        assert_eq!(
            test.record(VIOLATION, VIOLATION_ID).unwrap()["status"],
            "appealed"
        );
    }

    #[test]
    fn a_late_appeal_is_refused_by_the_workspace_s_window() {
        let late = json!({"filed_at": "2026-11-30T09:00:00Z"});
        let test = host_with(json!({}), vec![violation(json!({}))], vec![]);
        assert_eq!(
            refused_at(before_change(&new_appeal(late.clone()))),
            ("/filed_at".into(), "appeal-window".into())
        );
        assert_eq!(
            test.record(VIOLATION, VIOLATION_ID).unwrap()["version"],
            1,
            "no write"
        );
        // Another workspace allows 35 days.
        let test = host_with(
            json!({"parking": {"appeal_window_days": 35}}),
            vec![violation(json!({}))],
            vec![],
        );
        assert!(before_change(&new_appeal(late)).is_ok());
        assert_eq!(
            test.record(VIOLATION, VIOLATION_ID).unwrap()["status"],
            "appealed"
        );
    }

    #[test]
    fn only_one_appeal_is_open_per_violation() {
        let test = host_with(
            json!({}),
            vec![violation(json!({"status": "appealed"}))],
            vec![appeal(json!({}))],
        );
        let second = new_appeal(json!({"id": "0194f7a2-0000-7000-8000-0000000000b2"}));
        assert_eq!(
            refused_at(before_change(&second)),
            ("/violation_id".into(), "one-open-appeal".into())
        );
        assert_eq!(test.record(VIOLATION, VIOLATION_ID).unwrap()["version"], 1);
        // Decided before: the violation is no longer appealable.
        let _test = host_with(
            json!({}),
            vec![violation(json!({"status": "upheld"}))],
            vec![appeal(json!({"status": "decided"}))],
        );
        assert_eq!(
            refused_at(before_change(&second)),
            ("/violation_id".into(), "not-appealable".into())
        );
        // A violation that does not exist is the host's lookup check to report.
        let _test = host_with(json!({}), vec![], vec![]);
        assert!(before_change(&second).unwrap().is_some());
    }

    #[test]
    fn withdrawing_returns_the_violation_to_issued() {
        let test = host_with(
            json!({}),
            vec![violation(json!({"status": "appealed"}))],
            vec![appeal(json!({}))],
        );
        let event = RecordEvent::update(
            APPEAL,
            appeal(json!({})),
            appeal(json!({"status": "withdrawn"})),
        );
        assert_eq!(before_change(&event), Ok(None));
        assert_eq!(
            test.record(VIOLATION, VIOLATION_ID).unwrap()["status"],
            "issued"
        );
    }

    #[test]
    fn people_file_and_withdraw_but_only_the_action_decides() {
        let kw = |event: RecordEvent| -> Vec<(String, String)> {
            validate(&event)
                .into_iter()
                .map(|e| (e.path, e.keyword))
                .collect()
        };
        assert!(kw(new_appeal(json!({}))).is_empty());
        assert_eq!(
            kw(new_appeal(json!({"grounds": "other", "statement": "  "}))),
            [("/statement".into(), "statement-required".into())]
        );
        assert_eq!(
            kw(new_appeal(json!({"decision": "cancelled"}))),
            [("/decision".into(), "use-decide-action".into())]
        );
        assert_eq!(
            kw(new_appeal(json!({"status": "withdrawn"}))),
            [("/status".into(), "filed-open".into())]
        );
        let open = appeal(json!({}));
        let update =
            |fields: Value| RecordEvent::update(APPEAL, open.clone(), with(open.clone(), fields));
        assert_eq!(
            kw(update(json!({"status": "decided"}))),
            [("/status".into(), "use-decide-action".into())]
        );
        assert_eq!(
            kw(update(json!({"filed_at": "2026-11-11T00:00:00Z"}))),
            [("/filed_at".into(), "fixed-at-filing".into())]
        );
        assert!(
            kw(update(
                json!({"status": "withdrawn", "statement": "paid instead"})
            ))
            .is_empty()
        );
    }

    fn request(input: Value) -> ActionRequest {
        ActionRequest {
            entity_type: APPEAL.into(),
            id: APPEAL_ID.into(),
            name: "decide".into(),
            input,
            actor: "user:clerk".into(),
        }
    }

    #[test]
    fn a_reduction_lowers_the_fine_and_sets_a_new_due_date() {
        let test = host_with(
            json!({"parking": {"payment_days_after_decision": 10}}),
            vec![violation(json!({"status": "appealed"}))],
            vec![appeal(json!({}))],
        );
        let output = decide(&request(
            json!({"decision": "reduced", "new_amount": 25.504, "reason": " sign partly hidden "}),
        ))
        .unwrap();
        assert_eq!(output["violation_status"], "reduced");
        assert_eq!(output["fine_amount"], 25.5);
        assert_eq!(output["due_date"], "2026-12-03");
        let stored = test.record(APPEAL, APPEAL_ID).unwrap();
        assert_eq!(
            (
                stored["status"].clone(),
                stored["decision"].clone(),
                stored["reduced_amount"].clone(),
                stored["decision_reason"].clone(),
                stored["decided_at"].clone(),
                stored["decided_by"].clone()
            ),
            (
                json!("decided"),
                json!("reduced"),
                json!(25.5),
                json!("sign partly hidden"),
                json!(NOW),
                json!("user:clerk")
            )
        );
        let ticket = test.record(VIOLATION, VIOLATION_ID).unwrap();
        assert_eq!(ticket["original_fine"], 60, "the original fine is kept");
        // Decided once: a second decision is refused and changes nothing.
        assert!(
            matches!(decide(&request(json!({"decision": "cancelled", "reason": "x"}))), Err(Refusal::Conflict(m)) if m.contains("decided"))
        );
        assert_eq!(test.record(VIOLATION, VIOLATION_ID).unwrap()["version"], 2);
    }

    #[test]
    fn upholding_keeps_the_fine_and_cancelling_ends_it() {
        let _upheld = host_with(
            json!({}),
            vec![violation(json!({"status": "appealed"}))],
            vec![appeal(json!({}))],
        );
        let output = decide(&request(
            json!({"decision": "upheld", "reason": "signs are clear"}),
        ))
        .unwrap();
        assert_eq!(
            (
                output["violation_status"].clone(),
                output["fine_amount"].clone(),
                output["due_date"].clone()
            ),
            (json!("upheld"), json!(60), json!("2026-12-07"))
        );
        let cancelled = host_with(
            json!({}),
            vec![violation(json!({"status": "appealed"}))],
            vec![appeal(json!({}))],
        );
        let output = decide(&request(
            json!({"decision": "cancelled", "reason": "valid permit shown"}),
        ))
        .unwrap();
        assert_eq!(output["violation_status"], "cancelled");
        assert_eq!(output["due_date"], "2026-11-29", "no new due date");
        assert_eq!(
            cancelled
                .record(APPEAL, APPEAL_ID)
                .unwrap()
                .get("reduced_amount"),
            None
        );
    }

    #[test]
    fn a_decision_that_does_not_fit_is_refused_and_writes_nothing() {
        let test = host_with(
            json!({}),
            vec![violation(json!({"status": "appealed"}))],
            vec![appeal(json!({}))],
        );
        for amount in [60.0, 75.0, 0.0, 0.004] {
            let refused = decide(&request(
                json!({"decision": "reduced", "new_amount": amount, "reason": "x"}),
            ));
            assert!(
                matches!(&refused, Err(Refusal::Invalid(e)) if e[0].path == "/new_amount" && e[0].keyword == "reduce-below-fine"),
                "{amount}: {refused:?}"
            );
        }
        assert!(
            matches!(decide(&request(json!({"decision": "upheld", "reason": " "}))), Err(Refusal::Invalid(e)) if e[0].path == "/reason")
        );
        assert_eq!(test.record(APPEAL, APPEAL_ID).unwrap()["version"], 1);
        assert_eq!(test.record(VIOLATION, VIOLATION_ID).unwrap()["version"], 1);
        let _test = host_with(
            json!({}),
            vec![violation(json!({"status": "paid"}))],
            vec![appeal(json!({}))],
        );
        assert!(
            matches!(decide(&request(json!({"decision": "upheld", "reason": "x"}))), Err(Refusal::Conflict(m)) if m.contains("not appealed"))
        );
    }
}
