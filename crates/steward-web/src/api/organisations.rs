//! `/organisations`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{OrgId, Organisation, Timestamp};
use steward_service::{NewOrg, OrgPatch};
use utoipa::ToSchema;

use super::{id_cursor, IdPage, List};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// A client company or department.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationOut {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// Mail domains whose senders belong to it.
    pub domains: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Organisation> for OrganisationOut {
    fn from(o: Organisation) -> Self {
        OrganisationOut {
            id: o.id.0,
            name: o.name,
            slug: o.slug,
            domains: o.domains,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A new organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisationIn {
    pub name: String,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    #[serde(default)]
    pub domains: Vec<String>,
}

/// Changes to an organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisationIn {
    pub name: Option<String>,
    pub slug: Option<String>,
    /// Replaces the list of domains.
    pub domains: Option<Vec<String>>,
}

/// List organisations (staff).
#[utoipa::path(get, path = "/organisations", tag = "organisations", params(IdPage),
    responses((status = 200, body = List<OrganisationOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<IdPage>,
) -> ApiResult<Json<List<OrganisationOut>>> {
    let (after, limit) = page.parts()?;
    let orgs = s
        .service
        .list_orgs(caller.actor(), after.map(OrgId), limit)
        .await?;
    let next_cursor = id_cursor(orgs.last().map(|o| o.id.0), orgs.len(), limit);
    Ok(Json(List {
        items: orgs.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Create an organisation (admins and managers).
#[utoipa::path(post, path = "/organisations", tag = "organisations", request_body = CreateOrganisationIn,
    responses((status = 201, body = OrganisationOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateOrganisationIn>,
) -> ApiResult<(StatusCode, Json<OrganisationOut>)> {
    let org = s
        .service
        .create_org(
            caller.actor(),
            NewOrg {
                name: b.name,
                slug: b.slug,
                domains: b.domains,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// An organisation (staff, or a member of it).
#[utoipa::path(get, path = "/organisations/{id}", tag = "organisations", params(("id" = i64, Path)),
    responses((status = 200, body = OrganisationOut), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrganisationOut>> {
    Ok(Json(
        s.service.get_org(caller.actor(), OrgId(id)).await?.into(),
    ))
}

/// Change an organisation (admins and managers).
#[utoipa::path(patch, path = "/organisations/{id}", tag = "organisations", params(("id" = i64, Path)), request_body = UpdateOrganisationIn,
    responses((status = 200, body = OrganisationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateOrganisationIn>,
) -> ApiResult<Json<OrganisationOut>> {
    let org = s
        .service
        .update_org(
            caller.actor(),
            OrgId(id),
            OrgPatch {
                name: b.name,
                slug: b.slug,
                domains: b.domains,
            },
        )
        .await?;
    Ok(Json(org.into()))
}
