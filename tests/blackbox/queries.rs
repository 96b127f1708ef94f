//! Listing records: `$filter` operators, `$orderby`, `$select`, paging, `$count`, `$expand`,
//! `$search`, reverse navigation, and precise refusals of bad or hostile query options.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use xrm_tests::{Response, TestServer, both_backends};

use crate::fixtures::{id_of, with_complaints, with_customers};

/// Six customers chosen so every operator selects a distinct set; returns name -> id.
async fn seed_customers(server: &TestServer) -> BTreeMap<String, String> {
    let customers = [
        json!({"name": "Alpha Air", "email": "alpha@example.com", "status": "active", "tier": 1,
               "lifetime_value": 100, "vip": true, "notes": "loves fjords",
               "address": {"city": "Oslo", "country": "NO"}}),
        json!({"name": "Beta Bikes", "email": "beta@example.com", "status": "prospect", "tier": 2,
               "lifetime_value": 250.5, "vip": false, "address": {"city": "Bergen", "country": "NO"}}),
        json!({"name": "Gamma Garden", "status": "churned", "tier": 3, "lifetime_value": 0,
               "notes": "quiet since spring", "address": {"city": "Oslo", "country": "NO"}}),
        json!({"name": "Delta Dairy", "email": "delta@example.com", "status": "active", "tier": 4,
               "lifetime_value": 999, "vip": true, "notes": "big order in spring",
               "address": {"city": "Trondheim", "country": "NO"}}),
        json!({"name": "Epsilon Energy", "email": "eps@example.com", "status": "active", "tier": 5,
               "lifetime_value": 500, "vip": false}),
        json!({"name": "Zeta Zoo", "status": "prospect", "notes": "zebras",
               "address": {"city": "Oslo", "country": "NO"}}),
    ];
    let mut ids = BTreeMap::new();
    for customer in customers {
        let created = server.create("customer", &customer).await;
        ids.insert(
            customer["name"].as_str().unwrap().to_owned(),
            id_of(&created),
        );
    }
    ids
}

/// The names in a list response, in order.
fn names(response: &Response) -> Vec<String> {
    response
        .values()
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The names a filter selects, as a set.
async fn filtered(server: &TestServer, filter: &str) -> BTreeSet<String> {
    let response = server.list("customer", &[("$filter", filter)]).await;
    assert_eq!(response.status, 200, "$filter={filter}: {}", response.text);
    names(&response).into_iter().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// Asserts a query option is refused with 400 `invalid_query` whose text mentions `needle`.
async fn assert_invalid_query(
    server: &TestServer,
    options: &[(&str, &str)],
    needle: &str,
) -> Response {
    let response = server.list("customer", options).await;
    response.expect_problem(400, "invalid_query");
    assert!(
        response.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(needle),
        "the detail of {options:?} does not mention '{needle}': {}",
        response.text
    );
    response
}

both_backends! {
    async fn comparison_operators_select_the_right_records(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        assert_eq!(filtered(server, "status eq 'active'").await, set(&["Alpha Air", "Delta Dairy", "Epsilon Energy"]));
        assert_eq!(filtered(server, "status ne 'active'").await, set(&["Beta Bikes", "Gamma Garden", "Zeta Zoo"]));
        assert_eq!(filtered(server, "lifetime_value gt 250").await, set(&["Beta Bikes", "Delta Dairy", "Epsilon Energy"]));
        assert_eq!(filtered(server, "lifetime_value lt 250").await, set(&["Alpha Air", "Gamma Garden"]));
        assert_eq!(filtered(server, "lifetime_value eq 250.5").await, set(&["Beta Bikes"]));
        assert_eq!(filtered(server, "tier ge 4").await, set(&["Delta Dairy", "Epsilon Energy"]));
        assert_eq!(filtered(server, "tier le 1").await, set(&["Alpha Air"]));
        assert_eq!(filtered(server, "vip eq true").await, set(&["Alpha Air", "Delta Dairy"]));
        assert_eq!(filtered(server, "name eq 'Nobody'").await, set(&[]));
    }
}

both_backends! {
    async fn in_contains_and_startswith_select_the_right_records(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        assert_eq!(
            filtered(server, "status in ('prospect', 'churned')").await,
            set(&["Beta Bikes", "Gamma Garden", "Zeta Zoo"])
        );
        assert_eq!(filtered(server, "contains(notes, 'spring')").await, set(&["Gamma Garden", "Delta Dairy"]));
        assert_eq!(filtered(server, "startswith(name, 'Be')").await, set(&["Beta Bikes"]));
    }
}

both_backends! {
    async fn null_checks_find_missing_fields(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        assert_eq!(filtered(server, "email eq null").await, set(&["Gamma Garden", "Zeta Zoo"]));
        assert_eq!(
            filtered(server, "email ne null").await,
            set(&["Alpha Air", "Beta Bikes", "Delta Dairy", "Epsilon Energy"])
        );
        assert_eq!(filtered(server, "address/city eq null").await, set(&["Epsilon Energy"]));
    }
}

both_backends! {
    async fn a_nested_path_filters_on_the_nested_field(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        assert_eq!(filtered(server, "address/city eq 'Oslo'").await, set(&["Alpha Air", "Gamma Garden", "Zeta Zoo"]));
    }
}

both_backends! {
    async fn and_or_not_combine_conditions(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        assert_eq!(filtered(server, "status eq 'active' and vip eq true").await, set(&["Alpha Air", "Delta Dairy"]));
        assert_eq!(filtered(server, "status eq 'churned' or tier eq 5").await, set(&["Gamma Garden", "Epsilon Energy"]));
        assert_eq!(filtered(server, "not (status eq 'active')").await, set(&["Beta Bikes", "Gamma Garden", "Zeta Zoo"]));
        assert_eq!(
            filtered(server, "(status eq 'active' or status eq 'prospect') and address/city eq 'Oslo'").await,
            set(&["Alpha Air", "Zeta Zoo"])
        );
    }
}

both_backends! {
    async fn orderby_sorts_ascending_and_descending(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        let ascending = server.list("customer", &[("$orderby", "name")]).await;
        ascending.expect_status(200);
        assert_eq!(
            names(&ascending),
            ["Alpha Air", "Beta Bikes", "Delta Dairy", "Epsilon Energy", "Gamma Garden", "Zeta Zoo"]
        );
        let descending = server.list("customer", &[("$orderby", "name desc")]).await;
        assert_eq!(
            names(&descending),
            ["Zeta Zoo", "Gamma Garden", "Epsilon Energy", "Delta Dairy", "Beta Bikes", "Alpha Air"]
        );
        let by_value = server
            .list("customer", &[("$filter", "lifetime_value ne null"), ("$orderby", "lifetime_value desc")])
            .await;
        assert_eq!(names(&by_value), ["Delta Dairy", "Epsilon Energy", "Beta Bikes", "Alpha Air", "Gamma Garden"]);
        let by_value = server
            .list("customer", &[("$filter", "lifetime_value ne null"), ("$orderby", "lifetime_value asc")])
            .await;
        assert_eq!(names(&by_value), ["Gamma Garden", "Alpha Air", "Beta Bikes", "Epsilon Energy", "Delta Dairy"]);
        let by_two = server
            .list("customer", &[("$filter", "address/city ne null"), ("$orderby", "address/city asc, name desc")])
            .await;
        assert_eq!(names(&by_two), ["Beta Bikes", "Zeta Zoo", "Gamma Garden", "Alpha Air", "Delta Dairy"]);
    }
}

both_backends! {
    async fn select_keeps_only_the_named_fields_and_the_id(server: &TestServer) {
        with_customers(server).await;
        let ids = seed_customers(server).await;
        let response = server
            .list("customer", &[("$select", "name,address/city"), ("$orderby", "name")])
            .await;
        response.expect_status(200);
        let records = response.values();
        assert_eq!(records.len(), 6);
        assert_eq!(
            records[0],
            json!({"id": ids["Alpha Air"], "name": "Alpha Air", "address": {"city": "Oslo"}})
        );
        let epsilon = records.iter().find(|r| r["name"] == json!("Epsilon Energy")).unwrap();
        assert_eq!(epsilon, &json!({"id": ids["Epsilon Energy"], "name": "Epsilon Energy"}));
    }
}

both_backends! {
    async fn top_and_cursors_page_through_every_record_once(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        // Follow next_cursor.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let mut options = vec![("$top", "2"), ("$orderby", "name")];
            if let Some(cursor) = &cursor {
                options.push(("$cursor", cursor.as_str()));
            }
            let page = server.list("customer", &options).await;
            page.expect_status(200);
            assert!(page.values().len() <= 2);
            seen.extend(names(&page));
            cursor = page.body["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                assert!(page.body.get("next_link").is_none(), "next_link without next_cursor: {}", page.text);
                break;
            }
            assert!(page.body["next_link"].is_string(), "next_cursor without next_link: {}", page.text);
        }
        assert_eq!(seen, ["Alpha Air", "Beta Bikes", "Delta Dairy", "Epsilon Energy", "Gamma Garden", "Zeta Zoo"]);

        // Follow next_link.
        let mut seen = Vec::new();
        let mut page = server.list("customer", &[("$top", "4"), ("$orderby", "name desc")]).await;
        loop {
            page.expect_status(200);
            seen.extend(names(&page));
            let Some(link) = page.body["next_link"].as_str().map(str::to_owned) else { break };
            assert!(link.starts_with("/api/v1/records/customer"), "next_link is not a path of this API: {link}");
            page = server.get(&link).await;
        }
        assert_eq!(seen, ["Zeta Zoo", "Gamma Garden", "Epsilon Energy", "Delta Dairy", "Beta Bikes", "Alpha Air"]);
    }
}

both_backends! {
    async fn count_true_counts_every_match_not_just_the_page(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        let response = server
            .list("customer", &[("$filter", "status eq 'active'"), ("$top", "1"), ("$count", "true")])
            .await;
        response.expect_status(200);
        assert_eq!(response.body["count"], json!(3), "{}", response.text);
        assert_eq!(response.values().len(), 1);
        assert_eq!(server.count("customer").await, 6);
        let without = server.list("customer", &[]).await;
        assert!(without.body.get("count").is_none(), "count without $count=true: {}", without.text);
    }
}

both_backends! {
    async fn expand_adds_the_looked_up_record(server: &TestServer) {
        with_complaints(server).await;
        let customer = server.create("customer", &json!({"name": "Acme", "tier": 2})).await;
        let customer_id = id_of(&customer);
        server
            .create("complaint", &json!({"subject": "Late", "customer_id": customer_id, "status": "new"}))
            .await;
        let response = server.list("complaint", &[("$expand", "customer_id")]).await;
        response.expect_status(200);
        let records = response.values();
        assert_eq!(records.len(), 1);
        let expanded = &records[0]["_expand"]["customer_id"];
        assert_eq!(expanded["id"], json!(customer_id), "{}", response.text);
        assert_eq!(expanded["name"], json!("Acme"));
        assert_eq!(expanded["tier"], json!(2));
        assert_eq!(records[0]["customer_id"], json!(customer_id));

        let refused = server.list("complaint", &[("$expand", "subject")]).await;
        refused.expect_problem(400, "invalid_query");
        assert!(refused.text.contains("subject"), "{}", refused.text);
    }
}

both_backends! {
    async fn search_finds_records_by_their_words(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        let response = server.list("customer", &[("$search", "spring")]).await;
        response.expect_status(200);
        assert_eq!(names(&response).into_iter().collect::<BTreeSet<_>>(), set(&["Gamma Garden", "Delta Dairy"]));
        let response = server.list("customer", &[("$search", "fjords")]).await;
        assert_eq!(names(&response), ["Alpha Air"]);
        let response = server
            .list("customer", &[("$search", "spring"), ("$filter", "status eq 'active'")])
            .await;
        assert_eq!(names(&response), ["Delta Dairy"]);
        let response = server.list("customer", &[("$search", "nothingmatchesthis")]).await;
        response.expect_status(200);
        assert!(response.values().is_empty());
    }
}

both_backends! {
    async fn related_lists_exactly_that_customers_complaints(server: &TestServer) {
        with_complaints(server).await;
        let acme = id_of(&server.create("customer", &json!({"name": "Acme"})).await);
        let other = id_of(&server.create("customer", &json!({"name": "Other"})).await);
        let mut expected = BTreeSet::new();
        for subject in ["Late", "Broken", "Rude"] {
            let complaint = server
                .create("complaint", &json!({"subject": subject, "customer_id": acme, "status": "new"}))
                .await;
            expected.insert(id_of(&complaint));
        }
        server
            .create("complaint", &json!({"subject": "Elsewhere", "customer_id": other, "status": "new"}))
            .await;
        let response = server
            .get(&format!("/api/v1/records/customer/{acme}/related/complaint?$count=true"))
            .await;
        response.expect_status(200);
        let ids: BTreeSet<String> = response.values().iter().map(id_of).collect();
        assert_eq!(ids, expected, "{}", response.text);
        assert_eq!(response.body["count"], json!(3));
        // The query options apply to the related list too.
        let response = server
            .get(&xrm_tests::with_query(
                &format!("/api/v1/records/customer/{acme}/related/complaint"),
                &[("$filter", "subject eq 'Rude'")],
            ))
            .await;
        response.expect_status(200);
        assert_eq!(response.values().len(), 1);
        assert_eq!(response.values()[0]["subject"], json!("Rude"));
    }
}

both_backends! {
    async fn bad_filter_syntax_is_refused_with_400_and_a_position(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        for filter in ["status eq active", "status eq 'active' and", "(status eq 'x'", "status === 'x'", "tier gt"] {
            let response = assert_invalid_query(server, &[("$filter", filter)], "position").await;
            assert!(!response.errors().is_empty(), "{}", response.text);
        }
    }
}

both_backends! {
    async fn a_filter_on_an_unknown_field_is_refused_naming_the_field(server: &TestServer) {
        with_customers(server).await;
        assert_invalid_query(server, &[("$filter", "nickname eq 'x'")], "nickname").await;
        assert_invalid_query(server, &[("$filter", "address/street eq 'x'")], "address/street").await;
        assert_invalid_query(server, &[("$orderby", "nickname desc")], "nickname").await;
        assert_invalid_query(server, &[("$select", "name,nickname")], "nickname").await;
    }
}

both_backends! {
    async fn malformed_paging_options_are_refused_with_400(server: &TestServer) {
        with_customers(server).await;
        server.list("customer", &[("$top", "abc")]).await.expect_problem(400, "invalid_query");
        server.list("customer", &[("$top", "-1")]).await.expect_problem(400, "invalid_query");
        server.list("customer", &[("$count", "yes")]).await.expect_problem(400, "invalid_query");
        server.list("customer", &[("$cursor", "not-a-cursor")]).await.expect_problem(400, "invalid_query");
        server.list("customer", &[("$frobnicate", "1")]).await.expect_problem(400, "invalid_query");
    }
}

both_backends! {
    async fn sql_injection_in_query_options_is_harmless(server: &TestServer) {
        with_customers(server).await;
        seed_customers(server).await;
        let attempts: [(&str, &str); 10] = [
            ("$filter", "name eq 'x'' OR 1=1 --'"),
            ("$filter", "name eq 'a'; DROP TABLE records; --'"),
            ("$filter", "name eq 'a' OR 1=1"),
            ("$filter", "contains(name, '%')"),
            ("$filter", "startswith(name, '_')"),
            ("$filter", "contains(name, ''') OR 1=1 --')"),
            ("$orderby", "name; DROP TABLE records"),
            ("$select", "name FROM records --"),
            ("$search", "'; DROP TABLE records; --"),
            ("$filter", "name/../../id eq 'x'"),
        ];
        for (option, text) in attempts {
            let response = server.list("customer", &[(option, text)]).await;
            match response.status {
                400 => assert_eq!(response.code(), "invalid_query", "{option}={text}: {}", response.text),
                200 => assert!(
                    response.values().is_empty(),
                    "{option}={text} matched records: {}",
                    response.text
                ),
                other => panic!("{option}={text} answered {other}: {}", response.text),
            }
        }
        // Everything is still there and still works.
        assert_eq!(server.count("customer").await, 6);
        assert_eq!(filtered(server, "status eq 'active'").await.len(), 3);
        server.create("customer", &json!({"name": "After the attack"})).await;
        assert_eq!(server.count("customer").await, 7);
    }
}
