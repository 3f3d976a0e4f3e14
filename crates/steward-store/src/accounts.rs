//! Queries for two-factor sign-in (authenticator secrets, recovery codes, sign-ins waiting for
//! their second factor) and for sign-in links.

use steward_domain::{PersonId, Timestamp};

use crate::query::q;
use crate::rows::ts;
use crate::{Conn, Result};

/// A person's authenticator secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpSecret {
    /// Base32.
    pub secret: String,
    pub confirmed: bool,
    /// The last 30-second step a code was accepted for.
    pub last_step: i64,
}

impl Conn {
    pub async fn totp_secret(&mut self, person: PersonId) -> Result<Option<TotpSecret>> {
        let row: Option<(String, Option<i64>, i64)> = self
            .fetch_optional(
                q("SELECT secret, confirmed_at, last_step FROM totp_secrets WHERE person_id = $1")
                    .bind(person.0),
            )
            .await?;
        Ok(row.map(|(secret, confirmed, last_step)| TotpSecret {
            secret,
            confirmed: confirmed.is_some(),
            last_step,
        }))
    }

    /// Which of `people` sign in with a second factor.
    pub async fn people_with_two_factor(&mut self, people: &[PersonId]) -> Result<Vec<PersonId>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = people.iter().map(|p| p.0).collect();
        let mut sql = q("SELECT person_id FROM totp_secrets WHERE confirmed_at IS NOT NULL");
        crate::bulk::push_ids_in(&mut sql, self.backend(), "person_id", &ids);
        let rows: Vec<(i64,)> = self.fetch_all(sql).await?;
        Ok(rows.into_iter().map(|(p,)| PersonId(p)).collect())
    }

    /// Stores a new, unconfirmed secret, replacing an unconfirmed one.
    pub async fn begin_totp(
        &mut self,
        person: PersonId,
        secret: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(q("DELETE FROM totp_secrets WHERE person_id = $1").bind(person.0))
            .await?;
        self.execute(
            q("INSERT INTO totp_secrets (person_id, secret, created_at) VALUES ($1, $2, $3)")
                .bind(person.0)
                .bind(secret)
                .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    /// Records that a code of `step` was accepted (and, the first time, that the secret is
    /// confirmed). False if a code of this step or a later one was accepted before: a replay.
    pub async fn accept_totp_step(
        &mut self,
        person: PersonId,
        step: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self
            .execute(
                q("UPDATE totp_secrets SET last_step = $1, confirmed_at = COALESCE(confirmed_at, $2)
                   WHERE person_id = $3 AND last_step < $1")
                .bind(step)
                .bind(ts(now))
                .bind(person.0),
            )
            .await?;
        Ok(n > 0)
    }

    /// Removes two-factor sign-in: the secret and the recovery codes.
    pub async fn delete_totp(&mut self, person: PersonId) -> Result<bool> {
        self.execute(q("DELETE FROM recovery_codes WHERE person_id = $1").bind(person.0))
            .await?;
        let n = self
            .execute(q("DELETE FROM totp_secrets WHERE person_id = $1").bind(person.0))
            .await?;
        Ok(n > 0)
    }

    /// Replaces a person's recovery codes.
    pub async fn set_recovery_codes(&mut self, person: PersonId, hashes: &[String]) -> Result<()> {
        self.execute(q("DELETE FROM recovery_codes WHERE person_id = $1").bind(person.0))
            .await?;
        for h in hashes {
            self.execute(
                q("INSERT INTO recovery_codes (person_id, code_hash) VALUES ($1, $2)")
                    .bind(person.0)
                    .bind(h.as_str()),
            )
            .await?;
        }
        Ok(())
    }

    /// Uses a recovery code; false if it is not one of the person's unused codes.
    pub async fn use_recovery_code(
        &mut self,
        person: PersonId,
        hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self
            .execute(
                q("UPDATE recovery_codes SET used_at = $1
                   WHERE person_id = $2 AND code_hash = $3 AND used_at IS NULL")
                .bind(ts(now))
                .bind(person.0)
                .bind(hash),
            )
            .await?;
        Ok(n > 0)
    }

    pub async fn recovery_codes_left(&mut self, person: PersonId) -> Result<i64> {
        let (n,): (i64,) = self
            .fetch_one(
                q("SELECT COUNT(*) FROM recovery_codes WHERE person_id = $1 AND used_at IS NULL")
                    .bind(person.0),
            )
            .await?;
        Ok(n)
    }

    pub async fn insert_challenge(
        &mut self,
        hash: &str,
        person: PersonId,
        expires: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO sign_in_challenges (token_hash, person_id, expires_at) VALUES ($1, $2, $3)")
                .bind(hash)
                .bind(person.0)
                .bind(ts(expires)),
        )
        .await?;
        Ok(())
    }

    /// Counts a try of a live challenge; returns its person and the tries so far (this one
    /// included), or `None` if it does not exist or has expired.
    pub async fn try_challenge(
        &mut self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<(PersonId, i64)>> {
        let row: Option<(i64, i64)> = self
            .fetch_optional(
                q("UPDATE sign_in_challenges SET attempts = attempts + 1
                   WHERE token_hash = $1 AND expires_at > $2 RETURNING person_id, attempts")
                .bind(hash)
                .bind(ts(now)),
            )
            .await?;
        Ok(row.map(|(p, a)| (PersonId(p), a)))
    }

    pub async fn delete_challenge(&mut self, hash: &str, now: Timestamp) -> Result<()> {
        // Expired ones go at the same time.
        self.execute(
            q("DELETE FROM sign_in_challenges WHERE token_hash = $1 OR expires_at <= $2")
                .bind(hash)
                .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    pub async fn insert_sign_in_link(
        &mut self,
        hash: &str,
        person: PersonId,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO sign_in_links (token_hash, person_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(hash)
                .bind(person.0)
                .bind(ts(now))
                .bind(ts(expires)),
        )
        .await?;
        Ok(())
    }

    /// The person of a live, unused sign-in link (without using it).
    pub async fn sign_in_link_person(
        &mut self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<PersonId>> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT person_id FROM sign_in_links
                   WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(hash)
                .bind(ts(now)),
            )
            .await?;
        Ok(row.map(|(p,)| PersonId(p)))
    }

    /// Uses a sign-in link: its person, if it was live and unused.
    pub async fn use_sign_in_link(
        &mut self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<PersonId>> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                q("UPDATE sign_in_links SET used_at = $1
                   WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING person_id")
                .bind(ts(now))
                .bind(hash),
            )
            .await?;
        Ok(row.map(|(p,)| PersonId(p)))
    }
}
