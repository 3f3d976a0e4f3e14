//! Feedback pages: the survey link's page (`/survey/{token}`, no sign-in), rating in the portal,
//! and the suggestion box (`/portal/suggestions` for everyone, `/agent/suggestions` where
//! managers answer).
//!
//! The survey link in the mail opens a page with the chosen rating selected; pressing "Send"
//! records it. Recording on the click itself (a GET) would let the link checkers of mail
//! providers, which open every link of a mail, rate every ticket with the first link's rating.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use steward_domain::{Actor, Ticket};
use steward_service::{ServiceError, SurveyView};
use steward_store::reports::{Suggestion, SUGGESTION_STATUSES};

use super::{notice, render, see_other, when, Layout, PageCaller, PageError, PageResult};
use crate::AppState;

/// The rating part of a ticket page.
pub struct RatingView {
    pub rating: Option<u8>,
    pub words: &'static str,
    pub comment: String,
    /// The viewer is the requester (who rates).
    pub mine: bool,
    pub choices: Vec<(u8, &'static str)>,
}

use steward_service::rating_words as words;

fn choices() -> Vec<(u8, &'static str)> {
    (1..=5u8).rev().map(|r| (r, words(r))).collect()
}

/// The rating of a ticket's latest survey, for its page (none before a survey started).
pub async fn rating_view(
    s: &AppState,
    actor: &Actor,
    t: &Ticket,
) -> PageResult<Option<RatingView>> {
    let surveys = s.service.ticket_surveys(actor, t.id).await?;
    Ok(surveys.last().map(|sv| RatingView {
        rating: sv.rating,
        words: sv.rating.map_or("", words),
        comment: sv.comment.clone(),
        mine: actor.person_id == Some(t.requester_id),
        choices: choices(),
    }))
}

/// The layout of a page without a session (the survey link).
fn public_layout(title: &str) -> Layout {
    Layout {
        title: title.to_string(),
        user_name: String::new(),
        staff: false,
        admin_nav: false,
        csrf: String::new(),
        section: "survey",
        notice: None,
        unread: 0,
        search_q: String::new(),
    }
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    layout: Layout,
    token: String,
    number: i64,
    subject: String,
    rating: Option<u8>,
    words: &'static str,
    comment: String,
    /// The rating the link chose (preselected).
    chosen: u8,
    choices: Vec<(u8, &'static str)>,
    message: Option<String>,
}

fn survey_page(token: &str, v: &SurveyView, chosen: u8, message: Option<String>) -> Response {
    render(&SurveyPage {
        layout: public_layout("Your rating"),
        token: token.to_string(),
        number: v.number,
        subject: v.subject.clone(),
        rating: v.survey.rating,
        words: v.survey.rating.map_or("", words),
        comment: v.survey.comment.clone(),
        chosen,
        choices: choices(),
        message,
    })
}

#[derive(Debug, Deserialize)]
pub struct SurveyQuery {
    rating: Option<String>,
}

/// `GET /survey/{token}?rating=N`: the survey with N chosen; nothing is recorded yet.
pub async fn survey(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<SurveyQuery>,
) -> PageResult<Response> {
    let v = s.service.survey_by_token(&token).await?;
    let chosen = q
        .rating
        .as_deref()
        .and_then(|r| r.trim().parse::<u8>().ok())
        .filter(|r| (1..=5).contains(r))
        .unwrap_or(0);
    Ok(survey_page(&token, &v, chosen, None))
}

#[derive(Debug, Deserialize)]
pub struct RateForm {
    rating: Option<String>,
    #[serde(default)]
    comment: String,
}

/// `POST /survey/{token}`: records the rating (once) and the comment, if any.
pub async fn rate(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Form(f): Form<RateForm>,
) -> PageResult<Response> {
    let Some(r) = f
        .rating
        .as_deref()
        .and_then(|r| r.trim().parse::<i64>().ok())
    else {
        let v = s.service.survey_by_token(&token).await?;
        let page = survey_page(&token, &v, 0, Some("Choose a rating from 1 to 5.".into()));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    match s.service.rate_by_token(&token, r, &f.comment).await {
        Ok(v) => Ok(survey_page(&token, &v, 0, None)),
        Err(ServiceError::Conflict(_)) => {
            let v = s.service.survey_by_token(&token).await?;
            let page = survey_page(
                &token,
                &v,
                0,
                Some("This request was rated already; the first rating counts.".into()),
            );
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(ServiceError::Invalid { message, .. }) => {
            let v = s.service.survey_by_token(&token).await?;
            let page = survey_page(&token, &v, 0, Some(message));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    comment: String,
}

/// `POST /survey/{token}/comment`: the comment after the rating (once).
pub async fn comment(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Form(f): Form<CommentForm>,
) -> PageResult<Response> {
    match s.service.comment_by_token(&token, &f.comment).await {
        Ok(v) => Ok(survey_page(&token, &v, 0, None)),
        Err(ServiceError::Conflict(m) | ServiceError::Invalid { message: m, .. }) => {
            let v = s.service.survey_by_token(&token).await?;
            let page = survey_page(&token, &v, 0, Some(m));
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PortalRateForm {
    csrf: String,
    rating: Option<String>,
    #[serde(default)]
    comment: String,
}

/// `POST /portal/tickets/{number}/rating`.
pub async fn portal_rate(
    State(s): State<AppState>,
    caller: PageCaller,
    Path(number): Path<i64>,
    Form(f): Form<PortalRateForm>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    let t = s
        .service
        .get_ticket_by_number(caller.actor(), number)
        .await?;
    let r = f
        .rating
        .as_deref()
        .and_then(|r| r.trim().parse::<i64>().ok())
        .ok_or_else(|| PageError::Invalid("Choose a rating from 1 to 5.".into()))?;
    s.service
        .rate_ticket(caller.actor(), t.id, r, &f.comment)
        .await?;
    Ok(see_other(&format!(
        "/portal/tickets/{number}?notice=rated#rating"
    )))
}

#[derive(Debug, Deserialize)]
pub struct PortalCommentForm {
    csrf: String,
    #[serde(default)]
    comment: String,
}

/// `POST /portal/tickets/{number}/rating/comment`.
pub async fn portal_comment(
    State(s): State<AppState>,
    caller: PageCaller,
    Path(number): Path<i64>,
    Form(f): Form<PortalCommentForm>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    let t = s
        .service
        .get_ticket_by_number(caller.actor(), number)
        .await?;
    s.service
        .comment_ticket(caller.actor(), t.id, &f.comment)
        .await?;
    Ok(see_other(&format!(
        "/portal/tickets/{number}?notice=rated#rating"
    )))
}

// ---- the suggestion box ----

/// A suggestion as listed.
pub struct SuggestionRow {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub author: String,
    pub status: String,
    pub response: String,
    pub when: String,
}

fn row(s: Suggestion) -> SuggestionRow {
    SuggestionRow {
        id: s.id,
        subject: s.subject,
        body: s.body,
        author: s.author_name,
        status: s.status,
        response: s.response,
        when: when(s.created_at),
    }
}

#[derive(Template)]
#[template(path = "suggestions.html")]
struct SuggestionsPage {
    layout: Layout,
    /// Staff who answer (managers, administrators) see everyone's with the triage form.
    manage: bool,
    /// The form to make one (the portal, and staff who do not answer).
    portal: bool,
    rows: Vec<SuggestionRow>,
    statuses: Vec<&'static str>,
    status: String,
}

#[derive(Debug, Deserialize)]
pub struct SuggestionsQuery {
    status: Option<String>,
    notice: Option<String>,
}

async fn suggestions_page(
    s: &AppState,
    caller: &PageCaller,
    q: &SuggestionsQuery,
    portal: bool,
) -> PageResult {
    let actor = caller.actor();
    let manage = !portal
        && steward_domain::policy::check(actor, steward_domain::policy::Action::ManageSuggestions)
            .is_ok();
    let status = super::blank(&q.status);
    let rows = s
        .service
        .suggestions(actor, status)
        .await?
        .into_iter()
        .filter(|x| manage || Some(x.author_id) == actor.person_id)
        .map(row)
        .collect();
    let section = if portal {
        "portal-suggestions"
    } else {
        "suggestions"
    };
    Ok(render(&SuggestionsPage {
        layout: caller.layout("Suggestions", section, notice(q.notice.as_deref())),
        manage,
        portal,
        rows,
        statuses: SUGGESTION_STATUSES.to_vec(),
        status: status.unwrap_or_default().to_string(),
    }))
}

/// `GET /portal/suggestions`: one's own suggestions and the form for a new one.
pub async fn portal_suggestions(
    State(s): State<AppState>,
    caller: PageCaller,
    Query(q): Query<SuggestionsQuery>,
) -> PageResult {
    suggestions_page(&s, &caller, &q, true).await
}

/// `GET /agent/suggestions`: every suggestion, to triage (managers and administrators).
pub async fn agent_suggestions(
    State(s): State<AppState>,
    super::StaffCaller(caller): super::StaffCaller,
    Query(q): Query<SuggestionsQuery>,
) -> PageResult {
    suggestions_page(&s, &caller, &q, false).await
}

#[derive(Debug, Deserialize)]
pub struct SuggestForm {
    csrf: String,
    subject: String,
    body: String,
}

/// `POST /portal/suggestions`.
pub async fn suggest(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<SuggestForm>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    s.service
        .submit_suggestion(caller.actor(), &f.subject, &f.body)
        .await?;
    Ok(see_other("/portal/suggestions?notice=suggested"))
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    csrf: String,
    status: String,
    #[serde(default)]
    response: String,
}

/// `POST /agent/suggestions/{id}`: triage.
pub async fn answer(
    State(s): State<AppState>,
    super::StaffCaller(caller): super::StaffCaller,
    Path(id): Path<i64>,
    Form(f): Form<AnswerForm>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    s.service
        .answer_suggestion(caller.actor(), id, &f.status, &f.response)
        .await?;
    Ok(see_other(&format!("/agent/suggestions?notice=saved#s{id}")))
}
