//! The HTTP API: routes, extractors and the mapping of errors to problem documents.
//! Handlers are thin: they read the request, call the service layer, and shape the response.

mod body;
mod entity_types;
mod openapi;
pub mod ops;
mod packages;
mod plugin_admin;
mod problem;
mod records;
mod ui;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use self::body::{BodyLimit, DEFAULT_BODY_LIMIT};
pub use self::openapi::build as openapi_document;
pub use self::records::DEFAULT_WORKSPACE;
use crate::error::Error;
use crate::service::App;

/// Body limit of the bulk endpoint: up to `MAX_BULK_ITEMS` records.
pub const BULK_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Every route of the host; paths outside the API serve the admin UI from `ui_dir`.
pub fn router(app: Arc<App>, body_limit: usize, ui_dir: &Path) -> Router {
    // Install the recorder before the first request, or its metrics would go nowhere.
    ops::metrics_handle();
    let single = Router::new()
        .route(
            "/api/v1/entity-types",
            get(entity_types::list).post(entity_types::create),
        )
        .route(
            "/api/v1/entity-types/{name}",
            get(entity_types::get)
                .put(entity_types::update)
                .delete(entity_types::delete),
        )
        .route(
            "/api/v1/entity-types/{name}/versions",
            get(entity_types::versions),
        )
        .route(
            "/api/v1/entity-types/{name}/versions/{version}",
            get(entity_types::version),
        )
        .route(
            "/api/v1/records/{type}",
            get(records::list).post(records::create),
        )
        .route(
            "/api/v1/records/{type}/{id}",
            get(records::get)
                .put(records::replace)
                .patch(records::patch)
                .delete(records::delete),
        )
        .route(
            "/api/v1/records/{type}/{id}/related/{source_type}",
            get(records::related),
        )
        .route(
            "/api/v1/records/{type}/{id}/actions/{name}",
            post(packages::action),
        )
        .route(
            "/api/v1/packages/{name}/plugins/{plugin}/settings",
            axum::routing::put(plugin_admin::put_settings),
        )
        .route("/api/v1/packages/{name}/stats", get(plugin_admin::stats))
        .route(
            "/api/v1/packages/{name}/failures",
            get(plugin_admin::failures),
        )
        .route(
            "/api/v1/packages/{name}/schedules",
            get(plugin_admin::schedules),
        )
        .route(
            "/api/v1/packages/{name}/plugins/{plugin}/schedules/{schedule}/run",
            post(plugin_admin::run_schedule),
        )
        .route("/api/v1/plugin-jobs", get(plugin_admin::list_jobs))
        .route(
            "/api/v1/plugin-jobs/{id}",
            get(plugin_admin::get_job).delete(plugin_admin::discard_job),
        )
        .route(
            "/api/v1/plugin-jobs/{id}/retry",
            post(plugin_admin::retry_job),
        )
        .route(
            "/api/v1/trusted-publishers",
            get(plugin_admin::list_publishers).post(plugin_admin::trust_publisher),
        )
        .route(
            "/api/v1/trusted-publishers/{name}",
            axum::routing::delete(plugin_admin::distrust_publisher),
        )
        .route("/api/v1/reports", get(plugin_admin::list_reports))
        .route("/api/v1/reports/{name}", get(plugin_admin::run_report))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::Extension(BodyLimit(body_limit)));
    let bulk = Router::new()
        .route("/api/v1/records/{type}/bulk", post(records::bulk))
        .layer(DefaultBodyLimit::max(BULK_BODY_LIMIT))
        .layer(axum::Extension(BodyLimit(BULK_BODY_LIMIT)));
    let uploads = Router::new()
        .route(
            "/api/v1/packages",
            get(packages::list).post(packages::install),
        )
        .route(
            "/api/v1/packages/{name}",
            get(packages::get)
                .put(packages::upgrade)
                .delete(packages::uninstall),
        )
        .route("/api/v1/packages/{name}/enable", post(packages::enable))
        .route("/api/v1/packages/{name}/disable", post(packages::disable))
        .layer(DefaultBodyLimit::max(packages::PACKAGE_BODY_LIMIT));
    Router::new()
        .merge(single)
        .merge(bulk)
        .merge(uploads)
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback_service(ui::router(ui_dir))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(ops::request_context))
        .with_state(app)
}

async fn not_found(uri: axum::http::Uri) -> Error {
    Error::not_found(format!("route '{}'", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Error {
    Error::MethodNotAllowed {
        detail: format!("{method} is not allowed on '{}'", uri.path()),
    }
}
