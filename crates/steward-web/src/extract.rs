//! Extractors: JSON, query and path with JSON errors, and [`Caller`], the authenticated person a
//! request comes from. A handler that takes no `Caller` is public; every other one checks who asks.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use steward_domain::Actor;
use steward_service::Authenticated;

use crate::error::ApiError;
use crate::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "steward_session";

/// A JSON body; its errors are JSON errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    e.status(),
                    "payload_too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be absent (an empty body gives `None`).
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0")
            || (req.headers().get(header::CONTENT_LENGTH).is_none()
                && req.headers().get(header::TRANSFER_ENCODING).is_none());
        if empty {
            return Ok(OptionalJson(None));
        }
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| OptionalJson(Some(v)))
    }
}

/// Parses a JSON body: a body that is not JSON at all is a 400; JSON of the wrong shape (unknown
/// or missing fields, wrong types, unknown enum values) is a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => {
            de.end().map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not valid JSON: {e}"),
                )
            })?;
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not valid JSON: {inner}"),
                ));
            }
            let message = if path == "." || path.is_empty() {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            };
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                message,
            ))
        }
    }
}

/// Query parameters; their errors are JSON errors.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ApiError::bad_query(e.body_text()))
    }
}

/// Path parameters; their errors are JSON errors.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text())
            })
    }
}

/// The signed-in person a request comes from: by `Authorization: Bearer <token>`, or by the
/// session cookie. A person who must still replace a one-time password is refused here; the few
/// handlers that let them do so take [`PendingCaller`] instead.
pub struct Caller(pub Authenticated);

impl Caller {
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }
}

/// Like [`Caller`], but also admits a person who must change their password first.
pub struct PendingCaller(pub Authenticated);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PendingCaller(who) = PendingCaller::from_request_parts(parts, state).await?;
        if who.token_id.is_none() && who.person.must_change_password {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "choose a new password first (POST /api/v1/me/password)",
            ));
        }
        if who.two_factor_missing {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "two_factor_required",
                "your role signs in with a second factor: set it up first (POST /api/v1/me/two-factor)",
            ));
        }
        Ok(Caller(who))
    }
}

impl FromRequestParts<AppState> for PendingCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::unauthenticated("use the header Authorization: Bearer <API token>")
                })?;
            return Ok(PendingCaller(state.service.token(token).await?));
        }
        if let Some(secret) = session_cookie(parts) {
            check_same_origin(parts, state.web.public_url.as_deref())?;
            return Ok(PendingCaller(state.service.session(&secret).await?));
        }
        Err(ApiError::unauthenticated(
            "sign in, or send an API token as Authorization: Bearer <token>",
        ))
    }
}

/// A `Set-Cookie` value for the session cookie (an empty value and `max_age` 0 clear it).
pub fn session_set_cookie(
    state: &AppState,
    value: &str,
    max_age: i64,
) -> Option<axum::http::HeaderValue> {
    let secure = if state.web.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    axum::http::HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The value of a cookie by name.
pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The session secret from the `Cookie` header, if any.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    cookie_value(parts, SESSION_COOKIE)
}

/// A request that changes something on the strength of a cookie must come from our own pages: if
/// the browser says where it comes from (`Origin`), that must be the origin of Steward's public URL,
/// or, when none is configured, this host. (SameSite=Lax cookies already keep most cross-site
/// requests out; this closes the rest.)
fn check_same_origin(parts: &Parts, public_url: Option<&str>) -> Result<(), ApiError> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(origin) = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return Ok(());
    };
    let same = match public_url {
        Some(public) => origin.eq_ignore_ascii_case(url_origin(public)),
        None => {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            origin_host.eq_ignore_ascii_case(host)
        }
    };
    if same {
        Ok(())
    } else {
        Err(ApiError::forbidden("cross-origin request refused"))
    }
}

/// `https://desk.example.com/steward/` → `https://desk.example.com`.
fn url_origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// Where a request comes from: the client's address and user agent (for sessions and sign-in limits).
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
}

impl FromRequestParts<AppState> for ClientMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientMeta {
            ip: client_ip(parts, state.web.trust_proxy),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
        })
    }
}

/// The client's address: the peer, or with `trust_proxy` the address the proxy added last to
/// `X-Forwarded-For` (the leftmost entries are whatever the client claimed).
fn client_ip(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy {
        if let Some(ip) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty())
        {
            return ip.chars().take(100).collect();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::url_origin;

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            url_origin("https://desk.example.com"),
            "https://desk.example.com"
        );
        assert_eq!(
            url_origin("https://desk.example.com/"),
            "https://desk.example.com"
        );
        assert_eq!(url_origin("http://h:8080/steward/x"), "http://h:8080");
        assert_eq!(url_origin("h"), "h");
    }
}
