//! Satisfaction surveys (`/surveys/{token}`: the link's secret is the permission, no sign-in;
//! `/tickets/{id}/ratings`) and the suggestion box (`/suggestions`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{TicketId, Timestamp};
use steward_store::reports::{Suggestion, Survey};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// A satisfaction survey of one resolution.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyOut {
    pub id: i64,
    pub ticket_id: i64,
    /// The resolution it asks about.
    #[schema(value_type = String, format = DateTime)]
    pub resolved_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: Timestamp,
    /// 1 (very dissatisfied) to 5 (very satisfied); null until rated.
    pub rating: Option<u8>,
    pub comment: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub rated_at: Option<Timestamp>,
}

impl From<Survey> for SurveyOut {
    fn from(s: Survey) -> Self {
        SurveyOut {
            id: s.id,
            ticket_id: s.ticket_id.0,
            resolved_at: s.resolved_at,
            sent_at: s.sent_at,
            rating: s.rating,
            comment: s.comment,
            rated_at: s.rated_at,
        }
    }
}

/// A survey as its link shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyLinkOut {
    pub ticket_number: i64,
    pub subject: String,
    pub survey: SurveyOut,
}

impl From<steward_service::SurveyView> for SurveyLinkOut {
    fn from(v: steward_service::SurveyView) -> Self {
        SurveyLinkOut {
            ticket_number: v.number,
            subject: v.subject,
            survey: v.survey.into(),
        }
    }
}

/// A rating.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
}

/// A comment on a rating.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    pub comment: String,
}

/// A survey by its link's secret (no sign-in).
#[utoipa::path(get, path = "/surveys/{token}", tag = "feedback", params(("token" = String, Path)),
    security(()),
    responses((status = 200, body = SurveyLinkOut), (status = 404, body = ErrorBody)))]
pub async fn get_survey(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Json<SurveyLinkOut>> {
    Ok(Json(s.service.survey_by_token(&token).await?.into()))
}

/// Rate through a survey link (no sign-in); once: a second rating is a 409.
#[utoipa::path(post, path = "/surveys/{token}", tag = "feedback", params(("token" = String, Path)),
    security(()), request_body = RatingIn,
    responses((status = 200, body = SurveyLinkOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate_survey(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(b): ApiJson<RatingIn>,
) -> ApiResult<Json<SurveyLinkOut>> {
    Ok(Json(
        s.service
            .rate_by_token(&token, b.rating, &b.comment)
            .await?
            .into(),
    ))
}

/// Add the comment to a rating given through a survey link (once).
#[utoipa::path(post, path = "/surveys/{token}/comment", tag = "feedback", params(("token" = String, Path)),
    security(()), request_body = CommentIn,
    responses((status = 200, body = SurveyLinkOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn comment_survey(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiJson(b): ApiJson<CommentIn>,
) -> ApiResult<Json<SurveyLinkOut>> {
    Ok(Json(
        s.service.comment_by_token(&token, &b.comment).await?.into(),
    ))
}

/// A ticket's satisfaction surveys, oldest first (whoever sees the ticket).
#[utoipa::path(get, path = "/tickets/{id}/ratings", tag = "feedback", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SurveyOut>), (status = 404, body = ErrorBody)))]
pub async fn ticket_ratings(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<SurveyOut>>> {
    let v = s
        .service
        .ticket_surveys(caller.actor(), TicketId(id))
        .await?;
    Ok(Json(v.into_iter().map(Into::into).collect()))
}

/// The requester rates their resolved ticket (its latest survey).
#[utoipa::path(post, path = "/tickets/{id}/ratings", tag = "feedback", params(("id" = i64, Path)),
    request_body = RatingIn,
    responses((status = 200, body = SurveyOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rate_ticket(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RatingIn>,
) -> ApiResult<Json<SurveyOut>> {
    let v = s
        .service
        .rate_ticket(caller.actor(), TicketId(id), b.rating, &b.comment)
        .await?;
    Ok(Json(v.into()))
}

/// Feedback from the suggestion box.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionOut {
    pub id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub organisation_id: Option<i64>,
    pub subject: String,
    pub body: String,
    /// `new`, `planned`, `done` or `declined`.
    pub status: String,
    /// The desk's answer.
    pub response: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Suggestion> for SuggestionOut {
    fn from(s: Suggestion) -> Self {
        SuggestionOut {
            id: s.id,
            author_id: s.author_id.0,
            author_name: s.author_name,
            organisation_id: s.organisation_id.map(|o| o.0),
            subject: s.subject,
            body: s.body,
            status: s.status,
            response: s.response,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A suggestion to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionIn {
    pub subject: String,
    pub body: String,
}

/// A suggestion's triage.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionAnswer {
    /// `new`, `planned`, `done` or `declined`.
    pub status: String,
    #[serde(default)]
    pub response: String,
}

/// Which suggestions.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestionsQuery {
    /// Only those in this status.
    pub status: Option<String>,
}

/// Suggestions, newest first: all for managers and administrators, one's own for everyone else.
#[utoipa::path(get, path = "/suggestions", tag = "feedback", params(SuggestionsQuery),
    responses((status = 200, body = Vec<SuggestionOut>), (status = 422, body = ErrorBody)))]
pub async fn list_suggestions(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SuggestionsQuery>,
) -> ApiResult<Json<Vec<SuggestionOut>>> {
    let status = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let v = s.service.suggestions(caller.actor(), status).await?;
    Ok(Json(v.into_iter().map(Into::into).collect()))
}

/// Put feedback in the suggestion box.
#[utoipa::path(post, path = "/suggestions", tag = "feedback", request_body = SuggestionIn,
    responses((status = 201, body = SuggestionOut), (status = 422, body = ErrorBody)))]
pub async fn create_suggestion(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SuggestionIn>,
) -> ApiResult<(StatusCode, Json<SuggestionOut>)> {
    let v = s
        .service
        .submit_suggestion(caller.actor(), &b.subject, &b.body)
        .await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// One suggestion (its author's; anyone's for managers and administrators).
#[utoipa::path(get, path = "/suggestions/{id}", tag = "feedback", params(("id" = i64, Path)),
    responses((status = 200, body = SuggestionOut), (status = 404, body = ErrorBody)))]
pub async fn get_suggestion(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SuggestionOut>> {
    Ok(Json(s.service.suggestion(caller.actor(), id).await?.into()))
}

/// Triage a suggestion (managers and administrators).
#[utoipa::path(patch, path = "/suggestions/{id}", tag = "feedback", params(("id" = i64, Path)),
    request_body = SuggestionAnswer,
    responses((status = 200, body = SuggestionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_suggestion(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SuggestionAnswer>,
) -> ApiResult<Json<SuggestionOut>> {
    let v = s
        .service
        .answer_suggestion(caller.actor(), id, &b.status, &b.response)
        .await?;
    Ok(Json(v.into()))
}
