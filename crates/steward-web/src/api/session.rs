//! Signing in and out with a password (for browsers and scripts that prefer cookies), and `/me`.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_service::SignIn;
use utoipa::ToSchema;

use super::people::PersonOut;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{
    session_cookie, session_set_cookie as cookie, ApiJson, ClientMeta, PendingCaller,
};
use crate::AppState;

/// E-mail address and password.
/// (No `Debug`: it holds a secret.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub email: String,
    pub password: String,
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub person: PersonOut,
    /// The password was a one-time secret: choose a new one (`POST /me/password`) before anything else.
    pub password_change_required: bool,
}

/// A new password.
/// (No `Debug`: it holds a secret.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// Sign in; sets the session cookie. Repeated failures are refused for a while (429).
#[utoipa::path(post, path = "/auth/login", tag = "session", request_body = LoginIn, security(()),
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    client: ClientMeta,
    ApiJson(b): ApiJson<LoginIn>,
) -> ApiResult<Response> {
    let (secret, person) = s
        .service
        .sign_in(SignIn {
            email: b.email,
            password: b.password,
            user_agent: client.user_agent,
            ip: client.ip,
        })
        .await?;
    let mut res = Json(MeOut {
        password_change_required: person.must_change_password,
        person: person.into(),
    })
    .into_response();
    let max_age = steward_service::SESSION_LIFETIME.as_secs();
    if let Some(c) = cookie(&s, &secret, max_age) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// Sign out; ends the session and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "session", security(()), responses((status = 204)))]
pub async fn logout(State(s): State<AppState>, req: Request) -> ApiResult<Response> {
    let (parts, _) = req.into_parts();
    if let Some(secret) = session_cookie(&parts) {
        s.service.sign_out(&secret).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Some(c) = cookie(&s, "", 0) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// Who you are.
#[utoipa::path(get, path = "/me", tag = "session",
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
pub async fn me(caller: PendingCaller) -> Json<MeOut> {
    let p = caller.0.person;
    Json(MeOut {
        password_change_required: p.must_change_password && caller.0.token_id.is_none(),
        person: p.into(),
    })
}

/// Change your password (required after signing in with the one-time secret).
#[utoipa::path(post, path = "/me/password", tag = "session", request_body = PasswordIn,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    caller: PendingCaller,
    ApiJson(b): ApiJson<PasswordIn>,
) -> ApiResult<StatusCode> {
    s.service
        .change_password(&caller.0, &b.current_password, &b.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
