//! Running plugins, for the admin: per-plugin settings, invocation statistics, recent
//! failures, schedules (with "run now"), the outbox of after-change and schedule deliveries
//! (`/api/v1/plugin-jobs`, with dead letters to retry or discard) and the reports plugins offer.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use super::body::JsonBody;
use crate::error::{Error, FieldError, Result};
use crate::service::{Access, App, PluginSettings};

/// Most failures or deliveries one listing returns.
const MAX_LISTED: i64 = 500;

/// `$top` of a listing: 1–500, default 50.
fn top(value: Option<&str>) -> Result<i64> {
    match value {
        None => Ok(50),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_LISTED).contains(&n) => Ok(n),
            _ => Err(Error::bad_request(
                "invalid_query",
                format!("$top must be a whole number from 1 to {MAX_LISTED}, not {text:?}"),
            )),
        },
    }
}

pub async fn put_settings(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((package, plugin)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    access.require_admin()?;
    let settings: PluginSettings = serde_json::from_value(body).map_err(|error| {
        Error::unprocessable(
            "invalid_settings",
            format!("the settings are not valid: {error}"),
            vec![FieldError::new("", "type", error.to_string())],
        )
    })?;
    let package = app
        .set_plugin_settings(
            &access.workspace,
            &package,
            &plugin,
            settings,
            &access.actor,
        )
        .await?;
    Ok(Json(package).into_response())
}

pub async fn stats(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(package): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    let lines = app.package_stats(&access.workspace, &package).await?;
    Ok(Json(json!({ "value": lines })).into_response())
}

#[derive(Deserialize)]
pub struct Listing {
    #[serde(rename = "$top")]
    top: Option<String>,
    status: Option<String>,
    package: Option<String>,
}

pub async fn failures(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(package): Path<String>,
    Query(listing): Query<Listing>,
) -> Result<Response> {
    access.require_admin()?;
    let limit = top(listing.top.as_deref())?;
    let failures = app
        .package_failures(&access.workspace, &package, limit)
        .await?;
    Ok(Json(json!({ "value": failures })).into_response())
}

pub async fn schedules(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(package): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    let schedules = app.package_schedules(&access.workspace, &package).await?;
    Ok(Json(json!({ "value": schedules })).into_response())
}

/// Fires a schedule now; 202 with the delivery it queued.
pub async fn run_schedule(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((package, plugin, schedule)): Path<(String, String, String)>,
) -> Result<Response> {
    access.require_admin()?;
    let job = app
        .run_schedule_now(&access.workspace, &package, &plugin, &schedule)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

pub async fn list_jobs(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Query(listing): Query<Listing>,
) -> Result<Response> {
    access.require_admin()?;
    let limit = top(listing.top.as_deref())?;
    let jobs = app
        .list_jobs(
            &access.workspace,
            listing.status.as_deref(),
            listing.package.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(json!({ "value": jobs })).into_response())
}

pub async fn get_job(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    Ok(Json(app.get_job(&access.workspace, &id).await?).into_response())
}

pub async fn retry_job(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    Ok(Json(app.retry_job(&access.workspace, &id).await?).into_response())
}

pub async fn discard_job(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    app.discard_job(&access.workspace, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_reports(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    access.require_reports()?;
    let reports = app.list_reports(&access.workspace).await?;
    Ok(Json(json!({ "value": reports })).into_response())
}

/// Runs a report; its query parameters are the report's parameters.
pub async fn run_report(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
    Query(parameters): Query<BTreeMap<String, String>>,
) -> Result<Response> {
    access.require_reports()?;
    let report = app
        .run_report(&access.workspace, &name, parameters, &access.actor)
        .await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPublisher {
    name: String,
    public_key: String,
}

pub async fn list_publishers(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    access.require_admin()?;
    let publishers = app.trusted_publishers(&access.workspace).await?;
    Ok(Json(json!({ "value": publishers })).into_response())
}

/// Trusts a publisher key: packages it signs install here. 201 with the publisher.
pub async fn trust_publisher(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    access.require_admin()?;
    let publisher: NewPublisher = serde_json::from_value(body).map_err(|error| {
        Error::unprocessable(
            "invalid_publisher",
            format!("the publisher is not valid: {error}"),
            vec![FieldError::new("", "type", error.to_string())],
        )
    })?;
    let trusted = app
        .trust_publisher(
            &access.workspace,
            &publisher.name,
            &publisher.public_key,
            &access.actor,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(trusted)).into_response())
}

pub async fn distrust_publisher(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    app.distrust_publisher(&access.workspace, &name, &access.actor)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
