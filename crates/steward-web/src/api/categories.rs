//! `/categories`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{Category, CategoryId, Timestamp};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Caller};
use crate::AppState;

/// A ticket category; categories form a tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Category> for CategoryOut {
    fn from(c: Category) -> Self {
        CategoryOut {
            id: c.id.0,
            name: c.name,
            parent_id: c.parent_id.map(|p| p.0),
            created_at: c.created_at,
        }
    }
}

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryIn {
    pub name: String,
    pub parent_id: Option<i64>,
}

/// Every category (anyone signed in).
#[utoipa::path(get, path = "/categories", tag = "categories",
    responses((status = 200, body = Vec<CategoryOut>), (status = 401, body = ErrorBody)))]
pub async fn list(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<CategoryOut>>> {
    let cs = s.service.list_categories(caller.actor()).await?;
    Ok(Json(cs.into_iter().map(Into::into).collect()))
}

/// Create a category (admins and managers).
#[utoipa::path(post, path = "/categories", tag = "categories", request_body = CreateCategoryIn,
    responses((status = 201, body = CategoryOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateCategoryIn>,
) -> ApiResult<(StatusCode, Json<CategoryOut>)> {
    let c = s
        .service
        .create_category(caller.actor(), &b.name, b.parent_id.map(CategoryId))
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}
