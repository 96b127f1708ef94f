//! Reading request bodies and headers: content type, size limit, JSON syntax and `If-Match`,
//! each refused with its own precise status before any handler runs.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value;

use crate::error::{Error, FieldError};
use crate::service::Precondition;

/// A JSON request body (`application/json` or any `+json` type).
pub struct JsonBody(pub Value);

/// A JSON Merge Patch body (`application/merge-patch+json`, or `application/json`).
pub struct MergePatchBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_content_type(request.headers())?;
        Ok(JsonBody(read_json(request, state).await?))
    }
}

impl<S: Send + Sync> FromRequest<S> for MergePatchBody {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_content_type(request.headers())?;
        Ok(MergePatchBody(read_json(request, state).await?))
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Error> {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Err(Error::UnsupportedMediaType {
            detail:
                "the request has no Content-Type; send JSON with Content-Type: application/json"
                    .into(),
        });
    };
    let text = content_type.to_str().unwrap_or_default();
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType {
            detail: format!(
                "Content-Type '{text}' is not supported; send JSON with Content-Type: application/json"
            ),
        })
    }
}

async fn read_json<S: Send + Sync>(request: Request, state: &S) -> Result<Value, Error> {
    let limit = request
        .extensions()
        .get::<BodyLimit>()
        .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
    let bytes = match Bytes::from_request(request, state).await {
        Ok(bytes) => bytes,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Error::PayloadTooLarge { limit });
        }
        Err(rejection) => return Err(Error::bad_request("unreadable_body", rejection.body_text())),
    };
    serde_json::from_slice(&bytes).map_err(|error| Error::BadRequest {
        code: "malformed_json",
        detail: format!("the body is not valid JSON: {error}"),
        errors: vec![FieldError::new(
            "",
            "json",
            format!(
                "{} at line {}, column {}",
                error_kind(&error),
                error.line(),
                error.column()
            ),
        )],
    })
}

fn error_kind(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Eof => "unexpected end of input",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    }
}

/// The body limit in force for a route, so the 413 message can state it.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Body limit of routes that carry one record or one schema.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Reads `If-Match`: absent, `*`, or one entity tag `"<version>"` (weak tags accepted).
pub fn precondition(headers: &HeaderMap) -> Result<Precondition, Error> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(Precondition::None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(Precondition::Exists);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .map(Precondition::Version)
        .ok_or_else(|| Error::BadRequest {
            code: "invalid_if_match",
            detail: format!("If-Match '{text}' is not an entity tag this server issued; send back the ETag of your last read, e.g. \"3\""),
            errors: Vec::new(),
        })
}

/// The entity tag of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn if_match_accepts_strong_weak_and_star() {
        let mut headers = HeaderMap::new();
        assert_eq!(precondition(&headers).unwrap(), Precondition::None);
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"7\""));
        assert_eq!(precondition(&headers).unwrap(), Precondition::Version(7));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("W/\"8\""));
        assert_eq!(precondition(&headers).unwrap(), Precondition::Version(8));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(precondition(&headers).unwrap(), Precondition::Exists);
        headers.insert(header::IF_MATCH, HeaderValue::from_static("7"));
        assert!(precondition(&headers).is_err());
    }

    #[test]
    fn json_and_plus_json_content_types_are_accepted() {
        let mut headers = HeaderMap::new();
        assert!(check_content_type(&headers).is_err());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(check_content_type(&headers).is_ok());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/merge-patch+json"),
        );
        assert!(check_content_type(&headers).is_ok());
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(check_content_type(&headers).is_err());
    }
}
