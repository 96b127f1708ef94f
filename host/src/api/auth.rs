//! Authentication over HTTP: the middleware that turns a session cookie or bearer token into
//! the request's [`Access`] (with CSRF checks for cookies), sign-in and sign-out, and the
//! client-address, rate-limit and security-header layers.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Extension;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::body::JsonBody;
use super::problem::REQUEST_ID;
use crate::config::HttpSecurity;
use crate::error::{Error, FieldError, Result};
use crate::service::access::REQUEST_ACCESS;
use crate::service::auth::{TOKEN_PREFIX, csrf_matches};
use crate::service::{Access, App, Credential, Origin};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "xrm_session";
/// The header a cookie-authenticated, state-changing request carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The address the request came from, when the server knows it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

/// The session secret of a cookie-authenticated request (for sign-out and password changes).
#[derive(Debug, Clone)]
pub struct SessionSecret(pub String);

/// Reads the session cookie from the `Cookie` headers.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The credential of a request: a bearer token first, else the session cookie.
fn credential(headers: &HeaderMap) -> Result<Option<Credential>> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or_else(|| Error::Unauthenticated {
                code: "unauthenticated",
                detail: "the Authorization header must be 'Bearer xrm_…'".to_owned(),
            })?;
        return Ok(Some(Credential::Token(token.to_owned())));
    }
    Ok(session_cookie(headers).map(Credential::Session))
}

fn origin(request: &Request) -> Origin {
    Origin {
        via: format!("{} {}", request.method(), request.uri().path()),
        request_id: REQUEST_ID.try_with(Clone::clone).ok(),
    }
}

/// Authenticates every API request it wraps; the handlers then find [`Access`] in the request's
/// extensions, and plugins running for the request find it in [`REQUEST_ACCESS`].
pub async fn require(
    State(app): State<Arc<App>>,
    mut request: Request,
    next: Next,
) -> Result<Response> {
    let credential = credential(request.headers())?.ok_or_else(Error::unauthenticated)?;
    let access = app.authenticate(&credential, &origin(&request)).await?;
    if let Credential::Session(secret) = &credential {
        let safe = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        let presented = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !safe && !csrf_matches(secret, presented) {
            return Err(Error::Forbidden {
                code: "csrf_failed",
                detail: format!(
                    "a request signed in by cookie must send the session's csrf_token in the {CSRF_HEADER} header"
                ),
            });
        }
        request
            .extensions_mut()
            .insert(SessionSecret(secret.clone()));
    }
    request.extensions_mut().insert(access.clone());
    Ok(REQUEST_ACCESS.scope(access, next.run(request)).await)
}

/// Records the client's address for throttling (from the connection, never from headers a
/// client could forge).
pub async fn client_address(mut request: Request, next: Next) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    request.extensions_mut().insert(ClientAddress(address));
    next.run(request).await
}

/// A token bucket per client address: `rate` requests a second with a burst of `rate`.
#[derive(Default)]
pub struct RateLimiter {
    rate: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token; `Err(seconds)` when the bucket is empty.
    fn take(&self, address: IpAddr) -> std::result::Result<(), u64> {
        if self.rate == 0 {
            return Ok(());
        }
        let rate = f64::from(self.rate);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() > 100_000 {
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs() < 60);
        }
        let (tokens, at) = buckets.entry(address).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(rate);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// Refuses requests beyond the per-address rate with 429 `rate_limited`.
pub async fn rate_limit(
    Extension(limiter): Extension<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .and_then(|a| a.0);
    if let Some(address) = address
        && let Err(retry_after_secs) = limiter.take(address)
    {
        return Error::TooManyRequests {
            code: "rate_limited",
            detail: format!("too many requests from your address; retry in {retry_after_secs} s"),
            retry_after_secs,
        }
        .into_response();
    }
    next.run(request).await
}

/// Security headers on every response.
pub async fn security_headers(
    Extension(http): Extension<Arc<HttpSecurity>>,
    request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    let policy = if api {
        "default-src 'none'; frame-ancestors 'none'"
    } else {
        // The admin UI: its own scripts and styles (inline styles for the grid and charts).
        // No eval: the UI validates JSON Schema without compiling it to code.
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    if http.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    workspace: String,
    email: String,
    password: String,
}

/// Reads a JSON body into its expected shape, or 422 `invalid_body` naming what is wrong.
pub(super) fn parse_body<T: for<'de> Deserialize<'de>>(body: Value) -> Result<T> {
    serde_json::from_value(body).map_err(|error| {
        Error::unprocessable(
            "invalid_body",
            format!("the request body does not have the expected members: {error}"),
            vec![FieldError::new("", "type", error.to_string())],
        )
    })
}

fn session_cookie_header(secret: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .expect("a cookie of URL-safe characters is a valid header")
}

/// `POST /api/v1/auth/login`
pub async fn login(
    State(app): State<Arc<App>>,
    Extension(address): Extension<ClientAddress>,
    Extension(http): Extension<Arc<HttpSecurity>>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let login: Login = parse_body(body)?;
    let origin = Origin {
        via: "POST /api/v1/auth/login".to_owned(),
        request_id: REQUEST_ID.try_with(Clone::clone).ok(),
    };
    let (secret, session) = app
        .login(
            &login.workspace,
            &login.email,
            &login.password,
            address.0,
            &origin,
        )
        .await?;
    let mut response = (StatusCode::OK, axum::Json(session)).into_response();
    let max_age = app.settings.auth.session_ttl.as_secs();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header(&secret, max_age, http.secure_cookies),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /api/v1/auth/session`
pub async fn session(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    secret: Option<Extension<SessionSecret>>,
) -> Result<Response> {
    let Some(Extension(SessionSecret(secret))) = secret else {
        return Err(Error::bad_request(
            "not_a_session",
            "this request is authenticated by a token, not a session",
        ));
    };
    let mut response = axum::Json(app.current_session(&access, &secret).await?).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /api/v1/auth/logout`
pub async fn logout(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    Extension(http): Extension<Arc<HttpSecurity>>,
    secret: Option<Extension<SessionSecret>>,
) -> Result<Response> {
    if let Some(Extension(SessionSecret(secret))) = secret {
        app.logout(&access, &secret).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header("", 0, http.secure_cookies),
    );
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `PUT /api/v1/auth/password`
pub async fn change_password(
    State(app): State<Arc<App>>,
    Extension(access): Extension<Access>,
    secret: Option<Extension<SessionSecret>>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode> {
    let change: PasswordChange = parse_body(body)?;
    let secret = secret.map(|Extension(SessionSecret(secret))| secret);
    app.change_password(
        &access,
        secret.as_deref(),
        &change.current_password,
        &change.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; xrm_session=abc123 ; other=1"),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some("abc123"));
        assert!(matches!(
            credential(&headers).unwrap(),
            Some(Credential::Session(s)) if s == "abc123"
        ));
    }

    #[test]
    fn a_bearer_token_wins_and_must_look_like_one() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xrm_abc"),
        );
        headers.insert(header::COOKIE, HeaderValue::from_static("xrm_session=s"));
        assert!(
            matches!(credential(&headers).unwrap(), Some(Credential::Token(t)) if t == "xrm_abc")
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic Zm9v"),
        );
        assert_eq!(credential(&headers).unwrap_err().status(), 401);
    }

    #[test]
    fn the_rate_limiter_allows_a_burst_then_refuses() {
        let limiter = RateLimiter::new(3);
        let address: IpAddr = "192.0.2.9".parse().unwrap();
        for _ in 0..3 {
            limiter.take(address).unwrap();
        }
        assert!(limiter.take(address).is_err());
        assert!(limiter.take("192.0.2.10".parse().unwrap()).is_ok());
        assert!(RateLimiter::new(0).take(address).is_ok());
    }
}
