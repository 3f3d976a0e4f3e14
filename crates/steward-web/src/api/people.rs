//! `/people`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{OrgId, Person, PersonId, Role, Timestamp};
use steward_service::{NewPersonInput, PersonPatch};
use steward_store::directory::PeopleFilter;
use utoipa::{IntoParams, ToSchema};

use super::{id_cursor, nullable, IdPage, List};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// A requester or a member of staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonOut {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    /// A requester who sees every ticket of their organisation.
    pub org_access: bool,
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Person> for PersonOut {
    fn from(p: Person) -> Self {
        PersonOut {
            id: p.id.0,
            email: p.email,
            name: p.name,
            role: p.role,
            organisation_id: p.organisation_id.map(|o| o.0),
            org_access: p.org_access,
            active: p.active,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A new person.
/// (No `Debug`: it holds a secret.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersonIn {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    #[serde(default)]
    pub org_access: bool,
    /// At least 10 characters. Without one, the person cannot sign in with a password.
    pub password: Option<String>,
}

/// Changes to a person (admins).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersonIn {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub organisation_id: Option<Option<i64>>,
    pub org_access: Option<bool>,
    /// `false` deactivates: sign-in, sessions and tokens stop working; their tickets stay.
    pub active: Option<bool>,
}

/// Filters for the people list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    pub role: Option<Role>,
    pub organisation: Option<i64>,
    /// The start of a name or e-mail address.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// List people (staff).
#[utoipa::path(get, path = "/people", tag = "people", params(PeopleQuery),
    responses((status = 200, body = List<PersonOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PeopleQuery>,
) -> ApiResult<Json<List<PersonOut>>> {
    let (after, limit) = IdPage {
        cursor: query.cursor,
        limit: query.limit,
    }
    .parts()?;
    let people = s
        .service
        .list_people(
            caller.actor(),
            PeopleFilter {
                role: query.role,
                organisation_id: query.organisation.map(OrgId),
                prefix: query.q.filter(|q| !q.trim().is_empty()),
                after: after.map(PersonId),
                limit,
                ..Default::default()
            },
        )
        .await?;
    let next_cursor = id_cursor(people.last().map(|p| p.id.0), people.len(), limit);
    Ok(Json(List {
        items: people.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Create a person (admins).
#[utoipa::path(post, path = "/people", tag = "people", request_body = CreatePersonIn,
    responses((status = 201, body = PersonOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreatePersonIn>,
) -> ApiResult<(StatusCode, Json<PersonOut>)> {
    let p = s
        .service
        .create_person(
            caller.actor(),
            NewPersonInput {
                email: b.email,
                name: b.name,
                role: b.role,
                organisation_id: b.organisation_id.map(OrgId),
                org_access: b.org_access,
                password: b.password,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// A person (staff, or oneself).
#[utoipa::path(get, path = "/people/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = PersonOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PersonOut>> {
    Ok(Json(
        s.service
            .get_person(caller.actor(), PersonId(id))
            .await?
            .into(),
    ))
}

/// Change a person (admins).
#[utoipa::path(patch, path = "/people/{id}", tag = "people", params(("id" = i64, Path)), request_body = UpdatePersonIn,
    responses((status = 200, body = PersonOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdatePersonIn>,
) -> ApiResult<Json<PersonOut>> {
    let p = s
        .service
        .update_person(
            caller.actor(),
            PersonId(id),
            PersonPatch {
                email: b.email,
                name: b.name,
                role: b.role,
                organisation_id: b.organisation_id.map(|o| o.map(OrgId)),
                org_access: b.org_access,
                active: b.active,
            },
        )
        .await?;
    Ok(Json(p.into()))
}

/// Whether a member of staff is away (no tickets are handed to them).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwayIo {
    pub away: bool,
}

/// Whether a person is away.
#[utoipa::path(get, path = "/people/{id}/away", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = AwayIo), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_away(
    axum::extract::State(s): axum::extract::State<crate::AppState>,
    caller: crate::extract::Caller,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> crate::error::ApiResult<axum::Json<AwayIo>> {
    let away = s
        .service
        .is_away(caller.actor(), steward_domain::PersonId(id))
        .await?;
    Ok(axum::Json(AwayIo { away }))
}

/// Mark a member of staff away or back (themselves, or admins and managers for anyone).
#[utoipa::path(put, path = "/people/{id}/away", tag = "people", params(("id" = i64, Path)), request_body = AwayIo,
    responses((status = 200, body = AwayIo), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn put_away(
    axum::extract::State(s): axum::extract::State<crate::AppState>,
    caller: crate::extract::Caller,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
    crate::extract::ApiJson(b): crate::extract::ApiJson<AwayIo>,
) -> crate::error::ApiResult<axum::Json<AwayIo>> {
    s.service
        .set_away(caller.actor(), steward_domain::PersonId(id), b.away)
        .await?;
    Ok(axum::Json(b))
}
