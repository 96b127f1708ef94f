//! The public-sector package against the real host: parking violations with appeals, the
//! decide action, the overdue schedules, the reports, property tax from the workspace's rate
//! tables, and the same package tailored differently in two workspaces. Every refusal is
//! checked for its problem code and field errors, and for having written nothing.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use xrm_tests::{Method, Response, TestServer, both_backends, package_tar};

use crate::fixtures::civil_from_days;

const PACKAGE: &str = "/api/v1/packages/public-sector";
const PLUGIN: &str = "/api/v1/packages/public-sector/plugins/public-sector";

/// The sample violation with an open appeal (sample-data.json), and that appeal.
const SAMPLE_APPEALED: &str = "9a1e1000-0000-7000-8000-000000000002";
const SAMPLE_OPEN_APPEAL: &str = "9a1e2000-0000-7000-8000-000000000001";
/// The sample violation issued on 2026-10-02, due 2026-10-30, never paid.
const SAMPLE_UNPAID: &str = "9a1e1000-0000-7000-8000-000000000001";
/// The sample commercial assessment for 2026, due 2026-06-30, nothing paid, not yet marked.
const SAMPLE_UNPAID_TAX: &str = "9a1e3000-0000-7000-8000-000000000003";

/// Installs the package with its sample data.
async fn install_with_samples(server: &TestServer) {
    let installed = server
        .send(
            Method::POST,
            "/api/v1/packages?sample_data=true",
            &[("content-type", "application/x-tar")],
            Some(package_tar("public-sector")),
        )
        .await;
    installed.expect_status(201);
    assert_eq!(
        installed.body["changes"]["sample_records"], 20,
        "{}",
        installed.text
    );
}

/// Days since 1970-01-01 today (UTC), by this machine's clock, which the server shares.
fn today_days() -> i64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (seconds / 86_400) as i64
}

/// The date `offset` days from today, `YYYY-MM-DD`.
fn day(offset: i64) -> String {
    let (year, month, day) = civil_from_days(today_days() + offset);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Noon UTC of the day `offset` days from today.
fn noon(offset: i64) -> String {
    format!("{}T12:00:00.000000Z", day(offset))
}

fn this_year() -> i64 {
    civil_from_days(today_days()).0
}

/// A ticket issued `issued_days_ago` days ago at noon, without fine or due date (the plugin
/// fills them in from the configuration).
fn ticket(number: u32, issued_days_ago: i64) -> Value {
    json!({"ticket_number": format!("PV-{number:08}"), "plate": "HH XY 123", "offence_code": "no_parking_zone",
           "issued_at": noon(-issued_days_ago), "location": {"street": "Reeperbahn 1", "district": "St. Pauli"}})
}

fn appeal_of(violation: &str) -> Value {
    json!({"violation_id": violation, "appellant": "Kim Meyer", "grounds": "signage_unclear",
           "statement": "The sign was covered by a hedge."})
}

/// Panics unless `response` is the problem `status`/`code` with exactly these field errors
/// (path, keyword), in any order.
#[track_caller]
fn expect_errors(response: &Response, status: u16, code: &str, expected: &[(&str, &str)]) {
    response.expect_problem(status, code);
    let mut found: Vec<(String, String)> = response
        .errors()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or_default().to_owned(),
                e["keyword"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, k)| ((*p).to_owned(), (*k).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(found, expected, "{}", response.text);
}

async fn get_record(server: &TestServer, type_name: &str, id: &str) -> Value {
    let response = server
        .get(&format!("/api/v1/records/{type_name}/{id}"))
        .await;
    response.expect_status(200);
    response.body
}

fn id(record: &Value) -> String {
    record["id"].as_str().expect("a record id").to_owned()
}

/// Fires a schedule now and waits until its delivery is done (removed from the outbox).
async fn run_schedule(server: &TestServer, schedule: &str) {
    let run = server
        .post_json(&format!("{PLUGIN}/schedules/{schedule}/run"), &json!({}))
        .await;
    run.expect_status(202);
    let job = format!(
        "/api/v1/plugin-jobs/{}",
        run.body["id"].as_str().expect("a job id")
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = server.get(&job).await;
        if state.status == 404 {
            return;
        }
        assert!(
            state.body["last_error"].is_null(),
            "schedule {schedule} failed: {}",
            state.text
        );
        assert!(
            Instant::now() < deadline,
            "schedule {schedule} did not run: {}",
            state.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn report(server: &TestServer, query: &str) -> Value {
    let response = server.get(&format!("/api/v1/reports/{query}")).await;
    response.expect_status(200);
    response.body
}

both_backends! {
    async fn parking_rules_refuse_precisely_and_write_nothing(server: &TestServer) {
        install_with_samples(server).await;
        assert_eq!(server.count("parking_violation").await, 8);
        assert_eq!(server.count("parking_appeal").await, 4);

        // A new ticket gets its fine, original fine and due date from the default configuration.
        let issued = server.create("parking_violation", &ticket(1, 3)).await;
        assert_eq!((issued["fine_amount"].clone(), issued["original_fine"].clone()), (json!(60.0), json!(60.0)));
        assert_eq!(issued["due_date"], day(-3 + 28));
        assert_eq!(issued["status"], "issued");
        let violation = id(&issued);

        // A ticket is issued first, and not in the future; nothing is written.
        let before = server.count("parking_violation").await;
        let mut paid = ticket(2, 1);
        paid["status"] = json!("paid");
        let refused = server.post_json("/api/v1/records/parking_violation", &paid).await;
        expect_errors(&refused, 422, "validation_failed", &[("/status", "issued-first")]);
        let refused = server.post_json("/api/v1/records/parking_violation", &ticket(3, -3)).await;
        expect_errors(&refused, 422, "validation_failed", &[("/issued_at", "issued-in-future")]);
        assert_eq!(server.count("parking_violation").await, before);

        // People do not set the statuses appeals and the schedule own, nor the fine.
        let path = format!("/api/v1/records/parking_violation/{violation}");
        let refused = server.patch_json(&path, &json!({"status": "appealed", "fine_amount": 1})).await;
        expect_errors(&refused, 422, "validation_failed", &[("/status", "set-by-appeal"), ("/fine_amount", "fine-locked")]);
        let refused = server.patch_json(&path, &json!({"status": "overdue"})).await;
        expect_errors(&refused, 422, "validation_failed", &[("/status", "set-by-schedule")]);
        assert_eq!(get_record(server, "parking_violation", &violation).await["version"], 1);

        // An appeal after the 28-day window is refused at /filed_at; the violation stays issued.
        let old = id(&server.create("parking_violation", &ticket(4, 30)).await);
        let appeals = server.count("parking_appeal").await;
        let late = server.post_json("/api/v1/records/parking_appeal", &appeal_of(&old)).await;
        expect_errors(&late, 422, "refused_by_plugin", &[("/filed_at", "appeal-window")]);
        let message = late.errors()[0]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("within 28 days of its issue") && message.contains("PV-00000004"), "{message}");
        assert_eq!(server.count("parking_appeal").await, appeals);
        assert_eq!(get_record(server, "parking_violation", &old).await["status"], "issued");

        // An appeal in time is filed now and suspends the violation, in the same write.
        let filed = server.create("parking_appeal", &appeal_of(&violation)).await;
        assert_eq!(filed["status"], "open");
        assert!(filed["filed_at"].is_string(), "{filed}");
        assert_eq!(get_record(server, "parking_violation", &violation).await["status"], "appealed");
        let appeal = id(&filed);

        // One open appeal per violation.
        let second = server.post_json("/api/v1/records/parking_appeal", &appeal_of(&violation)).await;
        expect_errors(&second, 422, "refused_by_plugin", &[("/violation_id", "one-open-appeal")]);
        assert_eq!(server.count("parking_appeal").await, appeals + 1);

        // Grounds 'other' need a statement; a decision is not typed in.
        let mut vague = appeal_of(&old);
        vague["grounds"] = json!("other");
        vague.as_object_mut().unwrap().remove("statement");
        let refused = server.post_json("/api/v1/records/parking_appeal", &vague).await;
        expect_errors(&refused, 422, "validation_failed", &[("/statement", "statement-required")]);
        let appeal_path = format!("/api/v1/records/parking_appeal/{appeal}");
        let refused = server.patch_json(&appeal_path, &json!({"status": "decided", "decision": "cancelled"})).await;
        expect_errors(&refused, 422, "validation_failed", &[("/status", "use-decide-action"), ("/decision", "use-decide-action")]);

        // The decide action: its input schema, then the plugin's rule, then one transaction.
        let decide = format!("{appeal_path}/actions/decide");
        let refused = server.post_json(&decide, &json!({"decision": "reduced", "reason": "hedge"})).await;
        refused.expect_problem(422, "invalid_action_input");
        let refused = server.post_json(&decide, &json!({"decision": "upheld", "reason": "x", "new_amount": 10})).await;
        refused.expect_problem(422, "invalid_action_input");
        let refused = server.post_json(&decide, &json!({"decision": "reduced", "reason": "hedge", "new_amount": 60})).await;
        expect_errors(&refused, 422, "refused_by_plugin", &[("/new_amount", "reduce-below-fine")]);
        assert_eq!(get_record(server, "parking_appeal", &appeal).await["version"], 1, "nothing written");
        assert_eq!(get_record(server, "parking_violation", &violation).await["status"], "appealed");

        let decided = server.post_json(&decide, &json!({"decision": "reduced", "reason": "The sign was hard to see.", "new_amount": 30})).await;
        decided.expect_status(200);
        assert_eq!(decided.body["violation_status"], "reduced");
        assert_eq!(decided.body["fine_amount"], 30.0);
        assert_eq!(decided.body["due_date"], day(14));
        let stored = get_record(server, "parking_appeal", &appeal).await;
        assert_eq!((stored["status"].clone(), stored["decision"].clone(), stored["reduced_amount"].clone()),
                   (json!("decided"), json!("reduced"), json!(30.0)));
        assert_eq!(stored["decision_reason"], "The sign was hard to see.");
        assert!(stored["decided_at"].is_string() && stored["decided_by"].is_string(), "{stored}");
        let reduced = get_record(server, "parking_violation", &violation).await;
        assert_eq!((reduced["status"].clone(), reduced["fine_amount"].clone(), reduced["original_fine"].clone()),
                   (json!("reduced"), json!(30.0), json!(60.0)));
        server.post_json(&decide, &json!({"decision": "cancelled", "reason": "again"})).await.expect_problem(409, "refused_by_plugin");

        // Paying needs the amount due; paid_at is recorded.
        let refused = server.patch_json(&path, &json!({"status": "paid", "amount_paid": 20})).await;
        expect_errors(&refused, 422, "validation_failed", &[("/amount_paid", "short-payment")]);
        let settled = server.patch_json(&path, &json!({"status": "paid", "amount_paid": 30})).await;
        settled.expect_status(200);
        assert!(settled.body["paid_at"].is_string(), "{}", settled.text);
        // Paid is final.
        server.patch_json(&path, &json!({"status": "issued"})).await.expect_problem(422, "validation_failed");

        // Withdrawing an appeal returns its violation to issued, and it may be appealed again.
        let other = id(&server.create("parking_violation", &ticket(5, 2)).await);
        let withdrawn = id(&server.create("parking_appeal", &appeal_of(&other)).await);
        server.patch_json(&format!("/api/v1/records/parking_appeal/{withdrawn}"), &json!({"status": "withdrawn"})).await.expect_status(200);
        assert_eq!(get_record(server, "parking_violation", &other).await["status"], "issued");
        server.create("parking_appeal", &appeal_of(&other)).await;

        // The sample data's open appeal is decided like any other.
        let upheld = server
            .post_json(&format!("/api/v1/records/parking_appeal/{SAMPLE_OPEN_APPEAL}/actions/decide"),
                       &json!({"decision": "upheld", "reason": "The badge was not visible."}))
            .await;
        upheld.expect_status(200);
        assert_eq!(get_record(server, "parking_violation", SAMPLE_APPEALED).await["status"], "upheld");
    }
}

both_backends! {
    async fn parking_schedule_surcharges_once_and_the_reports_add_up(server: &TestServer) {
        install_with_samples(server).await;
        let late = id(&server.create("parking_violation", &ticket(11, 40)).await);
        let current = id(&server.create("parking_violation", &ticket(12, 1)).await);

        run_schedule(server, "parking-overdue").await;
        let overdue = get_record(server, "parking_violation", &late).await;
        assert_eq!((overdue["status"].clone(), overdue["fine_amount"].clone(), overdue["surcharge_amount"].clone()),
                   (json!("overdue"), json!(90.0), json!(30.0)), "50 % on 60");
        let sample = get_record(server, "parking_violation", SAMPLE_UNPAID).await;
        assert_eq!((sample["status"].clone(), sample["fine_amount"].clone()), (json!("overdue"), json!(90.0)));
        assert_eq!(get_record(server, "parking_violation", &current).await["version"], 1, "not yet due");
        // The sample violation under appeal is suspended, though past its due date.
        assert_eq!(get_record(server, "parking_violation", SAMPLE_APPEALED).await["status"], "appealed");

        // Running again changes nothing more.
        run_schedule(server, "parking-overdue").await;
        let again = get_record(server, "parking_violation", &late).await;
        assert_eq!((again["version"].clone(), again["fine_amount"].clone()), (overdue["version"].clone(), json!(90.0)));

        // An overdue violation is paid with its surcharge.
        let path = format!("/api/v1/records/parking_violation/{late}");
        let refused = server.patch_json(&path, &json!({"status": "paid", "amount_paid": 60})).await;
        expect_errors(&refused, 422, "validation_failed", &[("/amount_paid", "short-payment")]);
        server.patch_json(&path, &json!({"status": "paid", "amount_paid": 90})).await.expect_status(200);

        // Violations by status agree with the records, status by status.
        let by_status = report(server, "parking-violations-by-status").await;
        assert_eq!(by_status["chart"], json!({"kind": "bar", "x": "status", "y": ["count"]}));
        let rows = by_status["rows"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 7);
        let mut total = 0;
        for row in &rows {
            let status = row[0].as_str().unwrap();
            let listed = server.list("parking_violation", &[("$filter", &format!("status eq '{status}'")), ("$top", "1000")]).await.values();
            assert_eq!(row[1], listed.len(), "{status}");
            let fines: f64 = listed.iter().map(|v| v["fine_amount"].as_f64().unwrap()).sum();
            assert!((row[2].as_f64().unwrap() - fines).abs() < 0.005, "{status}: {row:?}");
            total += listed.len();
        }
        assert_eq!(total as u64, server.count("parking_violation").await);
        let paid = rows.iter().find(|r| r[0] == "paid").unwrap();
        assert_eq!((paid[1].clone(), paid[3].clone()), (json!(2), json!(0.0)), "sample ticket 6 and ours");
        let recent = report(server, &format!("parking-violations-by-status?issued_from={}", day(-2))).await;
        let issued = recent["rows"].as_array().unwrap().iter().find(|r| r[0] == "issued").unwrap().clone();
        assert_eq!(issued[1], 1, "only the ticket issued yesterday: {recent}");
        server.get("/api/v1/reports/parking-violations-by-status?issued_from=soon").await.expect_problem(422, "invalid_report_parameters");

        // Open appeals by age: the sample appeal filed on 2026-10-12.
        let appeals = report(server, "parking-open-appeals").await;
        let rows = appeals["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{appeals}");
        assert_eq!((rows[0][0].clone(), rows[0][6].clone()), (json!("PV-26000102"), json!(120)));
        let age = rows[0][5].as_i64().unwrap();
        assert!(age >= 42, "filed 2026-10-12: {age}");
        let none = report(server, &format!("parking-open-appeals?min_age_days={}", age + 1)).await;
        assert_eq!(none["rows"], json!([]));
        server.get("/api/v1/reports/parking-open-appeals?min_age_days=-1").await.expect_problem(422, "invalid_report_parameters");
    }
}

both_backends! {
    async fn property_tax_follows_the_rate_tables_payments_and_due_dates(server: &TestServer) {
        install_with_samples(server).await;
        let next = this_year() + 1;
        let assessment = |parcel: &str, year: i64, class: &str, value: f64| json!({
            "parcel_id": parcel, "owner_name": "Ada Ostermann", "tax_year": year, "property_class": class, "assessed_value": value
        });

        // Residential: 25 000 exempt, then 1 %; due on 30 June of the tax year; nothing paid yet.
        let created = server.create("property_tax_assessment", &assessment("HH-9000-0001", next, "residential", 325_000.0)).await;
        assert_eq!((created["computed_tax"].clone(), created["amount_paid"].clone(), created["payment_status"].clone()),
                   (json!(3000.0), json!(0.0), json!("unpaid")));
        assert_eq!(created["due_date"], format!("{next}-06-30"));
        let path = format!("/api/v1/records/property_tax_assessment/{}", id(&created));

        // What the writer says about the tax or the status is replaced by what the rules say.
        let partly = server.patch_json(&path, &json!({"amount_paid": 1000, "payment_status": "paid", "computed_tax": 1})).await;
        partly.expect_status(200);
        assert_eq!((partly.body["computed_tax"].clone(), partly.body["payment_status"].clone()), (json!(3000.0), json!("partially_paid")));
        // Overpaying is refused at /amount_paid and changes nothing.
        let refused = server.patch_json(&path, &json!({"amount_paid": 3000.01})).await;
        expect_errors(&refused, 422, "refused_by_plugin", &[("/amount_paid", "overpaid")]);
        assert_eq!(get_record(server, "property_tax_assessment", &id(&created)).await["version"], 2);
        let settled = server.patch_json(&path, &json!({"amount_paid": 3000})).await;
        assert_eq!(settled.body["payment_status"], "paid");
        // A revaluation recomputes the tax; what was paid now falls short.
        let revalued = server.patch_json(&path, &json!({"assessed_value": 625_000})).await;
        assert_eq!((revalued.body["computed_tax"].clone(), revalued.body["payment_status"].clone()), (json!(6250.0), json!("partially_paid")));

        // One assessment per parcel and year.
        let duplicate = server.post_json("/api/v1/records/property_tax_assessment", &assessment("HH-9000-0001", next, "commercial", 1.0)).await;
        duplicate.expect_problem(409, "unique_violation");
        // An unpaid assessment past its due date is overdue as soon as it is written.
        let late = server.create("property_tax_assessment", &assessment("HH-9000-0002", 2020, "commercial", 1_500_000.0)).await;
        assert_eq!((late["computed_tax"].clone(), late["payment_status"].clone()), (json!(24000.0), json!("overdue")));

        // The schedule marks the sample assessment that is past due and unpaid.
        assert_eq!(get_record(server, "property_tax_assessment", SAMPLE_UNPAID_TAX).await["payment_status"], "unpaid");
        run_schedule(server, "property-tax-overdue").await;
        let marked = get_record(server, "property_tax_assessment", SAMPLE_UNPAID_TAX).await;
        assert_eq!(marked["payment_status"], "overdue");
        run_schedule(server, "property-tax-overdue").await;
        assert_eq!(get_record(server, "property_tax_assessment", SAMPLE_UNPAID_TAX).await["version"], marked["version"]);

        // The overdue report: largest outstanding first, then the total.
        let overdue = report(server, "property-tax-overdue").await;
        assert_eq!(overdue["chart"], json!({"kind": "bar", "x": "parcel_id", "y": ["outstanding"]}));
        let rows = overdue["rows"].as_array().unwrap();
        let (total, details) = rows.split_last().unwrap();
        assert_eq!(details[0][0], "HH-9000-0002", "{overdue}");
        assert_eq!(details[0][8], 24000.0);
        let outstanding: Vec<f64> = details.iter().map(|r| r[8].as_f64().unwrap()).collect();
        assert!(outstanding.windows(2).all(|pair| pair[0] >= pair[1]), "largest first: {outstanding:?}");
        assert_eq!(total[0], "Total");
        assert_eq!(total[1], format!("{} assessments", details.len()));
        assert_eq!(total[8].as_f64().unwrap(), outstanding.iter().sum::<f64>());
        // The sample year 2026: three assessments past 30 June and not fully paid.
        let only_2026 = report(server, "property-tax-overdue?tax_year=2026").await;
        let rows = only_2026["rows"].as_array().unwrap();
        let parcels: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
        assert_eq!(parcels, ["HH-2210-0400", "HH-0815-0013", "HH-7702-0150", "Total"], "{only_2026}");
        assert_eq!((rows[3][6].clone(), rows[3][7].clone(), rows[3][8].clone()), (json!(24950.0), json!(2900.0), json!(22050.0)));
        server.get("/api/v1/reports/property-tax-overdue?tax_year=last").await.expect_problem(422, "invalid_report_parameters");

        // The admin's rate table: checked against the schema, then used on the next write.
        let bad = server.put_json(&format!("{PLUGIN}/settings"), &json!({"config": {"property_tax": {"rate_tables": {
            "residential": {"brackets": [{"rate_percent": 150}]}}}}})).await;
        bad.expect_problem(422, "invalid_settings");
        server.put_json(&format!("{PLUGIN}/settings"), &json!({"config": {"property_tax": {"rate_tables": {
            "residential": {"exemption": 0, "brackets": [{"up_to": 100000, "rate_percent": 0.5}, {"rate_percent": 2}]}}}}}))
            .await
            .expect_status(200);
        let retaxed = server.patch_json(&path, &json!({"notes": "new rates"})).await;
        assert_eq!(retaxed.body["computed_tax"], 500.0 + 10_500.0);
        // A table its schema cannot fault but the rules can is refused with the reason.
        server.put_json(&format!("{PLUGIN}/settings"), &json!({"config": {"property_tax": {"rate_tables": {
            "residential": {"brackets": [{"rate_percent": 1}, {"rate_percent": 2}]}}}}}))
            .await
            .expect_status(200);
        let refused = server.patch_json(&path, &json!({"notes": "broken rates"})).await;
        refused.expect_problem(409, "refused_by_plugin");
        assert!(refused.text.contains("only the last may be open-ended"), "{}", refused.text);
        assert_eq!(get_record(server, "property_tax_assessment", &id(&created)).await["notes"], "new rates");
    }
}

both_backends! {
    async fn two_workspaces_run_the_package_by_their_own_settings(server: &TestServer) {
        server.install_package("public-sector").await.expect_status(201);
        server.post_json("/api/v1/workspaces", &json!({
            "id": "harbour", "name": "Harbour Town", "admin": {"email": "clerk@harbour.test", "password": "harbour-password"}
        })).await.expect_status(201);
        let harbour = server.sign_in("harbour", "clerk@harbour.test", "harbour-password").await;
        harbour
            .send(Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(package_tar("public-sector")))
            .await
            .expect_status(201);
        harbour.put_json(&format!("{PLUGIN}/settings"), &json!({"config": {
            "parking": {"appeal_window_days": 35, "offence_fines": {"no_parking_zone": 75}},
            "property_tax": {"due_date": "03-31", "rate_tables": {"residential": {"exemption": 0, "brackets": [{"rate_percent": 0.8}]}}}
        }})).await.expect_status(200);

        // The same ticket: the fine and the appeal window differ.
        let ours = server.create("parking_violation", &ticket(21, 30)).await;
        let theirs = harbour.post_json("/api/v1/records/parking_violation", &ticket(21, 30)).await;
        theirs.expect_status(201);
        assert_eq!(ours["fine_amount"], 60.0);
        assert_eq!(theirs.body["fine_amount"], 75.0);
        let late = server.post_json("/api/v1/records/parking_appeal", &appeal_of(&id(&ours))).await;
        expect_errors(&late, 422, "refused_by_plugin", &[("/filed_at", "appeal-window")]);
        harbour.post_json("/api/v1/records/parking_appeal", &appeal_of(&id(&theirs.body))).await.expect_status(201);

        // The same assessment: the tax and the due date differ.
        let next = this_year() + 1;
        let parcel = json!({"parcel_id": "HH-1234-0001", "owner_name": "Ada Ostermann", "tax_year": next,
                            "property_class": "residential", "assessed_value": 325_000});
        let ours = server.create("property_tax_assessment", &parcel).await;
        let theirs = harbour.post_json("/api/v1/records/property_tax_assessment", &parcel).await;
        theirs.expect_status(201);
        assert_eq!((ours["computed_tax"].clone(), ours["due_date"].clone()), (json!(3000.0), json!(format!("{next}-06-30"))));
        assert_eq!((theirs.body["computed_tax"].clone(), theirs.body["due_date"].clone()), (json!(2600.0), json!(format!("{next}-03-31"))));

        // Each workspace's settings are its own.
        let shown = server.get(PACKAGE).await;
        assert!(shown.body["plugins"][0]["settings"]["config"].get("parking").is_none(), "{}", shown.text);
    }
}
