//! Plugins against the real host: packages are installed over the API as tar archives built by
//! `scripts/build-plugins`; hostile plugins fail only their own invocation, with an error that
//! names the plugin, the hook and the reason, and nothing partial is written.

use serde_json::{Value, json};
use xrm_tests::{Method, Response, TestServer, both_backends, tar_of};

/// The type the hostile plugin hooks: `mode` picks its misbehaviour.
fn hostile_type() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "mode": {"type": "string"},
            "note": {"type": "string"},
            "secret": {"type": "string"}
        },
        "x-xrm": {"name": "hostile_target", "display_name": "Hostile target", "title_field": "name"}
    })
}

async fn with_hostile(server: &TestServer) {
    server.create_type(&hostile_type()).await.expect_status(201);
    let installed = server.install_package("hostile").await;
    installed.expect_status(201);
    assert_eq!(installed.body["name"], "hostile");
    assert_eq!(
        installed.body["plugins"][0]["sha256"]
            .as_str()
            .map(str::len),
        Some(64)
    );
}

async fn create_hostile(server: &TestServer, mode: &str) -> Response {
    server
        .post_json(
            "/api/v1/records/hostile_target",
            &json!({"name": format!("mode {mode}"), "mode": mode}),
        )
        .await
}

/// The request failed because of the plugin, the message says which and why, nothing was
/// written, and the host still serves.
async fn assert_plugin_failed(server: &TestServer, mode: &str, status: u16, reason: &str) {
    let before = server.count("hostile_target").await;
    let response = create_hostile(server, mode).await;
    response.expect_problem(status, "plugin_failed");
    let detail = response.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("hostile/hostile"),
        "names the plugin: {detail}"
    );
    assert!(
        detail.contains(reason),
        "mode {mode}: expected {reason:?} in {detail:?}"
    );
    assert_eq!(
        server.count("hostile_target").await,
        before,
        "mode {mode} wrote nothing"
    );
    server.get("/healthz").await.expect_status(200);
    let fine = create_hostile(server, "none").await;
    fine.expect_status(201);
}

both_backends! {
    async fn hostile_plugins_fail_only_their_invocation(server: &TestServer) {
        with_hostile(server).await;
        assert_plugin_failed(server, "loop", 502, "deadline of 200 ms").await;
        assert_plugin_failed(server, "memory", 502, "memory limit of 16 MiB").await;
        assert_plugin_failed(server, "recurse", 502, "overflowed its stack").await;
        assert_plugin_failed(server, "shadow-stack", 502, "out of bounds memory access").await;
        assert_plugin_failed(server, "panic", 502, "panicked at").await;
        assert_plugin_failed(server, "huge", 502, "field errors").await;
        assert_plugin_failed(server, "host-call-storm", 502, "host calls").await;
        assert_plugin_failed(server, "bad-json", 502, "not a JSON object").await;
        assert_plugin_failed(server, "write-then-trap", 502, "trapping after a write").await;
        let side_effects = server.list("hostile_target", &[("$filter", "mode eq 'side-effect'")]).await;
        assert_eq!(side_effects.values().len(), 0, "a trap rolled back the plugin's write: {}", side_effects.text);
    }
}

both_backends! {
    async fn a_before_create_hook_may_fill_a_required_member(server: &TestServer) {
        let mut strict = hostile_type();
        strict["required"] = json!(["name", "note"]);
        server.create_type(&strict).await.expect_status(201);
        server.install_package("hostile").await.expect_status(201);

        // The client leaves `note` out; the before-create hook fills it in.
        let filled = server.post_json("/api/v1/records/hostile_target", &json!({"name": "n", "mode": "fill-note"})).await;
        filled.expect_status(201);
        assert_eq!(filled.body["note"], "filled by the plugin");

        // Nobody fills it: the client's record is invalid, said as for any missing member.
        let missing = server.post_json("/api/v1/records/hostile_target", &json!({"name": "n", "mode": "none"})).await;
        missing.expect_problem(422, "validation_failed");
        assert_eq!(missing.errors()[0]["path"], "/note", "{}", missing.text);
        assert_eq!(missing.errors()[0]["keyword"], "required");
        // A member the hook does not fill is still required.
        let no_name = server.post_json("/api/v1/records/hostile_target", &json!({"mode": "fill-note"})).await;
        no_name.expect_problem(422, "validation_failed");
        assert_eq!(no_name.errors()[0]["path"], "/name", "{}", no_name.text);
        // Only missing members wait for the hooks: a wrong type is refused before them.
        server.post_json("/api/v1/records/hostile_target", &json!({"name": 5, "mode": "fill-note"})).await
            .expect_problem(422, "validation_failed");
        assert_eq!(server.count("hostile_target").await, 1);
    }
}

both_backends! {
    async fn undeclared_capabilities_are_refused_with_the_plugin_named(server: &TestServer) {
        with_hostile(server).await;
        let before = server.count("hostile_target").await;
        let read = create_hostile(server, "undeclared-read").await;
        read.expect_problem(422, "validation_failed");
        let message = read.errors()[0]["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains("denied") && message.contains("hostile/hostile"), "{message}");
        assert!(message.contains("\"customer\""), "names the entity type: {message}");

        let write = create_hostile(server, "undeclared-write").await;
        write.expect_problem(409, "refused_by_plugin");
        let detail = write.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("may not write \\\"customer\\\"") || detail.contains("may not write \"customer\""), "{detail}");
        assert_eq!(server.count("hostile_target").await, before);
    }
}

both_backends! {
    async fn a_plugin_sees_and_changes_only_its_declared_fields(server: &TestServer) {
        with_hostile(server).await;
        let refusal = |response: &Response| response.body["detail"].as_str().unwrap_or_default().to_owned();
        let peek = server
            .post_json("/api/v1/records/hostile_target", &json!({"name": "p", "mode": "peek", "secret": "s3"}))
            .await;
        peek.expect_problem(409, "refused_by_plugin");
        assert!(
            refusal(&peek).contains("saw created_at,created_by,id,mode,name,owned_by,owning_team,updated_at,updated_by,version"),
            "the event hides the secret: {}",
            refusal(&peek)
        );

        let stored = server.create("hostile_target", &json!({"name": "kept", "secret": "s3"})).await;
        let read = server
            .post_json(
                "/api/v1/records/hostile_target",
                &json!({"name": "r", "mode": "read-other", "note": stored["id"]}),
            )
            .await;
        assert!(refusal(&read).contains("read created_at,created_by,id,name,owned_by,owning_team,updated_at,updated_by,version"), "{}", refusal(&read));

        let write = create_hostile(server, "write-secret").await;
        write.expect_problem(409, "refused_by_plugin");
        assert!(refusal(&write).contains("may not write the field(s) secret"), "{}", refusal(&write));
        let filter = create_hostile(server, "filter-secret").await;
        assert!(refusal(&filter).contains("may filter and sort \"hostile_target\" records only by the fields"), "{}", refusal(&filter));

        // A before-hook's change to a field it may not see is dropped; its own fields stick.
        let created = server
            .post_json("/api/v1/records/hostile_target", &json!({"name": "s", "mode": "set-secret", "secret": "original"}))
            .await;
        created.expect_status(201);
        assert_eq!(created.body["secret"], "original");
        assert_eq!(created.body["note"], "seen");
    }
}

both_backends! {
    async fn a_refusal_rolls_back_the_plugins_own_writes(server: &TestServer) {
        with_hostile(server).await;
        let response = create_hostile(server, "write-then-refuse").await;
        response.expect_problem(409, "refused_by_plugin");
        assert!(response.body["detail"].as_str().unwrap_or_default().contains("refusing after a write"));
        let side_effects = server.list("hostile_target", &[("$filter", "mode eq 'side-effect'")]).await;
        assert_eq!(side_effects.values().len(), 0, "the plugin's write rolled back: {}", side_effects.text);
    }
}

both_backends! {
    async fn before_hooks_change_the_stored_record(server: &TestServer) {
        with_hostile(server).await;
        let created = create_hostile(server, "stamp").await;
        created.expect_status(201);
        assert_eq!(created.body["note"], "stamped by the plugin");
        let id = created.body["id"].as_str().unwrap().to_owned();
        let read = server.get(&format!("/api/v1/records/hostile_target/{id}")).await;
        assert_eq!(read.body["note"], "stamped by the plugin");
    }
}

both_backends! {
    async fn packages_are_installed_listed_disabled_and_removed(server: &TestServer) {
        with_hostile(server).await;
        let again = server.install_package("hostile").await;
        again.expect_problem(409, "package_exists");

        let list = server.get("/api/v1/packages").await;
        list.expect_status(200);
        assert_eq!(list.values().len(), 1);
        assert_eq!(list.values()[0]["version"], "1.0.0");

        // Disabled, its hooks do not run: a panicking record goes through.
        let disabled = server.send(Method::POST, "/api/v1/packages/hostile/disable", &[], None).await;
        disabled.expect_status(200);
        assert_eq!(disabled.body["enabled"], false);
        create_hostile(server, "panic").await.expect_status(201);

        server.send(Method::POST, "/api/v1/packages/hostile/enable", &[], None).await.expect_status(200);
        create_hostile(server, "panic").await.expect_problem(502, "plugin_failed");

        server.delete("/api/v1/packages/hostile").await.expect_status(204);
        server.get("/api/v1/packages/hostile").await.expect_problem(404, "not_found");
        create_hostile(server, "panic").await.expect_status(201);
        server.delete("/api/v1/packages/hostile").await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn bad_packages_are_refused_whole(server: &TestServer) {
        let json = server
            .send(Method::POST, "/api/v1/packages", &[("content-type", "application/json")], Some(b"{}".to_vec()))
            .await;
        json.expect_problem(415, "unsupported_media_type");

        let garbage = server
            .send(Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(b"not a tar archive at all".to_vec()))
            .await;
        garbage.expect_problem(422, "invalid_package");

        let bad_manifest = tar_of(&[(
            "xrm-package.json",
            br#"{"name": "Bad", "version": "x", "publisher": "t", "api": "0.1.0", "plugins": [{"name": "p", "component": "missing.wasm"}]}"#,
        )]);
        let refused = server
            .send(Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(bad_manifest))
            .await;
        refused.expect_problem(422, "invalid_manifest");
        let paths: Vec<String> = refused.error_paths();
        assert_eq!(paths, ["/name", "/version"], "{}", refused.text);

        let not_a_component = tar_of(&[
            ("xrm-package.json", br#"{"name": "broken", "version": "1.0.0", "publisher": "t", "api": "0.1.0", "plugins": [{"name": "p", "component": "p.wasm"}]}"#),
            ("p.wasm", b"\0asm\x01\0\0\0garbage"),
        ]);
        let refused = server
            .send(Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(not_a_component))
            .await;
        refused.expect_problem(422, "invalid_package");
        assert_eq!(refused.error_paths(), ["/plugins/0/component"], "{}", refused.text);
        assert_eq!(server.get("/api/v1/packages").await.values().len(), 0);
    }
}

/// The first demo customer's id.
async fn a_customer(server: &TestServer) -> String {
    let customers = server.list("customer", &[("$top", "1")]).await;
    customers.values()[0]["id"]
        .as_str()
        .expect("demo customers")
        .to_owned()
}

both_backends! {
    async fn contract_rules_validate_derive_status_and_renew(server: &TestServer) args ["--demo"] {
        server.install_package("contract-rules").await.expect_status(201);
        let customer = a_customer(server).await;
        let contract = |number: &str, start: &str, end: &str| json!({
            "contract_number": number, "title": "Maintenance", "customer_id": customer,
            "status": "draft", "start_date": start, "end_date": end, "value": 1200, "currency": "EUR"
        });

        // The plugin's rule joins the schema's errors in one response; nothing is written.
        let before = server.count("contract").await;
        let mut bad = contract("CTR-2031-0001", "2031-06-01", "2031-01-01");
        bad["currency"] = json!("euro");
        let refused = server.post_json("/api/v1/records/contract", &bad).await;
        refused.expect_problem(422, "validation_failed");
        let paths = refused.error_paths();
        assert!(paths.contains(&"/end_date".to_owned()) && paths.contains(&"/currency".to_owned()), "{}", refused.text);
        assert_eq!(server.count("contract").await, before);

        // A valid contract is stored; an active one far from its end stays active.
        let created = server.post_json("/api/v1/records/contract", &contract("CTR-2031-0002", "2031-01-01", "2031-12-31")).await;
        created.expect_status(201);
        let id = created.body["id"].as_str().unwrap().to_owned();
        let active = server.patch_json(&format!("/api/v1/records/contract/{id}"), &json!({"status": "active"})).await;
        active.expect_status(200);
        assert_eq!(active.body["status"], "active");

        // The renew action: its input is checked, then a follow-up contract is created and the
        // old one marked renewed, in one transaction.
        let path = format!("/api/v1/records/contract/{id}/actions/renew");
        server.post_json(&path, &json!({"months": 0})).await.expect_problem(422, "invalid_action_input");
        let renewed = server.post_json(&path, &json!({"months": 12})).await;
        renewed.expect_status(200);
        let new_id = renewed.body["renewed_contract_id"].as_str().expect(&renewed.text).to_owned();
        let old = server.get(&format!("/api/v1/records/contract/{id}")).await;
        assert_eq!(old.body["status"], "renewed");
        let new = server.get(&format!("/api/v1/records/contract/{new_id}")).await;
        assert_eq!(new.body["renewed_from_id"], id.as_str());
        assert_eq!(new.body["start_date"], "2032-01-01");
        assert_eq!(new.body["end_date"], "2032-12-31");
        assert_eq!(new.body["created_by"], "plugin:contract-rules/contract-rules");

        // Renewing again is refused by the plugin, and nothing changes.
        let count = server.count("contract").await;
        server.post_json(&path, &json!({"months": 12})).await.expect_problem(409, "refused_by_plugin");
        assert_eq!(server.count("contract").await, count);
        server.post_json("/api/v1/records/contract/00000000-0000-7000-8000-000000000000/actions/renew", &json!({"months": 1}))
            .await
            .expect_problem(404, "not_found");
        server.post_json(&format!("/api/v1/records/contract/{id}/actions/nope"), &json!({})).await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn complaint_sla_sets_the_deadline_and_escalates(server: &TestServer) args ["--demo"] {
        server.install_package("complaint-sla").await.expect_status(201);
        let customer = a_customer(server).await;
        let created = server.post_json("/api/v1/records/complaint", &json!({
            "case_number": "CASE-990001", "subject": "Invoice charged twice", "customer_id": customer,
            "priority": "high", "status": "new", "opened_at": "2031-03-02T08:00:00.000000Z"
        })).await;
        created.expect_status(201);
        assert_eq!(created.body["sla_due_at"], "2031-03-02T16:00:00.000000Z", "high = 8 hours");
        let id = created.body["id"].as_str().unwrap().to_owned();

        let path = format!("/api/v1/records/complaint/{id}/actions/escalate");
        let escalated = server.post_json(&path, &json!({"reason": "customer called three times"})).await;
        escalated.expect_status(200);
        let stored = server.get(&format!("/api/v1/records/complaint/{id}")).await;
        assert_eq!(stored.body["escalated"], true);
        assert_eq!(stored.body["priority"], "critical");
        assert_eq!(stored.body["sla_due_at"], "2031-03-02T12:00:00.000000Z", "critical = 4 hours");
        server.post_json(&path, &json!({"reason": "again"})).await.expect_problem(409, "refused_by_plugin");
    }
}

both_backends! {
    async fn a_plugin_cannot_reach_another_workspace(server: &TestServer) {
        // The same package and type in two workspaces; a record only in workspace beta.
        with_hostile(server).await;
        server.post_json("/api/v1/workspaces", &json!({
            "id": "beta", "name": "Beta", "admin": {"email": "boss@beta.test", "password": "beta-password"}
        })).await.expect_status(201);
        let beta = server.sign_in("beta", "boss@beta.test", "beta-password").await;
        beta.post_json("/api/v1/entity-types", &hostile_type()).await.expect_status(201);
        beta.send(Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(xrm_tests::package_tar("hostile")))
            .await
            .expect_status(201);
        let theirs = beta.post_json("/api/v1/records/hostile_target", &json!({"name": "beta only", "note": "x"})).await;
        theirs.expect_status(201);
        let their_id = theirs.body["id"].as_str().unwrap().to_owned();
        let ours = server.create("hostile_target", &json!({"name": "alpha"})).await;

        // The plugin in the default workspace asks for beta's record by id: nothing there.
        let blind = server
            .post_json("/api/v1/records/hostile_target", &json!({"name": "r", "mode": "read-other", "note": their_id}))
            .await;
        blind.expect_problem(409, "refused_by_plugin");
        assert!(blind.text.contains("read nothing"), "{}", blind.text);
        // The same call finds a record of its own workspace, so the probe itself works.
        let sees = server
            .post_json("/api/v1/records/hostile_target", &json!({"name": "r", "mode": "read-other", "note": ours["id"]}))
            .await;
        assert!(sees.text.contains("read created_at"), "{}", sees.text);
        // And beta's plugin cannot see the default workspace's record either.
        let back = beta
            .post_json("/api/v1/records/hostile_target", &json!({"name": "r", "mode": "read-other", "note": ours["id"]}))
            .await;
        assert!(back.text.contains("read nothing"), "{}", back.text);
    }
}
