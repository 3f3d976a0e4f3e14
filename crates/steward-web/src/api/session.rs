//! Signing in and out with a password (for browsers and scripts that prefer cookies), and `/me`.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_service::{SignIn, SignedIn};
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
    /// Your role signs in with a second factor and you have none yet: set it up
    /// (`POST /me/two-factor`) before anything else.
    pub two_factor_setup_required: bool,
}

/// The password was right; now the code from the authenticator app (or a recovery code).
/// (No `Debug`: it holds a secret.)
#[derive(Serialize, ToSchema)]
pub struct ChallengeOut {
    /// Send with the code to `POST /auth/login/two-factor` within 5 minutes.
    pub two_factor_challenge: String,
}

/// The second step of signing in.
/// (No `Debug`: it holds a secret.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorIn {
    pub challenge: String,
    /// Six digits from the app, or a recovery code.
    pub code: String,
}

/// An e-mail address (to mail a link to).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailIn {
    pub email: String,
}

fn signed_in(s: &AppState, secret: &str, person: steward_domain::Person) -> Response {
    let mut res = Json(MeOut {
        password_change_required: person.must_change_password,
        two_factor_setup_required: false,
        person: person.into(),
    })
    .into_response();
    let max_age = steward_service::SESSION_LIFETIME.as_secs();
    if let Some(c) = cookie(s, secret, max_age) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
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

/// Sign in; sets the session cookie. With two-factor sign-in, answers `202` with a challenge
/// instead, for `POST /auth/login/two-factor`. Repeated failures are refused for a while (429).
#[utoipa::path(post, path = "/auth/login", tag = "session", request_body = LoginIn, security(()),
    responses((status = 200, body = MeOut), (status = 202, body = ChallengeOut), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    client: ClientMeta,
    ApiJson(b): ApiJson<LoginIn>,
) -> ApiResult<Response> {
    let outcome = s
        .service
        .sign_in(SignIn {
            email: b.email,
            password: b.password,
            user_agent: client.user_agent,
            ip: client.ip,
        })
        .await?;
    Ok(match outcome {
        SignedIn::Session { secret, person } => signed_in(&s, &secret, person),
        SignedIn::SecondFactor { challenge, .. } => (
            StatusCode::ACCEPTED,
            Json(ChallengeOut {
                two_factor_challenge: challenge,
            }),
        )
            .into_response(),
    })
}

/// Sign in, second step: the challenge and a code from the authenticator app (or an unused
/// recovery code). Five wrong codes end the challenge.
#[utoipa::path(post, path = "/auth/login/two-factor", tag = "session", request_body = SecondFactorIn, security(()),
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
pub async fn login_second_factor(
    State(s): State<AppState>,
    client: ClientMeta,
    ApiJson(b): ApiJson<SecondFactorIn>,
) -> ApiResult<Response> {
    let (secret, person) = s
        .service
        .sign_in_second_factor(&b.challenge, &b.code, &client.user_agent, &client.ip)
        .await?;
    Ok(signed_in(&s, &secret, person))
}

/// "Forgot your password?": mails a link (valid 30 minutes) to choose a new one. The answer is
/// the same whether or not the address has an account.
#[utoipa::path(post, path = "/auth/password-reset", tag = "session", request_body = EmailIn, security(()),
    responses((status = 202), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn password_reset(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<EmailIn>,
) -> ApiResult<StatusCode> {
    s.service.request_password_reset(&b.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Requesters (when enabled): mails a sign-in link (valid 15 minutes, one use). The answer is the
/// same whether or not the address has an account.
#[utoipa::path(post, path = "/auth/sign-in-link", tag = "session", request_body = EmailIn, security(()),
    responses((status = 202), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn sign_in_link(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<EmailIn>,
) -> ApiResult<StatusCode> {
    s.service.request_sign_in_link(&b.email).await?;
    Ok(StatusCode::ACCEPTED)
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
        two_factor_setup_required: caller.0.two_factor_missing,
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
