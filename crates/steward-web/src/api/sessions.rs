//! `/sessions`: one's own signed-in browsers (and, for administrators, anyone's), and ending them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::Timestamp;
use steward_store::auth::SessionRecord;
use utoipa::{IntoParams, ToSchema};

use super::tokens::me_or;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::AppState;

/// A signed-in browser session (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    /// Names the session for ending it.
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub user_agent: String,
    pub ip: String,
    /// The session this request came with.
    pub current: bool,
}

impl SessionOut {
    pub fn new(s: &SessionRecord, current: Option<&str>) -> Self {
        SessionOut {
            id: s.id().to_string(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            current: current == Some(s.token_hash.as_str()),
        }
    }
}

/// Whose sessions.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// Administrators only: another person's id. Default: your own.
    pub person_id: Option<i64>,
}

/// List live sessions, the most recently used first.
#[utoipa::path(get, path = "/sessions", tag = "session", params(SessionQuery),
    responses((status = 200, body = Vec<SessionOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SessionQuery>,
) -> ApiResult<Json<Vec<SessionOut>>> {
    let person = me_or(&caller, q.person_id)?;
    let current = caller.0.session_hash.as_deref();
    let list = s.service.sessions(caller.actor(), person).await?;
    Ok(Json(
        list.iter().map(|x| SessionOut::new(x, current)).collect(),
    ))
}

/// End a session: that browser is signed out at its next request.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "session", params(("id" = String, Path), SessionQuery),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn end(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SessionQuery>,
) -> ApiResult<StatusCode> {
    let person = me_or(&caller, q.person_id)?;
    s.service
        .end_session_of(caller.actor(), person, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
