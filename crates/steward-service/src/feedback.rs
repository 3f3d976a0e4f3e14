//! Feedback: satisfaction surveys and the suggestion box.
//!
//! When a ticket is resolved, a `survey` job is scheduled after the configured delay. When it runs
//! and the ticket is still resolved (or closed) on the same resolution, a survey is started: one
//! per resolution (a reopened and re-resolved ticket is asked again), with a random link secret
//! (stored hashed), and the requester is mailed its links. The link needs no sign-in: it opens a
//! page with the chosen rating, and sending it records it once; a comment may follow, once. The
//! requester can also rate in the portal. A rating is stored on the ticket (`tickets.rating`) and
//! sets off the rules with the `rated` trigger in the same transaction.

use steward_domain::policy::{check, Action};
use steward_domain::{validate, Actor, EventAction, OrgId, Status, Ticket, TicketId, Timestamp};
use steward_store::reports::{Suggestion, Survey, SUGGESTION_STATUSES};
use steward_store::StoreError;

use crate::error::NotFoundAs;
use crate::notices::{Notice, NoticeKind};
use crate::{Result, Service, ServiceError};

/// Starting a survey of a resolution.
pub(crate) const SURVEY: &str = "survey";

/// The key of a ticket's pending survey.
pub(crate) fn survey_key(t: TicketId) -> String {
    format!("survey:{}", t.0)
}

/// The words of the ratings, 1 to 5.
pub const RATING_WORDS: [&str; 5] = [
    "Very dissatisfied",
    "Dissatisfied",
    "Neither",
    "Satisfied",
    "Very satisfied",
];

/// The words of a rating ("Satisfied" for 4); empty for anything but 1 to 5.
pub fn rating_words(r: u8) -> &'static str {
    RATING_WORDS
        .get(usize::from(r).wrapping_sub(1))
        .copied()
        .unwrap_or("")
}

/// Longest comment kept.
const MAX_COMMENT: usize = 4000;

/// A survey with the ticket it asks about, for the survey page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyView {
    pub survey: Survey,
    pub number: i64,
    pub subject: String,
}

/// How long suggestions lists run.
const SUGGESTIONS_LIMIT: i64 = 500;

fn rating(r: i64) -> Result<u8> {
    match u8::try_from(r) {
        Ok(r @ 1..=5) => Ok(r),
        _ => Err(ServiceError::invalid("rating", "a rating is 1 to 5")),
    }
}

fn comment(c: &str) -> Result<String> {
    let c = c.trim();
    if c.chars().count() > MAX_COMMENT {
        return Err(ServiceError::invalid(
            "comment",
            format!("a comment has at most {MAX_COMMENT} characters"),
        ));
    }
    Ok(c.to_string())
}

impl Service {
    /// The same service asking requesters to rate resolved tickets `delay` after the resolution
    /// (`None`: no surveys).
    pub fn with_surveys(mut self, delay: Option<jiff::SignedDuration>) -> Self {
        self.surveys = delay;
        self
    }

    /// After every change to a ticket, in its transaction: a resolved ticket's survey is due
    /// `delay` after its resolution; one reopened is not asked (until resolved again).
    pub(crate) async fn schedule_survey(
        &self,
        tx: &mut steward_store::Conn,
        t: &Ticket,
    ) -> Result<()> {
        let key = survey_key(t.id);
        match (t.status, t.resolved_at, self.surveys) {
            (Status::Resolved, Some(at), Some(delay)) => {
                let when = at.checked_add(delay).unwrap_or(at);
                let payload = at.as_microsecond().to_string();
                tx.schedule_job(SURVEY, Some(t.id), &payload, Some(&key), when, self.now())
                    .await?;
            }
            // A closed ticket keeps the survey of the resolution it was closed in.
            (Status::Closed, ..) => {}
            _ if crate::jobs::was_resolved(t) => tx.cancel_job(&key).await?,
            _ => {}
        }
        Ok(())
    }

    /// The scheduler's `survey` job: starts the survey of the resolution at `payload` (if the
    /// ticket is still resolved or closed from it, and was not asked yet) and mails its links.
    pub(crate) async fn start_survey(&self, id: TicketId, payload: &str) -> Result<()> {
        let Ok(at) = payload
            .parse::<i64>()
            .map_err(|_| ())
            .and_then(|us| Timestamp::from_microsecond(us).map_err(|_| ()))
        else {
            return Err(ServiceError::invalid(
                "payload",
                "survey job without an instant",
            ));
        };
        let now = self.now();
        let mut tx = self.store.write().await?;
        let t = match tx.get_ticket_for_update(id).await {
            Ok(t) => t,
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let same_resolution = t.resolved_at == Some(at);
        if !matches!(t.status, Status::Resolved | Status::Closed) || !same_resolution {
            return Ok(());
        }
        let requester = tx.get_person(t.requester_id).await?;
        if !requester.active || requester.role.is_staff() {
            return Ok(());
        }
        let token = crate::secrets::new_session_token()?;
        let hash = crate::secrets::token_hash(&token);
        if tx.insert_survey(t.id, at, &hash, now).await?.is_none() {
            return Ok(());
        }
        tx.record_history(t.id, None, now, EventAction::SurveySent, &[])
            .await?;
        if let Some(base) = self.mail.link_base.as_deref() {
            let base = base.trim_end_matches('/');
            let links: Vec<String> = (1..=5u8)
                .rev()
                .map(|r| {
                    format!(
                        "  {r} – {}: {base}/survey/{token}?rating={r}",
                        RATING_WORDS[usize::from(r) - 1]
                    )
                })
                .collect();
            let text = self
                .mail
                .templates
                .survey
                .replace("{survey}", &links.join("\n"));
            self.enqueue_to_requester(&mut tx, &t, "survey", &t.subject, &text, "", false, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A survey by its link's secret (no sign-in: the secret is the permission).
    pub async fn survey_by_token(&self, token: &str) -> Result<SurveyView> {
        let mut c = self.store.read().await?;
        let survey = c
            .survey_by_token(&crate::secrets::token_hash(token.trim()))
            .await
            .not_found_as("survey")?;
        let t = c
            .get_ticket(survey.ticket_id)
            .await
            .not_found_as("survey")?;
        Ok(SurveyView {
            survey,
            number: t.number,
            subject: t.subject,
        })
    }

    /// Records a rating (and a comment, if given) through a survey link. A survey is rated once:
    /// a second rating is refused as a conflict.
    pub async fn rate_by_token(
        &self,
        token: &str,
        rating_value: i64,
        comment_text: &str,
    ) -> Result<SurveyView> {
        let view = self.survey_by_token(token).await?;
        self.rate(view.survey.id, rating_value, comment_text)
            .await?;
        self.survey_by_token(token).await
    }

    /// Adds the comment to a rated survey through its link, once.
    pub async fn comment_by_token(&self, token: &str, comment_text: &str) -> Result<SurveyView> {
        let view = self.survey_by_token(token).await?;
        self.add_comment(view.survey.id, comment_text).await?;
        self.survey_by_token(token).await
    }

    /// The requester rates their ticket's latest survey in the portal.
    pub async fn rate_ticket(
        &self,
        actor: &Actor,
        ticket: TicketId,
        rating_value: i64,
        comment_text: &str,
    ) -> Result<Survey> {
        let survey = match self.requesters_survey(actor, ticket).await? {
            s if s.rating.is_none() => s,
            _ => {
                return Err(ServiceError::Conflict(
                    "this resolution is rated already".into(),
                ))
            }
        };
        self.rate(survey.id, rating_value, comment_text).await?;
        Ok(self.store.read().await?.get_survey(survey.id).await?)
    }

    /// The requester adds the comment to their rating of a ticket in the portal.
    pub async fn comment_ticket(
        &self,
        actor: &Actor,
        ticket: TicketId,
        comment_text: &str,
    ) -> Result<Survey> {
        let survey = self.requesters_survey(actor, ticket).await?;
        self.add_comment(survey.id, comment_text).await?;
        Ok(self.store.read().await?.get_survey(survey.id).await?)
    }

    /// The ticket's latest survey, for its requester (who alone rates and comments; others who
    /// see the ticket are refused, others still do not find it).
    async fn requesters_survey(&self, actor: &Actor, ticket: TicketId) -> Result<Survey> {
        let mut c = self.store.read().await?;
        let t = c.get_ticket(ticket).await.not_found_as("ticket")?;
        check(actor, Action::ViewTicket(crate::tickets::owner(&t)))
            .map_err(|d| ServiceError::denied(d, "ticket"))?;
        if actor.person_id != Some(t.requester_id) {
            return Err(ServiceError::forbidden(
                "only the ticket's requester rates it",
            ));
        }
        c.ticket_surveys(ticket)
            .await?
            .pop()
            .ok_or(ServiceError::NotFound("survey"))
    }

    /// A ticket's surveys (staff; and the ticket's requester and those who see it).
    pub async fn ticket_surveys(&self, actor: &Actor, ticket: TicketId) -> Result<Vec<Survey>> {
        let mut c = self.store.read().await?;
        let t = c.get_ticket(ticket).await.not_found_as("ticket")?;
        check(actor, Action::ViewTicket(crate::tickets::owner(&t)))
            .map_err(|d| ServiceError::denied(d, "ticket"))?;
        Ok(c.ticket_surveys(ticket).await?)
    }

    async fn rate(&self, survey: i64, rating_value: i64, comment_text: &str) -> Result<()> {
        let r = rating(rating_value)?;
        let comment_text = comment(comment_text)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let s = tx.get_survey(survey).await.not_found_as("survey")?;
        let mut t = tx
            .get_ticket_for_update(s.ticket_id)
            .await
            .not_found_as("survey")?;
        if !tx.rate_survey(s.id, r, now).await? {
            return Err(ServiceError::Conflict(
                "this resolution is rated already: thank you".into(),
            ));
        }
        if !comment_text.is_empty() {
            tx.comment_survey(s.id, &comment_text).await?;
        }
        tx.record_history(
            t.id,
            Some(t.requester_id),
            now,
            EventAction::Rated,
            &[steward_domain::Change {
                field: steward_domain::Field::Rating,
                old: t.rating.map(|x| x.to_string()),
                new: Some(r.to_string()),
            }],
        )
        .await?;
        t.rating = Some(r);
        self.run_rules(&mut tx, &mut t, steward_domain::rules::Trigger::Rated)
            .await?;
        self.ticket_changed(&mut tx, &mut t).await?;
        self.commit_announcing(tx, Notice::new(NoticeKind::Changed, &t))
            .await?;
        Ok(())
    }

    async fn add_comment(&self, survey: i64, comment_text: &str) -> Result<()> {
        let comment_text = comment(comment_text)?;
        if comment_text.is_empty() {
            return Err(ServiceError::invalid("comment", "the comment is empty"));
        }
        let mut tx = self.store.write().await?;
        let s = tx.get_survey(survey).await.not_found_as("survey")?;
        if s.rating.is_none() {
            return Err(ServiceError::Conflict("rate first, then comment".into()));
        }
        if !tx.comment_survey(s.id, &comment_text).await? {
            return Err(ServiceError::Conflict(
                "this rating has its comment already".into(),
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- the suggestion box ----

    /// Puts feedback in the suggestion box.
    pub async fn submit_suggestion(
        &self,
        actor: &Actor,
        subject: &str,
        body: &str,
    ) -> Result<Suggestion> {
        check(actor, Action::SubmitSuggestion)
            .map_err(|d| ServiceError::denied(d, "suggestion"))?;
        let Some(author) = actor.person_id else {
            return Err(ServiceError::forbidden("suggestions come from people"));
        };
        let subject = validate::subject(subject)?;
        let body = validate::body(body)?;
        let org: Option<OrgId> = actor.organisation_id;
        let mut tx = self.store.write().await?;
        let id = tx
            .insert_suggestion(author, org, &subject, &body, self.now())
            .await?;
        let s = tx.get_suggestion(id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Suggestions, newest first: all of them for those who answer them, one's own for others.
    pub async fn suggestions(
        &self,
        actor: &Actor,
        status: Option<&str>,
    ) -> Result<Vec<Suggestion>> {
        if let Some(s) = status {
            if !SUGGESTION_STATUSES.contains(&s) {
                return Err(ServiceError::invalid(
                    "status",
                    format!("a suggestion is {}", SUGGESTION_STATUSES.join(", ")),
                ));
            }
        }
        let author = match check(actor, Action::ManageSuggestions) {
            Ok(()) => None,
            Err(_) => {
                check(actor, Action::SubmitSuggestion)
                    .map_err(|d| ServiceError::denied(d, "suggestion"))?;
                actor.person_id
            }
        };
        let mut c = self.store.read().await?;
        Ok(c.list_suggestions(author, status, SUGGESTIONS_LIMIT)
            .await?)
    }

    /// One suggestion: its author's, or anyone's for those who answer them.
    pub async fn suggestion(&self, actor: &Actor, id: i64) -> Result<Suggestion> {
        let mut c = self.store.read().await?;
        let s = c.get_suggestion(id).await.not_found_as("suggestion")?;
        if check(actor, Action::ManageSuggestions).is_err() && actor.person_id != Some(s.author_id)
        {
            return Err(ServiceError::NotFound("suggestion"));
        }
        Ok(s)
    }

    /// Triages a suggestion: its status (`new`, `planned`, `done`, `declined`) and an answer its
    /// author reads.
    pub async fn answer_suggestion(
        &self,
        actor: &Actor,
        id: i64,
        status: &str,
        response: &str,
    ) -> Result<Suggestion> {
        check(actor, Action::ManageSuggestions)
            .map_err(|d| ServiceError::denied(d, "suggestion"))?;
        if !SUGGESTION_STATUSES.contains(&status) {
            return Err(ServiceError::invalid(
                "status",
                format!("a suggestion is {}", SUGGESTION_STATUSES.join(", ")),
            ));
        }
        let response = response.trim();
        if response.chars().count() > MAX_COMMENT {
            return Err(ServiceError::invalid(
                "response",
                format!("an answer has at most {MAX_COMMENT} characters"),
            ));
        }
        let mut tx = self.store.write().await?;
        tx.update_suggestion(id, status, response, self.now())
            .await
            .not_found_as("suggestion")?;
        let s = tx.get_suggestion(id).await?;
        tx.commit().await?;
        Ok(s)
    }
}
