//! `/tokens`: one's own API tokens (and, for admins, anyone's).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{PersonId, Timestamp, TokenId};
use steward_store::auth::TokenRecord;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// An API token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub person_id: i64,
    pub label: String,
    /// The first characters after `stw_`, to tell tokens apart.
    pub prefix: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<TokenRecord> for TokenOut {
    fn from(t: TokenRecord) -> Self {
        TokenOut {
            id: t.id.0,
            person_id: t.person_id.0,
            label: t.label,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token and its secret. The secret is shown only here, once.
/// (No `Debug`: it holds a secret.)
#[derive(Serialize, ToSchema)]
pub struct TokenCreatedOut {
    pub token: TokenOut,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenIn {
    pub label: String,
    /// Days until it stops working (1–3650); never, when absent.
    pub expires_in_days: Option<u32>,
    /// Admins only: whose token. Default: your own.
    pub person_id: Option<i64>,
}

/// Whose tokens to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// Admins only: another person's id. Default: your own.
    pub person_id: Option<i64>,
}

/// The person a request is about: another one named by `person_id` (whether the caller may is
/// for the use case to decide), or the caller.
pub(crate) fn me_or(caller: &Caller, other: Option<i64>) -> ApiResult<PersonId> {
    match (other, caller.actor().person_id) {
        (Some(p), _) => Ok(PersonId(p)),
        (None, Some(me)) => Ok(me),
        (None, None) => Err(ApiError::invalid("person_id", "person_id: is required")),
    }
}

/// List API tokens.
#[utoipa::path(get, path = "/tokens", tag = "tokens", params(TokenQuery),
    responses((status = 200, body = Vec<TokenOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> ApiResult<Json<Vec<TokenOut>>> {
    let person = me_or(&caller, q.person_id)?;
    let ts = s.service.list_tokens(caller.actor(), person).await?;
    Ok(Json(ts.into_iter().map(Into::into).collect()))
}

/// Create an API token; its secret is in the response and nowhere else.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = CreateTokenIn,
    responses((status = 201, body = TokenCreatedOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateTokenIn>,
) -> ApiResult<(StatusCode, Json<TokenCreatedOut>)> {
    let person = me_or(&caller, b.person_id)?;
    let created = s
        .service
        .create_token(caller.actor(), person, &b.label, b.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreatedOut {
            token: created.token.into(),
            secret: created.secret,
        }),
    ))
}

/// Revoke an API token; it stops working at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 200, body = TokenOut), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TokenOut>> {
    Ok(Json(
        s.service
            .revoke_token(caller.actor(), TokenId(id))
            .await?
            .into(),
    ))
}
