//! Packages that carry entity types and sample data: install creates (or adopts) the types and
//! loads the sample records only when asked; upgrades change the types through the entity-type
//! rules and are refused whole when a change is; uninstall keeps the types and their records.

use serde_json::{Value, json};
use xrm_tests::{Method, Response, TestServer, both_backends, package_tar, tar_of};

/// A ticket type; `extra` is merged into its document (deeply for `properties` and `x-xrm`).
fn ticket(extra: Value) -> Value {
    let mut document = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["code", "title"],
        "properties": {
            "code": {"type": "string", "pattern": "^T-[0-9]{3}$"},
            "title": {"type": "string", "minLength": 1},
            "customer_id": {"type": "string", "format": "uuid"},
            "parent_id": {"type": "string", "format": "uuid"}
        },
        "x-xrm": {
            "name": "ticket", "display_name": "Ticket", "title_field": "title",
            "unique": ["code"],
            "lookups": {"parent_id": {"target": "ticket", "on_delete": "set_null"}}
        }
    });
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        match (document.get_mut(&key), value) {
            (Some(Value::Object(into)), Value::Object(from)) => into.extend(from),
            (_, value) => document[key.as_str()] = value,
        }
    }
    document
}

fn tag() -> Value {
    json!({
        "type": "object", "additionalProperties": false, "required": ["label"],
        "properties": {"label": {"type": "string"}, "ticket_id": {"type": "string", "format": "uuid"}},
        "x-xrm": {"name": "tag", "display_name": "Tag", "title_field": "label",
                  "lookups": {"ticket_id": {"target": "ticket", "on_delete": "cascade"}}}
    })
}

const T1: &str = "7e570000-0000-7000-8000-000000000001";
const T2: &str = "7e570000-0000-7000-8000-000000000002";
const G1: &str = "7e570000-0000-7000-8000-000000000011";

/// Sample data: the child ticket and the tag come first in the file, and still load after the
/// tickets they point at.
fn sample() -> Value {
    json!({
        "tag": [{"id": G1, "label": "urgent", "ticket_id": T2}],
        "ticket": [
            {"id": T2, "code": "T-002", "title": "Follow-up", "parent_id": T1},
            {"id": T1, "code": "T-001", "title": "Printer on fire"}
        ]
    })
}

/// A package of entity types (no plugin) as a tar archive: `types` are (file, document).
fn types_package(version: &str, types: &[(&str, Value)], sample: Option<Value>) -> Vec<u8> {
    let mut manifest = json!({
        "name": "helpdesk", "version": version, "publisher": "Test ISV", "api": "0.1.0",
        "entity_types": types.iter().map(|(file, _)| *file).collect::<Vec<_>>()
    });
    let mut files: Vec<(String, Vec<u8>)> = types
        .iter()
        .map(|(file, document)| ((*file).to_owned(), serde_json::to_vec(document).unwrap()))
        .collect();
    if let Some(sample) = sample {
        manifest["sample_data"] = json!("sample/data.json");
        files.push((
            "sample/data.json".into(),
            serde_json::to_vec(&sample).unwrap(),
        ));
    }
    files.push((
        "xrm-package.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    let borrowed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    tar_of(&borrowed)
}

async fn install(server: &TestServer, query: &str, tar: Vec<u8>) -> Response {
    server
        .send(
            Method::POST,
            &format!("/api/v1/packages{query}"),
            &[("content-type", "application/x-tar")],
            Some(tar),
        )
        .await
}

async fn upgrade(server: &TestServer, query: &str, tar: Vec<u8>) -> Response {
    server
        .send(
            Method::PUT,
            &format!("/api/v1/packages/helpdesk{query}"),
            &[("content-type", "application/x-tar")],
            Some(tar),
        )
        .await
}

fn managed(package: &Value) -> Vec<String> {
    package["entity_types"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn type_version(server: &TestServer, name: &str) -> Value {
    server
        .get(&format!("/api/v1/entity-types/{name}"))
        .await
        .body["version"]
        .clone()
}

both_backends! {
    async fn a_package_creates_its_types_and_loads_sample_data_only_when_asked(server: &TestServer) {
        // The shipped contract-rules package provides customer and contract.
        let installed = server.install_package("contract-rules").await;
        installed.expect_status(201);
        assert_eq!(managed(&installed.body), ["contract", "customer"], "{}", installed.text);
        assert_eq!(installed.body["sample_data"], true);
        let changes: Vec<(Value, Value)> = installed.body["changes"]["entity_types"]
            .as_array().unwrap().iter().map(|c| (c["name"].clone(), c["change"].clone())).collect();
        assert_eq!(changes, [(json!("customer"), json!("created")), (json!("contract"), json!("created"))]);
        assert_eq!(installed.body["changes"]["sample_records"], 0);
        server.get("/api/v1/entity-types/contract").await.expect_status(200);
        assert_eq!(server.count("customer").await, 0, "no sample data unless asked");
        assert_eq!(server.count("contract").await, 0);

        // The audit trail says the types came through the package.
        let audit = server.get("/api/v1/audit?action=entity_type.create").await;
        let entries = audit.values();
        let vias: Vec<&str> = entries.iter().filter_map(|e| e["via"].as_str()).collect();
        assert_eq!(vias.len(), 2, "{}", audit.text);
        assert!(vias.iter().all(|via| via.starts_with("package contract-rules@1.1.0 (POST /api/v1/packages")), "{vias:?}");

        // Uninstalled, the types stay, released; installed again with its sample data, the
        // identical types are adopted and the sample records loaded, lookups resolved.
        server.delete("/api/v1/packages/contract-rules").await.expect_status(204);
        server.get("/api/v1/entity-types/customer").await.expect_status(200);
        let again = install(server, "?sample_data=true", package_tar("contract-rules")).await;
        again.expect_status(201);
        let changes: Vec<&str> = again.body["changes"]["entity_types"]
            .as_array().unwrap().iter().filter_map(|c| c["change"].as_str()).collect();
        assert_eq!(changes, ["adopted", "adopted"], "{}", again.text);
        assert_eq!(again.body["changes"]["sample_records"], 6);
        assert_eq!(server.count("customer").await, 3);
        assert_eq!(server.count("contract").await, 3);
        let contracts = server.list("contract", &[("$expand", "customer_id"), ("$orderby", "contract_number")]).await;
        assert_eq!(contracts.values()[0]["_expand"]["customer_id"]["account_number"], "ACC-990001", "{}", contracts.text);
        let adopted = server.get("/api/v1/audit?action=entity_type.adopt").await;
        assert_eq!(adopted.values().len(), 2);
        let created = server.get("/api/v1/audit?action=record.create").await;
        assert!(created.values().iter().all(|e| e["via"].as_str().unwrap_or_default().starts_with("package contract-rules@1.1.0")), "{}", created.text);

        // Sample data never comes with an upgrade; and an unknown option is refused.
        upgrade(server, "?sample_data=true", package_tar("contract-rules")).await.expect_problem(400, "invalid_query");
        install(server, "?samples=1", package_tar("contract-rules")).await.expect_problem(400, "invalid_query");
    }
}

both_backends! {
    async fn a_type_of_the_admins_own_is_a_conflict_and_nothing_is_installed(server: &TestServer) {
        let mut own = ticket(json!({}));
        own["x-xrm"]["display_name"] = json!("Support ticket");
        server.create_type(&own).await.expect_status(201);
        let refused = install(server, "?sample_data=true", types_package("1.0.0", &[("tag.json", tag()), ("ticket.json", ticket(json!({})))], Some(sample()))).await;
        refused.expect_problem(409, "entity_type_conflict");
        assert_eq!(refused.error_paths(), ["/entity_types/1"], "{}", refused.text);
        assert!(refused.body["detail"].as_str().unwrap().contains("'ticket'"), "{}", refused.text);
        // Nothing of it remains: no package, no tag type, the admin's ticket untouched.
        assert_eq!(server.get("/api/v1/packages").await.values().len(), 0);
        server.get("/api/v1/entity-types/tag").await.expect_problem(404, "not_found");
        let kept = server.get("/api/v1/entity-types/ticket").await;
        assert_eq!(kept.body["version"], 1);
        assert_eq!(kept.body["display_name"], "Support ticket");

        // A type managed by another package is not taken over either, even when identical.
        server.delete("/api/v1/entity-types/ticket").await.expect_status(204);
        install(server, "", types_package("1.0.0", &[("ticket.json", ticket(json!({})))], None)).await.expect_status(201);
        let manifest = json!({"name": "other-desk", "version": "1.0.0", "publisher": "x", "api": "0.1.0", "entity_types": ["t.json"]});
        let document = serde_json::to_vec(&ticket(json!({}))).unwrap();
        let manifest = serde_json::to_vec(&manifest).unwrap();
        let refused = install(server, "", tar_of(&[("xrm-package.json", &manifest), ("t.json", &document)])).await;
        refused.expect_problem(409, "entity_type_managed_elsewhere");
        assert!(refused.errors()[0]["message"].as_str().unwrap().contains("package 'helpdesk'"), "{}", refused.text);
    }
}

both_backends! {
    async fn a_failing_sample_record_leaves_nothing_behind(server: &TestServer) {
        // The types are created in the install's transaction, then a sample record points at
        // a ticket that does not exist: the whole install rolls back.
        let mut broken = sample();
        broken["ticket"][1]["parent_id"] = json!("7e570000-0000-7000-8000-0000000000ff");
        let refused = install(server, "?sample_data=true", types_package("1.0.0", &[("ticket.json", ticket(json!({}))), ("tag.json", tag())], Some(broken))).await;
        refused.expect_problem(422, "validation_failed");
        assert_eq!(refused.error_paths(), ["/sample_data/ticket/1/parent_id"], "{}", refused.text);
        assert_eq!(server.get("/api/v1/packages").await.values().len(), 0);
        server.get("/api/v1/entity-types/ticket").await.expect_problem(404, "not_found");
        server.get("/api/v1/entity-types/tag").await.expect_problem(404, "not_found");
        assert_eq!(server.get("/api/v1/audit?action=entity_type.create").await.values().len(), 0);
    }
}

both_backends! {
    async fn invalid_entity_types_and_sample_data_are_refused_with_pointers(server: &TestServer) {
        let mut bad_type = ticket(json!({}));
        bad_type["x-xrm"]["title_field"] = json!("titel");
        let mut bad_sample = sample();
        bad_sample["ticket"][1]["code"] = json!("T-1");
        let manifest = serde_json::to_vec(&json!({
            "name": "helpdesk", "version": "1.0.0", "publisher": "x", "api": "0.1.0",
            "entity_types": ["missing.json", "bad.json", "ticket.json"], "sample_data": "sample.json"
        })).unwrap();
        let bad_type = serde_json::to_vec(&bad_type).unwrap();
        let good = serde_json::to_vec(&ticket(json!({}))).unwrap();
        let bad_sample = serde_json::to_vec(&bad_sample).unwrap();
        let refused = install(server, "", tar_of(&[
            ("xrm-package.json", &manifest), ("bad.json", &bad_type), ("ticket.json", &good), ("sample.json", &bad_sample),
        ])).await;
        refused.expect_problem(422, "invalid_package");
        assert_eq!(
            refused.error_paths(),
            ["/entity_types/0", "/entity_types/1/x-xrm/title_field", "/sample_data/ticket/1/code"],
            "{}", refused.text
        );

        // A path outside the package is a manifest error.
        let manifest = serde_json::to_vec(&json!({
            "name": "helpdesk", "version": "1.0.0", "publisher": "x", "api": "0.1.0", "entity_types": ["../ticket.json"]
        })).unwrap();
        let refused = install(server, "", tar_of(&[("xrm-package.json", &manifest)])).await;
        refused.expect_problem(422, "invalid_manifest");
        assert_eq!(refused.error_paths(), ["/entity_types/0"]);

        // Sample data for a type neither the package nor the workspace has is refused when it
        // is loaded; without it the package installs.
        let refused = install(server, "?sample_data=true", types_package("1.0.0", &[("ticket.json", ticket(json!({})))], Some(sample()))).await;
        refused.expect_problem(422, "invalid_package");
        assert_eq!(refused.error_paths(), ["/sample_data/tag"], "{}", refused.text);
        assert_eq!(server.get("/api/v1/packages").await.values().len(), 0);
        server.get("/api/v1/entity-types/ticket").await.expect_problem(404, "not_found");
        install(server, "?sample_data=true", types_package("1.0.0", &[("ticket.json", ticket(json!({})))], None))
            .await
            .expect_problem(422, "no_sample_data");
        install(server, "", types_package("1.0.0", &[("ticket.json", ticket(json!({})))], Some(sample()))).await.expect_status(201);
    }
}

both_backends! {
    async fn upgrades_change_types_through_the_rules_and_are_refused_whole(server: &TestServer) {
        let v1 = types_package("1.0.0", &[("ticket.json", ticket(json!({}))), ("tag.json", tag())], Some(sample()));
        install(server, "?sample_data=true", v1).await.expect_status(201);
        assert_eq!(server.count("ticket").await, 2);

        // 1.1.0 adds an optional field: a new version of the type, records kept.
        let channel = json!({"properties": {"channel": {"type": "string", "enum": ["mail", "phone"]}}});
        let upgraded = upgrade(server, "", types_package("1.1.0", &[("ticket.json", ticket(channel.clone())), ("tag.json", tag())], None)).await;
        upgraded.expect_status(200);
        let changes: Vec<&str> = upgraded.body["changes"]["entity_types"].as_array().unwrap().iter().filter_map(|c| c["change"].as_str()).collect();
        assert_eq!(changes, ["updated", "unchanged"], "{}", upgraded.text);
        assert_eq!(type_version(server, "ticket").await, 2);
        assert_eq!(server.count("ticket").await, 2, "an upgrade never adds sample data, nor loses records");
        let audit = server.get("/api/v1/audit?action=entity_type.update").await;
        assert!(audit.values()[0]["via"].as_str().unwrap().starts_with("package helpdesk@1.1.0 (PUT /api/v1/packages/helpdesk"), "{}", audit.text);

        // 1.2.0 makes channel required, which the stored tickets lack, and adds a type: refused
        // whole with the entity-type rule's error; nothing of it is applied.
        let mut required = ticket(channel.clone());
        required["required"] = json!(["code", "title", "channel"]);
        let note = json!({"type": "object", "properties": {"text": {"type": "string"}},
                          "x-xrm": {"name": "ticket_note", "display_name": "Note", "title_field": "text"}});
        let v12 = || types_package("1.2.0", &[("ticket.json", required.clone()), ("tag.json", tag()), ("note.json", note.clone())], None);
        let refused = upgrade(server, "", v12()).await;
        refused.expect_problem(409, "stored_records_invalid");
        assert_eq!(refused.body["report"]["entity_type"], "ticket", "{}", refused.text);
        assert_eq!(refused.body["report"]["invalid_count"], 2);
        server.get("/api/v1/entity-types/ticket_note").await.expect_problem(404, "not_found");
        assert_eq!(type_version(server, "ticket").await, 2);
        assert_eq!(server.get("/api/v1/packages/helpdesk").await.body["version"], "1.1.0");

        // A new unique key the stored records break is refused the same way.
        let unique_title = ticket(json!({"x-xrm": {"unique": ["code", "title"]}}));
        server.patch_json(&format!("/api/v1/records/ticket/{T2}"), &json!({"title": "Printer on fire"})).await.expect_status(200);
        let refused = upgrade(server, "", types_package("1.3.0", &[("tag.json", tag()), ("ticket.json", unique_title)], None)).await;
        refused.expect_problem(409, "unique_key_violated_by_records");
        assert_eq!(refused.error_paths(), ["/entity_types/1/x-xrm/unique"], "{}", refused.text);
        assert_eq!(type_version(server, "ticket").await, 2);

        // The admin accepts the invalid records deliberately, as with PUT /entity-types.
        let accepted = upgrade(server, "?allow_invalid_records=true", v12()).await;
        accepted.expect_status(200);
        assert_eq!(type_version(server, "ticket").await, 3);
        assert_eq!(managed(&accepted.body), ["tag", "ticket", "ticket_note"]);
    }
}

both_backends! {
    async fn dropped_types_and_uninstalls_keep_the_types_and_their_records(server: &TestServer) {
        install(server, "?sample_data=true", types_package("1.0.0", &[("ticket.json", ticket(json!({}))), ("tag.json", tag())], Some(sample()))).await.expect_status(201);

        // An admin's own change to a managed type is not overwritten silently.
        let mut changed = ticket(json!({}));
        changed["x-xrm"]["display_name"] = json!("Case");
        server.put_json("/api/v1/entity-types/ticket", &changed).await.expect_status(200);
        let newer = ticket(json!({"properties": {"note": {"type": "string"}}}));
        let refused = upgrade(server, "", types_package("2.0.0", &[("ticket.json", newer.clone())], None)).await;
        refused.expect_problem(409, "entity_type_modified");
        assert_eq!(refused.error_paths(), ["/entity_types/0"]);
        assert_eq!(managed(&server.get("/api/v1/packages/helpdesk").await.body), ["tag", "ticket"]);

        // Replacing it on purpose works; tag, no longer provided, is released with its records.
        let upgraded = upgrade(server, "?replace_modified_types=true", types_package("2.0.0", &[("ticket.json", newer)], None)).await;
        upgraded.expect_status(200);
        assert_eq!(upgraded.body["changes"]["released_entity_types"], json!(["tag"]));
        assert_eq!(managed(&upgraded.body), ["ticket"]);
        assert_eq!(server.count("tag").await, 1);
        assert_eq!(server.get("/api/v1/entity-types/ticket").await.body["display_name"], "Ticket");

        // Uninstall keeps the types and their records and releases them.
        server.delete("/api/v1/packages/helpdesk").await.expect_status(204);
        assert_eq!(server.count("ticket").await, 2);
        let uninstall = server.get("/api/v1/audit?action=package.uninstall").await;
        assert_eq!(uninstall.values()[0]["after"]["released_entity_types"], json!(["ticket"]), "{}", uninstall.text);
        let released = server.get("/api/v1/audit?action=entity_type.release").await;
        assert_eq!(released.values().len(), 2);
        // Disable and enable never touch types: install again, disable, the type is there.
        install(server, "", types_package("2.0.0", &[("ticket.json", ticket(json!({"properties": {"note": {"type": "string"}}})))], None)).await.expect_status(201);
        server.send(Method::POST, "/api/v1/packages/helpdesk/disable", &[], None).await.expect_status(200);
        assert_eq!(managed(&server.get("/api/v1/packages/helpdesk").await.body), ["ticket"]);
        // An admin deletes a released type the usual way.
        server.delete("/api/v1/entity-types/tag?delete_records=true").await.expect_status(204);
        server.get("/api/v1/entity-types/tag").await.expect_problem(404, "not_found");
    }
}
