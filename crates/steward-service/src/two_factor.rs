//! Two-factor sign-in with an authenticator app (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, six
//! digits) and one-time recovery codes; password reset and sign-in links sent by mail.
//!
//! A right password for someone with two-factor sign-in opens no session: it gives a challenge
//! (a random secret, stored hashed, valid 5 minutes, 5 tries), which a code from the app (or a
//! recovery code) turns into a session. A code is accepted once (the step it belongs to is
//! remembered), within one step either side of now for clocks that drift.

use hmac::{Hmac, Mac};
use jiff::SignedDuration;
use serde_json::json;
use steward_domain::audit::AuditAction;
use steward_domain::policy::{check, Action};
use steward_domain::{Actor, Person, PersonId, Role, Timestamp};
use steward_store::StoreError;

use crate::auth::Authenticated;
use crate::error::NotFoundAs;
use crate::secrets::{new_session_token, token_hash};
use crate::{Result, Service, ServiceError};

/// Seconds per TOTP step.
pub const TOTP_STEP_SECS: i64 = 30;
/// How long a right password waits for its second factor.
const CHALLENGE_LIFETIME: SignedDuration = SignedDuration::from_mins(5);
/// Codes tried per challenge.
const MAX_CODE_TRIES: i64 = 5;
/// How many recovery codes a person gets.
const RECOVERY_CODES: usize = 10;
/// How long a password-reset link works.
pub const RESET_LIFETIME: SignedDuration = SignedDuration::from_mins(30);
/// How long a sign-in link works.
pub const SIGN_IN_LINK_LIFETIME: SignedDuration = SignedDuration::from_mins(15);

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (how authenticator apps take secrets).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = vec![];
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = BASE32
            .iter()
            .position(|&b| b as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buf >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The six-digit code of `step` for `secret` (RFC 6238 with HMAC-SHA1).
pub fn totp(secret: &[u8], step: u64) -> u32 {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let at = (h[19] & 0x0f) as usize;
    let n = u32::from_be_bytes([h[at] & 0x7f, h[at + 1], h[at + 2], h[at + 3]]);
    n % 1_000_000
}

/// The step an instant falls in.
fn step_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(TOTP_STEP_SECS)
}

/// The code an authenticator app shows at `at` for a base32 secret (for tests and tools).
pub fn totp_code(secret_base32: &str, at: Timestamp) -> Option<String> {
    let secret = base32_decode(secret_base32)?;
    Some(format!("{:06}", totp(&secret, step_of(at) as u64)))
}

/// What a person sees to set up their authenticator app.
#[derive(Clone)]
pub struct Enrolment {
    /// Base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, which the QR code holds.
    pub uri: String,
    /// The QR code as SVG.
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment { *** }")
    }
}

/// Whether a person has two-factor sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// Their role must have it.
    pub required: bool,
}

/// The outcome of a right password.
#[derive(Clone)]
pub enum SignedIn {
    /// A session: its secret (for the cookie).
    Session { secret: String, person: Person },
    /// Two-factor sign-in: a code is needed, with this challenge.
    SecondFactor { challenge: String, person: Person },
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignedIn::Session { person, .. } => write!(f, "Session({})", person.email),
            SignedIn::SecondFactor { person, .. } => write!(f, "SecondFactor({})", person.email),
        }
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A recovery code: 10 characters a person can type, in two groups (about 50 bits).
fn new_recovery_code() -> Result<String> {
    let raw = crate::secrets::new_typable_secret()?;
    let letters: String = raw.chars().filter(|c| *c != '-').take(10).collect();
    Ok(format!("{}-{}", &letters[..5], &letters[5..]))
}

/// How recovery codes are compared: without the dash, spaces or case.
fn recovery_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&norm)
}

fn wrong_code() -> ServiceError {
    ServiceError::Unauthenticated("that code is not right; try the next one your app shows".into())
}

impl Service {
    /// The same service requiring two-factor sign-in of people in `roles`.
    pub fn with_two_factor_roles(mut self, roles: Vec<Role>) -> Self {
        self.two_factor_roles = std::sync::Arc::from(roles);
        self
    }

    /// The same service letting requesters ask for a sign-in link by mail.
    pub fn with_sign_in_links(mut self, on: bool) -> Self {
        self.sign_in_links = on;
        self
    }

    /// Whether requesters may ask for a sign-in link.
    pub fn sign_in_links_enabled(&self) -> bool {
        self.sign_in_links && self.mail.send && self.mail.link_base.is_some()
    }

    /// Whether `role` must use two-factor sign-in.
    pub fn two_factor_required(&self, role: Role) -> bool {
        self.two_factor_roles.contains(&role)
    }

    /// Whether this person must set up two-factor sign-in before anything else (their role
    /// requires it and they have none).
    pub(crate) async fn lacks_required_two_factor(&self, person: &Person) -> Result<bool> {
        if !self.two_factor_required(person.role) {
            return Ok(false);
        }
        let secret = self.store.read().await?.totp_secret(person.id).await?;
        Ok(!secret.is_some_and(|s| s.confirmed))
    }

    /// After a right password: a session, or a challenge for the second factor.
    pub(crate) async fn after_password(
        &self,
        person: Person,
        user_agent: &str,
        ip: &str,
    ) -> Result<SignedIn> {
        let now = self.now();
        let has = self
            .store
            .read()
            .await?
            .totp_secret(person.id)
            .await?
            .is_some_and(|s| s.confirmed);
        if !has {
            let secret = self
                .open_session(&person, user_agent, ip, json!({}))
                .await?;
            return Ok(SignedIn::Session { secret, person });
        }
        let challenge = new_session_token()?;
        let mut tx = self.store.write().await?;
        tx.delete_challenge("", now).await?;
        tx.insert_challenge(
            &token_hash(&challenge),
            person.id,
            now.checked_add(CHALLENGE_LIFETIME).unwrap_or(now),
        )
        .await?;
        tx.commit().await?;
        Ok(SignedIn::SecondFactor { challenge, person })
    }

    /// The second step of signing in: a code from the app, or a recovery code, for a challenge.
    pub async fn sign_in_second_factor(
        &self,
        challenge: &str,
        code: &str,
        user_agent: &str,
        ip: &str,
    ) -> Result<(String, Person)> {
        let now = self.now();
        let hash = token_hash(challenge);
        let expired = || {
            ServiceError::Unauthenticated(
                "the sign-in took too long or had too many wrong codes; sign in again".into(),
            )
        };
        let mut tx = self.store.write().await?;
        let Some((person_id, tries)) = tx.try_challenge(&hash, now).await? else {
            return Err(expired());
        };
        if tries > MAX_CODE_TRIES {
            tx.delete_challenge(&hash, now).await?;
            tx.commit().await?;
            return Err(expired());
        }
        let person = tx.get_person(person_id).await.not_found_as("person")?;
        // Codes count against the account like passwords (before they are checked, as sign-in
        // attempts do): a password known to someone else does not let them guess codes forever.
        let email_key = format!("email:{}", person.email);
        if let Err(retry_after_secs) = self.limiter.attempt(std::slice::from_ref(&email_key), now) {
            return Err(ServiceError::RateLimited { retry_after_secs });
        }
        let how = self.check_code(&mut tx, person_id, code, now).await?;
        match how {
            None => {
                self.audit_as(
                    &mut tx,
                    Some(person.id),
                    &person.email,
                    AuditAction::SignInFailed,
                    &format!("person:{}", person.id),
                    json!({ "reason": "wrong second-factor code" }),
                )
                .await?;
                if tries >= MAX_CODE_TRIES {
                    tx.delete_challenge(&hash, now).await?;
                }
                tx.commit().await?;
                Err(wrong_code())
            }
            Some(how) => {
                self.limiter.succeeded(&email_key);
                tx.delete_challenge(&hash, now).await?;
                tx.commit().await?;
                if !person.active {
                    return Err(expired());
                }
                let secret = self
                    .open_session(&person, user_agent, ip, json!({ "second_factor": how }))
                    .await?;
                Ok((secret, person))
            }
        }
    }

    /// Whether `code` is the app's code now (`totp`) or an unused recovery code (`recovery_code`),
    /// using it up; `None` if neither.
    async fn check_code(
        &self,
        tx: &mut steward_store::Conn,
        person: PersonId,
        code: &str,
        now: Timestamp,
    ) -> Result<Option<&'static str>> {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
            let Some(s) = tx.totp_secret(person).await? else {
                return Ok(None);
            };
            let Some(secret) = base32_decode(&s.secret) else {
                return Ok(None);
            };
            let now_step = step_of(now);
            for step in [now_step - 1, now_step, now_step + 1] {
                if step > s.last_step && format!("{:06}", totp(&secret, step as u64)) == digits {
                    return Ok(tx
                        .accept_totp_step(person, step, now)
                        .await?
                        .then_some("totp"));
                }
            }
            return Ok(None);
        }
        if code.chars().filter(char::is_ascii_alphanumeric).count() == 10
            && tx
                .use_recovery_code(person, &recovery_hash(code), now)
                .await?
        {
            return Ok(Some("recovery_code"));
        }
        Ok(None)
    }

    /// Which of `people` sign in with a second factor (administrators; for the people list).
    pub async fn people_with_two_factor(
        &self,
        actor: &Actor,
        people: &[PersonId],
    ) -> Result<std::collections::HashSet<PersonId>> {
        check(actor, Action::ManagePeople).map_err(|d| ServiceError::denied(d, "person"))?;
        Ok(self
            .store
            .read()
            .await?
            .people_with_two_factor(people)
            .await?
            .into_iter()
            .collect())
    }

    /// Two-factor sign-in of a person (their own; administrators anyone's).
    pub async fn two_factor_status(
        &self,
        actor: &Actor,
        person: &Person,
    ) -> Result<TwoFactorStatus> {
        check(actor, Action::ManageSessionsOf(person.id))
            .map_err(|d| ServiceError::denied(d, "person"))?;
        let mut c = self.store.read().await?;
        let enabled = c.totp_secret(person.id).await?.is_some_and(|s| s.confirmed);
        let left = if enabled {
            c.recovery_codes_left(person.id).await?
        } else {
            0
        };
        Ok(TwoFactorStatus {
            enabled,
            recovery_codes_left: left,
            required: self.two_factor_required(person.role),
        })
    }

    /// Starts setting up an authenticator app: a new secret, shown as a QR code. Nothing changes
    /// for signing in until a code from the app confirms it.
    pub async fn begin_two_factor(&self, who: &Authenticated) -> Result<Enrolment> {
        let person = &who.person;
        let mut bytes = [0u8; 20];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| ServiceError::Internal(format!("no randomness from the OS: {e}")))?;
        let secret = base32(&bytes);
        let mut tx = self.store.write().await?;
        if tx
            .totp_secret(person.id)
            .await?
            .is_some_and(|s| s.confirmed)
        {
            return Err(ServiceError::Conflict(
                "two-factor sign-in is on already; turn it off first to change the app".into(),
            ));
        }
        tx.begin_totp(person.id, &secret, self.now()).await?;
        tx.commit().await?;
        let issuer = "Steward";
        let uri = format!(
            "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period={TOTP_STEP_SECS}",
            url_escape(issuer),
            url_escape(&person.email),
            url_escape(issuer)
        );
        let qr_svg = qrcode::QrCode::new(uri.as_bytes())
            .map(|q| {
                q.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(200, 200)
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default();
        Ok(Enrolment {
            secret,
            uri,
            qr_svg,
        })
    }

    /// Confirms the app with a code it shows: two-factor sign-in is on. Returns the recovery
    /// codes, shown once.
    pub async fn confirm_two_factor(&self, who: &Authenticated, code: &str) -> Result<Vec<String>> {
        let person = &who.person;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let Some(s) = tx.totp_secret(person.id).await? else {
            return Err(ServiceError::Conflict(
                "start setting up two-factor sign-in first".into(),
            ));
        };
        if s.confirmed {
            return Err(ServiceError::Conflict(
                "two-factor sign-in is on already".into(),
            ));
        }
        if self.check_code(&mut tx, person.id, code, now).await? != Some("totp") {
            return Err(ServiceError::invalid(
                "code",
                "is not the code the app shows now (is the phone's clock right?)",
            ));
        }
        let codes = self.replace_recovery_codes(&mut tx, person.id).await?;
        self.audit(
            &mut tx,
            &who.actor,
            AuditAction::TwoFactorEnabled,
            &format!("person:{}", person.id),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    async fn replace_recovery_codes(
        &self,
        tx: &mut steward_store::Conn,
        person: PersonId,
    ) -> Result<Vec<String>> {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            codes.push(new_recovery_code()?);
        }
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
        tx.set_recovery_codes(person, &hashes).await?;
        Ok(codes)
    }

    /// New recovery codes (the old ones stop working), after the current password.
    pub async fn new_recovery_codes(
        &self,
        who: &Authenticated,
        password: &str,
    ) -> Result<Vec<String>> {
        self.check_own_password(who, password).await?;
        let mut tx = self.store.write().await?;
        if !tx
            .totp_secret(who.person.id)
            .await?
            .is_some_and(|s| s.confirmed)
        {
            return Err(ServiceError::Conflict("two-factor sign-in is off".into()));
        }
        let codes = self.replace_recovery_codes(&mut tx, who.person.id).await?;
        self.audit(
            &mut tx,
            &who.actor,
            AuditAction::RecoveryCodesReplaced,
            &format!("person:{}", who.person.id),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Turns two-factor sign-in off: one's own (with the current password), or, for an
    /// administrator, anyone's (a lost phone). Their sessions are left as they are.
    pub async fn disable_two_factor(
        &self,
        who: &Authenticated,
        person: PersonId,
        current_password: Option<&str>,
    ) -> Result<()> {
        if who.person.id == person {
            self.check_own_password(who, current_password.unwrap_or_default())
                .await?;
        } else {
            check(&who.actor, Action::ManagePeople)
                .map_err(|_| ServiceError::NotFound("person"))?;
        }
        let mut tx = self.store.write().await?;
        if !tx.delete_totp(person).await? {
            return Err(ServiceError::Conflict(
                "two-factor sign-in is off already".into(),
            ));
        }
        self.audit(
            &mut tx,
            &who.actor,
            AuditAction::TwoFactorDisabled,
            &format!("person:{}", person.0),
            json!({ "by_administrator": who.person.id != person }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Service::enqueue_plain_mail`], refused when there is no mailbox to send from.
    async fn enqueue_account_mail_or_refuse(
        &self,
        tx: &mut steward_store::Conn,
        to: &str,
        kind: &str,
        subject: &str,
        body: String,
    ) -> Result<()> {
        if self.enqueue_plain_mail(tx, to, kind, subject, body).await? {
            Ok(())
        } else {
            Err(ServiceError::Conflict(
                "mail is not set up on this installation (no mailbox to send from)".into(),
            ))
        }
    }

    fn link_base(&self, what: &str) -> Result<String> {
        match (&self.mail.link_base, self.mail.send) {
            (Some(base), true) => Ok(base.trim_end_matches('/').to_string()),
            _ => Err(ServiceError::Conflict(format!(
                "{what} by e-mail is not set up on this installation (it needs public_url and [mail.smtp])"
            ))),
        }
    }

    /// "Forgot your password?": mails a one-time link (valid 30 minutes) to choose a new one, if
    /// the address belongs to an active person. Whether it does is not told (the answer is the
    /// same), so addresses cannot be probed. Limited like signing in.
    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        let base = self.link_base("password reset")?;
        let now = self.now();
        let email = email.trim().to_lowercase();
        let key = format!("reset:{email}");
        if let Err(retry_after_secs) = self.limiter.attempt(std::slice::from_ref(&key), now) {
            return Err(ServiceError::RateLimited { retry_after_secs });
        }
        let Ok(valid) = steward_domain::validate::email(&email) else {
            return Ok(());
        };
        let person = match self.store.read().await?.get_person_by_email(&valid).await {
            Ok(p) if p.active => p,
            Ok(_) | Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let secret = new_session_token()?;
        let mut tx = self.store.write().await?;
        tx.insert_password_link(
            &token_hash(&secret),
            person.id,
            now,
            now.checked_add(RESET_LIFETIME).unwrap_or(now),
        )
        .await?;
        let body = format!(
            "Hello {},\n\nsomeone (we hope you) asked to choose a new password for Steward.\n\
             Choose it here within 30 minutes:\n\n{base}/welcome?token={secret}\n\n\
             If it was not you, ignore this mail: your password stays as it is.\n",
            person.name
        );
        self.enqueue_account_mail_or_refuse(
            &mut tx,
            &person.email,
            "password_reset",
            "Choose a new password",
            body,
        )
        .await?;
        self.audit_as(
            &mut tx,
            Some(person.id),
            &person.email,
            AuditAction::PasswordResetRequested,
            &format!("person:{}", person.id),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// "E-mail me a sign-in link" (requesters, when enabled): a one-time link, valid 15 minutes.
    /// As with password resets, whether the address exists is not told.
    pub async fn request_sign_in_link(&self, email: &str) -> Result<()> {
        if !self.sign_in_links {
            return Err(ServiceError::Conflict(
                "sign-in links are not enabled on this installation".into(),
            ));
        }
        let base = self.link_base("signing in")?;
        let now = self.now();
        let email = email.trim().to_lowercase();
        let key = format!("link:{email}");
        if let Err(retry_after_secs) = self.limiter.attempt(std::slice::from_ref(&key), now) {
            return Err(ServiceError::RateLimited { retry_after_secs });
        }
        let Ok(valid) = steward_domain::validate::email(&email) else {
            return Ok(());
        };
        let person = match self.store.read().await?.get_person_by_email(&valid).await {
            // Staff sign in with their password (and second factor).
            Ok(p) if p.active && p.role == Role::Requester => p,
            Ok(_) | Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let secret = new_session_token()?;
        let mut tx = self.store.write().await?;
        tx.insert_sign_in_link(
            &token_hash(&secret),
            person.id,
            now,
            now.checked_add(SIGN_IN_LINK_LIFETIME).unwrap_or(now),
        )
        .await?;
        let body = format!(
            "Hello {},\n\nsign in to the service desk with this link within 15 minutes:\n\n\
             {base}/sign-in/link?token={secret}\n\nIf you did not ask for it, ignore this mail.\n",
            person.name
        );
        self.enqueue_account_mail_or_refuse(
            &mut tx,
            &person.email,
            "sign_in_link",
            "Your sign-in link",
            body,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a sign-in link is live (for the page that asks to confirm it).
    pub async fn sign_in_link_valid(&self, secret: &str) -> Result<bool> {
        Ok(self
            .store
            .read()
            .await?
            .sign_in_link_person(&token_hash(secret), self.now())
            .await?
            .is_some())
    }

    /// Uses a sign-in link: a session for its requester.
    pub async fn sign_in_with_link(
        &self,
        secret: &str,
        user_agent: &str,
        ip: &str,
    ) -> Result<(String, Person)> {
        let now = self.now();
        let invalid = || {
            ServiceError::Unauthenticated(
                "this sign-in link has expired or was used already; ask for a new one".into(),
            )
        };
        let mut tx = self.store.write().await?;
        let person = tx
            .use_sign_in_link(&token_hash(secret), now)
            .await?
            .ok_or_else(invalid)?;
        let person = tx.get_person(person).await.not_found_as("person")?;
        tx.commit().await?;
        if !person.active || person.role != Role::Requester {
            return Err(invalid());
        }
        let session = self
            .open_session(&person, user_agent, ip, json!({ "by": "sign-in link" }))
            .await?;
        Ok((session, person))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238, appendix B (SHA-1, 8 digits there; the last six here).
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59i64, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(totp(secret, (t / 30) as u64), code % 1_000_000, "t = {t}");
        }
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        for n in 0..40 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base32_decode(&base32(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base32_decode("not base32!"), None);
        let at = Timestamp::from_second(59).unwrap();
        assert_eq!(
            totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at).as_deref(),
            Some("287082")
        );
    }

    #[test]
    fn recovery_codes_compare_loosely() {
        let c = new_recovery_code().unwrap();
        assert_eq!(c.len(), 11);
        assert_eq!(
            recovery_hash(&c),
            recovery_hash(&c.to_uppercase().replace('-', " "))
        );
    }
}
