//! Signing in and out, sessions, API tokens, and the first administrator.

use jiff::SignedDuration;
use serde_json::json;
use steward_domain::audit::AuditAction;
use steward_domain::policy::{check, Action};
use steward_domain::{validate, Actor, Person, PersonId, Role, TokenId};
use steward_store::auth::{SessionRecord, TokenRecord};
use steward_store::directory::NewPerson;
use steward_store::StoreError;

use crate::error::NotFoundAs;
use crate::secrets::{
    hash_password, new_api_token, new_session_token, new_typable_secret, token_hash,
    verify_password,
};
use crate::{Result, Service, ServiceError};

/// How long a browser session lasts after sign-in.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(14 * 24);
/// Sessions and tokens record their last use at most this often (saves a write per request).
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(5);
/// The longest an API token may be made to last, in days.
const MAX_TOKEN_DAYS: u32 = 3650;

/// A sign-in attempt.
#[derive(Clone)]
pub struct SignIn {
    pub email: String,
    pub password: String,
    pub user_agent: String,
    pub ip: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("email", &self.email)
            .field("password", &"***")
            .field("user_agent", &self.user_agent)
            .field("ip", &self.ip)
            .finish()
    }
}

/// Who a request comes from, once their credentials were checked.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub person: Person,
    pub actor: Actor,
    /// The API token used, if any (`None` for a browser session).
    pub token_id: Option<TokenId>,
    /// The hash of the session used, if any.
    pub session_hash: Option<String>,
    /// Their role requires two-factor sign-in and they have not set it up: nothing but that
    /// (and signing out) until they do. Never set for API tokens.
    pub two_factor_missing: bool,
}

impl Authenticated {
    fn new(person: Person, token_id: Option<TokenId>, session_hash: Option<String>) -> Self {
        Authenticated {
            actor: person.actor(),
            person,
            token_id,
            session_hash,
            two_factor_missing: false,
        }
    }
}

/// A new API token: its record and its secret, shown once.
#[derive(Clone)]
pub struct TokenCreated {
    pub token: TokenRecord,
    pub secret: String,
}

impl std::fmt::Debug for TokenCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCreated")
            .field("token", &self.token)
            .field("secret", &"***")
            .finish()
    }
}

fn bad_credentials() -> ServiceError {
    ServiceError::Unauthenticated("wrong e-mail address or password".into())
}

impl Service {
    /// Checks an e-mail address and password and opens a session — or, for someone with
    /// two-factor sign-in, a challenge for the code ([`Service::sign_in_second_factor`]).
    pub async fn sign_in(&self, s: SignIn) -> Result<crate::SignedIn> {
        let now = self.now();
        let email = s.email.trim().to_lowercase();
        let email_key = format!("email:{email}");
        let keys = vec![email_key.clone(), format!("ip:{}", s.ip)];
        if let Err(retry_after_secs) = self.limiter.attempt(&keys, now) {
            // Refusals while locked out are not recorded one by one (they cost nothing to make):
            // the failure that began the lock-out was.
            return Err(ServiceError::RateLimited { retry_after_secs });
        }
        // A malformed address cannot belong to anyone; it is refused like a wrong password, after
        // the same work, so that the two cannot be told apart.
        let found = match validate::email(&email) {
            Err(_) => None,
            Ok(email) => match self.store.read().await?.person_with_password(&email).await {
                Ok(found) => Some(found),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
        };
        let (person, hash) = match found {
            Some((p, h)) => (Some(p), h),
            None => (None, None),
        };
        let ok = verify_password(s.password, hash).await?;
        let person = match person {
            Some(p) if ok && p.active => p,
            person => {
                let why = match &person {
                    None => "unknown address",
                    Some(p) if !p.active => "deactivated",
                    Some(_) => "wrong password",
                };
                let id = person.as_ref().map(|p| p.id);
                self.audit_alone(
                    id,
                    &email,
                    AuditAction::SignInFailed,
                    "",
                    json!({ "reason": why }),
                )
                .await?;
                if self.limiter.is_locked(&email_key, now) {
                    self.audit_alone(
                        id,
                        &email,
                        AuditAction::SignInLocked,
                        "",
                        json!({ "key": "address" }),
                    )
                    .await?;
                } else if self.limiter.is_locked(&keys[1], now) {
                    self.audit_alone(
                        id,
                        &email,
                        AuditAction::SignInLocked,
                        "",
                        json!({ "key": "client" }),
                    )
                    .await?;
                }
                return Err(bad_credentials());
            }
        };
        let outcome = self.after_password(person, &s.user_agent, &s.ip).await?;
        // A right password clears the account's count only when it signs in: with a second factor
        // to come, the count goes on, so that someone who knows the password cannot get challenge
        // after challenge to guess codes ([`Service::sign_in_second_factor`] counts wrong codes).
        if matches!(outcome, crate::SignedIn::Session { .. }) {
            self.limiter.succeeded(&email_key);
        }
        Ok(outcome)
    }

    /// Opens a session for someone who proved who they are, and records the sign-in. Returns
    /// the session's secret.
    pub(crate) async fn open_session(
        &self,
        person: &Person,
        user_agent: &str,
        ip: &str,
        detail: serde_json::Value,
    ) -> Result<String> {
        let now = self.now();
        let secret = new_session_token()?;
        let mut tx = self.store.write().await?;
        tx.insert_session(&SessionRecord {
            token_hash: token_hash(&secret),
            person_id: person.id,
            created_at: now,
            last_seen_at: now,
            expires_at: now.checked_add(SESSION_LIFETIME).unwrap_or(now),
            user_agent: user_agent.chars().take(300).collect(),
            ip: ip.chars().take(100).collect(),
        })
        .await?;
        self.audit_as(
            &mut tx,
            Some(person.id),
            &person.email,
            AuditAction::SignIn,
            &format!("person:{}", person.id),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The person behind a session secret, if the session is live and the person active.
    pub async fn session(&self, secret: &str) -> Result<Authenticated> {
        let now = self.now();
        let hash = token_hash(secret);
        let (session, person) = match self.store.read().await?.find_session(&hash).await {
            Ok(found) => found,
            Err(StoreError::NotFound) => {
                return Err(ServiceError::Unauthenticated(
                    "your session has ended; sign in again".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        if session.expires_at <= now || !person.active {
            return Err(ServiceError::Unauthenticated(
                "your session has ended; sign in again".into(),
            ));
        }
        if session
            .last_seen_at
            .checked_add(TOUCH_EVERY)
            .is_ok_and(|t| t <= now)
        {
            // Best effort: a database that cannot write (a full disk) still lets people read.
            let touched = async {
                let mut tx = self.store.write().await?;
                tx.touch_session(&hash, now).await?;
                tx.commit().await
            };
            if let Err(e) = touched.await {
                tracing::warn!(error = %e, "cannot record a session's last use");
            }
        }
        let missing = self.lacks_required_two_factor(&person).await?;
        let mut who = Authenticated::new(person, None, Some(hash));
        who.two_factor_missing = missing;
        Ok(who)
    }

    /// Ends a session.
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        let hash = token_hash(secret);
        let mut tx = self.store.write().await?;
        let owner = match tx.find_session(&hash).await {
            Ok((_, p)) => Some(p),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        tx.delete_session(&hash).await?;
        if let Some(p) = owner {
            self.audit_as(
                &mut tx,
                Some(p.id),
                &p.email,
                AuditAction::SignOut,
                &format!("person:{}", p.id),
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A person's live sessions (their own; administrators anyone's).
    pub async fn sessions(&self, actor: &Actor, person: PersonId) -> Result<Vec<SessionRecord>> {
        check(actor, Action::ManageSessionsOf(person))
            .map_err(|d| ServiceError::denied(d, "person"))?;
        Ok(self
            .store
            .read()
            .await?
            .list_sessions(person, self.now())
            .await?)
    }

    /// Ends one of a person's sessions, named by [`SessionRecord::id`]. A session the actor may
    /// not manage, or that does not exist, is "not found".
    pub async fn end_session_of(&self, actor: &Actor, person: PersonId, id: &str) -> Result<()> {
        check(actor, Action::ManageSessionsOf(person))
            .map_err(|_| ServiceError::NotFound("session"))?;
        let mut tx = self.store.write().await?;
        if !tx.delete_session_named(person, id).await? {
            return Err(ServiceError::NotFound("session"));
        }
        self.audit(
            &mut tx,
            actor,
            AuditAction::SessionEnded,
            &format!("person:{}", person.0),
            json!({ "session": id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of a person (administrators: "sign out everywhere"; anyone: their own
    /// other sessions, keeping `keep`). Returns how many ended.
    pub async fn end_sessions_of(
        &self,
        actor: &Actor,
        person: PersonId,
        keep: Option<&str>,
    ) -> Result<u64> {
        check(actor, Action::ManageSessionsOf(person))
            .map_err(|_| ServiceError::NotFound("person"))?;
        let mut tx = self.store.write().await?;
        let n = tx.delete_sessions_of_except(person, keep).await?;
        self.audit(
            &mut tx,
            actor,
            AuditAction::SessionEnded,
            &format!("person:{}", person.0),
            json!({ "sessions": n, "all": keep.is_none() }),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Whether the session with this hash (from [`Authenticated::session_hash`]) is still live:
    /// not ended, not expired, its person active. For long-lived connections to re-check.
    pub async fn session_alive(&self, session_hash: &str) -> Result<bool> {
        match self.store.read().await?.find_session(session_hash).await {
            Ok((s, p)) => Ok(s.expires_at > self.now() && p.active),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Ends the session with this hash (from [`Authenticated::session_hash`]).
    pub async fn end_session(&self, session_hash: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.delete_session(session_hash).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person behind an API token, if it is neither revoked nor expired and the person active.
    pub async fn token(&self, secret: &str) -> Result<Authenticated> {
        let now = self.now();
        let invalid = || ServiceError::Unauthenticated("invalid API token".into());
        if !secret.starts_with("stw_") || secret.len() > 200 {
            return Err(invalid());
        }
        let (token, person) = match self
            .store
            .read()
            .await?
            .find_token(&token_hash(secret))
            .await
        {
            Ok(found) => found,
            Err(StoreError::NotFound) => return Err(invalid()),
            Err(e) => return Err(e.into()),
        };
        if token.revoked_at.is_some() {
            return Err(ServiceError::Unauthenticated(
                "this API token was revoked".into(),
            ));
        }
        if token.expires_at.is_some_and(|e| e <= now) {
            return Err(ServiceError::Unauthenticated(
                "this API token has expired".into(),
            ));
        }
        if !person.active {
            return Err(ServiceError::Unauthenticated(
                "this account is deactivated".into(),
            ));
        }
        let stale = token
            .last_used_at
            .is_none_or(|t| t.checked_add(TOUCH_EVERY).is_ok_and(|t| t <= now));
        if stale {
            // Best effort, as for sessions.
            let touched = async {
                let mut tx = self.store.write().await?;
                tx.touch_token(token.id, now).await?;
                tx.commit().await
            };
            if let Err(e) = touched.await {
                tracing::warn!(error = %e, "cannot record a token's last use");
            }
        }
        Ok(Authenticated::new(person, Some(token.id), None))
    }

    /// Changes one's own password, checking the current one. Ends every other session.
    pub async fn change_password(
        &self,
        who: &Authenticated,
        current: &str,
        new: &str,
    ) -> Result<()> {
        validate::password(new)?;
        self.check_own_password(who, current).await?;
        let hash = hash_password(new.to_string()).await?;
        let mut tx = self.store.write().await?;
        tx.set_password(who.person.id, &hash, false, self.now())
            .await?;
        self.audit(
            &mut tx,
            &who.actor,
            AuditAction::PasswordChanged,
            &format!("person:{}", who.person.id),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the signed-in person's current password (before changing something that matters),
    /// rate-limited like signing in.
    pub(crate) async fn check_own_password(
        &self,
        who: &Authenticated,
        password: &str,
    ) -> Result<()> {
        let key = format!("password:{}", who.person.id);
        if let Err(retry_after_secs) = self.limiter.attempt(std::slice::from_ref(&key), self.now())
        {
            return Err(ServiceError::RateLimited { retry_after_secs });
        }
        let (_, hash) = self
            .store
            .read()
            .await?
            .person_with_password(&who.person.email)
            .await
            .not_found_as("person")?;
        if !verify_password(password.to_string(), hash).await? {
            return Err(ServiceError::forbidden("the current password is wrong"));
        }
        self.limiter.succeeded(&key);
        Ok(())
    }

    /// Sets a person's password as an administrator (or from the command line).
    pub async fn set_password(&self, actor: &Actor, person: PersonId, new: &str) -> Result<()> {
        check(actor, Action::ManagePeople).map_err(|d| ServiceError::denied(d, "person"))?;
        validate::password(new)?;
        let hash = hash_password(new.to_string()).await?;
        let mut tx = self.store.write().await?;
        tx.set_password(person, &hash, false, self.now())
            .await
            .not_found_as("person")?;
        let ended = tx.delete_sessions_of(person).await?;
        self.audit(
            &mut tx,
            actor,
            AuditAction::PasswordSet,
            &format!("person:{}", person.0),
            json!({ "sessions_ended": ended }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an API token for `person`; the secret is returned once and stored only hashed.
    pub async fn create_token(
        &self,
        actor: &Actor,
        person: PersonId,
        label: &str,
        expires_in_days: Option<u32>,
    ) -> Result<TokenCreated> {
        check(actor, Action::ManageTokensOf(person))
            .map_err(|d| ServiceError::denied(d, "person"))?;
        let label = validate::label(label)?;
        let now = self.now();
        let expires_at = match expires_in_days {
            Some(d) if d == 0 || d > MAX_TOKEN_DAYS => {
                return Err(ServiceError::invalid(
                    "expires_in_days",
                    format!("must be between 1 and {MAX_TOKEN_DAYS}"),
                ))
            }
            Some(d) => Some(
                now.checked_add(SignedDuration::from_hours(24 * i64::from(d)))
                    .map_err(|e| ServiceError::invalid("expires_in_days", e.to_string()))?,
            ),
            None => None,
        };
        let secret = new_api_token()?;
        let mut tx = self.store.write().await?;
        let owner = tx.get_person(person).await.not_found_as("person")?;
        if !owner.active {
            return Err(ServiceError::Conflict(format!(
                "{} is deactivated",
                owner.email
            )));
        }
        let token = tx
            .insert_token(
                person,
                &label,
                &token_hash(&secret),
                &secret[4..12],
                expires_at,
                now,
            )
            .await?;
        self.audit(
            &mut tx,
            actor,
            AuditAction::TokenCreated,
            &format!("token:{}", token.id.0),
            json!({ "owner": person.0, "label": token.label, "prefix": token.prefix,
                    "expires_at": token.expires_at.map(|t| t.to_string()) }),
        )
        .await?;
        tx.commit().await?;
        Ok(TokenCreated { token, secret })
    }

    /// A person's API tokens (never their secrets).
    pub async fn list_tokens(&self, actor: &Actor, person: PersonId) -> Result<Vec<TokenRecord>> {
        check(actor, Action::ManageTokensOf(person))
            .map_err(|d| ServiceError::denied(d, "person"))?;
        Ok(self.store.read().await?.list_tokens(person).await?)
    }

    /// Revokes a token. Someone else's token that the actor may not manage is "not found".
    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<TokenRecord> {
        let mut tx = self.store.write().await?;
        let token = tx.get_token(id).await.not_found_as("token")?;
        check(actor, Action::ManageTokensOf(token.person_id))
            .map_err(|_| ServiceError::NotFound("token"))?;
        tx.revoke_token(id, self.now()).await?;
        let token = tx.get_token(id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditAction::TokenRevoked,
            &format!("token:{}", id.0),
            json!({ "owner": token.person_id.0, "label": token.label }),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// On a database without any administrator, creates one with a one-time secret that must be
    /// replaced at first sign-in. Returns the person and the secret, or `None` if an admin exists.
    pub async fn bootstrap_admin(&self, email: &str) -> Result<Option<(Person, String)>> {
        let email = validate::email(email)?;
        if self
            .store
            .read()
            .await?
            .count_people_with_role(Role::Admin, false)
            .await?
            > 0
        {
            return Ok(None);
        }
        let secret = new_typable_secret()?;
        let hash = hash_password(secret.clone()).await?;
        let mut tx = self.store.write().await?;
        // Checked again inside the transaction, in case another process got there first.
        if tx.count_people_with_role(Role::Admin, false).await? > 0 {
            return Ok(None);
        }
        let person = tx
            .insert_person(
                &NewPerson {
                    email,
                    name: "Administrator".into(),
                    role: Role::Admin,
                    organisation_id: None,
                    org_access: false,
                    password_hash: Some(hash),
                    must_change_password: true,
                },
                self.now(),
            )
            .await;
        let person = match person {
            Ok(p) => p,
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                // Another node may have created the administrator at the same moment.
                if self
                    .store
                    .read()
                    .await?
                    .count_people_with_role(Role::Admin, false)
                    .await?
                    > 0
                {
                    return Ok(None);
                }
                return Err(ServiceError::Conflict(
                    "the initial administrator's e-mail address is taken by someone who is not an administrator".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        Ok(Some((person, secret)))
    }
}
