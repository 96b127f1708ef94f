//! The admin UI: a single-page app whose built files are served from a directory, so the UI is
//! rebuilt without rebuilding the host. Every path outside `/api/` that is not a file answers
//! `index.html`, where the app's router takes over; `/api/…` never falls back to the UI, so an
//! unknown API route stays a 404 problem document.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{any, get};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The routes of the UI, used as the host router's fallback.
pub fn router(dir: &Path) -> Router {
    let api_fallback = Router::new()
        .route("/api", any(super::not_found))
        .route("/api/{*rest}", any(super::not_found));
    let index = dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(dir = %dir.display(), "the admin UI is not built; / answers a hint (run scripts/demo or npm run build in admin-ui)");
        return api_fallback
            .route("/", get(not_built))
            .fallback(super::not_found);
    }
    // Hashed asset names change with their content, so they may be cached for good; index.html
    // must be revalidated so a new build is picked up.
    let assets = Router::new()
        .nest_service("/assets", ServeDir::new(dir.join("assets")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));
    let app = Router::new()
        .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(&index)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ));
    api_fallback.merge(assets).merge(app)
}

async fn not_built() -> impl IntoResponse {
    Html(
        "<!doctype html><meta charset=utf-8><title>xrm</title>\
         <p>The xrm admin UI is not built. Run <code>./scripts/demo</code>, or \
         <code>npm ci &amp;&amp; npm run build</code> in <code>admin-ui/</code>, or point \
         <code>--ui-dir</code> at a build. The API is at <a href=/api/v1/openapi.json>/api/v1</a>.</p>",
    )
}
