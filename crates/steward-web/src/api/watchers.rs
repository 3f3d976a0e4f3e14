//! `/tickets/{id}/watchers`: the people copied on a ticket's public replies (staff).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{PersonId, TicketId};
use steward_store::mail::Watcher;
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

/// Someone who receives copies of a ticket's public replies.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatcherOut {
    pub person_id: i64,
    pub name: String,
    pub email: String,
    pub active: bool,
}

impl From<Watcher> for WatcherOut {
    fn from(w: Watcher) -> Self {
        WatcherOut {
            person_id: w.person.0,
            name: w.name,
            email: w.email,
            active: w.active,
        }
    }
}

/// Who to copy: a known person's address, or a new one (who becomes a requester).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatcherIn {
    pub email: String,
}

/// The ticket's watchers (staff).
#[utoipa::path(get, path = "/tickets/{id}/watchers", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<WatcherOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<WatcherOut>>> {
    let w = s.service.watchers(caller.actor(), TicketId(id)).await?;
    Ok(Json(w.into_iter().map(WatcherOut::from).collect()))
}

/// Copy someone on the ticket's public replies (staff). Adding someone twice changes nothing.
#[utoipa::path(post, path = "/tickets/{id}/watchers", tag = "tickets", params(("id" = i64, Path)), request_body = WatcherIn,
    responses((status = 201, body = WatcherOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<WatcherIn>,
) -> ApiResult<(StatusCode, Json<WatcherOut>)> {
    let w = s
        .service
        .add_watcher(caller.actor(), TicketId(id), &b.email)
        .await?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

/// Stop copying someone (staff).
#[utoipa::path(delete, path = "/tickets/{id}/watchers/{person_id}", tag = "tickets",
    params(("id" = i64, Path), ("person_id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, person)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    s.service
        .remove_watcher(caller.actor(), TicketId(id), PersonId(person))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
