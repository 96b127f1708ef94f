//! The plugin API 0.2.0 against the real host: a before-create hook inserts a lead already
//! owned by one rep (named, or routed by team and open load through an `owned_by` filter), an
//! action reassigns it through `assign-record`, owners outside the workspace are refused with
//! nothing written, `list-members` needs the `members` capability and shows no e-mail; and a
//! component of the API 0.1.0 (bound without the SDK) runs beside it on the same type.

use serde_json::{Value, json};
use xrm_tests::{Caller, TestServer, both_backends};

use crate::fixtures::id_of;

/// The type both test packages hook. `assign_to`/`assign_team` name owners for the router,
/// `territory` asks it to route; `legacy_stamp` is what the 0.1.0 plugin writes.
fn lead_type() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "won", "lost"]},
            "territory": {"type": "string"},
            "assign_to": {"type": "string"},
            "assign_team": {"type": "string"},
            "legacy_stamp": {"type": "string"}
        },
        "x-xrm": {"name": "lead", "display_name": "Lead", "title_field": "name"}
    })
}

async fn add_user(server: &TestServer, email: &str, name: &str, role: &str) -> String {
    let created = server
        .post_json(
            "/api/v1/users",
            &json!({"email": email, "display_name": name, "password": "password-of-a-test", "role": role}),
        )
        .await;
    created.expect_status(201);
    id_of(&created.body)
}

async fn sign_in<'a>(server: &'a TestServer, email: &str) -> Caller<'a> {
    server.sign_in("default", email, "password-of-a-test").await
}

/// The lead type, the router package and two reps in team North with a role that reads only
/// what they own. Returns (ann, bob, north team id).
async fn with_router(server: &TestServer) -> (String, String, String) {
    server.create_type(&lead_type()).await.expect_status(201);
    server.install_package("router").await.expect_status(201);
    server
        .post_json("/api/v1/roles", &json!({
            "name": "rep", "description": "Works only their own leads",
            "permissions": {"types": {"*": {"create": true, "read": "own", "update": "own", "delete": "own"}}}
        }))
        .await
        .expect_status(201);
    let ann = add_user(server, "ann@test.xrm", "Ann", "rep").await;
    let bob = add_user(server, "bob@test.xrm", "Bob", "rep").await;
    let team = server
        .post_json(
            "/api/v1/teams",
            &json!({"name": "North", "members": [ann, bob]}),
        )
        .await;
    team.expect_status(201);
    (ann, bob, id_of(&team.body))
}

/// Creates an open lead as the admin.
async fn create_lead(server: &TestServer, mut body: Value) -> Value {
    body["status"] = json!("open");
    let created = server.post_json("/api/v1/records/lead", &body).await;
    created.expect_status(201);
    created.body.clone()
}

both_backends! {
    async fn a_before_create_hook_inserts_the_lead_owned_by_one_rep(server: &TestServer) {
        let (ann, bob, north) = with_router(server).await;
        let lead = create_lead(server, json!({"name": "Named", "assign_to": ann, "assign_team": north})).await;
        assert_eq!(lead["owned_by"], ann.as_str());
        assert_eq!(lead["owning_team"], north.as_str());
        assert_eq!(lead["version"], 1, "inserted owned, not created then reassigned");
        let path = format!("/api/v1/records/lead/{}", id_of(&lead));
        let history = server.get(&format!("{path}/history")).await;
        assert_eq!(history.values().len(), 1, "{}", history.text);
        assert_eq!(history.values()[0]["after"]["owned_by"], ann.as_str());

        // Only the owner sees it under an own scope.
        let ann_c = sign_in(server, "ann@test.xrm").await;
        let bob_c = sign_in(server, "bob@test.xrm").await;
        ann_c.get(&path).await.expect_status(200);
        bob_c.get(&path).await.expect_problem(404, "not_found");

        // Routing by load: Ann has one open lead, so the next lead of North goes to Bob; then
        // both have one and the tie goes to Ann (by name). The load is an `owned_by` filter.
        let routed = create_lead(server, json!({"name": "Routed 1", "territory": "North"})).await;
        assert_eq!(routed["owned_by"], bob.as_str(), "{routed}");
        assert_eq!(routed["owning_team"], north.as_str());
        let routed = create_lead(server, json!({"name": "Routed 2", "territory": "North"})).await;
        assert_eq!(routed["owned_by"], ann.as_str(), "{routed}");
        let mine = server.get(&format!("/api/v1/records/lead?$filter=owned_by eq '{ann}' and status eq 'open'")).await;
        assert_eq!(mine.values().len(), 2, "{}", mine.text);
        assert_eq!(bob_c.get("/api/v1/records/lead").await.values().len(), 1);

        // A territory without an enabled rep is refused by the plugin; nothing is written.
        let before = server.count("lead").await;
        server.post_json("/api/v1/records/lead", &json!({"name": "Nowhere", "territory": "West"})).await
            .expect_problem(422, "refused_by_plugin");
        assert_eq!(server.count("lead").await, before);

        // A before-update reassigns in the same write.
        let updated = server.patch_json(&path, &json!({"assign_to": bob, "assign_team": null})).await;
        updated.expect_status(200);
        assert_eq!(updated.body["owned_by"], bob.as_str());
        assert_eq!(updated.body["owning_team"], Value::Null);
        bob_c.get(&path).await.expect_status(200);
        ann_c.get(&path).await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn owners_outside_the_workspace_are_refused_and_nothing_is_written(server: &TestServer) {
        let (ann, _bob, _north) = with_router(server).await;
        server.post_json("/api/v1/workspaces", &json!({
            "id": "beta", "name": "Beta", "admin": {"email": "boss@beta.test", "password": "beta-password"}
        })).await.expect_status(201);
        let beta = server.sign_in("beta", "boss@beta.test", "beta-password").await;
        let stranger = beta.get("/api/v1/auth/session").await.body["user"]["id"].as_str().unwrap().to_owned();

        // In a before-create hook: the request fails as the plugin's fault; no lead exists.
        for owner in [stranger.as_str(), "no-such-user"] {
            let refused = server.post_json("/api/v1/records/lead", &json!({"name": "Lost", "assign_to": owner})).await;
            refused.expect_problem(502, "plugin_failed");
            let detail = refused.body["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("router/router") && detail.contains(&format!("there is no user '{owner}'")), "{detail}");
            assert_eq!(server.count("lead").await, 0);
        }
        let refused = server.post_json("/api/v1/records/lead", &json!({"name": "Lost", "assign_to": ann, "assign_team": "no-such-team"})).await;
        refused.expect_problem(502, "plugin_failed");
        assert!(refused.text.contains("there is no team 'no-such-team'"), "{}", refused.text);
        assert_eq!(server.count("lead").await, 0);

        // Through the assign-record host call: refused with the field named; the lead keeps its
        // owner and version.
        let lead = create_lead(server, json!({"name": "Kept"})).await;
        let path = format!("/api/v1/records/lead/{}", id_of(&lead));
        let refused = server.post_json(&format!("{path}/actions/assign"), &json!({"owned_by": stranger})).await;
        refused.expect_problem(409, "refused_by_plugin");
        assert!(refused.text.contains("/owned_by") && refused.text.contains(&stranger), "{}", refused.text);
        let after = server.get(&path).await;
        assert_eq!(after.body["owned_by"], lead["owned_by"]);
        assert_eq!(after.body["version"], 1);
    }
}

both_backends! {
    async fn an_action_assigns_through_the_host_call_with_an_audit_entry(server: &TestServer) {
        let (ann, _bob, north) = with_router(server).await;
        let lead = create_lead(server, json!({"name": "To assign"})).await;
        let path = format!("/api/v1/records/lead/{}", id_of(&lead));
        let assigned = server.post_json(&format!("{path}/actions/assign"), &json!({"owned_by": ann, "owning_team": north})).await;
        assigned.expect_status(200);
        assert_eq!(assigned.body["owned_by"], ann.as_str());
        assert_eq!(assigned.body["owning_team"], north.as_str());
        assert_eq!(assigned.body["version"], 2);
        sign_in(server, "ann@test.xrm").await.get(&path).await.expect_status(200);
        let history = server.get(&format!("{path}/history")).await;
        let entry = &history.values()[0];
        assert_eq!(entry["action"], "record.update", "{}", history.text);
        assert_eq!(entry["actor"]["kind"], "plugin");
        assert!(entry["via"].as_str().unwrap_or_default().contains("router/router"), "{entry}");
        assert_eq!(entry["after"]["owned_by"], ann.as_str());

        // Clearing both owners is an assignment too.
        let cleared = server.post_json(&format!("{path}/actions/assign"), &json!({"owned_by": null})).await;
        cleared.expect_status(200);
        assert_eq!(cleared.body["owned_by"], Value::Null);
        assert_eq!(cleared.body["owning_team"], Value::Null);
    }
}

both_backends! {
    async fn members_need_the_capability_and_show_no_email(server: &TestServer) {
        let (ann, bob, north) = with_router(server).await;
        server.patch_json(&format!("/api/v1/users/{bob}"), &json!({"disabled": true})).await.expect_status(200);
        let lead = create_lead(server, json!({"name": "Any"})).await;
        let path = format!("/api/v1/records/lead/{}", id_of(&lead));

        let denied = server.post_json(&format!("{path}/actions/blind-members"), &json!({})).await;
        denied.expect_problem(409, "refused_by_plugin");
        assert!(denied.text.contains("router/blind") && denied.text.contains("members capability"), "{}", denied.text);

        let listed = server.post_json(&format!("{path}/actions/members"), &json!({})).await;
        listed.expect_status(200);
        let members = listed.body.as_array().expect("a list").clone();
        let ann_entry = members.iter().find(|m| m["id"] == ann.as_str()).expect("Ann is listed");
        assert_eq!(ann_entry["display_name"], "Ann");
        assert_eq!(ann_entry["teams"], json!([{"id": north, "name": "North"}]));
        assert_eq!(ann_entry["disabled"], false);
        let bob_entry = members.iter().find(|m| m["id"] == bob.as_str()).expect("Bob is listed");
        assert_eq!(bob_entry["disabled"], true);
        assert_eq!(members.len(), 3, "the admin, Ann and Bob: {}", listed.text);
        for member in &members {
            let mut keys: Vec<&String> = member.as_object().expect("an object").keys().collect();
            keys.sort();
            assert_eq!(keys, ["disabled", "display_name", "id", "teams"], "{member}");
        }
        for secret in ["ann@test.xrm", "bob@test.xrm", "\"role\"", "password", "last_login"] {
            assert!(!listed.text.contains(secret), "{secret} in {}", listed.text);
        }

        // A disabled rep gets no new leads: Ann takes every North lead.
        for name in ["One", "Two"] {
            let routed = create_lead(server, json!({"name": name, "territory": "North"})).await;
            assert_eq!(routed["owned_by"], ann.as_str());
        }
    }
}

both_backends! {
    async fn a_plugin_of_api_0_1_runs_beside_one_of_0_2(server: &TestServer) {
        let (ann, _bob, _north) = with_router(server).await;
        let installed = server.install_package("api-0-1").await;
        installed.expect_status(201);
        assert_eq!(installed.body["api"], "0.1.0", "{}", installed.text);

        // Both before-create hooks run on one create: the 0.1.0 one (priority 50) stamps the
        // record, the 0.2.0 one gives it its owner.
        let lead = create_lead(server, json!({"name": "Both", "assign_to": ann})).await;
        assert_eq!(lead["legacy_stamp"], "0.1.0");
        assert_eq!(lead["owned_by"], ann.as_str());
        // The 0.1.0 validate hook still refuses.
        let refused = server.post_json("/api/v1/records/lead", &json!({"name": "refused by 0.1"})).await;
        refused.expect_problem(422, "validation_failed");
        assert!(refused.text.contains("legacy-rule"), "{}", refused.text);
        // Its action uses every record host call of 0.1.0.
        let path = format!("/api/v1/records/lead/{}", id_of(&lead));
        let touched = server.post_json(&format!("{path}/actions/legacy-touch"), &json!({})).await;
        touched.expect_status(200);
        assert_eq!(touched.body["listed"], 1, "{}", touched.text);
        assert_eq!(touched.body["name"], "Both");
        assert!(touched.body["record"]["legacy_stamp"].as_str().unwrap_or_default().starts_with("touched at "));
        assert_eq!(server.get(&path).await.body["owned_by"], ann.as_str());

        // A manifest whose api does not match its component is refused, naming both versions.
        let dir = xrm_tests::packages_dir().with_file_name("test-packages").join("api-0-1");
        let manifest = std::fs::read_to_string(dir.join("xrm-package.json")).unwrap()
            .replace("\"api\": \"0.1.0\"", "\"api\": \"0.2.0\"")
            .replace("\"name\": \"api-0-1\"", "\"name\": \"api-mismatch\"")
            .replace("legacy-touch", "mismatch-touch");
        let component = std::fs::read(dir.join("api_0_1_plugin.wasm")).unwrap();
        let tar = xrm_tests::tar_of(&[("xrm-package.json", manifest.as_bytes()), ("api_0_1_plugin.wasm", &component)]);
        let refused = server.send(xrm_tests::Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(tar)).await;
        refused.expect_problem(422, "invalid_package");
        assert!(refused.text.contains("built against plugin API 0.1.0, but the manifest's api is 0.2.0"), "{}", refused.text);
        // An API version this host does not know is refused at install.
        let manifest = manifest.replace("\"api\": \"0.2.0\"", "\"api\": \"0.9.0\"");
        let tar = xrm_tests::tar_of(&[("xrm-package.json", manifest.as_bytes()), ("api_0_1_plugin.wasm", &component)]);
        let refused = server.send(xrm_tests::Method::POST, "/api/v1/packages", &[("content-type", "application/x-tar")], Some(tar)).await;
        refused.expect_problem(422, "invalid_manifest");
        assert!(refused.text.contains("0.9.0") && refused.text.contains("0.1.0, 0.2.0"), "{}", refused.text);
    }
}
