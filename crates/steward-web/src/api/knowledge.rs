//! The knowledge base: `/kb/categories`, `/articles` (with versions, restore and feedback), and
//! articles linked to tickets (`/tickets/{id}/articles`, `/tickets/{id}/article-draft`).
//! Requesters read published articles that are public or for their organisation; staff write.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::knowledge::{Article, ArticleStatus, ArticleVersion, KbCategory, Visibility};
use steward_domain::{ArticleId, KbCategoryId, OrgId, TicketId, Timestamp};
use steward_service::ArticleInput;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// A category of articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct KbCategoryOut {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub position: i64,
}

impl From<KbCategory> for KbCategoryOut {
    fn from(c: KbCategory) -> Self {
        KbCategoryOut {
            id: c.id.0,
            parent_id: c.parent_id.map(|p| p.0),
            name: c.name,
            position: c.position,
        }
    }
}

/// A category to create or change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbCategoryIn {
    pub name: String,
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub position: i64,
}

/// An article.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleOut {
    pub id: i64,
    pub title: String,
    /// Markdown, as written.
    pub body: String,
    /// The body rendered and sanitised.
    pub body_html: String,
    pub category_id: Option<i64>,
    pub visibility: Visibility,
    /// For visibility `organisations`.
    pub organisations: Vec<i64>,
    pub status: ArticleStatus,
    pub tags: Vec<String>,
    pub author_id: Option<i64>,
    pub version: i64,
    pub views: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
}

impl From<Article> for ArticleOut {
    fn from(a: Article) -> Self {
        ArticleOut {
            id: a.id.0,
            body_html: crate::markdown::to_html(&a.body),
            title: a.title,
            body: a.body,
            category_id: a.category_id.map(|c| c.0),
            visibility: a.visibility,
            organisations: a.organisations.into_iter().map(|o| o.0).collect(),
            status: a.status,
            tags: a.tags,
            author_id: a.author_id.map(|p| p.0),
            version: a.version,
            views: a.views,
            helpful_yes: a.helpful_yes,
            helpful_no: a.helpful_no,
            created_at: a.created_at,
            updated_at: a.updated_at,
            published_at: a.published_at,
        }
    }
}

/// An article to create, or its next version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleIn {
    pub title: String,
    /// Markdown.
    #[serde(default)]
    pub body: String,
    pub category_id: Option<i64>,
    /// Default `internal`.
    pub visibility: Option<Visibility>,
    #[serde(default)]
    pub organisations: Vec<i64>,
    /// Default `draft`.
    pub status: Option<ArticleStatus>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// When changing: the version you started from (a `409` if someone saved since).
    pub version: Option<i64>,
    /// What changed.
    pub note: Option<String>,
}

impl From<ArticleIn> for ArticleInput {
    fn from(a: ArticleIn) -> Self {
        ArticleInput {
            title: a.title,
            body: a.body,
            category_id: a.category_id.map(KbCategoryId),
            visibility: a.visibility,
            organisations: a.organisations.into_iter().map(OrgId).collect(),
            status: a.status,
            tags: a.tags,
            expected_version: a.version,
            note: a.note,
        }
    }
}

/// A saved version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub author_id: Option<i64>,
    pub note: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<ArticleVersion> for VersionOut {
    fn from(v: ArticleVersion) -> Self {
        VersionOut {
            version: v.version,
            title: v.title,
            body: v.body,
            author_id: v.author_id.map(|p| p.0),
            note: v.note,
            created_at: v.created_at,
        }
    }
}

/// Which articles.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ArticleQuery {
    pub category: Option<i64>,
    /// `draft`, `published` or `archived` (staff).
    pub status: Option<ArticleStatus>,
}

/// "Was this helpful?"
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackIn {
    pub helpful: bool,
    #[serde(default)]
    pub comment: String,
}

/// An article to link to a ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    pub article_id: i64,
}

/// The category tree (everyone signed in).
#[utoipa::path(get, path = "/kb/categories", tag = "knowledge base",
    responses((status = 200, body = Vec<KbCategoryOut>), (status = 401, body = ErrorBody)))]
pub async fn list_categories(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<KbCategoryOut>>> {
    let c = s.service.kb_categories(caller.actor()).await?;
    Ok(Json(c.into_iter().map(Into::into).collect()))
}

/// Add a category (managers and administrators).
#[utoipa::path(post, path = "/kb/categories", tag = "knowledge base", request_body = KbCategoryIn,
    responses((status = 201, body = KbCategoryOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<KbCategoryIn>,
) -> ApiResult<(StatusCode, Json<KbCategoryOut>)> {
    let c = s
        .service
        .create_kb_category(
            caller.actor(),
            b.parent_id.map(KbCategoryId),
            &b.name,
            b.position,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Rename or move a category (managers and administrators).
#[utoipa::path(put, path = "/kb/categories/{id}", tag = "knowledge base", params(("id" = i64, Path)), request_body = KbCategoryIn,
    responses((status = 200, body = KbCategoryOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_category(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<KbCategoryIn>,
) -> ApiResult<Json<KbCategoryOut>> {
    let c = s
        .service
        .update_kb_category(
            caller.actor(),
            KbCategory {
                id: KbCategoryId(id),
                parent_id: b.parent_id.map(KbCategoryId),
                name: b.name,
                position: b.position,
            },
        )
        .await?;
    Ok(Json(c.into()))
}

/// Remove an empty category (managers and administrators).
#[utoipa::path(delete, path = "/kb/categories/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_category(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service
        .delete_kb_category(caller.actor(), KbCategoryId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Articles you may read, most recently updated first.
#[utoipa::path(get, path = "/articles", tag = "knowledge base", params(ArticleQuery),
    responses((status = 200, body = Vec<ArticleOut>), (status = 401, body = ErrorBody)))]
pub async fn list_articles(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> ApiResult<Json<Vec<ArticleOut>>> {
    let a = s
        .service
        .articles(caller.actor(), q.category.map(KbCategoryId), q.status)
        .await?;
    Ok(Json(a.into_iter().map(Into::into).collect()))
}

/// Write an article (staff). It starts as an internal draft unless you say otherwise.
#[utoipa::path(post, path = "/articles", tag = "knowledge base", request_body = ArticleIn,
    responses((status = 201, body = ArticleOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_article(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ArticleIn>,
) -> ApiResult<(StatusCode, Json<ArticleOut>)> {
    let a = s.service.create_article(caller.actor(), b.into()).await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// An article you may read (a requester's reading counts as a view).
#[utoipa::path(get, path = "/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 200, body = ArticleOut), (status = 404, body = ErrorBody)))]
pub async fn get_article(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ArticleOut>> {
    let a = s
        .service
        .read_article(caller.actor(), ArticleId(id))
        .await?;
    Ok(Json(a.into()))
}

/// Save the next version of an article (staff).
#[utoipa::path(put, path = "/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)), request_body = ArticleIn,
    responses((status = 200, body = ArticleOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_article(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ArticleIn>,
) -> ApiResult<Json<ArticleOut>> {
    let a = s
        .service
        .update_article(caller.actor(), ArticleId(id), b.into())
        .await?;
    Ok(Json(a.into()))
}

/// Delete an article and its versions (managers and administrators). Archiving keeps it instead.
#[utoipa::path(delete, path = "/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_article(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service
        .delete_article(caller.actor(), ArticleId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of an article, newest first (staff).
#[utoipa::path(get, path = "/articles/{id}/versions", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<VersionOut>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<VersionOut>>> {
    let v = s
        .service
        .article_versions(caller.actor(), ArticleId(id))
        .await?;
    Ok(Json(v.into_iter().map(Into::into).collect()))
}

/// Make an old version current again, as a new version (staff).
#[utoipa::path(post, path = "/articles/{id}/versions/{version}/restore", tag = "knowledge base",
    params(("id" = i64, Path), ("version" = i64, Path)),
    responses((status = 200, body = ArticleOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn restore(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, version)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<ArticleOut>> {
    let a = s
        .service
        .restore_article_version(caller.actor(), ArticleId(id), version)
        .await?;
    Ok(Json(a.into()))
}

/// Say whether a published article helped, with an optional comment. Your latest answer counts.
#[utoipa::path(post, path = "/articles/{id}/feedback", tag = "knowledge base", params(("id" = i64, Path)), request_body = FeedbackIn,
    responses((status = 200, body = ArticleOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feedback(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FeedbackIn>,
) -> ApiResult<Json<ArticleOut>> {
    let a = s
        .service
        .article_feedback(caller.actor(), ArticleId(id), b.helpful, &b.comment)
        .await?;
    Ok(Json(a.into()))
}

/// The articles linked to a ticket that you may read.
#[utoipa::path(get, path = "/tickets/{id}/articles", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ArticleOut>), (status = 404, body = ErrorBody)))]
pub async fn ticket_articles(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ArticleOut>>> {
    let a = s
        .service
        .ticket_articles(caller.actor(), TicketId(id))
        .await?;
    Ok(Json(a.into_iter().map(Into::into).collect()))
}

/// Link an article to a ticket (staff).
#[utoipa::path(post, path = "/tickets/{id}/articles", tag = "knowledge base", params(("id" = i64, Path)), request_body = LinkIn,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn link(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<LinkIn>,
) -> ApiResult<StatusCode> {
    s.service
        .link_article(caller.actor(), TicketId(id), ArticleId(b.article_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlink an article from a ticket (staff).
#[utoipa::path(delete, path = "/tickets/{id}/articles/{article_id}", tag = "knowledge base",
    params(("id" = i64, Path), ("article_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlink(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, article)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    s.service
        .unlink_article(caller.actor(), TicketId(id), ArticleId(article))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Write a draft article from a resolved ticket: the problem and the fix, without the requester's
/// name or address; internal, linked to the ticket (staff).
#[utoipa::path(post, path = "/tickets/{id}/article-draft", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 201, body = ArticleOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn draft_from_ticket(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<ArticleOut>)> {
    let a = s
        .service
        .article_from_ticket(caller.actor(), TicketId(id))
        .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// A file of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleFileOut {
    pub id: i64,
    pub article_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Where to fetch it; in an article's Markdown, `![alt](url)` shows an image.
    pub url: String,
}

impl From<steward_store::knowledge::ArticleFile> for ArticleFileOut {
    fn from(f: steward_store::knowledge::ArticleFile) -> Self {
        ArticleFileOut {
            url: format!("/api/v1/article-files/{}", f.id),
            id: f.id,
            article_id: f.article_id.0,
            filename: f.filename,
            content_type: f.content_type,
            size: f.size,
        }
    }
}

/// The name of an uploaded file.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    pub filename: String,
}

/// Add a file or image to an article (staff): the bytes as the body, their type as
/// `Content-Type`, at most 10 MB.
#[utoipa::path(post, path = "/articles/{id}/files", tag = "knowledge base", params(("id" = i64, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ArticleFileOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_file(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<ArticleFileOut>)> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let f = s
        .service
        .add_article_file(
            caller.actor(),
            ArticleId(id),
            &q.filename,
            content_type,
            &body,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

/// The files of an article you may read.
#[utoipa::path(get, path = "/articles/{id}/files", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ArticleFileOut>), (status = 404, body = ErrorBody)))]
pub async fn list_files(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ArticleFileOut>>> {
    let f = s
        .service
        .article_files(caller.actor(), ArticleId(id))
        .await?;
    Ok(Json(f.into_iter().map(Into::into).collect()))
}

/// A file's bytes, if you may read its article. Images of types browsers show safely (PNG, JPEG,
/// GIF, WebP) are shown; anything else downloads.
#[utoipa::path(get, path = "/article-files/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<u8>, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn get_file(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::response::Response> {
    let (f, data) = s.service.article_file(caller.actor(), id).await?;
    Ok(crate::pages::file_response(
        &f.filename,
        &f.content_type,
        data,
        true,
    ))
}

/// Remove a file from an article (staff).
#[utoipa::path(delete, path = "/article-files/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_file(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service.delete_article_file(caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
