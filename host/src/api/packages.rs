//! `/api/v1/packages`: install (a tar archive, optionally with its sample data), upgrade,
//! enable, disable and uninstall packages of plugins and entity types; `/api/v1/records/{type}/{id}/actions/{name}`: run a plugin's action.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use super::body::JsonBody;
use crate::error::{Error, Result};
use crate::plugin::PackageFiles;
use crate::service::{Access, App, InstallOptions};

/// The largest package upload (a tar archive of components and schemas).
pub const PACKAGE_BODY_LIMIT: usize = crate::plugin::package::MAX_PACKAGE_BYTES;

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

pub async fn list(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
) -> Result<Response> {
    let packages: Vec<Value> = app
        .list_packages(&access.workspace)
        .await?
        .into_iter()
        .map(|package| shown_to(&access, package))
        .collect();
    Ok(Json(json!({ "value": packages })).into_response())
}

/// A package as the caller may see it: plugin settings (which may hold credentials for the
/// systems a plugin talks to) only for admins; everyone sees the actions and reports offered.
fn shown_to(access: &Access, mut package: Value) -> Value {
    if !access.permissions.admin
        && let Some(plugins) = package.get_mut("plugins").and_then(Value::as_array_mut)
    {
        for plugin in plugins {
            if let Some(plugin) = plugin.as_object_mut() {
                plugin.remove("settings");
            }
        }
    }
    package
}

/// Options of `POST /api/v1/packages`.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InstallQuery {
    /// Load the package's sample data too.
    #[serde(default)]
    sample_data: bool,
}

/// Options of `PUT /api/v1/packages/{name}`: the entity-type rules' own overrides.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UpgradeQuery {
    #[serde(default)]
    allow_invalid_records: bool,
    #[serde(default)]
    replace_modified_types: bool,
}

fn query_error(rejection: QueryRejection) -> Error {
    Error::bad_request("invalid_query", rejection.body_text())
}

pub async fn install(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    query: std::result::Result<Query<InstallQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    access.require_admin()?;
    let Query(query) = query.map_err(query_error)?;
    let files = package_files(&headers, &body)?;
    let options = InstallOptions {
        sample_data: query.sample_data,
        ..InstallOptions::default()
    };
    let package = app
        .install_package(&access.workspace, files, None, options, &access.actor)
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
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
    query: std::result::Result<Query<UpgradeQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    access.require_admin()?;
    let Query(query) = query.map_err(query_error)?;
    let files = package_files(&headers, &body)?;
    let options = InstallOptions {
        sample_data: false,
        allow_invalid_records: query.allow_invalid_records,
        replace_modified_types: query.replace_modified_types,
    };
    let package = app
        .install_package(
            &access.workspace,
            files,
            Some(&name),
            options,
            &access.actor,
        )
        .await?;
    Ok(Json(package).into_response())
}

pub async fn get(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response> {
    let package = app.get_package(&access.workspace, &name).await?;
    Ok(Json(shown_to(&access, package)).into_response())
}

pub async fn enable(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    Ok(Json(
        app.set_package_enabled(&access.workspace, &name, true, &access.actor)
            .await?,
    )
    .into_response())
}

pub async fn disable(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    Ok(Json(
        app.set_package_enabled(&access.workspace, &name, false, &access.actor)
            .await?,
    )
    .into_response())
}

pub async fn uninstall(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response> {
    access.require_admin()?;
    app.uninstall_package(&access.workspace, &name, &access.actor)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Runs a plugin action on a record; the body is the action's input (JSON).
pub async fn action(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Path((type_name, id, name)): Path<(String, String, String)>,
    JsonBody(input): JsonBody,
) -> Result<Response> {
    app.authorized_record(&access, &type_name, &id, crate::service::RecordOp::Actions)
        .await?;
    let output: Value = app
        .run_action(
            &access.workspace,
            &type_name,
            &id,
            &name,
            input,
            &access.actor,
        )
        .await?;
    Ok(Json(output).into_response())
}
