//! `/me/two-factor`: setting up an authenticator app, recovery codes, turning it off; and
//! administrators turning it off for someone who lost their phone.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::PersonId;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Caller, PendingCaller};
use crate::AppState;

/// Whether you sign in with a second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorOut {
    pub enabled: bool,
    /// Your role must.
    pub required: bool,
    pub recovery_codes_left: i64,
}

/// A new authenticator secret, until confirmed with a code.
/// (No `Debug`: it holds a secret.)
#[derive(Serialize, ToSchema)]
pub struct EnrolmentOut {
    /// Base32, to type into the app.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}

/// Recovery codes, shown once.
/// (No `Debug`: they are secrets.)
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesOut {
    pub recovery_codes: Vec<String>,
}

/// A code from the app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeIn {
    pub code: String,
}

/// The current password, to confirm a change.
/// (No `Debug`: it holds a secret.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrentPasswordIn {
    pub current_password: String,
}

/// Your two-factor sign-in.
#[utoipa::path(get, path = "/me/two-factor", tag = "session",
    responses((status = 200, body = TwoFactorOut), (status = 401, body = ErrorBody)))]
pub async fn status(
    State(s): State<AppState>,
    caller: PendingCaller,
) -> ApiResult<Json<TwoFactorOut>> {
    let st = s
        .service
        .two_factor_status(&caller.0.actor, &caller.0.person)
        .await?;
    Ok(Json(TwoFactorOut {
        enabled: st.enabled,
        required: st.required,
        recovery_codes_left: st.recovery_codes_left,
    }))
}

/// Start setting up an authenticator app (a new secret; nothing changes until confirmed).
#[utoipa::path(post, path = "/me/two-factor", tag = "session",
    responses((status = 200, body = EnrolmentOut), (status = 409, body = ErrorBody)))]
pub async fn begin(
    State(s): State<AppState>,
    caller: PendingCaller,
) -> ApiResult<Json<EnrolmentOut>> {
    let e = s.service.begin_two_factor(&caller.0).await?;
    Ok(Json(EnrolmentOut {
        secret: e.secret,
        otpauth_uri: e.uri,
    }))
}

/// Confirm the app with the code it shows: two-factor sign-in is on. Returns recovery codes.
#[utoipa::path(post, path = "/me/two-factor/confirm", tag = "session", request_body = CodeIn,
    responses((status = 200, body = RecoveryCodesOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(s): State<AppState>,
    caller: PendingCaller,
    ApiJson(b): ApiJson<CodeIn>,
) -> ApiResult<Json<RecoveryCodesOut>> {
    let codes = s.service.confirm_two_factor(&caller.0, &b.code).await?;
    Ok(Json(RecoveryCodesOut {
        recovery_codes: codes,
    }))
}

/// New recovery codes; the old ones stop working.
#[utoipa::path(post, path = "/me/two-factor/recovery-codes", tag = "session", request_body = CurrentPasswordIn,
    responses((status = 200, body = RecoveryCodesOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn recovery_codes(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CurrentPasswordIn>,
) -> ApiResult<Json<RecoveryCodesOut>> {
    let codes = s
        .service
        .new_recovery_codes(&caller.0, &b.current_password)
        .await?;
    Ok(Json(RecoveryCodesOut {
        recovery_codes: codes,
    }))
}

/// Turn your two-factor sign-in off.
#[utoipa::path(post, path = "/me/two-factor/off", tag = "session", request_body = CurrentPasswordIn,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn turn_off(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CurrentPasswordIn>,
) -> ApiResult<StatusCode> {
    s.service
        .disable_two_factor(&caller.0, caller.0.person.id, Some(&b.current_password))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Administrators: turn someone's two-factor sign-in off (a lost phone, no recovery codes).
#[utoipa::path(delete, path = "/people/{id}/two-factor", tag = "people", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reset(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service
        .disable_two_factor(&caller.0, PersonId(id), None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
