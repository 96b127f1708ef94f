//! Workspaces, sign-in, roles, row-level scopes, API tokens and the audit trail, against the
//! real binary (docs/security.md). Every forbidden attempt must get 401, 403 or 404, and
//! nothing about another workspace may appear in a body, a count or an error.

use serde_json::{Value, json};
use xrm_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Caller, Method, TestServer, both_backends};

use crate::fixtures::{civil_from_days, complaint_type, customer_type, id_of};

/// Creates a user in the admin's workspace and returns its id.
async fn add_user(server: &TestServer, email: &str, role: &str) -> String {
    let created = server
        .post_json(
            "/api/v1/users",
            &json!({"email": email, "display_name": email, "password": "password-of-a-test", "role": role}),
        )
        .await;
    created.expect_status(201);
    id_of(&created.body)
}

async fn sign_in<'a>(server: &'a TestServer, email: &str) -> Caller<'a> {
    server.sign_in("default", email, "password-of-a-test").await
}

both_backends! {
    async fn every_api_route_requires_a_credential(server: &TestServer) {
        let anonymous = server.anonymous();
        for path in ["/api/v1/entity-types", "/api/v1/records/customer", "/api/v1/packages", "/api/v1/audit", "/api/v1/openapi.json"] {
            let response = anonymous.get(path).await;
            response.expect_problem(401, "unauthenticated");
            assert!(response.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")), "{path}");
        }
        anonymous.post_json("/api/v1/entity-types", &customer_type()).await.expect_problem(401, "unauthenticated");
        anonymous.get("/healthz").await.expect_status(200);
        server.with_token("xrm_not-a-real-token").get("/api/v1/entity-types").await.expect_problem(401, "unauthenticated");
        anonymous
            .send(Method::GET, "/api/v1/entity-types", &[("authorization", "Basic YWRtaW46YWRtaW4=")], None)
            .await
            .expect_problem(401, "unauthenticated");
        anonymous
            .send(Method::GET, "/api/v1/entity-types", &[("cookie", "xrm_session=forged")], None)
            .await
            .expect_problem(401, "unauthenticated");

        // Security headers are on every response, the API's and the UI's.
        let response = anonymous.get("/api/v1/entity-types").await;
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert!(response.header("content-security-policy").is_some());
        assert!(anonymous.get("/").await.header("content-security-policy").is_some());
    }
}

both_backends! {
    async fn sign_in_failures_look_alike_and_lock_the_account(server: &TestServer) {
        let anonymous = server.anonymous();
        let login = |workspace: &str, email: &str, password: &str| {
            json!({"workspace": workspace, "email": email, "password": password})
        };
        for body in [
            login("default", ADMIN_EMAIL, "wrong password"),
            login("default", "nobody@test.xrm", ADMIN_PASSWORD),
            login("elsewhere", ADMIN_EMAIL, ADMIN_PASSWORD),
        ] {
            let refused = anonymous.post_json("/api/v1/auth/login", &body).await;
            refused.expect_problem(401, "invalid_credentials");
            assert!(refused.header("set-cookie").is_none());
        }
        // The address limit is per host; the account lock is in the database.
        let user = add_user(server, "locked@test.xrm", "member").await;
        for _ in 0..5 {
            anonymous.post_json("/api/v1/auth/login", &login("default", "locked@test.xrm", "wrong password")).await
                .expect_problem(401, "invalid_credentials");
        }
        let locked = anonymous.post_json("/api/v1/auth/login", &login("default", "locked@test.xrm", "password-of-a-test")).await;
        locked.expect_problem(429, "too_many_attempts");
        assert!(locked.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)), "{:?}", locked.headers);
        // An admin's password reset unlocks the account.
        server.patch_json(&format!("/api/v1/users/{user}"), &json!({"password": "a-fresh-password"})).await.expect_status(200);
        server.sign_in("default", "locked@test.xrm", "a-fresh-password").await;
    }
}

both_backends! {
    async fn a_session_needs_its_csrf_token_to_change_anything_and_ends_at_sign_out(server: &TestServer) {
        add_user(server, "rep@test.xrm", "member").await;
        let rep = sign_in(server, "rep@test.xrm").await;
        let session = rep.get("/api/v1/auth/session").await;
        session.expect_status(200);
        assert_eq!(session.body["user"]["email"], "rep@test.xrm");
        assert_eq!(session.body["user"]["role"], "member");
        assert_eq!(session.body["workspace"]["id"], "default");
        assert_eq!(session.body["permissions"]["types"]["*"]["update"], "team");

        // The cookie alone does not change anything: a page on another site could send it.
        server.create_type(&customer_type()).await;
        let cookie = rep.cookie().expect("a signed-in caller has a cookie");
        let body = Some(json!({"name": "Via CSRF", "email": "csrf@example.com"}).to_string().into_bytes());
        for csrf in [None, Some("forged")] {
            let mut headers = vec![("cookie", cookie.as_str()), ("content-type", "application/json")];
            headers.extend(csrf.map(|token| ("x-csrf-token", token)));
            server.anonymous().send(Method::POST, "/api/v1/records/customer", &headers, body.clone()).await
                .expect_problem(403, "csrf_failed");
        }
        assert_eq!(server.count("customer").await, 0);
        rep.post_json("/api/v1/records/customer", &json!({"name": "With the token"})).await.expect_status(201);

        rep.post_json("/api/v1/auth/logout", &json!({})).await.expect_status(204);
        rep.get("/api/v1/auth/session").await.expect_problem(401, "unauthenticated");
    }
}

both_backends! {
    async fn tokens_carry_a_role_and_stop_when_revoked(server: &TestServer) {
        server.create_type(&customer_type()).await;
        let in_a_year = "2099-01-01T00:00:00Z";
        server.post_json("/api/v1/tokens", &json!({"name": "too long", "role": "viewer", "expires_at": in_a_year})).await
            .expect_problem(422, "invalid_token");
        server.post_json("/api/v1/tokens", &json!({"name": "no role", "role": "ghost", "expires_at": next_month()})).await
            .expect_problem(422, "unknown_role");
        let made = server.post_json("/api/v1/tokens", &json!({"name": "reporting", "role": "viewer", "expires_at": next_month()})).await;
        made.expect_status(201);
        let secret = made.body["token"].as_str().expect("the secret is shown once").to_owned();
        assert!(secret.starts_with("xrm_"));
        let listed = server.get("/api/v1/tokens").await;
        assert!(!listed.text.contains(&secret), "a listing never shows the secret");
        assert_eq!(listed.body["value"][0]["name"], "reporting");

        let token = server.with_token(&secret);
        token.get("/api/v1/records/customer").await.expect_status(200);
        token.post_json("/api/v1/records/customer", &json!({"name": "By token"})).await.expect_problem(403, "forbidden");
        token.post_json("/api/v1/tokens", &json!({"name": "x", "role": "admin", "expires_at": next_month()})).await
            .expect_problem(403, "forbidden");
        token.get("/api/v1/workspaces").await.expect_problem(403, "forbidden");

        let id = made.body["id"].as_str().unwrap();
        server.delete(&format!("/api/v1/tokens/{id}")).await.expect_status(204);
        token.get("/api/v1/records/customer").await.expect_problem(401, "unauthenticated");
        server.delete(&format!("/api/v1/tokens/{id}")).await.expect_problem(404, "not_found");
    }
}

fn next_month() -> String {
    // Thirty days from now, as RFC 3339; the tests need no date crate for this.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30 * 86_400;
    let days = now / 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!("{year:04}-{month:02}-{day:02}T00:00:00Z")
}

both_backends! {
    async fn roles_reach_records_by_owner_and_team(server: &TestServer) {
        server.create_type(&customer_type()).await;
        let rep = add_user(server, "rep@test.xrm", "member").await;
        let mate = add_user(server, "mate@test.xrm", "member").await;
        let outsider = add_user(server, "outsider@test.xrm", "member").await;
        add_user(server, "viewer@test.xrm", "viewer").await;
        server.post_json("/api/v1/roles", &json!({
            "name": "own_only", "description": "Sees only what they own",
            "permissions": {"types": {"*": {"create": true, "read": "own", "update": "own", "delete": "own"}}}
        })).await.expect_status(201);
        add_user(server, "own@test.xrm", "own_only").await;
        server.post_json("/api/v1/roles", &json!({"name": "bad", "permissions": {"types": {"*": {"read": "all"}}}})).await
            .expect_problem(422, "invalid_permissions");
        let team = server.post_json("/api/v1/teams", &json!({"name": "Sales", "members": [rep, mate]})).await;
        team.expect_status(201);

        let rep_c = sign_in(server, "rep@test.xrm").await;
        let mate_c = sign_in(server, "mate@test.xrm").await;
        let outsider_c = sign_in(server, "outsider@test.xrm").await;
        let viewer_c = sign_in(server, "viewer@test.xrm").await;
        let own_c = sign_in(server, "own@test.xrm").await;

        let created = rep_c.post_json("/api/v1/records/customer", &json!({"name": "Rep's customer", "email": "r@example.com"})).await;
        created.expect_status(201);
        assert_eq!(created.body["owned_by"], rep.as_str());
        let id = id_of(&created.body);
        let path = format!("/api/v1/records/customer/{id}");

        // The viewer reads everything and changes nothing.
        viewer_c.get(&path).await.expect_status(200);
        viewer_c.patch_json(&path, &json!({"name": "Viewer"})).await.expect_problem(403, "forbidden");
        viewer_c.post_json("/api/v1/records/customer", &json!({"name": "Viewer's"})).await.expect_problem(403, "forbidden");
        viewer_c.delete(&path).await.expect_problem(403, "forbidden");
        viewer_c.post_json("/api/v1/entity-types", &json!({})).await.expect_problem(403, "forbidden");
        viewer_c.get("/api/v1/users").await.expect_problem(403, "forbidden");
        // The member directory is for everyone: names for owners, nothing an admin keeps.
        let members = viewer_c.get("/api/v1/members").await;
        members.expect_status(200);
        let listed = members.values();
        let emails: Vec<&str> = listed.iter().filter_map(|m| m["email"].as_str()).collect();
        assert!(emails.contains(&"viewer@test.xrm") && emails.contains(&ADMIN_EMAIL), "{}", members.text);
        for secret in ["\"role\"", "instance_admin", "last_login_at", "password"] {
            assert!(!members.text.contains(secret), "{secret} in {}", members.text);
        }

        // A teammate may update (team scope) but not delete (own scope) the rep's record.
        mate_c.patch_json(&path, &json!({"name": "Updated by mate"})).await.expect_status(200);
        mate_c.delete(&path).await.expect_problem(403, "forbidden");
        // Someone outside the team may read it but not change it.
        outsider_c.get(&path).await.expect_status(200);
        outsider_c.patch_json(&path, &json!({"name": "Outsider"})).await.expect_problem(403, "forbidden");

        // A role that reads only its own records does not see the rep's at all.
        own_c.get(&path).await.expect_problem(404, "not_found");
        own_c.patch_json(&path, &json!({"name": "x"})).await.expect_problem(404, "not_found");
        own_c.post_json("/api/v1/records/customer", &json!({"name": "Own customer"})).await.expect_status(201);
        let listed = own_c.get("/api/v1/records/customer?$count=true").await;
        listed.expect_status(200);
        assert_eq!(listed.body["count"], 1, "{}", listed.text);
        assert_eq!(listed.values().len(), 1);
        assert_eq!(listed.values()[0]["name"], "Own customer");
        let filtered = own_c.get(&format!("/api/v1/records/customer?$filter=id eq '{id}'")).await;
        assert_eq!(filtered.values().len(), 0, "{}", filtered.text);
        own_c.get(&format!("{path}/history")).await.expect_problem(404, "not_found");

        // Filtering by owner works for everyone who may read.
        let mine = rep_c.get(&format!("/api/v1/records/customer?$filter=owned_by eq '{rep}'")).await;
        assert_eq!(mine.values().len(), 1, "{}", mine.text);

        // Assigning the record to the outsider lets them change it; the rep's team no longer may.
        server.post_json(&format!("{path}/assign"), &json!({"owned_by": "no-such-user"})).await
            .expect_problem(422, "unknown_owner");
        rep_c.post_json(&format!("{path}/assign"), &json!({"owned_by": outsider})).await.expect_status(200);
        outsider_c.patch_json(&path, &json!({"name": "Now the outsider's"})).await.expect_status(200);
        mate_c.patch_json(&path, &json!({"name": "Mate again"})).await.expect_problem(403, "forbidden");
        outsider_c.delete(&path).await.expect_status(204);

        // Admins cannot lock themselves out.
        let me = server.get("/api/v1/auth/session").await;
        let _ = me; // a token or session of the admin
        let admins = server.get("/api/v1/users").await;
        let admin_id = admins.values().iter().find(|u| u["email"] == ADMIN_EMAIL).map(|u| u["id"].as_str().unwrap().to_owned()).unwrap();
        server.patch_json(&format!("/api/v1/users/{admin_id}"), &json!({"role": "viewer"})).await.expect_problem(409, "self_lockout");
        server.delete(&format!("/api/v1/users/{admin_id}")).await.expect_problem(409, "self_lockout");
        server.delete("/api/v1/roles/admin").await.expect_problem(409, "built_in_role");
        server.delete("/api/v1/roles/own_only").await.expect_problem(409, "role_in_use");
    }
}

both_backends! {
    async fn workspaces_see_nothing_of_each_other(server: &TestServer) {
        server.create_type(&customer_type()).await;
        server.create_type(&complaint_type()).await;
        let a_customer = server.create("customer", &json!({"name": "Alpha Customer", "email": "alpha@example.com"})).await;
        let a_id = a_customer["id"].as_str().unwrap().to_owned();

        // An instance admin makes workspace beta with its own admin.
        server.post_json("/api/v1/workspaces", &json!({"id": "Bad Id", "name": "x", "admin": {"email": "b@x.y", "password": "password-b"}})).await
            .expect_problem(422, "invalid_name");
        let beta = server.post_json("/api/v1/workspaces", &json!({
            "id": "beta", "name": "Beta Ltd",
            "admin": {"email": "boss@beta.test", "password": "beta-password", "display_name": "Beta Boss"}
        })).await;
        beta.expect_status(201);
        let b = server.sign_in("beta", "boss@beta.test", "beta-password").await;
        b.get("/api/v1/workspaces").await.expect_problem(403, "forbidden");
        b.get("/api/v1/records/customer").await.expect_problem(404, "not_found");
        assert_eq!(b.get("/api/v1/entity-types").await.values().len(), 0);
        let created = b.post_json("/api/v1/entity-types", &customer_type()).await;
        created.expect_status(201);
        b.post_json("/api/v1/entity-types", &complaint_type()).await.expect_status(201);
        let b_customer = b.post_json("/api/v1/records/customer", &json!({"name": "Bravo Secret", "email": "bravo@example.com"})).await;
        b_customer.expect_status(201);
        let b_id = id_of(&b_customer.body);

        // Workspace A's admin, knowing B's id, finds nothing — exactly as for an id that
        // does not exist — on every path.
        let b_path = format!("/api/v1/records/customer/{b_id}");
        let mut bodies = Vec::new();
        for response in [
            server.get(&b_path).await,
            server.patch_json(&b_path, &json!({"name": "Hijacked"})).await,
            server.delete(&b_path).await,
            server.get(&format!("{b_path}/history")).await,
            server.get(&format!("{b_path}/related/complaint")).await,
            server.post_json(&format!("{b_path}/assign"), &json!({"owned_by": null})).await,
        ] {
            response.expect_problem(404, "not_found");
            bodies.push(response.text);
        }
        for query in [
            format!("/api/v1/records/customer?$filter=id eq '{b_id}'&$count=true"),
            "/api/v1/records/customer?$search=Bravo&$count=true".to_owned(),
            format!("/api/v1/audit?subject_id={b_id}"),
        ] {
            let response = server.get(&query).await;
            response.expect_status(200);
            assert_eq!(response.values().len(), 0, "{query}: {}", response.text);
            if let Some(count) = response.body.get("count") {
                assert_eq!(count, 0, "{query}");
            }
            bodies.push(response.text);
        }
        let count = server.get("/api/v1/records/customer?$count=true").await;
        assert_eq!(count.body["count"], 1, "{}", count.text);
        // A lookup to B's record is a lookup to nothing; expanding it shows nothing.
        let complaint = json!({"subject": "Cross", "severity": "low", "customer_id": b_id, "status": "new"});
        let refused = server.post_json("/api/v1/records/complaint", &complaint).await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        bodies.push(refused.text);
        let users = server.get("/api/v1/users").await;
        bodies.push(users.text.clone());
        bodies.push(server.get("/api/v1/teams").await.text);
        bodies.push(server.get("/api/v1/roles").await.text);
        bodies.push(server.get("/api/v1/audit?$top=500").await.text);
        for body in &bodies {
            for secret in ["Bravo Secret", "bravo@example.com", "boss@beta.test"] {
                assert!(!body.contains(secret), "workspace A saw {secret:?} in {body}");
            }
        }

        // And the other way round.
        for response in [
            b.get(&format!("/api/v1/records/customer/{a_id}")).await,
            b.delete(&format!("/api/v1/records/customer/{a_id}")).await,
        ] {
            response.expect_problem(404, "not_found");
        }
        let b_list = b.get("/api/v1/records/customer?$count=true").await;
        assert_eq!(b_list.body["count"], 1);
        assert!(!b_list.text.contains("Alpha Customer"));

        // Ids are unique per workspace: B may choose an id A uses, and learns nothing from it.
        // Each workspace then reads, searches, changes and deletes only its own record.
        b.post_json("/api/v1/records/customer", &json!({"id": a_id, "name": "Bravo Twin", "email": "twin@example.com"})).await
            .expect_status(201);
        b.post_json("/api/v1/records/customer", &json!({"id": a_id, "name": "Bravo Twin", "email": "twin2@example.com"})).await
            .expect_problem(409, "id_taken");
        let a_path = format!("/api/v1/records/customer/{a_id}");
        assert_eq!(b.get(&a_path).await.body["name"], "Bravo Twin");
        assert_eq!(server.get(&a_path).await.body["name"], "Alpha Customer");
        b.patch_json(&a_path, &json!({"name": "Bravo Renamed"})).await.expect_status(200);
        assert_eq!(server.get(&a_path).await.body["name"], "Alpha Customer");
        let searched = server.get("/api/v1/records/customer?$search=Alpha").await;
        assert_eq!(searched.values().len(), 1, "{}", searched.text);
        assert_eq!(b.get("/api/v1/records/customer?$search=Renamed").await.values().len(), 1);
        assert_eq!(b.get("/api/v1/records/customer?$search=Alpha").await.values().len(), 0);
        b.post_json("/api/v1/records/customer/bulk", &json!({"mode": "upsert", "records": [{"id": a_id, "name": "Bravo Upserted", "email": "twin@example.com"}]})).await
            .expect_status(200);
        assert_eq!(server.get(&a_path).await.body["name"], "Alpha Customer");
        b.delete(&a_path).await.expect_status(204);
        assert_eq!(server.get(&a_path).await.body["name"], "Alpha Customer");
        assert_eq!(server.get("/api/v1/records/customer?$search=Alpha").await.values().len(), 1);
        assert!(!b.get("/api/v1/audit?$top=500").await.text.contains("Alpha Customer"));

        // The same e-mail may exist in both workspaces as two accounts.
        b.post_json("/api/v1/users", &json!({"email": ADMIN_EMAIL, "display_name": "Twin", "password": "twin-password", "role": "viewer"})).await
            .expect_status(201);
        server.sign_in("beta", ADMIN_EMAIL, "twin-password").await;

        // Removing the workspace removes everything in it; its sessions stop working.
        server.delete("/api/v1/workspaces/default").await.expect_problem(409, "workspace_in_use");
        server.delete("/api/v1/workspaces/beta").await.expect_status(204);
        b.get("/api/v1/entity-types").await.expect_problem(401, "unauthenticated");
        assert_eq!(server.get(&format!("/api/v1/records/customer/{a_id}")).await.status, 200);
    }
}

both_backends! {
    async fn the_audit_trail_records_every_change_and_cannot_be_changed(server: &TestServer) {
        server.create_type(&customer_type()).await;
        add_user(server, "rep@test.xrm", "member").await;
        add_user(server, "viewer@test.xrm", "viewer").await;
        let rep = sign_in(server, "rep@test.xrm").await;
        let created = rep.post_json("/api/v1/records/customer", &json!({"name": "Audited", "email": "a@example.com"})).await;
        created.expect_status(201);
        let id = id_of(&created.body);
        let path = format!("/api/v1/records/customer/{id}");
        rep.patch_json(&path, &json!({"name": "Audited twice"})).await.expect_status(200);
        let bulk = rep.post_json("/api/v1/records/customer/bulk", &json!({"records": [{"name": "Bulk one"}, {"name": "Bulk two"}]})).await;
        bulk.expect_status(200);

        let history = rep.get(&format!("{path}/history")).await;
        history.expect_status(200);
        let entries = history.values();
        assert_eq!(entries.len(), 2, "{}", history.text);
        assert_eq!(entries[0]["action"], "record.update");
        assert_eq!(entries[0]["actor"]["name"], "rep@test.xrm");
        assert_eq!(entries[0]["actor"]["kind"], "user");
        assert_eq!(entries[0]["via"], format!("PATCH {path}"));
        assert_eq!(entries[0]["changed"], json!(["name"]));
        assert_eq!(entries[0]["before"]["name"], "Audited");
        assert_eq!(entries[0]["after"]["name"], "Audited twice");
        assert!(entries[0]["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        assert_eq!(entries[1]["action"], "record.create");
        assert_eq!(entries[1]["before"], Value::Null);

        server.delete(&path).await.expect_status(204);
        let audit = server.get("/api/v1/audit?subject_kind=record&$top=2").await;
        audit.expect_status(200);
        assert_eq!(audit.values()[0]["action"], "record.delete");
        assert_eq!(audit.values()[0]["actor"]["name"], ADMIN_EMAIL);
        let next = audit.body["next_cursor"].as_str().expect("more entries").to_owned();
        let page2 = server.get(&format!("/api/v1/audit?subject_kind=record&$top=2&cursor={next}")).await;
        assert_eq!(page2.values().len(), 2, "{}", page2.text);
        assert_ne!(page2.values()[0]["id"], audit.values()[1]["id"]);
        let creates = server.get("/api/v1/audit?action=record.create").await;
        assert_eq!(creates.values().len(), 3, "the create and both bulk records: {}", creates.text);
        // The bootstrapped admin, the rep and the viewer.
        let admin_changes = server.get("/api/v1/audit?action=user.create").await;
        assert_eq!(admin_changes.values().len(), 3, "{}", admin_changes.text);
        assert_eq!(admin_changes.values()[2]["actor"]["name"], "bootstrap");
        let types = server.get("/api/v1/audit?subject_kind=entity_type").await;
        assert_eq!(types.values().len(), 1, "entity-type changes are audited: {}", types.text);
        assert_eq!(types.values()[0]["action"], "entity_type.create");
        assert_eq!(types.values()[0]["after"]["x-xrm"]["name"], "customer");

        // Only admins and auditors read the whole trail; nobody changes it.
        let viewer = sign_in(server, "viewer@test.xrm").await;
        viewer.get("/api/v1/audit").await.expect_problem(403, "forbidden");
        for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
            let response = server.send(method.clone(), "/api/v1/audit", &[("content-type", "application/json")], Some(b"{}".to_vec())).await;
            assert_eq!(response.status, 405, "{method}: {}", response.text);
        }
        let entry = &audit.values()[0]["id"];
        server.delete(&format!("/api/v1/audit/{}", entry.as_str().unwrap())).await.expect_status(404);
        server.get("/api/v1/audit?since=yesterday").await.expect_problem(400, "invalid_query");

        // Even with the database in hand, an entry cannot be rewritten.
        let error = server.execute_sql("UPDATE audit_log SET actor_name = 'someone else'").await
            .expect_err("the database refuses to change audit entries");
        assert!(error.contains("audit entries cannot be changed"), "{error}");
        let again = server.get("/api/v1/audit?action=record.delete").await;
        assert_eq!(again.values()[0]["actor"]["name"], ADMIN_EMAIL);
    }
}

both_backends! {
    async fn a_plugin_never_gains_more_than_the_requesting_user(server: &TestServer) args ["--demo"] {
        server.install_package("contract-rules").await.expect_status(201);
        // May run actions on contracts, but not create any.
        server.post_json("/api/v1/roles", &json!({
            "name": "renewer",
            "permissions": {"types": {"*": {"read": "workspace", "update": "workspace", "actions": "workspace"}}}
        })).await.expect_status(201);
        add_user(server, "renewer@test.xrm", "renewer").await;
        let customer = server.get("/api/v1/records/customer?$top=1").await.values()[0]["id"].as_str().unwrap().to_owned();
        let contract = server.create("contract", &json!({
            "contract_number": "CTR-2040-0001", "title": "Support", "customer_id": customer,
            "status": "active", "start_date": "2040-01-01", "end_date": "2040-12-31", "value": 100, "currency": "EUR"
        })).await;
        let id = contract["id"].as_str().unwrap().to_owned();
        let before = server.count("contract").await;

        let renewer = sign_in(server, "renewer@test.xrm").await;
        // Members see which actions and reports packages offer, never plugin settings.
        let seen = renewer.get("/api/v1/packages/contract-rules").await;
        seen.expect_status(200);
        assert!(seen.body["plugins"][0].get("settings").is_none(), "{}", seen.text);
        assert!(server.get("/api/v1/packages/contract-rules").await.body["plugins"][0].get("settings").is_some());
        renewer.put_json("/api/v1/packages/contract-rules/plugins/contract-rules/settings", &json!({"config": {}}))
            .await
            .expect_problem(403, "forbidden");
        let refused = renewer.post_json(&format!("/api/v1/records/contract/{id}/actions/renew"), &json!({"months": 12})).await;
        assert!(refused.status >= 400, "the renew action creates a contract, which the user may not: {}", refused.text);
        assert!(refused.text.contains("create"), "{}", refused.text);
        assert_eq!(server.count("contract").await, before, "nothing was written");
        assert_eq!(server.get(&format!("/api/v1/records/contract/{id}")).await.body["status"], "active");

        // The admin may; the new contract is the plugin's work, owned by the admin.
        let renewed = server.post_json(&format!("/api/v1/records/contract/{id}/actions/renew"), &json!({"months": 12})).await;
        renewed.expect_status(200);
        let new_id = renewed.body["renewed_contract_id"].as_str().unwrap();
        let new = server.get(&format!("/api/v1/records/contract/{new_id}")).await;
        assert_eq!(new.body["created_by"], "plugin:contract-rules/contract-rules");
        let history = server.get(&format!("/api/v1/records/contract/{new_id}/history")).await;
        assert_eq!(history.values()[0]["actor"]["kind"], "plugin");
        assert!(history.values()[0]["via"].as_str().unwrap().contains("contract-rules"));
    }
}

both_backends! {
    async fn the_rate_limit_answers_429_beyond_the_burst(server: &TestServer) args ["--rate-limit-per-second", "5"] {
        let mut limited = None;
        for _ in 0..20 {
            let response = server.get("/healthz").await;
            if response.status == 429 {
                limited = Some(response);
                break;
            }
        }
        let limited = limited.expect("a burst of 20 beyond a limit of 5 is refused");
        assert_eq!(limited.body["code"], "rate_limited");
        assert!(limited.header("retry-after").is_some());
    }
}

both_backends! {
    async fn hidden_and_read_only_fields_follow_the_role(server: &TestServer) {
        server.create_type(&customer_type()).await;
        server.post_json("/api/v1/roles", &json!({
            "name": "clerk",
            "permissions": {"types": {
                "*": {"create": true, "read": "workspace", "update": "workspace"},
                "customer": {"fields": {"lifetime_value": "hidden", "tier": "read_only"}}
            }}
        })).await.expect_status(201);
        add_user(server, "clerk@test.xrm", "clerk").await;
        let clerk = sign_in(server, "clerk@test.xrm").await;
        let stored = server.create("customer", &json!({"name": "Valued", "email": "v@example.com", "tier": 2, "lifetime_value": 9000})).await;
        let path = format!("/api/v1/records/customer/{}", stored["id"].as_str().unwrap());

        // Hidden: never shown, not filterable, sortable or selectable.
        let read = clerk.get(&path).await;
        read.expect_status(200);
        assert!(read.body.get("lifetime_value").is_none(), "{}", read.text);
        assert_eq!(read.body["tier"], 2);
        let listed = clerk.get("/api/v1/records/customer").await;
        assert!(!listed.text.contains("9000"), "{}", listed.text);
        for query in ["$filter=lifetime_value gt 100", "$orderby=lifetime_value desc", "$select=name,lifetime_value"] {
            clerk.get(&format!("/api/v1/records/customer?{query}")).await.expect_status(400);
        }
        let history = clerk.get(&format!("{path}/history")).await;
        assert!(!history.text.contains("lifetime_value"), "{}", history.text);

        // Read-only and hidden fields cannot be set or changed; a replace keeps them.
        clerk.patch_json(&path, &json!({"tier": 3})).await.expect_problem(403, "field_read_only");
        clerk.patch_json(&path, &json!({"lifetime_value": 1})).await.expect_problem(403, "field_read_only");
        // Even the right value of a hidden field is refused: a 200 would confirm the guess.
        clerk.patch_json(&path, &json!({"lifetime_value": 9000})).await.expect_problem(403, "field_read_only");
        clerk.put_json(&path, &json!({"name": "Guess", "email": "v@example.com", "lifetime_value": 9000})).await
            .expect_problem(403, "field_read_only");
        clerk.post_json("/api/v1/records/customer", &json!({"name": "New", "email": "n@example.com", "tier": 1})).await
            .expect_problem(403, "field_read_only");
        clerk.patch_json(&path, &json!({"tier": 2, "name": "Valued & kept"})).await.expect_status(200);
        let replaced = clerk.put_json(&path, &json!({"name": "Replaced", "email": "v@example.com"})).await;
        replaced.expect_status(200);
        let full = server.get(&path).await;
        assert_eq!(full.body["name"], "Replaced");
        assert_eq!(full.body["lifetime_value"], 9000, "a replace keeps what the clerk cannot see");
        assert_eq!(full.body["tier"], 2);
    }
}

/// `xrm user add …` on the server's database, the password on standard input.
fn user_add(server: &TestServer, args: &[&str], password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(xrm_tests::xrm_binary())
        .args(["user", "add"])
        .args(args)
        .args(server.database_args())
        .env_remove("XRM_CONFIG")
        .env_remove("XRM_DATABASE_URL")
        .env_remove("XRM_DATA_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the xrm binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

both_backends! {
    async fn the_command_line_adds_users_with_a_password_from_stdin(server: &TestServer) {
        let added = user_add(server, &["--email", "Ops@Test.xrm", "--role", "viewer", "--password-stdin"], "ops-password");
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let ops = server.sign_in("default", "ops@test.xrm", "ops-password").await;
        assert_eq!(ops.get("/api/v1/auth/session").await.body["user"]["role"], "viewer");

        let short = user_add(server, &["--email", "short@test.xrm", "--password-stdin"], "short");
        assert!(!short.status.success());
        assert!(String::from_utf8_lossy(&short.stderr).contains("8 to 1024"), "{}", String::from_utf8_lossy(&short.stderr));
        let nowhere = user_add(server, &["--email", "x@test.xrm", "--workspace", "nowhere", "--password-stdin"], "long-enough");
        assert!(String::from_utf8_lossy(&nowhere.stderr).contains("no workspace 'nowhere'"));
        let audit = server.get("/api/v1/audit?action=user.create").await;
        assert!(audit.values().iter().any(|e| e["actor"]["name"] == "cli"), "{}", audit.text);
    }
}
