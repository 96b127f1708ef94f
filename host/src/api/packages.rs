//! `/api/v1/packages`: install (a tar archive), upgrade, enable, disable and uninstall packages
//! of plugins; `/api/v1/records/{type}/{id}/actions/{name}`: run a plugin's action.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::JsonBody;
use super::records::DEFAULT_WORKSPACE;
use crate::error::{Error, Result};
use crate::plugin::PackageFiles;
use crate::service::{Actor, App};

/// The largest package upload (a tar archive of components and schemas).
pub const PACKAGE_BODY_LIMIT: usize = crate::plugin::package::MAX_PACKAGE_BYTES;

fn actor() -> Actor {
    Actor("anonymous".to_owned())
}

/// A package upload is a tar archive; anything else is refused before it is read.
fn package_files(headers: &HeaderMap, body: &[u8]) -> Result<PackageFiles> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/x-tar" && essence != "application/tar" {
        return Err(Error::UnsupportedMediaType {
            detail: format!(
                "a package is uploaded as a tar archive (Content-Type: application/x-tar), not {:?}",
                content_type
            ),
        });
    }
    PackageFiles::from_tar(body).map_err(|error| {
        Error::unprocessable("invalid_package", error.message.clone(), vec![error])
    })
}

pub async fn list(State(app): State<Arc<App>>) -> Result<Response> {
    let packages = app.list_packages(DEFAULT_WORKSPACE).await?;
    Ok(Json(json!({ "value": packages })).into_response())
}

pub async fn install(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let files = package_files(&headers, &body)?;
    let package = app
        .install_package(DEFAULT_WORKSPACE, files, None, &actor())
        .await?;
    let location = format!(
        "/api/v1/packages/{}",
        package["name"].as_str().unwrap_or_default()
    );
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(package),
    )
        .into_response())
}

pub async fn upgrade(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let files = package_files(&headers, &body)?;
    let package = app
        .install_package(DEFAULT_WORKSPACE, files, Some(&name), &actor())
        .await?;
    Ok(Json(package).into_response())
}

pub async fn get(State(app): State<Arc<App>>, Path(name): Path<String>) -> Result<Response> {
    Ok(Json(app.get_package(DEFAULT_WORKSPACE, &name).await?).into_response())
}

pub async fn enable(State(app): State<Arc<App>>, Path(name): Path<String>) -> Result<Response> {
    Ok(Json(
        app.set_package_enabled(DEFAULT_WORKSPACE, &name, true)
            .await?,
    )
    .into_response())
}

pub async fn disable(State(app): State<Arc<App>>, Path(name): Path<String>) -> Result<Response> {
    Ok(Json(
        app.set_package_enabled(DEFAULT_WORKSPACE, &name, false)
            .await?,
    )
    .into_response())
}

pub async fn uninstall(State(app): State<Arc<App>>, Path(name): Path<String>) -> Result<Response> {
    app.uninstall_package(DEFAULT_WORKSPACE, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Runs a plugin action on a record; the body is the action's input (JSON).
pub async fn action(
    State(app): State<Arc<App>>,
    Path((type_name, id, name)): Path<(String, String, String)>,
    JsonBody(input): JsonBody,
) -> Result<Response> {
    let output: Value = app
        .run_action(DEFAULT_WORKSPACE, &type_name, &id, &name, input, &actor())
        .await?;
    Ok(Json(output).into_response())
}
