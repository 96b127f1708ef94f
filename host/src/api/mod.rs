//! The HTTP API: routes, extractors and the mapping of errors to problem documents.
//! Handlers are thin: they read the request, call the service layer, and shape the response.

pub mod auth;
mod body;
mod directory;
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
use axum::routing::{delete, get, post, put};

pub use self::body::{BodyLimit, DEFAULT_BODY_LIMIT};
pub use self::openapi::build as openapi_document;
pub use crate::DEFAULT_WORKSPACE;
use crate::config::HttpSecurity;
use crate::error::Error;
use crate::service::App;

/// Body limit of the bulk endpoint: up to `MAX_BULK_ITEMS` records.
pub const BULK_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Every route of the host; paths outside the API serve the admin UI from `ui_dir`. Every
/// `/api/v1` route but sign-in requires a session or token (`auth::require`).
pub fn router(app: Arc<App>, body_limit: usize, ui_dir: &Path, http: &HttpSecurity) -> Router {
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
        .route("/api/v1/auth/session", get(auth::session))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/password", put(auth::change_password))
        .route("/api/v1/members", get(directory::list_members))
        .route(
            "/api/v1/users",
            get(directory::list_users).post(directory::create_user),
        )
        .route(
            "/api/v1/users/{id}",
            get(directory::get_user)
                .patch(directory::patch_user)
                .delete(directory::delete_user),
        )
        .route(
            "/api/v1/teams",
            get(directory::list_teams).post(directory::create_team),
        )
        .route(
            "/api/v1/teams/{id}",
            get(directory::get_team)
                .patch(directory::patch_team)
                .delete(directory::delete_team),
        )
        .route(
            "/api/v1/roles",
            get(directory::list_roles).post(directory::create_role),
        )
        .route(
            "/api/v1/roles/{name}",
            get(directory::get_role)
                .put(directory::put_role)
                .delete(directory::delete_role),
        )
        .route(
            "/api/v1/tokens",
            get(directory::list_tokens).post(directory::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(directory::revoke_token))
        .route(
            "/api/v1/workspaces",
            get(directory::list_workspaces).post(directory::create_workspace),
        )
        .route(
            "/api/v1/workspaces/{id}",
            delete(directory::delete_workspace),
        )
        .route("/api/v1/audit", get(directory::audit))
        .route(
            "/api/v1/records/{type}/{id}/history",
            get(directory::history),
        )
        .route(
            "/api/v1/records/{type}/{id}/assign",
            post(directory::assign),
        )
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
    let signed_in = Router::new()
        .merge(single)
        .merge(bulk)
        .merge(uploads)
        .route("/api/v1/openapi.json", get(openapi::document))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::require,
        ));
    let http = Arc::new(http.clone());
    let mut router = Router::new()
        .merge(signed_in)
        .route(
            "/api/v1/auth/login",
            post(auth::login).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback_service(ui::router(ui_dir))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(auth::rate_limit))
        .layer(axum::Extension(Arc::new(auth::RateLimiter::new(
            http.rate_limit_per_second,
        ))))
        .layer(axum::middleware::from_fn(auth::client_address))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .layer(axum::Extension(http.clone()));
    if !http.cors_origins.is_empty() {
        router = router.layer(cors(&http.cors_origins));
    }
    router
        .layer(axum::middleware::from_fn(ops::request_context))
        .with_state(app)
}

/// CORS for the listed origins: token-authenticated API calls from their pages. Cookies are
/// never allowed cross-origin (`SameSite=Strict`, no credentials here).
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin.trim()).ok())
        .collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

async fn not_found(uri: axum::http::Uri) -> Error {
    Error::not_found(format!("route '{}'", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Error {
    Error::MethodNotAllowed {
        detail: format!("{method} is not allowed on '{}'", uri.path()),
    }
}
