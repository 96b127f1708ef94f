//! Bad input of every class is refused whole: the right status, an error that names the field
//! and the rule, and nothing written.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use xrm_tests::{Method, Response, TestServer, both_backends};

use crate::fixtures::{id_of, random_id, with_complaints, with_customers, with_tickets};

/// The (path, keyword) pairs of a problem's errors.
fn path_keywords(response: &Response) -> BTreeSet<(String, String)> {
    response
        .errors()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or_default().to_owned(),
                e["keyword"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Posts a customer that must be refused with 422 `validation_failed` and exactly the
/// `expected` (path, keyword) errors; checks nothing was written.
async fn assert_customer_refused(
    server: &TestServer,
    body: Value,
    expected: &[(&str, &str)],
) -> Response {
    let before = server.count("customer").await;
    let response = server.post_json("/api/v1/records/customer", &body).await;
    response.expect_problem(422, "validation_failed");
    let expected: BTreeSet<(String, String)> = expected
        .iter()
        .map(|(p, k)| ((*p).to_owned(), (*k).to_owned()))
        .collect();
    assert_eq!(path_keywords(&response), expected, "{}", response.text);
    assert_eq!(response.errors().len(), expected.len(), "{}", response.text);
    for error in response.errors() {
        assert!(
            !error["message"].as_str().unwrap_or_default().is_empty(),
            "an error without a message: {}",
            response.text
        );
    }
    assert_eq!(
        server.count("customer").await,
        before,
        "a refused record was written"
    );
    response
}

both_backends! {
    async fn a_body_with_three_problems_lists_all_three(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(
            server,
            json!({"email": "not-an-email", "status": "dormant"}),
            &[("/name", "required"), ("/email", "format"), ("/status", "enum")],
        )
        .await;
    }
}

both_backends! {
    async fn a_wrong_type_is_refused_naming_the_field(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(server, json!({"name": 42}), &[("/name", "type")]).await;
        assert_customer_refused(server, json!({"name": "Ada", "tier": "three"}), &[("/tier", "type")]).await;
    }
}

both_backends! {
    async fn a_missing_required_field_is_refused(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(server, json!({"notes": "no name"}), &[("/name", "required")]).await;
    }
}

both_backends! {
    async fn a_malformed_email_is_refused(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(server, json!({"name": "Ada", "email": "ada-at-example"}), &[("/email", "format")]).await;
    }
}

both_backends! {
    async fn a_malformed_date_is_refused(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(server, json!({"name": "Ada", "birthday": "1815-13-45"}), &[("/birthday", "format")]).await;
        assert_customer_refused(server, json!({"name": "Ada", "birthday": "10/12/1815"}), &[("/birthday", "format")]).await;
    }
}

both_backends! {
    async fn a_value_outside_the_enum_is_refused(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(server, json!({"name": "Ada", "status": "ACTIVE"}), &[("/status", "enum")]).await;
    }
}

both_backends! {
    async fn a_number_out_of_range_is_refused(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(
            server,
            json!({"name": "Ada", "tier": 9, "lifetime_value": -1}),
            &[("/tier", "maximum"), ("/lifetime_value", "minimum")],
        )
        .await;
    }
}

both_backends! {
    async fn an_unknown_field_is_refused_when_additional_properties_is_false(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(
            server,
            json!({"name": "Ada", "nickname": "Countess"}),
            &[("/nickname", "additionalProperties")],
        )
        .await;
    }
}

both_backends! {
    async fn an_error_in_a_nested_object_names_the_nested_path(server: &TestServer) {
        with_customers(server).await;
        assert_customer_refused(
            server,
            json!({"name": "Ada", "address": {"city": 5}}),
            &[("/address/city", "type")],
        )
        .await;
    }
}

both_backends! {
    async fn an_invalid_update_is_refused_and_the_record_is_unchanged(server: &TestServer) {
        with_customers(server).await;
        let created = server.create("customer", &json!({"name": "Ada", "tier": 2})).await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        let put = server.put_json(&path, &json!({"tier": 3})).await;
        put.expect_problem(422, "validation_failed");
        assert_eq!(put.error_paths(), vec!["/name".to_owned()], "{}", put.text);
        let patch = server.patch_json(&path, &json!({"name": null, "email": "nope"})).await;
        patch.expect_problem(422, "validation_failed");
        assert_eq!(patch.errors().len(), 2, "{}", patch.text);
        let read = server.get(&path).await;
        assert_eq!(read.body["version"], json!(1));
        assert_eq!(read.body["name"], json!("Ada"));
        assert_eq!(read.body["tier"], json!(2));
    }
}

both_backends! {
    async fn a_dangling_lookup_is_refused_with_the_lookup_path(server: &TestServer) {
        with_complaints(server).await;
        let response = server
            .post_json(
                "/api/v1/records/complaint",
                &json!({"subject": "Late", "customer_id": random_id(), "status": "new"}),
            )
            .await;
        response.expect_status(422);
        assert_eq!(response.error_paths(), vec!["/customer_id".to_owned()], "{}", response.text);
        assert_eq!(server.count("complaint").await, 0);
    }
}

both_backends! {
    async fn a_lookup_to_a_record_of_another_type_is_refused(server: &TestServer) {
        with_complaints(server).await;
        let customer = id_of(&server.create("customer", &json!({"name": "Acme"})).await);
        let complaint = id_of(
            &server
                .create("complaint", &json!({"subject": "Late", "customer_id": customer, "status": "new"}))
                .await,
        );
        // A complaint id where a customer id belongs.
        let response = server
            .post_json(
                "/api/v1/records/complaint",
                &json!({"subject": "Wrong", "customer_id": complaint, "status": "new"}),
            )
            .await;
        response.expect_status(422);
        assert_eq!(response.error_paths(), vec!["/customer_id".to_owned()], "{}", response.text);
        assert_eq!(server.count("complaint").await, 1);
        // The same check guards updates.
        let patched = server
            .patch_json(&format!("/api/v1/records/complaint/{complaint}"), &json!({"customer_id": complaint}))
            .await;
        patched.expect_status(422);
        assert_eq!(patched.error_paths(), vec!["/customer_id".to_owned()], "{}", patched.text);
    }
}

both_backends! {
    async fn malformed_json_is_refused_with_400(server: &TestServer) {
        with_customers(server).await;
        for body in [&b"{\"name\": "[..], &b"{name: 'Ada'}"[..], &b""[..], &b"{\"name\": \"Ada\"} trailing"[..]] {
            let response = server
                .send(Method::POST, "/api/v1/records/customer", &[("content-type", "application/json")], Some(body.to_vec()))
                .await;
            response.expect_problem(400, "malformed_json");
        }
        assert_eq!(server.count("customer").await, 0);
    }
}

both_backends! {
    async fn a_body_that_is_not_an_object_is_refused_with_422(server: &TestServer) {
        with_customers(server).await;
        for body in [json!(["Ada"]), json!("Ada"), json!(null)] {
            let response = server.post_json("/api/v1/records/customer", &body).await;
            response.expect_status(422);
        }
        assert_eq!(server.count("customer").await, 0);
    }
}

both_backends! {
    async fn a_body_over_one_mebibyte_is_refused_with_413(server: &TestServer) {
        with_customers(server).await;
        let big = json!({"name": "Ada", "notes": "x".repeat(1024 * 1024 + 10)});
        let response = server.post_json("/api/v1/records/customer", &big).await;
        response.expect_problem(413, "payload_too_large");
        assert_eq!(server.count("customer").await, 0);
    }
}

both_backends! {
    async fn a_text_plain_body_is_refused_with_415(server: &TestServer) {
        with_customers(server).await;
        let body = json!({"name": "Ada"}).to_string().into_bytes();
        let response = server
            .send(Method::POST, "/api/v1/records/customer", &[("content-type", "text/plain")], Some(body.clone()))
            .await;
        response.expect_problem(415, "unsupported_media_type");
        let response = server.send(Method::POST, "/api/v1/records/customer", &[], Some(body)).await;
        response.expect_status(415);
        assert_eq!(server.count("customer").await, 0);
    }
}

both_backends! {
    async fn an_id_that_is_not_a_uuid_is_refused_with_400(server: &TestServer) {
        with_customers(server).await;
        server.create("customer", &json!({"name": "Ada"})).await;
        for path in [
            "/api/v1/records/customer/1%20OR%201=1",
            "/api/v1/records/customer/'%3B%20DROP%20TABLE%20records%3B%20--",
            "/api/v1/records/customer/42",
        ] {
            server.get(path).await.expect_problem(400, "invalid_id");
            server.delete(path).await.expect_problem(400, "invalid_id");
            server.patch_json(path, &json!({"name": "Eve"})).await.expect_problem(400, "invalid_id");
        }
        assert_eq!(server.count("customer").await, 1);
    }
}

both_backends! {
    async fn a_new_record_outside_the_initial_states_is_refused(server: &TestServer) {
        with_tickets(server).await;
        let customer = id_of(&server.create("customer", &json!({"name": "Acme"})).await);
        let response = server
            .post_json(
                "/api/v1/records/ticket",
                &json!({"code": "T-1", "title": "Skip ahead", "status": "closed", "customer_id": customer}),
            )
            .await;
        response.expect_status(422);
        assert_eq!(response.error_paths(), vec!["/status".to_owned()], "{}", response.text);
        assert_eq!(server.count("ticket").await, 0);
    }
}

both_backends! {
    async fn a_forbidden_state_transition_is_refused_naming_the_field(server: &TestServer) {
        with_tickets(server).await;
        let customer = id_of(&server.create("customer", &json!({"name": "Acme"})).await);
        let ticket = server
            .create("ticket", &json!({"code": "T-1", "title": "Jam", "status": "new", "customer_id": customer}))
            .await;
        let path = format!("/api/v1/records/ticket/{}", id_of(&ticket));

        let skipped = server.patch_json(&path, &json!({"status": "closed"})).await;
        skipped.expect_status(422);
        assert_eq!(skipped.error_paths(), vec!["/status".to_owned()], "{}", skipped.text);
        let detail = skipped.errors()[0]["message"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains("new") && detail.contains("closed"), "the message names neither state: {detail}");
        let read = server.get(&path).await;
        assert_eq!(read.body["status"], json!("new"));
        assert_eq!(read.body["version"], json!(1));

        // The allowed path works, one step at a time, and a final state stays final.
        for state in ["open", "resolved", "closed"] {
            server.patch_json(&path, &json!({"status": state})).await.expect_status(200);
        }
        let reopened = server.patch_json(&path, &json!({"status": "open"})).await;
        reopened.expect_status(422);
        assert_eq!(reopened.error_paths(), vec!["/status".to_owned()], "{}", reopened.text);
        // Staying in a state is not a transition.
        server.patch_json(&path, &json!({"title": "Jam, closed"})).await.expect_status(200);
    }
}

both_backends! {
    async fn a_bad_if_match_is_refused_with_400(server: &TestServer) {
        with_customers(server).await;
        let created = server.create("customer", &json!({"name": "Ada"})).await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        let response = server
            .send_json(Method::PATCH, &path, "application/merge-patch+json", &[("if-match", "1")], &json!({"tier": 1}))
            .await;
        response.expect_status(400);
        assert_eq!(server.get(&path).await.body["version"], json!(1));
    }
}
