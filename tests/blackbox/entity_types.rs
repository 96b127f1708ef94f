//! Defining entity types: the shipped ones load, malformed ones are refused with pointers,
//! names are unique, and a change that stored records violate needs the admin's consent.

use serde_json::{Value, json};
use xrm_tests::{TestServer, both_backends, load_shipped_types, shipped_type_documents};

use crate::fixtures::{customer_type, id_of};

/// A minimal valid type, to be broken one way at a time.
fn minimal_type() -> Value {
    json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
        "x-xrm": {"name": "widget", "display_name": "Widget", "title_field": "name"}
    })
}

/// Posts a type document and checks the 422 `invalid_entity_type` problem names `pointer`.
async fn assert_refused_at(server: &TestServer, document: &Value, pointer: &str) {
    let response = server.post_json("/api/v1/entity-types", document).await;
    response.expect_problem(422, "invalid_entity_type");
    let paths = response.error_paths();
    assert!(
        paths
            .iter()
            .any(|p| p == pointer || p.starts_with(&format!("{pointer}/"))),
        "expected an error at {pointer}, got {paths:?}: {}",
        response.text
    );
    let listed = server.get("/api/v1/entity-types").await;
    listed.expect_status(200);
    assert!(
        listed.values().is_empty(),
        "a refused type was stored: {}",
        listed.text
    );
}

both_backends! {
    async fn every_shipped_type_loads_and_is_listed(server: &TestServer) {
        let expected = shipped_type_documents().len();
        let loaded = load_shipped_types(server).await;
        assert_eq!(loaded.len(), expected);
        let listed = server.get("/api/v1/entity-types").await;
        listed.expect_status(200);
        let names: Vec<String> = listed
            .values()
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect();
        for name in &loaded {
            assert!(names.contains(name), "{name} is not listed: {names:?}");
            let one = server.get(&format!("/api/v1/entity-types/{name}")).await;
            one.expect_status(200);
            assert_eq!(one.body["name"], json!(name));
            assert_eq!(one.body["version"], json!(1));
            // Every shipped type accepts list queries right away.
            server.list(name, &[("$count", "true")]).await.expect_status(200);
        }
    }
}

both_backends! {
    async fn creating_a_type_answers_201_with_location_and_version_1(server: &TestServer) {
        let response = server.post_json("/api/v1/entity-types", &minimal_type()).await;
        response.expect_status(201);
        assert_eq!(response.header("location"), Some("/api/v1/entity-types/widget"));
        assert_eq!(response.body["name"], json!("widget"));
        assert_eq!(response.body["version"], json!(1));
        assert_eq!(response.body["schema"], minimal_type());
    }
}

both_backends! {
    async fn a_schema_whose_root_is_not_an_object_type_is_refused_with_422(server: &TestServer) {
        let mut document = minimal_type();
        document["type"] = json!("array");
        assert_refused_at(server, &document, "/type").await;
    }
}

both_backends! {
    async fn a_document_that_is_not_a_json_object_is_refused_with_422(server: &TestServer) {
        let response = server.post_json("/api/v1/entity-types", &json!(["type", "object"])).await;
        response.expect_problem(422, "invalid_entity_type");
        assert_eq!(response.error_paths(), vec![String::new()], "{}", response.text);
    }
}

both_backends! {
    async fn a_title_field_that_is_not_a_property_is_refused_with_422(server: &TestServer) {
        let mut document = minimal_type();
        document["x-xrm"]["title_field"] = json!("nickname");
        assert_refused_at(server, &document, "/x-xrm/title_field").await;
    }
}

both_backends! {
    async fn a_title_field_that_is_not_a_string_is_refused_with_422(server: &TestServer) {
        let mut document = minimal_type();
        document["x-xrm"]["title_field"] = json!("size");
        assert_refused_at(server, &document, "/x-xrm/title_field").await;
    }
}

both_backends! {
    async fn an_invalid_json_schema_keyword_value_is_refused_with_422(server: &TestServer) {
        let mut document = minimal_type();
        document["properties"]["name"]["minLength"] = json!(-1);
        assert_refused_at(server, &document, "/properties/name").await;
    }
}

both_backends! {
    async fn a_system_field_among_the_properties_is_refused_with_422(server: &TestServer) {
        let mut document = minimal_type();
        document["properties"]["created_at"] = json!({"type": "string"});
        assert_refused_at(server, &document, "/properties/created_at").await;
    }
}

both_backends! {
    async fn a_type_name_that_cannot_be_a_url_segment_is_refused_with_422(server: &TestServer) {
        let mut document = minimal_type();
        document["x-xrm"]["name"] = json!("Widget; DROP TABLE records");
        assert_refused_at(server, &document, "/x-xrm/name").await;
    }
}

both_backends! {
    async fn creating_a_type_twice_is_refused_with_409(server: &TestServer) {
        server.create_type(&minimal_type()).await;
        let again = server.post_json("/api/v1/entity-types", &minimal_type()).await;
        again.expect_problem(409, "entity_type_exists");
        let current = server.get("/api/v1/entity-types/widget").await;
        assert_eq!(current.body["version"], json!(1));
    }
}

both_backends! {
    async fn an_unknown_type_is_404(server: &TestServer) {
        server.get("/api/v1/entity-types/nothing_here").await.expect_problem(404, "not_found");
        server.get("/api/v1/records/nothing_here").await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn a_change_that_stored_records_violate_is_refused_with_409_and_a_report(server: &TestServer) {
        server.create_type(&customer_type()).await;
        server
            .create("customer", &json!({"name": "Has mail", "email": "a@example.com"}))
            .await;
        let without_email = id_of(&server.create("customer", &json!({"name": "No mail"})).await);

        // Email becomes required: the record without one would be invalid.
        let mut stricter = customer_type();
        stricter["required"] = json!(["name", "email"]);
        let refused = server.put_json("/api/v1/entity-types/customer", &stricter).await;
        refused.expect_problem(409, "stored_records_invalid");
        let report = &refused.body["report"];
        assert_eq!(report["invalid_count"], json!(1), "{}", refused.text);
        assert_eq!(report["examples"][0]["id"], json!(without_email), "{}", refused.text);
        assert_eq!(report["examples"][0]["errors"][0]["path"], json!("/email"), "{}", refused.text);
        let unchanged = server.get("/api/v1/entity-types/customer").await;
        assert_eq!(unchanged.body["version"], json!(1), "the refused schema was stored");

        // The admin accepts the invalid records explicitly.
        let accepted = server
            .put_json("/api/v1/entity-types/customer?allow_invalid_records=true", &stricter)
            .await;
        accepted.expect_status(200);
        assert_eq!(accepted.body["version"], json!(2), "{}", accepted.text);
        let current = server.get("/api/v1/entity-types/customer").await;
        assert_eq!(current.body["version"], json!(2));
        assert_eq!(current.body["schema"]["required"], json!(["name", "email"]));

        let versions = server.get("/api/v1/entity-types/customer/versions").await;
        versions.expect_status(200);
        let numbers: Vec<i64> = versions
            .values()
            .iter()
            .filter_map(|v| v["version"].as_i64())
            .collect();
        assert!(numbers.contains(&1) && numbers.contains(&2) && numbers.len() == 2, "{}", versions.text);
        let first = server.get("/api/v1/entity-types/customer/versions/1").await;
        first.expect_status(200);
        assert_eq!(first.body["schema"]["required"], json!(["name"]));

        // The new schema is in force for new records.
        let refused_record = server
            .post_json("/api/v1/records/customer", &json!({"name": "Still no mail"}))
            .await;
        refused_record.expect_problem(422, "validation_failed");
        assert_eq!(refused_record.error_paths(), vec!["/email".to_owned()]);
    }
}

both_backends! {
    async fn a_compatible_change_is_accepted_and_versioned(server: &TestServer) {
        server.create_type(&customer_type()).await;
        server.create("customer", &json!({"name": "Ada"})).await;
        let mut wider = customer_type();
        wider["properties"]["phone"] = json!({"type": "string"});
        let response = server.put_json("/api/v1/entity-types/customer", &wider).await;
        response.expect_status(200);
        assert_eq!(response.body["version"], json!(2));
        server.create("customer", &json!({"name": "Bob", "phone": "+47 1234"})).await;
    }
}

both_backends! {
    async fn renaming_a_type_through_put_is_refused(server: &TestServer) {
        server.create_type(&minimal_type()).await;
        let mut renamed = minimal_type();
        renamed["x-xrm"]["name"] = json!("gadget");
        let response = server.put_json("/api/v1/entity-types/widget", &renamed).await;
        assert_eq!(response.status, 422, "{}", response.text);
        assert!(response.error_paths().contains(&"/x-xrm/name".to_owned()), "{}", response.text);
    }
}

both_backends! {
    async fn deleting_a_type_removes_it_unless_lookups_point_at_it(server: &TestServer) {
        server.create_type(&customer_type()).await;
        server.create_type(&crate::fixtures::complaint_type()).await;
        // complaint.customer_id points at customer: customer cannot go first.
        let refused = server.delete("/api/v1/entity-types/customer").await;
        assert_eq!(refused.status, 409, "{}", refused.text);
        server.get("/api/v1/entity-types/customer").await.expect_status(200);
        server.delete("/api/v1/entity-types/complaint").await.expect_status(204);
        server.get("/api/v1/entity-types/complaint").await.expect_problem(404, "not_found");
        server.delete("/api/v1/entity-types/customer").await.expect_status(204);
    }
}
