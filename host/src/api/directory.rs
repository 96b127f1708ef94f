//! `/api/v1/users`, `/teams`, `/roles`, `/tokens`, `/workspaces` and the audit trail
//! (`/audit`, a record's `/history`): thin handlers over the service's checks.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::parse_body as parse;
use super::body::JsonBody;
use crate::error::{Error, Result};
use crate::service::{Access, App, RecordOp, UserPatch};
use crate::store::{AuditEntry, AuditQuery};

fn list(values: Vec<Value>) -> Response {
    Json(json!({ "value": values })).into_response()
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    display_name: String,
    password: String,
    role: String,
    #[serde(default)]
    disabled: bool,
}

pub async fn list_users(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    Ok(list(app.list_users(&access).await?))
}

/// `GET /members`: the people of the workspace, for every member (owner names, assignment).
pub async fn list_members(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    Ok(list(app.list_members(&access).await?))
}

pub async fn create_user(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let new: NewUser = parse(body)?;
    let user = app
        .create_user(
            &access,
            &new.email,
            &new.display_name,
            &new.password,
            &new.role,
            false,
        )
        .await?;
    if new.disabled {
        let patch = UserPatch {
            disabled: Some(true),
            ..UserPatch::default()
        };
        return Ok(created(app.update_user(&access, &user.id, patch).await?));
    }
    Ok(created(app.get_user(&access, &user.id).await?))
}

pub async fn get_user(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(Json(app.get_user(&access, &id).await?).into_response())
}

pub async fn patch_user(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let patch: UserPatch = parse(body)?;
    Ok(Json(app.update_user(&access, &id, patch).await?).into_response())
}

pub async fn delete_user(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    app.delete_user(&access, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    name: Option<String>,
    members: Option<Vec<String>>,
}

pub async fn list_teams(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    Ok(list(app.list_teams(&access).await?))
}

pub async fn create_team(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let team: TeamBody = parse(body)?;
    let name = team.name.unwrap_or_default();
    Ok(created(
        app.create_team(&access, &name, &team.members.unwrap_or_default())
            .await?,
    ))
}

pub async fn get_team(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(Json(app.get_team(&access, &id).await?).into_response())
}

pub async fn patch_team(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let team: TeamBody = parse(body)?;
    Ok(Json(
        app.update_team(&access, &id, team.name.as_deref(), team.members.as_deref())
            .await?,
    )
    .into_response())
}

pub async fn delete_team(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    app.delete_team(&access, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    name: Option<String>,
    #[serde(default)]
    description: String,
    permissions: Value,
}

pub async fn list_roles(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    Ok(list(app.list_roles(&access).await?))
}

pub async fn create_role(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let role: RoleBody = parse(body)?;
    let name = role.name.unwrap_or_default();
    Ok(created(
        app.put_role(&access, &name, &role.description, &role.permissions, true)
            .await?,
    ))
}

pub async fn get_role(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response> {
    Ok(Json(app.get_role(&access, &name).await?).into_response())
}

pub async fn put_role(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let role: RoleBody = parse(body)?;
    if role.name.as_ref().is_some_and(|n| *n != name) {
        return Err(Error::unprocessable(
            "name_mismatch",
            "a role's name cannot change; create a new role instead",
            vec![crate::error::FieldError::new("/name", "const", name)],
        ));
    }
    Ok(Json(
        app.put_role(&access, &name, &role.description, &role.permissions, false)
            .await?,
    )
    .into_response())
}

pub async fn delete_role(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    app.delete_role(&access, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: String,
    expires_at: String,
}

pub async fn list_tokens(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    Ok(list(app.list_tokens(&access).await?))
}

pub async fn create_token(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let token: NewToken = parse(body)?;
    let mut response = created(
        app.create_token(&access, &token.name, &token.role, &token.expires_at)
            .await?,
    );
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn revoke_token(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    app.revoke_token(&access, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWorkspaceAdmin {
    email: String,
    password: String,
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWorkspace {
    id: String,
    name: String,
    admin: NewWorkspaceAdmin,
}

pub async fn list_workspaces(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    Ok(list(app.list_workspaces(&access).await?))
}

pub async fn create_workspace(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let new: NewWorkspace = parse(body)?;
    let admin_name = new
        .admin
        .display_name
        .clone()
        .unwrap_or_else(|| new.admin.email.clone());
    Ok(created(
        app.create_workspace(
            &access,
            &new.id,
            &new.name,
            &new.admin.email,
            &new.admin.password,
            &admin_name,
        )
        .await?,
    ))
}

pub async fn delete_workspace(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    app.delete_workspace(&access, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query of `/audit` and `/history`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    subject_kind: Option<String>,
    subject_type: Option<String>,
    subject_id: Option<String>,
    actor_id: Option<String>,
    action: Option<String>,
    since: Option<String>,
    until: Option<String>,
    #[serde(rename = "$top")]
    top: Option<String>,
    cursor: Option<String>,
}

const MAX_AUDIT_TOP: u32 = 500;

fn audit_query(params: AuditParams) -> Result<AuditQuery> {
    let limit = match params.top.as_deref() {
        Some(text) => crate::query::parse_top(text, MAX_AUDIT_TOP)?,
        None => 50,
    };
    let after = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(cursor) => Some(
            cursor
                .split_once('~')
                .map(|(at, id)| (at.to_owned(), id.to_owned()))
                .ok_or_else(|| {
                    Error::bad_request("invalid_cursor", "the cursor is not one this endpoint made")
                })?,
        ),
        None => None,
    };
    for (name, value) in [("since", &params.since), ("until", &params.until)] {
        if let Some(value) = value
            && crate::clock::parse(value).is_none()
        {
            return Err(Error::bad_request(
                "invalid_query",
                format!("{name} must be an RFC 3339 time, e.g. 2026-11-23T10:00:00Z"),
            ));
        }
    }
    Ok(AuditQuery {
        subject_kind: params.subject_kind,
        subject_type: params.subject_type,
        subject_id: params.subject_id,
        actor_id: params.actor_id,
        action: params.action,
        since: params
            .since
            .as_deref()
            .and_then(crate::clock::parse)
            .map(crate::clock::format),
        until: params
            .until
            .as_deref()
            .and_then(crate::clock::parse)
            .map(crate::clock::format),
        after,
        limit: i64::from(limit) + 1,
    })
}

fn entry_json(entry: &AuditEntry, hidden: &[String]) -> Value {
    let parse = |text: &Option<String>| {
        text.as_deref().map(|t| {
            let mut value: Value = serde_json::from_str(t).unwrap_or(Value::Null);
            if let Some(object) = value.as_object_mut() {
                for field in hidden {
                    object.remove(field);
                }
            }
            value
        })
    };
    let changed: Option<Vec<String>> = entry
        .changed
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .map(|names: Vec<String>| names.into_iter().filter(|n| !hidden.contains(n)).collect());
    json!({
        "id": entry.id,
        "at": entry.at,
        "actor": {"kind": entry.actor_kind, "id": entry.actor_id, "name": entry.actor_name},
        "via": entry.via,
        "request_id": entry.request_id,
        "action": entry.action,
        "subject": {"kind": entry.subject_kind, "type": entry.subject_type, "id": entry.subject_id},
        "before": parse(&entry.before),
        "after": parse(&entry.after),
        "changed": changed,
    })
}

fn page(mut entries: Vec<AuditEntry>, limit: i64, hidden: &[String]) -> Response {
    let more = entries.len() as i64 >= limit;
    if more {
        entries.truncate((limit - 1) as usize);
    }
    let next_cursor = more
        .then(|| entries.last().map(|e| format!("{}~{}", e.at, e.id)))
        .flatten();
    Json(json!({
        "value": entries.iter().map(|e| entry_json(e, hidden)).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
    }))
    .into_response()
}

/// `GET /api/v1/audit`
pub async fn audit(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Query(params): Query<AuditParams>,
) -> Result<Response> {
    access.require_audit()?;
    let query = audit_query(params)?;
    let entries = app.store.list_audit(&access.workspace, &query).await?;
    Ok(page(entries, query.limit, &[]))
}

/// `GET /api/v1/records/{type}/{id}/history`
pub async fn history(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id)): Path<(String, String)>,
    Query(params): Query<AuditParams>,
) -> Result<Response> {
    app.authorized_record(&access, &type_name, &id, RecordOp::Read)
        .await?;
    let mut query = audit_query(AuditParams {
        top: params.top,
        cursor: params.cursor,
        ..AuditParams::default()
    })?;
    query.subject_kind = Some("record".to_owned());
    query.subject_type = Some(type_name.clone());
    query.subject_id = Some(id);
    let entries = app.store.list_audit(&access.workspace, &query).await?;
    let hidden = access.hidden_fields(&type_name);
    Ok(page(entries, query.limit, &hidden))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assign {
    owned_by: Option<String>,
    #[serde(default)]
    owning_team: Option<String>,
}

/// `POST /api/v1/records/{type}/{id}/assign`
pub async fn assign(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let assign: Assign = parse(body)?;
    let record = app
        .assign_record(
            &access,
            &type_name,
            &id,
            assign.owned_by.as_deref(),
            assign.owning_team.as_deref(),
        )
        .await?;
    Ok(super::records::record_response(StatusCode::OK, &record))
}
