//! `/api/v1/entity-types`: define, inspect, change and remove entity types; read their history.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use super::body::{JsonBody, etag, precondition};
use crate::error::{Error, Result};
use crate::service::{Access, App, Precondition};
use crate::store::StoredEntityType;

/// The API view of a stored type: metadata plus the document as it was posted.
fn type_json(stored: &StoredEntityType) -> Value {
    let document: Value = serde_json::from_str(&stored.document).unwrap_or(Value::Null);
    let annotations = document.get("x-xrm");
    json!({
        "name": stored.name,
        "version": stored.version,
        "display_name": annotations.and_then(|a| a.get("display_name")),
        "plural_name": annotations.and_then(|a| a.get("plural_name")).cloned().unwrap_or_else(|| {
            Value::String(format!("{}s", annotations.and_then(|a| a.get("display_name")).and_then(Value::as_str).unwrap_or(&stored.name)))
        }),
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
        "created_by": stored.created_by,
        "updated_by": stored.updated_by,
        "schema": document,
    })
}

fn type_response(status: StatusCode, stored: &StoredEntityType) -> Response {
    let mut response = (status, Json(type_json(stored))).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(stored.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

pub async fn list(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Json<Value>> {
    let types = app.store.list_entity_types(&access.workspace).await?;
    Ok(Json(
        json!({ "value": types.iter().map(type_json).collect::<Vec<_>>() }),
    ))
}

pub async fn create(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    JsonBody(document): JsonBody,
) -> Result<Response> {
    access.require_admin()?;
    let stored = app
        .create_entity_type(&access.workspace, document, &access.actor)
        .await?;
    let mut response = type_response(StatusCode::CREATED, &stored);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/entity-types/{}", stored.name)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn get(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response> {
    let stored = app
        .store
        .get_entity_type(&access.workspace, &name)
        .await?
        .ok_or_else(|| Error::not_found(format!("entity type '{name}'")))?;
    Ok(type_response(StatusCode::OK, &stored))
}

fn query_error(rejection: QueryRejection) -> Error {
    Error::bad_request("invalid_query", rejection.body_text())
}

/// Options of `PUT` and `DELETE`.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChangeOptions {
    #[serde(default)]
    allow_invalid_records: bool,
    #[serde(default)]
    delete_records: bool,
}

pub async fn update(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
    options: std::result::Result<Query<ChangeOptions>, QueryRejection>,
    headers: HeaderMap,
    JsonBody(document): JsonBody,
) -> Result<Response> {
    access.require_admin()?;
    let Query(options) = options.map_err(query_error)?;
    let expected = match precondition(&headers)? {
        Precondition::Version(version) => Some(version),
        _ => None,
    };
    let stored = app
        .update_entity_type(
            &access.workspace,
            &name,
            document,
            options.allow_invalid_records,
            expected,
            &access.actor,
        )
        .await?;
    Ok(type_response(StatusCode::OK, &stored))
}

pub async fn delete(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
    options: std::result::Result<Query<ChangeOptions>, QueryRejection>,
) -> Result<StatusCode> {
    access.require_admin()?;
    let Query(options) = options.map_err(query_error)?;
    app.delete_entity_type(
        &access.workspace,
        &name,
        options.delete_records,
        &access.actor,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn versions(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    let versions = app
        .store
        .entity_type_versions(&access.workspace, &name, None)
        .await?;
    if versions.is_empty() {
        return Err(Error::not_found(format!("entity type '{name}'")));
    }
    let items: Vec<Value> = versions
        .iter()
        .map(|v| json!({"version": v.version, "created_at": v.created_at, "created_by": v.created_by}))
        .collect();
    Ok(Json(json!({ "value": items })))
}

pub async fn version(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response> {
    let number: i64 = version.parse().map_err(|_| {
        Error::bad_request(
            "invalid_version",
            format!("'{version}' is not a version number"),
        )
    })?;
    let stored = app
        .store
        .entity_type_versions(&access.workspace, &name, Some(number))
        .await?
        .pop()
        .ok_or_else(|| Error::not_found(format!("version {number} of entity type '{name}'")))?;
    Ok(type_response(StatusCode::OK, &stored))
}
