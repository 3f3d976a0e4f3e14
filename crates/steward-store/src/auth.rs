//! Queries for sign-in sessions and API tokens. Both are stored only as hashes of their secrets.

use steward_domain::{Person, PersonId, Timestamp, TokenId};

use crate::query::q;
use crate::rows::{from_ts, ts, PrefixedPersonRow, PERSON_COLS_P};
use crate::{Conn, Result, StoreError};

/// A browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub person_id: PersonId,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: String,
    pub ip: String,
}

/// An API token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub person_id: PersonId,
    pub label: String,
    /// The first characters of the secret, to recognise it in a list.
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// How many hex digits of a session's hash name it in lists (64 bits: never the same twice for
/// one person, and not the whole hash).
pub const SESSION_ID_LEN: usize = 16;

impl SessionRecord {
    /// The session's public name: the start of its hash (which is not its secret, and cannot be
    /// turned back into it).
    pub fn id(&self) -> &str {
        self.token_hash
            .get(..SESSION_ID_LEN)
            .unwrap_or(&self.token_hash)
    }
}

crate::record::record! {
    struct SessionPersonRow {
        session: SessionRow,
        person: PrefixedPersonRow,
    }
}

crate::record::record! {
    struct TokenPersonRow {
        token: TokenRow,
        person: PrefixedPersonRow,
    }
}

crate::record::record! {
    struct SessionRow {
        token_hash: String,
        person_id: i64,
        created_at: i64,
        last_seen_at: i64,
        expires_at: i64,
        user_agent: String,
        ip: String,
    }
}

impl TryFrom<SessionRow> for SessionRecord {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self> {
        Ok(SessionRecord {
            token_hash: r.token_hash,
            person_id: PersonId(r.person_id),
            created_at: from_ts(r.created_at)?,
            last_seen_at: from_ts(r.last_seen_at)?,
            expires_at: from_ts(r.expires_at)?,
            user_agent: r.user_agent,
            ip: r.ip,
        })
    }
}

const TOKEN_COLS: &str =
    "id, person_id, label, prefix, created_at, last_used_at, expires_at, revoked_at";

crate::record::record! {
    struct TokenRow {
        id: i64,
        person_id: i64,
        label: String,
        prefix: String,
        created_at: i64,
        last_used_at: Option<i64>,
        expires_at: Option<i64>,
        revoked_at: Option<i64>,
    }
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self> {
        Ok(TokenRecord {
            id: TokenId(r.id),
            person_id: PersonId(r.person_id),
            label: r.label,
            prefix: r.prefix,
            created_at: from_ts(r.created_at)?,
            last_used_at: r.last_used_at.map(from_ts).transpose()?,
            expires_at: r.expires_at.map(from_ts).transpose()?,
            revoked_at: r.revoked_at.map(from_ts).transpose()?,
        })
    }
}

impl Conn {
    pub async fn insert_session(&mut self, s: &SessionRecord) -> Result<()> {
        self.execute(
            q("INSERT INTO sessions (token_hash, person_id, created_at, last_seen_at, expires_at, user_agent, ip)
               VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&s.token_hash)
            .bind(s.person_id.0)
            .bind(ts(s.created_at))
            .bind(ts(s.last_seen_at))
            .bind(ts(s.expires_at))
            .bind(&s.user_agent)
            .bind(&s.ip),
        )
        .await?;
        Ok(())
    }

    /// The session with this hash and its person.
    pub async fn find_session(&mut self, token_hash: &str) -> Result<(SessionRecord, Person)> {
        let r: SessionPersonRow = self
            .fetch_one(
                q(&format!(
                    "SELECT s.token_hash, s.person_id, s.created_at, s.last_seen_at, s.expires_at,
                        s.user_agent, s.ip, {PERSON_COLS_P}
                     FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.token_hash = $1"
                ))
                .bind(token_hash),
            )
            .await?;
        Ok((r.session.try_into()?, r.person.try_into()?))
    }

    pub async fn touch_session(&mut self, token_hash: &str, now: Timestamp) -> Result<()> {
        self.execute(
            q("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(ts(now))
                .bind(token_hash),
        )
        .await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.execute(q("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash))
            .await?;
        Ok(())
    }

    /// A person's sessions that have not expired, the most recently used first.
    pub async fn list_sessions(
        &mut self,
        person: PersonId,
        now: Timestamp,
    ) -> Result<Vec<SessionRecord>> {
        let rows: Vec<SessionRow> = self
            .fetch_all(
                q("SELECT token_hash, person_id, created_at, last_seen_at, expires_at, user_agent, ip
                   FROM sessions WHERE person_id = $1 AND expires_at > $2
                   ORDER BY last_seen_at DESC, created_at DESC")
                .bind(person.0)
                .bind(ts(now)),
            )
            .await?;
        rows.into_iter().map(SessionRecord::try_from).collect()
    }

    /// Ends the session of `person` named `id` ([`SessionRecord::id`]); false if there is none.
    pub async fn delete_session_named(&mut self, person: PersonId, id: &str) -> Result<bool> {
        if id.len() != SESSION_ID_LEN {
            return Ok(false);
        }
        let n = self
            .execute(
                q("DELETE FROM sessions WHERE person_id = $1 AND substr(token_hash, 1, 16) = $2")
                    .bind(person.0)
                    .bind(id),
            )
            .await?;
        Ok(n > 0)
    }

    /// Ends every session of a person (after a password change or deactivation).
    pub async fn delete_sessions_of(&mut self, person: PersonId) -> Result<u64> {
        self.execute(q("DELETE FROM sessions WHERE person_id = $1").bind(person.0))
            .await
    }

    /// Ends every session of a person but one (after they changed their own password).
    pub async fn delete_sessions_of_except(
        &mut self,
        person: PersonId,
        keep: Option<&str>,
    ) -> Result<u64> {
        self.execute(
            q("DELETE FROM sessions WHERE person_id = $1 AND token_hash <> $2")
                .bind(person.0)
                .bind(keep.unwrap_or_default()),
        )
        .await
    }

    pub async fn insert_token(
        &mut self,
        person: PersonId,
        label: &str,
        token_hash: &str,
        prefix: &str,
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<TokenRecord> {
        let row: TokenRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO api_tokens (person_id, label, token_hash, prefix, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TOKEN_COLS}"
                ))
                .bind(person.0)
                .bind(label)
                .bind(token_hash)
                .bind(prefix)
                .bind(ts(now))
                .bind(expires_at.map(ts)),
            )
            .await?;
        row.try_into()
    }

    /// The token with this hash and its person.
    pub async fn find_token(&mut self, token_hash: &str) -> Result<(TokenRecord, Person)> {
        let r: TokenPersonRow = self
            .fetch_one(
                q(&format!(
                    "SELECT t.id, t.person_id, t.label, t.prefix, t.created_at, t.last_used_at,
                        t.expires_at, t.revoked_at, {PERSON_COLS_P}
                     FROM api_tokens t JOIN people p ON p.id = t.person_id WHERE t.token_hash = $1"
                ))
                .bind(token_hash),
            )
            .await?;
        Ok((r.token.try_into()?, r.person.try_into()?))
    }

    pub async fn get_token(&mut self, id: TokenId) -> Result<TokenRecord> {
        let row: TokenRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"
                ))
                .bind(id.0),
            )
            .await?;
        row.try_into()
    }

    pub async fn list_tokens(&mut self, person: PersonId) -> Result<Vec<TokenRecord>> {
        let rows: Vec<TokenRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE person_id = $1 ORDER BY id"
                ))
                .bind(person.0),
            )
            .await?;
        rows.into_iter().map(TokenRecord::try_from).collect()
    }

    /// Revokes a token; revoking it again keeps the first instant.
    pub async fn revoke_token(&mut self, id: TokenId, now: Timestamp) -> Result<()> {
        self.execute(
            q("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
                .bind(ts(now))
                .bind(id.0),
        )
        .await?;
        Ok(())
    }

    pub async fn touch_token(&mut self, id: TokenId, now: Timestamp) -> Result<()> {
        self.execute(
            q("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(ts(now))
                .bind(id.0),
        )
        .await?;
        Ok(())
    }
}
