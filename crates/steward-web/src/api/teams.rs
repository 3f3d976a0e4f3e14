//! `/teams` and their members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{PersonId, Team, TeamId, TeamMember, Timestamp};
use steward_service::{NewTeam, TeamPatch};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Caller, OptionalJson};
use crate::AppState;

/// A team, which is also a queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Present when one team is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberOut>>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub person_id: i64,
    /// Team leads receive escalations.
    pub lead: bool,
}

fn team_out(t: Team, members: Option<Vec<TeamMember>>) -> TeamOut {
    TeamOut {
        id: t.id.0,
        name: t.name,
        description: t.description,
        members: members.map(members_out),
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

fn members_out(m: Vec<TeamMember>) -> Vec<MemberOut> {
    m.into_iter()
        .map(|m| MemberOut {
            person_id: m.person_id.0,
            lead: m.lead,
        })
        .collect()
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamIn {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Changes to a team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamIn {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Membership details.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    #[serde(default)]
    pub lead: bool,
}

/// List teams (staff).
#[utoipa::path(get, path = "/teams", tag = "teams",
    responses((status = 200, body = Vec<TeamOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<TeamOut>>> {
    let teams = s.service.list_teams(caller.actor()).await?;
    Ok(Json(teams.into_iter().map(|t| team_out(t, None)).collect()))
}

/// Create a team (admins and managers).
#[utoipa::path(post, path = "/teams", tag = "teams", request_body = CreateTeamIn,
    responses((status = 201, body = TeamOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateTeamIn>,
) -> ApiResult<(StatusCode, Json<TeamOut>)> {
    let t = s
        .service
        .create_team(
            caller.actor(),
            NewTeam {
                name: b.name,
                description: b.description,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(team_out(t, Some(vec![])))))
}

/// A team and its members (staff).
#[utoipa::path(get, path = "/teams/{id}", tag = "teams", params(("id" = i64, Path)),
    responses((status = 200, body = TeamOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TeamOut>> {
    let (t, m) = s.service.get_team(caller.actor(), TeamId(id)).await?;
    Ok(Json(team_out(t, Some(m))))
}

/// Change a team (admins and managers).
#[utoipa::path(patch, path = "/teams/{id}", tag = "teams", params(("id" = i64, Path)), request_body = UpdateTeamIn,
    responses((status = 200, body = TeamOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateTeamIn>,
) -> ApiResult<Json<TeamOut>> {
    let t = s
        .service
        .update_team(
            caller.actor(),
            TeamId(id),
            TeamPatch {
                name: b.name,
                description: b.description,
            },
        )
        .await?;
    Ok(Json(team_out(t, None)))
}

/// Add a member of staff to a team, or change whether they lead it (admins and managers).
#[utoipa::path(put, path = "/teams/{id}/members/{person_id}", tag = "teams",
    params(("id" = i64, Path), ("person_id" = i64, Path)), request_body = MemberIn,
    responses((status = 200, body = Vec<MemberOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_member(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, person)): ApiPath<(i64, i64)>,
    body: OptionalJson<MemberIn>,
) -> ApiResult<Json<Vec<MemberOut>>> {
    // The body is optional: an empty PUT adds a plain member.
    let lead = body.0.unwrap_or_default().lead;
    let m = s
        .service
        .set_team_member(caller.actor(), TeamId(id), PersonId(person), lead)
        .await?;
    Ok(Json(members_out(m)))
}

/// Remove a member from a team (admins and managers).
#[utoipa::path(delete, path = "/teams/{id}/members/{person_id}", tag = "teams",
    params(("id" = i64, Path), ("person_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_member(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, person)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    s.service
        .remove_team_member(caller.actor(), TeamId(id), PersonId(person))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How a team hands out new tickets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentIo {
    /// `round_robin`, `least_open`, or null (nobody is chosen: the team takes tickets itself).
    pub mode: Option<steward_domain::assign::AssignMode>,
}

/// How the team hands out new tickets (staff).
#[utoipa::path(get, path = "/teams/{id}/assignment", tag = "teams", params(("id" = i64, Path)),
    responses((status = 200, body = AssignmentIo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_assignment(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AssignmentIo>> {
    let mode = s
        .service
        .team_assignment(caller.actor(), TeamId(id))
        .await?;
    Ok(Json(AssignmentIo { mode }))
}

/// Set how the team hands out new tickets: to its staff who are not away, in turn or to the least
/// busy (admins and managers).
#[utoipa::path(put, path = "/teams/{id}/assignment", tag = "teams", params(("id" = i64, Path)), request_body = AssignmentIo,
    responses((status = 200, body = AssignmentIo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_assignment(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AssignmentIo>,
) -> ApiResult<Json<AssignmentIo>> {
    s.service
        .set_team_assignment(caller.actor(), TeamId(id), b.mode)
        .await?;
    Ok(Json(b))
}
