//! Concurrent writers and readers: optimistic concurrency with `If-Match`, unique values under
//! races, and keyset paging that stays exact while records are inserted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use xrm_tests::{Method, Response, TestServer, both_backends};

use crate::fixtures::{all_ids, id_of, join_all, with_customers};

async fn patch_if_match(
    server: &TestServer,
    path: &str,
    etag: &str,
    body: serde_json::Value,
) -> Response {
    server
        .send_json(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &[("if-match", etag)],
            &body,
        )
        .await
}

both_backends! {
    async fn stale_if_match_is_refused_with_412(server: &TestServer) {
        with_customers(server).await;
        let created = server.create("customer", &json!({"name": "Ada", "tier": 1})).await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        patch_if_match(server, &path, "\"1\"", json!({"tier": 2})).await.expect_status(200);

        let stale = patch_if_match(server, &path, "\"1\"", json!({"tier": 3})).await;
        stale.expect_problem(412, "version_mismatch");
        let stale_put = server
            .send_json(Method::PUT, &path, "application/json", &[("if-match", "\"1\"")], &json!({"name": "Eve"}))
            .await;
        stale_put.expect_problem(412, "version_mismatch");
        let stale_delete = server.send(Method::DELETE, &path, &[("if-match", "\"1\"")], None).await;
        stale_delete.expect_problem(412, "version_mismatch");

        let read = server.get(&path).await;
        assert_eq!(read.body["version"], json!(2));
        assert_eq!(read.body["tier"], json!(2));
        assert_eq!(read.body["name"], json!("Ada"));
    }
}

both_backends! {
    async fn a_matching_if_match_succeeds_and_bumps_the_etag(server: &TestServer) {
        with_customers(server).await;
        let created = server.post_json("/api/v1/records/customer", &json!({"name": "Ada"})).await;
        let path = created.header("location").unwrap().to_owned();
        let mut etag = created.header("etag").unwrap().to_owned();
        assert_eq!(etag, "\"1\"");
        for (expected, tier) in [("\"2\"", 1), ("\"3\"", 2), ("\"4\"", 3)] {
            let response = patch_if_match(server, &path, &etag, json!({"tier": tier})).await;
            response.expect_status(200);
            etag = response.header("etag").unwrap().to_owned();
            assert_eq!(etag, expected);
            assert_eq!(server.get(&path).await.header("etag"), Some(expected));
        }
        let replaced = server
            .send_json(Method::PUT, &path, "application/json", &[("if-match", &etag)], &json!({"name": "Ada L."}))
            .await;
        replaced.expect_status(200);
        assert_eq!(replaced.header("etag"), Some("\"5\""));
        server.send(Method::DELETE, &path, &[("if-match", "\"5\"")], None).await.expect_status(204);
    }
}

both_backends! {
    async fn concurrent_edits_with_the_same_if_match_let_exactly_one_win(server: &TestServer) {
        with_customers(server).await;
        let created = server.create("customer", &json!({"name": "Ada", "tier": 1})).await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        let attempts = (0..8).map(|i| {
            let path = path.clone();
            async move { patch_if_match(server, &path, "\"1\"", json!({"notes": format!("writer {i}")})).await }
        });
        let responses = join_all(attempts).await;
        let won: Vec<&Response> = responses.iter().filter(|r| r.status == 200).collect();
        let lost = responses.iter().filter(|r| r.status == 412).count();
        let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
        assert_eq!(won.len(), 1, "exactly one writer wins: {statuses:?}");
        assert_eq!(lost, 7, "the others get 412: {statuses:?}");
        let read = server.get(&path).await;
        assert_eq!(read.body["version"], json!(2));
        assert_eq!(read.body["notes"], won[0].body["notes"]);
    }
}

both_backends! {
    async fn a_duplicate_unique_value_is_refused_with_409_naming_the_field(server: &TestServer) {
        with_customers(server).await;
        server.create("customer", &json!({"name": "Ada", "email": "ada@example.com"})).await;
        let other = server.create("customer", &json!({"name": "Bob", "email": "bob@example.com"})).await;

        let duplicate = server
            .post_json("/api/v1/records/customer", &json!({"name": "Eve", "email": "ada@example.com"}))
            .await;
        duplicate.expect_problem(409, "unique_violation");
        assert_eq!(duplicate.error_paths(), vec!["/email".to_owned()], "{}", duplicate.text);
        assert_eq!(server.count("customer").await, 2);

        let path = format!("/api/v1/records/customer/{}", id_of(&other));
        let taken = server.patch_json(&path, &json!({"email": "ada@example.com"})).await;
        taken.expect_problem(409, "unique_violation");
        assert_eq!(taken.error_paths(), vec!["/email".to_owned()], "{}", taken.text);
        let read = server.get(&path).await;
        assert_eq!(read.body["email"], json!("bob@example.com"));
        assert_eq!(read.body["version"], json!(1));
    }
}

both_backends! {
    async fn concurrent_creates_of_one_unique_value_store_exactly_one(server: &TestServer) {
        with_customers(server).await;
        let attempts = (0..8).map(|i| async move {
            server
                .post_json("/api/v1/records/customer", &json!({"name": format!("Racer {i}"), "email": "race@example.com"}))
                .await
        });
        let responses = join_all(attempts).await;
        let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
        assert_eq!(server.count("customer").await, 1);
    }
}

both_backends! {
    async fn paging_during_concurrent_inserts_returns_every_seeded_record_exactly_once(server: &TestServer) {
        const SEEDED: usize = 300;
        with_customers(server).await;
        // Values spread over 0..1000 so concurrent inserts land before, between and after pages.
        let records: Vec<_> = (0..SEEDED)
            .map(|i| json!({"name": format!("Seeded {i}"), "lifetime_value": (i * 337) % 1000}))
            .collect();
        let bulk = server
            .post_json("/api/v1/records/customer/bulk", &json!({"mode": "create", "records": records}))
            .await;
        assert!(bulk.status == 200 || bulk.status == 201, "seeding failed: {}", bulk.text);
        let seeded = all_ids(server, "customer").await;
        assert_eq!(seeded.len(), SEEDED);

        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let stop = Arc::clone(&stop);
            let client_url = server.url("/api/v1/records/customer");
            let client = server.client();
            tokio::spawn(async move {
                let mut written = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let body = json!({"name": format!("Concurrent {written}"), "lifetime_value": (written * 71) % 1000});
                    let response = client.post(&client_url).json(&body).send().await.expect("insert");
                    assert_eq!(response.status().as_u16(), 201);
                    written += 1;
                }
                written
            })
        };

        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut options = vec![("$top", "25"), ("$orderby", "lifetime_value")];
            if let Some(cursor) = &cursor {
                options.push(("$cursor", cursor.as_str()));
            }
            let page = server.list("customer", &options).await;
            page.expect_status(200);
            for record in page.values() {
                *seen.entry(id_of(&record)).or_default() += 1;
            }
            pages += 1;
            assert!(pages < 1000, "paging does not end");
            cursor = page.body["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        let written = writer.await.expect("the writer does not panic");

        let twice: Vec<&String> = seen.iter().filter(|(_, n)| **n > 1).map(|(id, _)| id).collect();
        assert!(twice.is_empty(), "ids seen more than once: {twice:?}");
        let missing: Vec<&String> = seeded.iter().filter(|id| !seen.contains_key(*id)).collect();
        assert!(missing.is_empty(), "seeded ids never seen ({} of {SEEDED}): {missing:?}", missing.len());
        assert!(written > 0, "the concurrent writer never ran");
    }
}
