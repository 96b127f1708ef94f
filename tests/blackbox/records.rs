//! The record life cycle: create, read, replace, merge-patch, delete; chosen ids; bulk writes;
//! and what deleting a record does to the records that look it up.

use serde_json::json;
use xrm_tests::{Method, TestServer, both_backends};

use crate::fixtures::{id_of, random_id, with_customers, with_tickets};

/// The system fields every record carries.
const SYSTEM_FIELDS: [&str; 8] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "owned_by",
    "owning_team",
];

fn is_rfc3339_utc(text: &str) -> bool {
    text.len() >= 20
        && text.as_bytes()[4] == b'-'
        && text.as_bytes()[10] == b'T'
        && text.ends_with('Z')
}

both_backends! {
    async fn a_valid_record_round_trips_with_system_fields(server: &TestServer) {
        with_customers(server).await;
        let data = json!({
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "status": "active",
            "tier": 3,
            "lifetime_value": 1234.5,
            "birthday": "1815-12-10",
            "vip": true,
            "address": {"city": "London", "country": "UK"}
        });
        let created = server.post_json("/api/v1/records/customer", &data).await;
        created.expect_status(201);
        assert_eq!(created.header("etag"), Some("\"1\""));
        let id = id_of(&created.body);
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "id {id} is not a UUID");
        let location = created.header("location").expect("201 carries Location").to_owned();
        assert_eq!(location, format!("/api/v1/records/customer/{id}"));

        let read = server.get(&location).await;
        read.expect_status(200);
        assert_eq!(read.header("etag"), Some("\"1\""));
        let record = read.body.as_object().expect("a record is an object");
        for (field, value) in data.as_object().unwrap() {
            assert_eq!(record.get(field), Some(value), "field {field} changed: {}", read.text);
        }
        for field in SYSTEM_FIELDS {
            assert!(record.contains_key(field), "system field {field} missing: {}", read.text);
        }
        assert_eq!(record.len(), data.as_object().unwrap().len() + SYSTEM_FIELDS.len(), "{}", read.text);
        assert_eq!(record["id"], json!(id));
        assert_eq!(record["version"], json!(1));
        for field in ["created_at", "updated_at"] {
            let text = record[field].as_str().unwrap_or_default();
            assert!(is_rfc3339_utc(text), "{field} '{text}' is not RFC 3339 UTC");
        }
        assert!(record["created_by"].is_string() && record["updated_by"].is_string());
        assert_eq!(created.body, read.body, "the 201 body and the read differ");
    }
}

both_backends! {
    async fn put_replaces_every_data_field(server: &TestServer) {
        with_customers(server).await;
        let created = server
            .create("customer", &json!({"name": "Ada", "notes": "first", "tier": 1}))
            .await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        let replaced = server.put_json(&path, &json!({"name": "Ada L.", "tier": 2})).await;
        replaced.expect_status(200);
        assert_eq!(replaced.header("etag"), Some("\"2\""));
        let read = server.get(&path).await;
        assert_eq!(read.body["name"], json!("Ada L."));
        assert_eq!(read.body["tier"], json!(2));
        assert!(read.body.get("notes").is_none(), "PUT kept a field it did not send: {}", read.text);
        assert_eq!(read.body["version"], json!(2));
        assert_eq!(read.body["created_at"], created["created_at"]);
        assert_eq!(read.body["id"], created["id"]);
    }
}

both_backends! {
    async fn merge_patch_merges_and_null_removes(server: &TestServer) {
        with_customers(server).await;
        let created = server
            .create(
                "customer",
                &json!({"name": "Ada", "notes": "remove me", "tier": 1,
                        "address": {"city": "London", "country": "UK"}}),
            )
            .await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        let patched = server
            .patch_json(&path, &json!({"notes": null, "tier": 4, "address": {"city": "Bath"}}))
            .await;
        patched.expect_status(200);
        assert_eq!(patched.header("etag"), Some("\"2\""));
        let read = server.get(&path).await;
        assert!(read.body.get("notes").is_none(), "null did not remove: {}", read.text);
        assert_eq!(read.body["tier"], json!(4));
        assert_eq!(read.body["name"], json!("Ada"));
        assert_eq!(read.body["address"], json!({"city": "Bath", "country": "UK"}));
    }
}

both_backends! {
    async fn patch_also_accepts_application_json(server: &TestServer) {
        with_customers(server).await;
        let created = server.create("customer", &json!({"name": "Ada"})).await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        let patched = server
            .send_json(Method::PATCH, &path, "application/json", &[], &json!({"tier": 2}))
            .await;
        patched.expect_status(200);
        assert_eq!(patched.body["tier"], json!(2));
        assert_eq!(patched.body["name"], json!("Ada"));
    }
}

both_backends! {
    async fn delete_answers_204_and_the_record_is_gone(server: &TestServer) {
        with_customers(server).await;
        let created = server.create("customer", &json!({"name": "Ada"})).await;
        let path = format!("/api/v1/records/customer/{}", id_of(&created));
        let deleted = server.delete(&path).await;
        deleted.expect_status(204);
        server.get(&path).await.expect_problem(404, "not_found");
        server.delete(&path).await.expect_problem(404, "not_found");
        assert_eq!(server.count("customer").await, 0);
    }
}

both_backends! {
    async fn a_record_is_not_found_under_another_type(server: &TestServer) {
        with_tickets(server).await;
        let project = server.create("project", &json!({"name": "Apollo"})).await;
        let response = server
            .get(&format!("/api/v1/records/customer/{}", id_of(&project)))
            .await;
        response.expect_problem(404, "not_found");
        server.get(&format!("/api/v1/records/customer/{}", random_id())).await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn a_body_may_choose_the_id_and_a_taken_id_is_refused(server: &TestServer) {
        with_customers(server).await;
        let chosen = random_id();
        let created = server
            .post_json("/api/v1/records/customer", &json!({"id": chosen, "name": "Ada"}))
            .await;
        created.expect_status(201);
        assert_eq!(created.body["id"], json!(chosen));
        assert_eq!(created.header("location"), Some(format!("/api/v1/records/customer/{chosen}").as_str()));
        let again = server
            .post_json("/api/v1/records/customer", &json!({"id": chosen, "name": "Eve"}))
            .await;
        again.expect_status(409);
        let read = server.get(&format!("/api/v1/records/customer/{chosen}")).await;
        assert_eq!(read.body["name"], json!("Ada"), "a refused create overwrote a record");
        assert_eq!(server.count("customer").await, 1);
    }
}

both_backends! {
    async fn system_fields_in_a_body_are_ignored(server: &TestServer) {
        with_customers(server).await;
        let created = server
            .post_json(
                "/api/v1/records/customer",
                &json!({"name": "Ada", "version": 99, "created_by": "mallory",
                        "created_at": "1999-01-01T00:00:00Z"}),
            )
            .await;
        created.expect_status(201);
        assert_eq!(created.body["version"], json!(1));
        assert_ne!(created.body["created_by"], json!("mallory"));
        assert_ne!(created.body["created_at"], json!("1999-01-01T00:00:00Z"));
        // A client may send back what it read: the system fields do not make PUT fail.
        let mut echoed = created.body.clone();
        echoed["name"] = json!("Ada L.");
        let path = format!("/api/v1/records/customer/{}", id_of(&created.body));
        let replaced = server.put_json(&path, &echoed).await;
        replaced.expect_status(200);
        assert_eq!(replaced.body["version"], json!(2));
        assert_eq!(replaced.body["name"], json!("Ada L."));
    }
}

both_backends! {
    async fn bulk_create_writes_every_record(server: &TestServer) {
        with_customers(server).await;
        let records: Vec<_> = (0..50).map(|i| json!({"name": format!("Bulk {i}"), "tier": 1 + i % 5})).collect();
        let response = server
            .post_json("/api/v1/records/customer/bulk", &json!({"mode": "create", "records": records}))
            .await;
        assert!(response.status == 200 || response.status == 201, "bulk failed: {}", response.text);
        assert_eq!(server.count("customer").await, 50);
    }
}

both_backends! {
    async fn a_bulk_batch_with_one_invalid_item_writes_nothing(server: &TestServer) {
        with_customers(server).await;
        server.create("customer", &json!({"name": "Existing"})).await;
        let records = json!([
            {"name": "Good 0"},
            {"name": "Good 1"},
            {"name": "Bad", "tier": "three"},
            {"name": "Good 3"}
        ]);
        let response = server
            .post_json("/api/v1/records/customer/bulk", &json!({"mode": "create", "records": records}))
            .await;
        response.expect_problem(422, "bulk_failed");
        let items = response.body["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 1, "{}", response.text);
        assert_eq!(items[0]["index"], json!(2), "{}", response.text);
        assert_eq!(items[0]["errors"][0]["path"], json!("/tier"), "{}", response.text);
        assert_eq!(server.count("customer").await, 1, "a failed bulk wrote records");
    }
}

both_backends! {
    async fn a_bulk_batch_that_collides_with_a_stored_unique_value_writes_nothing(server: &TestServer) {
        with_customers(server).await;
        server.create("customer", &json!({"name": "Existing", "email": "taken@example.com"})).await;
        let records = json!([
            {"name": "New 0", "email": "new0@example.com"},
            {"name": "New 1", "email": "taken@example.com"},
            {"name": "New 2", "email": "new2@example.com"}
        ]);
        let response = server
            .post_json("/api/v1/records/customer/bulk", &json!({"mode": "create", "records": records}))
            .await;
        assert!(response.status == 409 || response.status == 422, "{}", response.text);
        assert_eq!(response.code(), "bulk_failed", "{}", response.text);
        assert_eq!(response.body["items"][0]["index"], json!(1), "{}", response.text);
        assert_eq!(server.count("customer").await, 1, "a failed bulk wrote records");
    }
}

both_backends! {
    async fn bulk_upsert_replaces_existing_records_and_creates_new_ones(server: &TestServer) {
        with_customers(server).await;
        let existing = id_of(&server.create("customer", &json!({"name": "Old"})).await);
        let fresh = random_id();
        let response = server
            .post_json(
                "/api/v1/records/customer/bulk",
                &json!({"mode": "upsert", "records": [
                    {"id": existing, "name": "Renamed"},
                    {"id": fresh, "name": "Fresh"}
                ]}),
            )
            .await;
        assert!(response.status == 200 || response.status == 201, "{}", response.text);
        let old = server.get(&format!("/api/v1/records/customer/{existing}")).await;
        assert_eq!(old.body["name"], json!("Renamed"));
        assert_eq!(old.body["version"], json!(2));
        server.get(&format!("/api/v1/records/customer/{fresh}")).await.expect_status(200);
        assert_eq!(server.count("customer").await, 2);
    }
}

/// Creates a ticket pointing at a customer, a project and an agent; returns their ids.
async fn ticket_with_dependencies(server: &TestServer) -> (String, String, String, String) {
    let customer = id_of(&server.create("customer", &json!({"name": "Acme"})).await);
    let project = id_of(&server.create("project", &json!({"name": "Apollo"})).await);
    let agent = id_of(&server.create("agent", &json!({"name": "Grace"})).await);
    let ticket = id_of(
        &server
            .create(
                "ticket",
                &json!({"code": "T-1", "title": "Printer on fire", "status": "new",
                        "customer_id": customer, "project_id": project, "assignee_id": agent}),
            )
            .await,
    );
    (ticket, customer, project, agent)
}

both_backends! {
    async fn deleting_a_restricted_lookup_target_is_refused_with_409(server: &TestServer) {
        with_tickets(server).await;
        let (ticket, customer, _, _) = ticket_with_dependencies(server).await;
        let response = server.delete(&format!("/api/v1/records/customer/{customer}")).await;
        response.expect_problem(409, "restricted_by_lookup");
        server.get(&format!("/api/v1/records/customer/{customer}")).await.expect_status(200);
        server.get(&format!("/api/v1/records/ticket/{ticket}")).await.expect_status(200);
        // Once nothing points at it, the delete goes through.
        server.delete(&format!("/api/v1/records/ticket/{ticket}")).await.expect_status(204);
        server.delete(&format!("/api/v1/records/customer/{customer}")).await.expect_status(204);
    }
}

both_backends! {
    async fn deleting_a_cascade_lookup_target_deletes_its_dependants(server: &TestServer) {
        with_tickets(server).await;
        let (ticket, customer, project, _) = ticket_with_dependencies(server).await;
        let other_project = id_of(&server.create("project", &json!({"name": "Gemini"})).await);
        let other_ticket = id_of(
            &server
                .create("ticket", &json!({"code": "T-2", "title": "Other", "customer_id": customer,
                                          "project_id": other_project}))
                .await,
        );
        server.delete(&format!("/api/v1/records/project/{project}")).await.expect_status(204);
        server.get(&format!("/api/v1/records/ticket/{ticket}")).await.expect_problem(404, "not_found");
        server.get(&format!("/api/v1/records/ticket/{other_ticket}")).await.expect_status(200);
        assert_eq!(server.count("ticket").await, 1);
    }
}

both_backends! {
    async fn deleting_a_set_null_lookup_target_removes_the_field_from_dependants(server: &TestServer) {
        with_tickets(server).await;
        let (ticket, _, _, agent) = ticket_with_dependencies(server).await;
        server.delete(&format!("/api/v1/records/agent/{agent}")).await.expect_status(204);
        let read = server.get(&format!("/api/v1/records/ticket/{ticket}")).await;
        read.expect_status(200);
        assert!(read.body.get("assignee_id").is_none(), "assignee_id kept: {}", read.text);
        assert_eq!(read.body["version"], json!(2), "clearing the lookup is a new version: {}", read.text);
        assert_eq!(read.body["title"], json!("Printer on fire"));
    }
}

both_backends! {
    async fn a_cascade_that_reaches_a_restricted_record_deletes_nothing(server: &TestServer) {
        // project -> ticket cascades, but a work log restricts deleting its ticket: the whole
        // delete is refused and neither the project nor the ticket goes.
        with_tickets(server).await;
        server
            .create_type(&json!({
                "type": "object",
                "required": ["ticket_id"],
                "properties": {"ticket_id": {"type": "string"}, "minutes": {"type": "integer"}},
                "x-xrm": {"name": "worklog", "display_name": "Work log", "title_field": "ticket_id",
                          "lookups": {"ticket_id": {"target": "ticket", "on_delete": "restrict"}}}
            }))
            .await;
        let (ticket, _, project, _) = ticket_with_dependencies(server).await;
        server.create("worklog", &json!({"ticket_id": ticket, "minutes": 30})).await;
        let response = server.delete(&format!("/api/v1/records/project/{project}")).await;
        response.expect_problem(409, "restricted_by_lookup");
        server.get(&format!("/api/v1/records/project/{project}")).await.expect_status(200);
        server.get(&format!("/api/v1/records/ticket/{ticket}")).await.expect_status(200);
    }
}

both_backends! {
    async fn writing_a_record_that_does_not_exist_is_404(server: &TestServer) {
        with_customers(server).await;
        let path = format!("/api/v1/records/customer/{}", random_id());
        server.put_json(&path, &json!({"name": "Ghost"})).await.expect_problem(404, "not_found");
        server.patch_json(&path, &json!({"name": "Ghost"})).await.expect_problem(404, "not_found");
        server.delete(&path).await.expect_problem(404, "not_found");
        server.post_json("/api/v1/records/nothing_here", &json!({"name": "Ghost"})).await.expect_problem(404, "not_found");
        assert_eq!(server.count("customer").await, 0);
    }
}
