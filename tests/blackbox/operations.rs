//! Operating the server: health and readiness, metrics, the OpenAPI document, problem
//! documents for unknown routes, and a request id on every response.

use serde_json::json;
use xrm_tests::{Method, TestServer, both_backends};

use crate::fixtures::{with_complaints, with_tickets};

both_backends! {
    async fn healthz_and_readyz_answer_200(server: &TestServer) {
        server.get("/healthz").await.expect_status(200);
        server.get("/readyz").await.expect_status(200);
    }
}

both_backends! {
    async fn metrics_expose_the_request_counter(server: &TestServer) {
        server.get("/healthz").await.expect_status(200);
        server.get("/api/v1/entity-types").await.expect_status(200);
        let metrics = server.get("/metrics").await;
        metrics.expect_status(200);
        assert!(metrics.text.contains("xrm_http_requests_total"), "{}", metrics.text);
    }
}

both_backends! {
    async fn the_openapi_document_has_a_path_for_every_loaded_type(server: &TestServer) {
        with_tickets(server).await;
        with_complaints_only(server).await;
        let document = server.get("/api/v1/openapi.json").await;
        document.expect_status(200);
        assert_eq!(document.body["openapi"], json!("3.1.0"), "{}", &document.text[..document.text.len().min(500)]);
        assert_eq!(document.body["components"]["securitySchemes"]["token"]["scheme"], "bearer");
        let paths = document.body["paths"].as_object().cloned().unwrap_or_default();
        for name in ["customer", "project", "agent", "ticket", "complaint"] {
            for path in [format!("/api/v1/records/{name}"), format!("/api/v1/records/{name}/{{id}}")] {
                assert!(paths.contains_key(&path), "no OpenAPI path {path}; paths: {:?}", paths.keys().collect::<Vec<_>>());
            }
        }
    }
}

/// Adds `complaint` to a server that already has `customer`.
async fn with_complaints_only(server: &TestServer) {
    server.create_type(&crate::fixtures::complaint_type()).await;
}

both_backends! {
    async fn an_unknown_route_is_404_problem_json(server: &TestServer) {
        let response = server.get("/api/v1/nothing/here").await;
        response.expect_problem(404, "not_found");
        assert_eq!(response.body["status"], json!(404));
        assert!(response.body["title"].is_string() && response.body["detail"].is_string(), "{}", response.text);
        server.get("/no-such-page").await.expect_problem(404, "not_found");
    }
}

both_backends! {
    async fn every_response_carries_x_request_id(server: &TestServer) {
        with_complaints(server).await;
        let responses = vec![
            server.get("/healthz").await,
            server.get("/readyz").await,
            server.get("/metrics").await,
            server.get("/api/v1/openapi.json").await,
            server.get("/api/v1/entity-types").await,
            server.get("/api/v1/nothing").await,
            server.get("/api/v1/records/customer/not-a-uuid").await,
            server.post_json("/api/v1/records/customer", &json!({})).await,
            server.post_json("/api/v1/records/customer", &json!({"name": "Ada"})).await,
            server.send(Method::POST, "/api/v1/records/customer", &[("content-type", "text/plain")], Some(b"x".to_vec())).await,
            server.send(Method::DELETE, "/api/v1/entity-types", &[], None).await,
        ];
        for response in &responses {
            let id = response.header("x-request-id").unwrap_or_default();
            assert!(!id.is_empty(), "HTTP {} without x-request-id: {}", response.status, response.text);
            // Problem documents repeat it so a client can quote it.
            if response.status >= 400 && response.body.is_object() {
                assert_eq!(response.body["request_id"], json!(id), "{}", response.text);
            }
        }
        let ids: std::collections::BTreeSet<&str> =
            responses.iter().filter_map(|r| r.header("x-request-id")).collect();
        assert_eq!(ids.len(), responses.len(), "request ids repeat");
    }
}

both_backends! {
    async fn a_method_that_a_route_does_not_have_is_405(server: &TestServer) {
        let response = server.send(Method::DELETE, "/api/v1/entity-types", &[], None).await;
        response.expect_status(405);
    }
}
