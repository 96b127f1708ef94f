//! Nothing acknowledged is lost: records and types survive a clean restart and a SIGKILL.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use xrm_tests::{TestServer, both_backends};

use crate::fixtures::{id_of, with_customers};

/// Checks every acknowledged record is readable with the acknowledged content and version.
async fn assert_all_present(server: &TestServer, acknowledged: &BTreeMap<String, Value>) {
    for (id, record) in acknowledged {
        let read = server.get(&format!("/api/v1/records/customer/{id}")).await;
        assert_eq!(
            read.status, 200,
            "acknowledged record {id} is gone: {}",
            read.text
        );
        assert_eq!(&read.body, record, "acknowledged record {id} changed");
    }
    assert_eq!(server.count("customer").await, acknowledged.len() as u64);
}

both_backends! {
    async fn acknowledged_records_survive_a_restart(server: &TestServer) {
        with_customers(server).await;
        let mut acknowledged = BTreeMap::new();
        for i in 0..20 {
            let record = server.create("customer", &json!({"name": format!("Kept {i}"), "tier": 1 + i % 5})).await;
            acknowledged.insert(id_of(&record), record);
        }
        server.restart().await;
        assert_all_present(server, &acknowledged).await;
        let types = server.get("/api/v1/entity-types/customer").await;
        types.expect_status(200);
        // The restarted server accepts writes and still enforces the schema.
        server.create("customer", &json!({"name": "After restart"})).await;
        server.post_json("/api/v1/records/customer", &json!({"tier": 1})).await.expect_status(422);
    }
}

both_backends! {
    async fn acknowledged_writes_survive_kill_9(server: &TestServer) {
        with_customers(server).await;
        let mut acknowledged = BTreeMap::new();
        // Concurrent writers, so the kill can land with commits in flight on other connections.
        let batches = (0..4).map(|writer| async move {
            let mut mine = Vec::new();
            for i in 0..15 {
                let record = server
                    .create("customer", &json!({"name": format!("Writer {writer} record {i}"), "tier": 1 + i % 5}))
                    .await;
                mine.push(record);
            }
            mine
        });
        for batch in crate::fixtures::join_all(batches).await {
            for record in batch {
                acknowledged.insert(id_of(&record), record);
            }
        }
        // An update and a delete are acknowledged writes too.
        let (first_id, _) = acknowledged.iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
        let patched = server
            .patch_json(&format!("/api/v1/records/customer/{first_id}"), &json!({"notes": "patched before the crash"}))
            .await;
        patched.expect_status(200);
        acknowledged.insert(first_id, patched.body.clone());
        let (last_id, _) = acknowledged.iter().next_back().map(|(k, v)| (k.clone(), v.clone())).unwrap();
        server.delete(&format!("/api/v1/records/customer/{last_id}")).await.expect_status(204);
        acknowledged.remove(&last_id);

        server.kill9();
        server.restart().await;
        assert_all_present(server, &acknowledged).await;
        server.get(&format!("/api/v1/records/customer/{last_id}")).await.expect_status(404);

        // Twice, to be sure recovery itself leaves a sound database.
        server.create("customer", &json!({"name": "Between crashes"})).await;
        server.kill9();
        server.restart().await;
        assert_eq!(server.count("customer").await, acknowledged.len() as u64 + 1);
    }
}

both_backends! {
    async fn entity_type_versions_survive_kill_9(server: &TestServer) {
        with_customers(server).await;
        let mut wider = crate::fixtures::customer_type();
        wider["properties"]["phone"] = json!({"type": "string"});
        server.put_json("/api/v1/entity-types/customer", &wider).await.expect_status(200);
        server.kill9();
        server.restart().await;
        let current = server.get("/api/v1/entity-types/customer").await;
        current.expect_status(200);
        assert_eq!(current.body["version"], json!(2));
        server.create("customer", &json!({"name": "Ada", "phone": "+47 1234"})).await;
    }
}
