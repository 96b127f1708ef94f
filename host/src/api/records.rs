//! `/api/v1/records/{type}`: create, read, replace, merge-patch, delete, bulk, list and
//! reverse navigation of records of any entity type.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::{JsonBody, MergePatchBody, etag, precondition};
use crate::error::{Error, Result};
use crate::query::QueryError;
use crate::service::{Access, App, BulkMode, Change, ListRequest, Page, RecordOp, record_text};
use crate::store::StoredRecord;
use axum::Extension;

pub async fn create(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(type_name): Path<String>,
    JsonBody(mut body): JsonBody,
) -> Result<Response> {
    access.require_create(&type_name)?;
    access.guard_fields(&type_name, &mut body, None, false)?;
    let record = app
        .create_record(&access.workspace, &type_name, body, &access.actor)
        .await?;
    let record = access.visible(&type_name, record);
    let location = format!("/api/v1/records/{type_name}/{}", record.id);
    let mut response = record_response(StatusCode::CREATED, &record);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub async fn get(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id)): Path<(String, String)>,
) -> Result<Response> {
    let record = app
        .authorized_record(&access, &type_name, &id, RecordOp::Read)
        .await?;
    let record = access.visible(&type_name, record);
    Ok(record_response(StatusCode::OK, &record))
}

pub async fn replace(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let precondition = precondition(&headers)?;
    let record = app
        .update_record(
            &access,
            &type_name,
            &id,
            Change::Replace(body),
            precondition,
        )
        .await?;
    let record = access.visible(&type_name, record);
    Ok(record_response(StatusCode::OK, &record))
}

pub async fn patch(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id)): Path<(String, String)>,
    headers: HeaderMap,
    MergePatchBody(body): MergePatchBody,
) -> Result<Response> {
    let precondition = precondition(&headers)?;
    if !body.is_object() {
        return Err(Error::unprocessable(
            "not_an_object",
            "a merge patch of a record is a JSON object",
            vec![crate::error::FieldError::new(
                "",
                "type",
                "expected a JSON object",
            )],
        ));
    }
    let record = app
        .update_record(
            &access,
            &type_name,
            &id,
            Change::MergePatch(body),
            precondition,
        )
        .await?;
    let record = access.visible(&type_name, record);
    Ok(record_response(StatusCode::OK, &record))
}

pub async fn delete(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let precondition = precondition(&headers)?;
    app.delete_record(&access, &type_name, &id, precondition)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of a bulk request.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    #[serde(default)]
    mode: Option<String>,
    records: Vec<Value>,
}

pub async fn bulk(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(type_name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let request: BulkRequest = serde_json::from_value(body).map_err(|error| {
        Error::unprocessable(
            "invalid_bulk_request",
            format!("a bulk request is {{\"mode\": \"create\" | \"upsert\", \"records\": [...]}}: {error}"),
            Vec::new(),
        )
    })?;
    let mode = match request.mode.as_deref() {
        None | Some("create") => BulkMode::Create,
        Some("upsert") => BulkMode::Upsert,
        Some(other) => {
            return Err(Error::unprocessable(
                "invalid_bulk_request",
                format!("bulk mode '{other}' is not known; use create or upsert"),
                Vec::new(),
            ));
        }
    };
    access.require_create(&type_name)?;
    let mut request = request;
    check_bulk(&app, &access, &type_name, mode, &mut request.records).await?;
    let records = app
        .bulk_write(&access, &type_name, mode, request.records)
        .await?;
    let ids: Vec<Value> = records
        .iter()
        .map(|r| json!({"id": r.id, "version": r.version}))
        .collect();
    Ok((
        StatusCode::OK,
        Json(json!({ "written": ids.len(), "records": ids })),
    )
        .into_response())
}

pub async fn list(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(type_name): Path<String>,
    uri: Uri,
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response> {
    let (request, _) = list_request(query, &[])?;
    let page = app
        .list_records(&access, &type_name, &request, None)
        .await?;
    Ok(page_response(&uri, page))
}

/// `GET /records/{type}/{id}/related/{source_type}?via=field`: the `source_type` records whose
/// lookup points at this record (a customer's complaints).
pub async fn related(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id, source_type)): Path<(String, String, String)>,
    uri: Uri,
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response> {
    let (request, extra) = list_request(query, &["via"])?;
    // The record must exist and be of the named type, so a list never leaks what an id hides.
    app.authorized_record(&access, &type_name, &id, RecordOp::Read)
        .await?;
    let source = app
        .types
        .get(&app.store, &access.workspace, &source_type)
        .await?;
    let candidates: Vec<&String> = source
        .annotations
        .lookups
        .iter()
        .filter(|(_, l)| l.target == type_name)
        .map(|(f, _)| f)
        .collect();
    let via = match extra
        .iter()
        .find(|(k, _)| k == "via")
        .map(|(_, v)| v.as_str())
    {
        Some(field) if candidates.iter().any(|c| c.as_str() == field) => field.to_owned(),
        Some(field) => {
            return Err(Error::bad_request(
                "invalid_query",
                format!(
                    "via: '{field}' is not a lookup from {source_type} to {type_name}; lookups: {}",
                    join(&candidates)
                ),
            ));
        }
        None if candidates.len() == 1 => candidates[0].clone(),
        None if candidates.is_empty() => {
            return Err(Error::bad_request(
                "invalid_query",
                format!(
                    "{source_type} has no lookup to {type_name}, so no {source_type} records can point at it"
                ),
            ));
        }
        None => {
            return Err(Error::bad_request(
                "invalid_query",
                format!(
                    "{source_type} has several lookups to {type_name}; choose one with ?via=: {}",
                    join(&candidates)
                ),
            ));
        }
    };
    let page = app
        .list_records(&access, &source_type, &request, Some((&via, &id)))
        .await?;
    Ok(page_response(&uri, page))
}

/// A bulk write's items against the role's field rules, before they are validated: an item
/// may not set a hidden or read-only field, and an upsert that leaves one out keeps the stored
/// value. The service checks every replaced record again, scope included, on the row its
/// write transaction reads; a role without field rules needs no read here.
async fn check_bulk(
    app: &App,
    access: &Access,
    type_name: &str,
    mode: BulkMode,
    records: &mut [Value],
) -> Result<()> {
    if access.permissions.field_rules(type_name).is_empty() {
        return Ok(());
    }
    let existing = if mode == BulkMode::Upsert {
        let ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        app.store.get_records(&access.workspace, &ids).await?
    } else {
        Vec::new()
    };
    for record in records.iter_mut() {
        let id = record.get("id").and_then(Value::as_str).map(str::to_owned);
        // A record the caller may not read lends no values: its item is then checked like a
        // create, and the service answers 404 for it.
        let current = existing.iter().find(|e| {
            Some(&e.id) == id.as_ref()
                && e.entity_type == type_name
                && access.check_record(type_name, RecordOp::Read, e).is_ok()
        });
        let data = current.map(data_of);
        access.guard_fields(type_name, record, data.as_ref(), current.is_some())?;
    }
    Ok(())
}

/// A stored record's data fields as JSON.
fn data_of(record: &StoredRecord) -> Value {
    serde_json::from_str(&record.data).unwrap_or(Value::Null)
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the query options, refusing unknown `$options` and repeats; returns the other
/// parameters named in `extra_allowed`.
fn list_request(
    query: std::result::Result<Query<Vec<(String, String)>>, QueryRejection>,
    extra_allowed: &[&str],
) -> Result<(ListRequest, Vec<(String, String)>)> {
    let Query(pairs) =
        query.map_err(|rejection| Error::bad_request("invalid_query", rejection.body_text()))?;
    let mut request = ListRequest::default();
    let mut extra = Vec::new();
    for (key, value) in pairs {
        let slot = match key.as_str() {
            "$filter" => &mut request.filter,
            "$orderby" => &mut request.orderby,
            "$select" => &mut request.select,
            "$top" => &mut request.top,
            "$count" => &mut request.count,
            "$expand" => &mut request.expand,
            "$search" => &mut request.search,
            "$cursor" => &mut request.cursor,
            other if extra_allowed.contains(&other) => {
                extra.push((key, value));
                continue;
            }
            other => {
                return Err(QueryError {
                    option: "query",
                    position: None,
                    message: format!(
                        "unknown query option '{other}'; supported: $filter, $orderby, $select, $top, $count, $expand, $search, $cursor{}",
                        extra_allowed.iter().map(|e| format!(", {e}")).collect::<String>()
                    ),
                }
                .into());
            }
        };
        if slot.is_some() {
            return Err(QueryError {
                option: "query",
                position: None,
                message: format!("query option '{key}' is given twice"),
            }
            .into());
        }
        *slot = Some(value);
    }
    Ok((request, extra))
}

/// The page as JSON text: the records are already JSON, so they are joined, not re-encoded.
fn page_response(uri: &Uri, page: Page) -> Response {
    let size: usize = page.records.iter().map(String::len).sum();
    let mut text = String::with_capacity(size + page.records.len() + 512);
    text.push('{');
    if let Some(count) = page.count {
        text.push_str("\"count\":");
        text.push_str(&count.to_string());
        text.push(',');
    }
    text.push_str("\"value\":[");
    text.push_str(&page.records.join(","));
    text.push(']');
    if let Some(cursor) = page.next_cursor {
        text.push_str(",\"next_link\":");
        text.push_str(&Value::String(next_link(uri, &cursor)).to_string());
        text.push_str(",\"next_cursor\":");
        text.push_str(&Value::String(cursor).to_string());
    }
    text.push('}');
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The same request with `$cursor` replaced: the client follows it to the next page.
fn next_link(uri: &Uri, cursor: &str) -> String {
    let kept: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && !pair.starts_with("$cursor=") && !pair.starts_with("%24cursor=")
        })
        .collect();
    let mut link = format!("{}?", uri.path());
    for pair in kept {
        link.push_str(pair);
        link.push('&');
    }
    link.push_str("$cursor=");
    link.push_str(cursor);
    link
}

/// A record response without re-parsing its data: system fields are written in front of the
/// stored JSON object text.
pub(super) fn record_response(status: StatusCode, record: &StoredRecord) -> Response {
    let text = record_text(record);
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(tag) = HeaderValue::from_str(&etag(record.version)) {
        headers.insert(header::ETAG, tag);
    }
    response
}
