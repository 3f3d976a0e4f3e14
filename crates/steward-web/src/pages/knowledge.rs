//! The knowledge base in the browser. Staff: `/agent/kb` (articles by category and status, the
//! category tree), an article's page with its editor, versions and what changed between them, and
//! restoring one; linking articles to tickets and writing one from a resolved ticket. Requesters:
//! `/portal/kb` (browse by category), an article with "was this helpful?", and the suggestions
//! the new-request form shows while the subject is typed (deflection).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use steward_domain::knowledge::{
    diff_lines, Article, ArticleStatus, DiffLine, KbCategory, Visibility,
};
use steward_domain::{ArticleId, KbCategoryId, Named, OrgId};
use steward_service::ArticleInput;

use super::view::{ago, when};
use super::{
    notice, render, see_other, Choice, Layout, PageCaller, PageError, PageResult, StaffCaller,
};
use crate::AppState;

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("")
}

/// A category with its depth in the tree, for indented lists.
pub struct CategoryRow {
    pub id: i64,
    pub name: String,
    pub depth: usize,
    pub current: bool,
    pub count: usize,
}

/// The tree in display order (parents before their children).
fn tree(categories: &[KbCategory], current: Option<i64>, articles: &[Article]) -> Vec<CategoryRow> {
    fn walk(
        all: &[KbCategory],
        parent: Option<KbCategoryId>,
        depth: usize,
        current: Option<i64>,
        articles: &[Article],
        out: &mut Vec<CategoryRow>,
    ) {
        for c in all.iter().filter(|c| c.parent_id == parent) {
            out.push(CategoryRow {
                id: c.id.0,
                name: c.name.clone(),
                depth,
                current: current == Some(c.id.0),
                count: articles
                    .iter()
                    .filter(|a| a.category_id == Some(c.id))
                    .count(),
            });
            if depth < 8 {
                walk(all, Some(c.id), depth + 1, current, articles, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(categories, None, 0, current, articles, &mut out);
    out
}

/// The path of a category ("Network › VPN").
fn category_path(categories: &[KbCategory], id: Option<KbCategoryId>) -> String {
    let mut parts = Vec::new();
    let mut at = id;
    while let Some(c) = at.and_then(|id| categories.iter().find(|c| c.id == id)) {
        parts.push(c.name.clone());
        at = c.parent_id;
        if parts.len() > 8 {
            break;
        }
    }
    parts.reverse();
    parts.join(" › ")
}

fn category_choices(categories: &[KbCategory], current: Option<KbCategoryId>) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: "(none)".into(),
        selected: current.is_none(),
    }];
    for row in tree(categories, None, &[]) {
        out.push(Choice {
            value: row.id.to_string(),
            label: format!("{}{}", "— ".repeat(row.depth), row.name),
            selected: current.map(|c| c.0) == Some(row.id),
        });
    }
    out
}

fn status_label(s: ArticleStatus) -> &'static str {
    match s {
        ArticleStatus::Draft => "Draft",
        ArticleStatus::Published => "Published",
        ArticleStatus::Archived => "Archived",
    }
}

fn visibility_label(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "Everyone",
        Visibility::Internal => "Staff only",
        Visibility::Organisations => "Some organisations",
    }
}

/// An article in a list.
pub struct ArticleRow {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub visibility: &'static str,
    pub category: String,
    pub updated: String,
    pub updated_ago: String,
    pub views: i64,
    pub helpful: String,
}

fn article_row(
    a: &Article,
    categories: &[KbCategory],
    now: steward_domain::Timestamp,
) -> ArticleRow {
    ArticleRow {
        id: a.id.0,
        title: a.title.clone(),
        status: status_label(a.status),
        status_class: a.status.as_str(),
        visibility: visibility_label(a.visibility),
        category: category_path(categories, a.category_id),
        updated: when(a.updated_at),
        updated_ago: ago(a.updated_at, now),
        views: a.views,
        helpful: match a.helpful_yes + a.helpful_no {
            0 => "–".into(),
            n => format!("{} %", a.helpful_yes * 100 / n),
        },
    }
}

// ---- staff ----

#[derive(Template)]
#[template(path = "kb_list.html")]
struct KbListPage {
    layout: Layout,
    categories: Vec<CategoryRow>,
    parent_choices: Vec<Choice>,
    rows: Vec<ArticleRow>,
    status: String,
    category: Option<i64>,
    manage: bool,
    deflected: i64,
}

#[derive(Debug, Deserialize)]
pub struct KbQuery {
    category: Option<i64>,
    status: Option<String>,
    notice: Option<String>,
}

/// `GET /agent/kb`.
pub async fn list(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Query(q): Query<KbQuery>,
) -> PageResult {
    let actor = caller.actor();
    let status = match q.status.as_deref().unwrap_or("") {
        "" => None,
        s => Some(ArticleStatus::parse(s).map_err(|e| PageError::Invalid(e.to_string()))?),
    };
    let categories = s.service.kb_categories(actor).await?;
    let all = s.service.articles(actor, None, None).await?;
    let shown = s
        .service
        .articles(actor, q.category.map(KbCategoryId), status)
        .await?;
    let now = s.service.now();
    let since = now
        .checked_sub(jiff::SignedDuration::from_hours(30 * 24))
        .unwrap_or(now);
    Ok(render(&KbListPage {
        layout: caller.layout("Knowledge base", "kb", notice(q.notice.as_deref())),
        categories: tree(&categories, q.category, &all),
        parent_choices: category_choices(&categories, None),
        rows: shown
            .iter()
            .map(|a| article_row(a, &categories, now))
            .collect(),
        status: status.map(|s| s.as_str()).unwrap_or("").to_string(),
        category: q.category,
        manage: steward_domain::knowledge::may_manage(actor),
        deflected: s.service.deflections(actor, since, now).await.unwrap_or(0),
    }))
}

/// `POST /agent/kb/categories`: add, rename or remove a category (managers and administrators).
pub async fn save_category(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    let actor = caller.actor();
    let parent = match field(&f, "parent") {
        "" => None,
        p => Some(KbCategoryId(p.parse().map_err(|_| {
            PageError::Invalid("Choose a parent category from the list.".into())
        })?)),
    };
    match field(&f, "id").parse::<i64>() {
        Ok(id) if field(&f, "action") == "delete" => {
            s.service
                .delete_kb_category(actor, KbCategoryId(id))
                .await?;
            return Ok(see_other("/agent/kb?notice=deleted"));
        }
        Ok(id) => {
            s.service
                .update_kb_category(
                    actor,
                    KbCategory {
                        id: KbCategoryId(id),
                        parent_id: parent,
                        name: field(&f, "name").to_string(),
                        position: field(&f, "position").parse().unwrap_or(0),
                    },
                )
                .await?;
        }
        Err(_) => {
            s.service
                .create_kb_category(
                    actor,
                    parent,
                    field(&f, "name"),
                    field(&f, "position").parse().unwrap_or(0),
                )
                .await?;
        }
    }
    Ok(see_other("/agent/kb?notice=saved"))
}

/// One version in the list on an article's page.
pub struct VersionRow {
    pub version: i64,
    pub when: String,
    pub ago: String,
    pub author: String,
    pub note: String,
    pub current: bool,
}

/// A comment left with feedback.
pub struct CommentRow {
    pub who: String,
    pub helpful: bool,
    pub comment: String,
    pub ago: String,
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage {
    layout: Layout,
    /// `None` for a new article.
    id: Option<i64>,
    title: String,
    body: String,
    body_html: String,
    version: i64,
    status: &'static str,
    status_class: &'static str,
    visibility: &'static str,
    category: String,
    tags: String,
    organisations: String,
    views: i64,
    helpful_yes: i64,
    helpful_no: i64,
    linked_tickets: i64,
    category_choices: Vec<Choice>,
    status_choices: Vec<Choice>,
    visibility_choices: Vec<Choice>,
    versions: Vec<VersionRow>,
    comments: Vec<CommentRow>,
    manage: bool,
    error: Option<String>,
    /// (id, name, size, Markdown to insert).
    files: Vec<(i64, String, String, String)>,
}

fn choices<T: Named + PartialEq>(current: T, label: fn(T) -> &'static str) -> Vec<Choice> {
    T::ALL
        .iter()
        .map(|v| Choice {
            value: v.as_str().to_string(),
            label: label(*v).to_string(),
            selected: *v == current,
        })
        .collect()
}

async fn org_names(s: &AppState, caller: &PageCaller, ids: &[OrgId]) -> PageResult<String> {
    let mut names = Vec::new();
    for id in ids {
        if let Ok(o) = s.service.get_org(caller.actor(), *id).await {
            names.push(o.slug);
        }
    }
    Ok(names.join(", "))
}

async fn article_page(
    s: &AppState,
    caller: &PageCaller,
    article: Option<Article>,
    draft: Option<(&HashMap<String, String>, String)>,
    notice_key: Option<&str>,
) -> PageResult {
    let actor = caller.actor();
    let categories = s.service.kb_categories(actor).await?;
    let now = s.service.now();
    let (versions, comments, linked) = match &article {
        Some(a) => {
            let versions = s.service.article_versions(actor, a.id).await?;
            let comments = s.service.article_comments(actor, a.id).await?;
            let mut ids: Vec<steward_domain::PersonId> = versions
                .iter()
                .filter_map(|v| v.author_id)
                .chain(comments.iter().map(|c| c.0))
                .collect();
            ids.sort();
            ids.dedup();
            let mut names = super::Names::default();
            names.add_people(s.service.people_by_ids(actor, &ids).await?);
            let name = |id: Option<steward_domain::PersonId>| match id {
                Some(_) => names.person(id),
                None => "Steward".to_string(),
            };
            let comments = comments
                .into_iter()
                .map(|(who, helpful, comment, at)| CommentRow {
                    who: name(Some(who)),
                    helpful,
                    comment,
                    ago: ago(at, now),
                })
                .collect();
            let versions = versions
                .into_iter()
                .map(|v| VersionRow {
                    version: v.version,
                    when: when(v.created_at),
                    ago: ago(v.created_at, now),
                    author: name(v.author_id),
                    note: v.note,
                    current: v.version == a.version,
                })
                .collect();
            (
                versions,
                comments,
                s.service.article_ticket_count(actor, a.id).await?,
            )
        }
        None => (Vec::new(), Vec::new(), 0),
    };
    let (title, body, category_id, status, visibility, tags, organisations, error) =
        match (&draft, &article) {
            (Some((f, error)), _) => (
                field(f, "title").to_string(),
                field(f, "body").to_string(),
                field(f, "category").parse().ok().map(KbCategoryId),
                ArticleStatus::parse(field(f, "status")).unwrap_or(ArticleStatus::Draft),
                Visibility::parse(field(f, "visibility")).unwrap_or(Visibility::Internal),
                field(f, "tags").to_string(),
                field(f, "organisations").to_string(),
                Some(error.clone()),
            ),
            (None, Some(a)) => (
                a.title.clone(),
                a.body.clone(),
                a.category_id,
                a.status,
                a.visibility,
                a.tags.join(" "),
                org_names(s, caller, &a.organisations).await?,
                None,
            ),
            (None, None) => (
                String::new(),
                String::new(),
                None,
                ArticleStatus::Draft,
                Visibility::Internal,
                String::new(),
                String::new(),
                None,
            ),
        };
    let files = match &article {
        Some(a) => s
            .service
            .article_files(actor, a.id)
            .await?
            .into_iter()
            .map(|f| {
                let url = format!("/api/v1/article-files/{}", f.id);
                let image = f.content_type.starts_with("image/");
                let md = if image {
                    format!("![{}]({url})", f.filename.replace(['[', ']'], ""))
                } else {
                    format!("[{}]({url})", f.filename.replace(['[', ']'], ""))
                };
                (f.id, f.filename, super::human_size(f.size), md)
            })
            .collect(),
        None => Vec::new(),
    };
    let page_title = match &article {
        Some(a) => a.title.clone(),
        None => "New article".into(),
    };
    Ok(render(&ArticlePage {
        layout: caller.layout(page_title, "kb", notice(notice_key)),
        id: article.as_ref().map(|a| a.id.0),
        body_html: crate::markdown::to_html(&body),
        version: draft
            .as_ref()
            .and_then(|(f, _)| field(f, "version").parse().ok())
            .or(article.as_ref().map(|a| a.version))
            .unwrap_or(0),
        status: status_label(status),
        status_class: status.as_str(),
        visibility: visibility_label(visibility),
        category: category_path(&categories, category_id),
        views: article.as_ref().map_or(0, |a| a.views),
        helpful_yes: article.as_ref().map_or(0, |a| a.helpful_yes),
        helpful_no: article.as_ref().map_or(0, |a| a.helpful_no),
        linked_tickets: linked,
        category_choices: category_choices(&categories, category_id),
        status_choices: choices(status, status_label),
        visibility_choices: choices(visibility, visibility_label),
        versions,
        comments,
        manage: steward_domain::knowledge::may_manage(actor),
        title,
        body,
        tags,
        organisations,
        error,
        files,
    }))
}

/// `GET /agent/kb/new`.
pub async fn new_form(State(s): State<AppState>, StaffCaller(caller): StaffCaller) -> PageResult {
    article_page(&s, &caller, None, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `GET /agent/kb/{id}`.
pub async fn article(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let a = s.service.article(caller.actor(), ArticleId(id)).await?;
    article_page(&s, &caller, Some(a), None, q.notice.as_deref()).await
}

async fn input_from(
    s: &AppState,
    caller: &PageCaller,
    f: &HashMap<String, String>,
) -> Result<ArticleInput, String> {
    let mut organisations = Vec::new();
    for slug in field(f, "organisations")
        .split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
    {
        match s.service.get_org_by_slug(caller.actor(), slug).await {
            Ok(o) => organisations.push(o.id),
            Err(_) => {
                return Err(format!(
                    "There is no organisation with the short name {slug:?}."
                ))
            }
        }
    }
    Ok(ArticleInput {
        title: field(f, "title").to_string(),
        body: field(f, "body").to_string(),
        category_id: field(f, "category").parse().ok().map(KbCategoryId),
        visibility: Some(Visibility::parse(field(f, "visibility")).map_err(|e| e.to_string())?),
        organisations,
        status: Some(ArticleStatus::parse(field(f, "status")).map_err(|e| e.to_string())?),
        tags: field(f, "tags")
            .split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        expected_version: field(f, "version").parse().ok(),
        note: Some(field(f, "note").to_string()),
    })
}

/// `POST /agent/kb/new`: write an article.
pub async fn create(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    let saved = match input_from(&s, &caller, &f).await {
        Ok(input) => s.service.create_article(caller.actor(), input).await,
        Err(e) => {
            return Ok(article_page(&s, &caller, None, Some((&f, e)), None)
                .await?
                .into_response())
        }
    };
    match saved {
        Ok(a) => Ok(see_other(&format!("/agent/kb/{}?notice=saved", a.id.0))),
        Err(steward_service::ServiceError::Invalid { message, .. }) => {
            Ok(article_page(&s, &caller, None, Some((&f, message)), None)
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /agent/kb/{id}`: save the next version, or delete.
pub async fn save(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    let actor = caller.actor();
    let id = ArticleId(id);
    if field(&f, "action") == "delete" {
        s.service.delete_article(actor, id).await?;
        return Ok(see_other("/agent/kb?notice=deleted"));
    }
    let current = s.service.article(actor, id).await?;
    let saved = match input_from(&s, &caller, &f).await {
        Ok(input) => s.service.update_article(actor, id, input).await,
        Err(e) => {
            return Ok(
                article_page(&s, &caller, Some(current), Some((&f, e)), None)
                    .await?
                    .into_response(),
            )
        }
    };
    match saved {
        Ok(a) => Ok(see_other(&format!("/agent/kb/{}?notice=saved", a.id.0))),
        Err(
            steward_service::ServiceError::Invalid { message, .. }
            | steward_service::ServiceError::Conflict(message),
        ) => Ok(
            article_page(&s, &caller, Some(current), Some((&f, message)), None)
                .await?
                .into_response(),
        ),
        Err(e) => Err(e.into()),
    }
}

/// `POST /agent/kb/{id}/files/{file}/remove`.
pub async fn remove_file(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path((id, file)): Path<(i64, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    s.service.delete_article_file(caller.actor(), file).await?;
    Ok(see_other(&format!("/agent/kb/{id}?notice=deleted#files")))
}

#[derive(Template)]
#[template(path = "kb_diff.html")]
struct DiffPage {
    layout: Layout,
    id: i64,
    version: i64,
    previous: i64,
    title_before: String,
    title_after: String,
    lines: Vec<(&'static str, String)>,
    current: bool,
}

/// `GET /agent/kb/{id}/versions/{version}`: what that version changed.
pub async fn version(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path((id, version)): Path<(i64, i64)>,
) -> PageResult {
    let actor = caller.actor();
    let a = s.service.article(actor, ArticleId(id)).await?;
    let versions = s.service.article_versions(actor, ArticleId(id)).await?;
    let this = versions
        .iter()
        .find(|v| v.version == version)
        .ok_or(PageError::NotFound)?;
    let before = versions.iter().find(|v| v.version == version - 1);
    let lines = diff_lines(before.map_or("", |v| v.body.as_str()), &this.body)
        .into_iter()
        .map(|l| match l {
            DiffLine::Same(t) => ("same", t),
            DiffLine::Added(t) => ("added", t),
            DiffLine::Removed(t) => ("removed", t),
        })
        .collect();
    Ok(render(&DiffPage {
        layout: caller.layout(format!("{} – version {version}", a.title), "kb", None),
        id,
        version,
        previous: version - 1,
        title_before: before.map(|v| v.title.clone()).unwrap_or_default(),
        title_after: this.title.clone(),
        lines,
        current: version == a.version,
    }))
}

/// `POST /agent/kb/{id}/versions/{version}/restore`.
pub async fn restore(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path((id, version)): Path<(i64, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    s.service
        .restore_article_version(caller.actor(), ArticleId(id), version)
        .await?;
    Ok(see_other(&format!("/agent/kb/{id}?notice=restored")))
}

/// `POST /agent/tickets/{number}/articles`: link an article (by number) or unlink one.
pub async fn link_to_ticket(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    let article = field(&f, "article")
        .trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .map_err(|_| PageError::Invalid("Give the article's number (shown on its page).".into()))?;
    if field(&f, "action") == "unlink" {
        s.service
            .unlink_article(actor, t.id, ArticleId(article))
            .await?;
    } else {
        s.service
            .link_article(actor, t.id, ArticleId(article))
            .await?;
    }
    Ok(see_other(&format!(
        "/agent/tickets/{number}?notice=saved#articles"
    )))
}

/// `POST /agent/tickets/{number}/article-draft`: a draft article from a resolved ticket.
pub async fn draft_from_ticket(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    let t = s
        .service
        .get_ticket_by_number(caller.actor(), number)
        .await?;
    let a = s.service.article_from_ticket(caller.actor(), t.id).await?;
    Ok(see_other(&format!("/agent/kb/{}?notice=drafted", a.id.0)))
}

// ---- requesters ----

#[derive(Template)]
#[template(path = "portal_kb.html")]
struct PortalKbPage {
    layout: Layout,
    categories: Vec<CategoryRow>,
    rows: Vec<ArticleRow>,
    category: Option<i64>,
    category_name: String,
}

/// `GET /portal/kb`.
pub async fn portal_list(
    State(s): State<AppState>,
    caller: PageCaller,
    Query(q): Query<KbQuery>,
) -> PageResult {
    let actor = caller.actor();
    let categories = s.service.kb_categories(actor).await?;
    let all = s.service.articles(actor, None, None).await?;
    let shown: Vec<&Article> = all
        .iter()
        .filter(|a| q.category.is_none() || a.category_id.map(|c| c.0) == q.category)
        .collect();
    let now = s.service.now();
    // Only categories with something in them (or below them) are offered.
    let mut rows = tree(&categories, q.category, &all);
    let keep: Vec<bool> = (0..rows.len())
        .map(|i| {
            rows[i].count > 0
                || rows[i + 1..]
                    .iter()
                    .take_while(|r| r.depth > rows[i].depth)
                    .any(|r| r.count > 0)
        })
        .collect();
    let mut i = 0;
    rows.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    Ok(render(&PortalKbPage {
        layout: caller.layout("Help articles", "portal-kb", None),
        categories: rows,
        rows: shown
            .iter()
            .map(|a| article_row(a, &categories, now))
            .collect(),
        category: q.category,
        category_name: category_path(&categories, q.category.map(KbCategoryId)),
    }))
}

#[derive(Template)]
#[template(path = "portal_article.html")]
struct PortalArticlePage {
    layout: Layout,
    id: i64,
    title: String,
    body_html: String,
    category: String,
    category_id: Option<i64>,
    updated: String,
    thanked: bool,
    /// (url, name, size).
    files: Vec<(String, String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct ReadQuery {
    from: Option<String>,
    notice: Option<String>,
}

/// `GET /portal/kb/{id}`: read an article (counted); opened from the new-request form's
/// suggestions, it is remembered as a possibly deflected request.
pub async fn portal_article(
    State(s): State<AppState>,
    caller: PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<ReadQuery>,
) -> PageResult {
    let actor = caller.actor();
    let a = s.service.read_article(actor, ArticleId(id)).await?;
    if q.from.as_deref() == Some("new-request") {
        s.service.record_suggestion_opened(actor, a.id).await?;
    }
    let categories = s.service.kb_categories(actor).await?;
    Ok(render(&PortalArticlePage {
        layout: caller.layout(a.title.clone(), "portal-kb", None),
        id,
        body_html: crate::markdown::to_html(&a.body),
        category: category_path(&categories, a.category_id),
        category_id: a.category_id.map(|c| c.0),
        updated: when(a.updated_at),
        title: a.title,
        thanked: q.notice.as_deref() == Some("thanks"),
        files: s
            .service
            .article_files(actor, ArticleId(id))
            .await?
            .into_iter()
            .map(|f| {
                (
                    format!("/api/v1/article-files/{}", f.id),
                    f.filename,
                    super::human_size(f.size),
                )
            })
            .collect(),
    }))
}

/// `POST /portal/kb/{id}/feedback`.
pub async fn portal_feedback(
    State(s): State<AppState>,
    caller: PageCaller,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    caller.check_csrf(field(&f, "csrf"))?;
    let helpful = match field(&f, "helpful") {
        "yes" => true,
        "no" => false,
        _ => return Err(PageError::Invalid("Say yes or no.".into())),
    };
    s.service
        .article_feedback(caller.actor(), ArticleId(id), helpful, field(&f, "comment"))
        .await?;
    Ok(see_other(&format!(
        "/portal/kb/{id}?notice=thanks#feedback"
    )))
}

/// A suggested article.
#[derive(Debug, Serialize)]
pub struct Suggestion {
    pub id: i64,
    pub title: String,
    pub href: String,
}

#[derive(Debug, Deserialize)]
pub struct SuggestQuery {
    q: Option<String>,
}

/// `GET /portal/kb/suggest?q=…`: articles resembling a subject being typed (any of its
/// significant words, best first), for the new-request form.
pub async fn suggest(
    State(s): State<AppState>,
    caller: PageCaller,
    Query(q): Query<SuggestQuery>,
) -> PageResult<Response> {
    let text = q.q.unwrap_or_default();
    let found = s
        .service
        .articles_like(caller.actor(), &text, 5)
        .await
        .unwrap_or_default();
    let base = if caller.actor().is_staff() {
        "/agent/kb"
    } else {
        "/portal/kb"
    };
    let out: Vec<Suggestion> = found
        .into_iter()
        .take(5)
        .map(|a| Suggestion {
            id: a.id.0,
            href: format!("{base}/{}?from=new-request", a.id.0),
            title: a.title,
        })
        .collect();
    Ok(Json(out).into_response())
}
