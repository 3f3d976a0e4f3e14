//! Use cases of the agent workspace: saved views, canned responses, and invitations.

use jiff::SignedDuration;
use steward_domain::policy::{check, Action};
use steward_domain::{validate, Actor, Person, PersonId};
use steward_store::workspace::{CannedResponse, SavedView};
use steward_store::StoreError;

use crate::error::NotFoundAs;
use crate::secrets::{hash_password, new_session_token, token_hash};
use crate::{Result, Service, ServiceError};

/// How long an invitation link stays valid.
pub const INVITATION_LIFETIME: SignedDuration = SignedDuration::from_hours(7 * 24);

fn allowed(actor: &Actor, action: Action, what: &'static str) -> Result<()> {
    check(actor, action).map_err(|d| ServiceError::denied(d, what))
}

fn me(actor: &Actor) -> Result<PersonId> {
    actor
        .person_id
        .ok_or_else(|| ServiceError::forbidden("only a signed-in person has saved views"))
}

impl Service {
    /// The actor's saved views.
    pub async fn saved_views(&self, actor: &Actor) -> Result<Vec<SavedView>> {
        allowed(actor, Action::SaveViews, "view")?;
        Ok(self.store.read().await?.saved_views(me(actor)?).await?)
    }

    /// Saves the current queue (its query string) under a name.
    pub async fn save_view(&self, actor: &Actor, name: &str, query: &str) -> Result<SavedView> {
        allowed(actor, Action::SaveViews, "view")?;
        let name = validate::name("name", name)?;
        let query = query.trim().trim_start_matches('?');
        if query.len() > 2000 || query.chars().any(char::is_control) {
            return Err(ServiceError::invalid("query", "is not a queue's address"));
        }
        let mut tx = self.store.write().await?;
        let v = tx
            .insert_saved_view(me(actor)?, &name, query, self.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    ServiceError::Conflict(format!("you already have a view called {name:?}"))
                }
                e => e.into(),
            })?;
        tx.commit().await?;
        Ok(v)
    }

    /// Deletes one of the actor's saved views.
    pub async fn delete_view(&self, actor: &Actor, id: i64) -> Result<()> {
        allowed(actor, Action::SaveViews, "view")?;
        let mut tx = self.store.write().await?;
        if !tx.delete_saved_view(me(actor)?, id).await? {
            return Err(ServiceError::NotFound("view"));
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn canned_responses(&self, actor: &Actor) -> Result<Vec<CannedResponse>> {
        allowed(actor, Action::UseCannedResponses, "canned response")?;
        Ok(self.store.read().await?.list_canned().await?)
    }

    pub async fn canned_response(&self, actor: &Actor, id: i64) -> Result<CannedResponse> {
        allowed(actor, Action::UseCannedResponses, "canned response")?;
        self.store
            .read()
            .await?
            .get_canned(id)
            .await
            .not_found_as("canned response")
    }

    pub async fn create_canned(
        &self,
        actor: &Actor,
        title: &str,
        body: &str,
    ) -> Result<CannedResponse> {
        allowed(actor, Action::ManageCannedResponses, "canned response")?;
        let title = validate::name("title", title)?;
        let body = validate::body(body)?;
        let mut tx = self.store.write().await?;
        let c = tx
            .insert_canned(&title, &body, actor.person_id, self.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    ServiceError::Conflict(format!("a canned response called {title:?} exists"))
                }
                e => e.into(),
            })?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_canned(
        &self,
        actor: &Actor,
        id: i64,
        title: &str,
        body: &str,
    ) -> Result<CannedResponse> {
        allowed(actor, Action::ManageCannedResponses, "canned response")?;
        let title = validate::name("title", title)?;
        let body = validate::body(body)?;
        let mut tx = self.store.write().await?;
        let c = tx
            .update_canned(id, &title, &body, self.now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound("canned response"),
                StoreError::Conflict(_) => {
                    ServiceError::Conflict(format!("a canned response called {title:?} exists"))
                }
                e => e.into(),
            })?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn delete_canned(&self, actor: &Actor, id: i64) -> Result<()> {
        allowed(actor, Action::ManageCannedResponses, "canned response")?;
        let mut tx = self.store.write().await?;
        if !tx.delete_canned(id).await? {
            return Err(ServiceError::NotFound("canned response"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates a one-time link with which `person` chooses their password (valid for 7 days).
    /// Returns the link's secret, to hand over (or, once e-mail exists, to mail).
    pub async fn invite(&self, actor: &Actor, person: PersonId) -> Result<String> {
        allowed(actor, Action::ManagePeople, "person")?;
        let secret = new_session_token()?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let p = tx.get_person(person).await.not_found_as("person")?;
        if !p.active {
            return Err(ServiceError::Conflict(format!(
                "{} is deactivated",
                p.email
            )));
        }
        let expires = now.checked_add(INVITATION_LIFETIME).unwrap_or(now);
        tx.insert_password_link(&token_hash(&secret), person, now, expires)
            .await?;
        self.audit(
            &mut tx,
            actor,
            steward_domain::audit::AuditAction::InvitationCreated,
            &format!("person:{}", person.0),
            serde_json::json!({ "expires_at": expires.to_string() }),
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The person a set-password link is for, if it is still valid.
    pub async fn password_link(&self, secret: &str) -> Result<Person> {
        let mut c = self.store.read().await?;
        let invalid = || ServiceError::NotFound("link");
        let person = c
            .password_link_person(&token_hash(secret), self.now())
            .await?
            .ok_or_else(invalid)?;
        let p = c.get_person(person).await.not_found_as("link")?;
        if !p.active {
            return Err(invalid());
        }
        Ok(p)
    }

    /// Chooses a password with a set-password link; the link then stops working and every
    /// session of the person ends.
    pub async fn set_password_with_link(&self, secret: &str, new: &str) -> Result<Person> {
        validate::password(new)?;
        let hash = hash_password(new.to_string()).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let person = tx
            .use_password_link(&token_hash(secret), now)
            .await?
            .ok_or(ServiceError::NotFound("link"))?;
        let p = tx.get_person(person).await.not_found_as("link")?;
        if !p.active {
            return Err(ServiceError::NotFound("link"));
        }
        tx.set_password(person, &hash, false, now).await?;
        let ended = tx.delete_sessions_of(person).await?;
        self.audit_as(
            &mut tx,
            Some(p.id),
            &p.email,
            steward_domain::audit::AuditAction::InvitationUsed,
            &format!("person:{}", p.id),
            serde_json::json!({ "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }
}
