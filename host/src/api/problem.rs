//! The one place where host errors become HTTP: status codes and RFC 9457 problem documents.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::{Error, extension_members};

tokio::task_local! {
    /// The id of the request being served, for problem documents and logs.
    pub static REQUEST_ID: String;
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
        // Server-side failures are logged in full and shown to the client only by request id.
        let detail = match &self {
            Error::Database(_) | Error::Internal(_) => {
                tracing::error!(error = %self, request_id, "request failed");
                "the server failed to handle this request; the request id identifies it in the server log".to_owned()
            }
            Error::Unavailable(_) => {
                tracing::warn!(error = %self, request_id, "database unavailable");
                self.to_string()
            }
            _ => self.to_string(),
        };
        let code = self.code();
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("urn:xrm:problem:{code}")),
        );
        body.insert(
            "title".into(),
            Value::String(status.canonical_reason().unwrap_or("Error").to_owned()),
        );
        body.insert("status".into(), Value::from(status.as_u16()));
        body.insert("code".into(), Value::String(code.to_owned()));
        body.insert("detail".into(), Value::String(detail));
        body.insert(
            "errors".into(),
            serde_json::to_value(self.field_errors()).unwrap_or_else(|_| Value::Array(Vec::new())),
        );
        if let Some((name, value)) = extension_members(&self) {
            body.insert(name.into(), value);
        }
        if !request_id.is_empty() {
            body.insert("request_id".into(), Value::String(request_id));
        }
        let mut response = (status, Value::Object(body).to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            Error::Unavailable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Error::TooManyRequests {
                retry_after_secs, ..
            } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Error::Unauthenticated { .. } => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"xrm\""),
                );
            }
            _ => {}
        }
        response
    }
}
