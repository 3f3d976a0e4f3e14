//! Queries for the agent workspace: saved views, canned responses, and set-password links.

use steward_domain::{PersonId, Timestamp};

use crate::query::q;
use crate::rows::{from_ts, ts};
use crate::{Conn, Result, StoreError};

/// A queue a person saved: a name and the query string of the queue page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: i64,
    pub person_id: PersonId,
    pub name: String,
    pub query: String,
}

/// A reply text staff can insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedResponse {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub created_by: Option<PersonId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::record::record! {
    struct CannedRow {
        id: i64,
        title: String,
        body: String,
        created_by: Option<i64>,
        created_at: i64,
        updated_at: i64,
    }
}

impl TryFrom<CannedRow> for CannedResponse {
    type Error = StoreError;
    fn try_from(r: CannedRow) -> Result<Self> {
        Ok(CannedResponse {
            id: r.id,
            title: r.title,
            body: r.body,
            created_by: r.created_by.map(PersonId),
            created_at: from_ts(r.created_at)?,
            updated_at: from_ts(r.updated_at)?,
        })
    }
}

const CANNED_COLS: &str = "id, title, body, created_by, created_at, updated_at";

impl Conn {
    pub async fn insert_saved_view(
        &mut self,
        person: PersonId,
        name: &str,
        query: &str,
        now: Timestamp,
    ) -> Result<SavedView> {
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO saved_views (person_id, name, query, created_at) VALUES ($1, $2, $3, $4)
                   RETURNING id")
                .bind(person.0)
                .bind(name)
                .bind(query)
                .bind(ts(now)),
            )
            .await?;
        Ok(SavedView {
            id,
            person_id: person,
            name: name.to_string(),
            query: query.to_string(),
        })
    }

    pub async fn saved_views(&mut self, person: PersonId) -> Result<Vec<SavedView>> {
        let rows: Vec<(i64, String, String)> = self
            .fetch_all(
                q("SELECT id, name, query FROM saved_views WHERE person_id = $1 ORDER BY name, id")
                    .bind(person.0),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, query)| SavedView {
                id,
                person_id: person,
                name,
                query,
            })
            .collect())
    }

    /// Deletes one of a person's views; `false` if they have none by that id.
    pub async fn delete_saved_view(&mut self, person: PersonId, id: i64) -> Result<bool> {
        let n = self
            .execute(
                q("DELETE FROM saved_views WHERE id = $1 AND person_id = $2")
                    .bind(id)
                    .bind(person.0),
            )
            .await?;
        Ok(n > 0)
    }

    pub async fn insert_canned(
        &mut self,
        title: &str,
        body: &str,
        by: Option<PersonId>,
        now: Timestamp,
    ) -> Result<CannedResponse> {
        let row: CannedRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO canned_responses (title, body, created_by, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4) RETURNING {CANNED_COLS}"
                ))
                .bind(title)
                .bind(body)
                .bind(by.map(|p| p.0))
                .bind(ts(now)),
            )
            .await?;
        row.try_into()
    }

    pub async fn update_canned(
        &mut self,
        id: i64,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<CannedResponse> {
        let row: CannedRow = self
            .fetch_one(
                q(&format!(
                    "UPDATE canned_responses SET title = $1, body = $2, updated_at = $3 WHERE id = $4
                     RETURNING {CANNED_COLS}"
                ))
                .bind(title)
                .bind(body)
                .bind(ts(now))
                .bind(id),
            )
            .await?;
        row.try_into()
    }

    pub async fn delete_canned(&mut self, id: i64) -> Result<bool> {
        Ok(self
            .execute(q("DELETE FROM canned_responses WHERE id = $1").bind(id))
            .await?
            > 0)
    }

    pub async fn get_canned(&mut self, id: i64) -> Result<CannedResponse> {
        let row: CannedRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {CANNED_COLS} FROM canned_responses WHERE id = $1"
                ))
                .bind(id),
            )
            .await?;
        row.try_into()
    }

    pub async fn list_canned(&mut self) -> Result<Vec<CannedResponse>> {
        let rows: Vec<CannedRow> = self
            .fetch_all(q(&format!(
                "SELECT {CANNED_COLS} FROM canned_responses ORDER BY title, id"
            )))
            .await?;
        rows.into_iter().map(CannedResponse::try_from).collect()
    }

    pub async fn insert_password_link(
        &mut self,
        token_hash: &str,
        person: PersonId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO password_links (token_hash, person_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(person.0)
                .bind(ts(now))
                .bind(ts(expires_at)),
        )
        .await?;
        Ok(())
    }

    /// Uses a set-password link: marks it used and returns its person, if it is valid now.
    pub async fn use_password_link(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<PersonId>> {
        let found: Option<(i64,)> = self
            .fetch_optional(
                q("UPDATE password_links SET used_at = $1
                   WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
                   RETURNING person_id")
                .bind(ts(now))
                .bind(token_hash),
            )
            .await?;
        Ok(found.map(|(p,)| PersonId(p)))
    }

    /// Whether a set-password link is valid now (without using it).
    pub async fn password_link_person(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<PersonId>> {
        let found: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT person_id FROM password_links
                   WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(token_hash)
                .bind(ts(now)),
            )
            .await?;
        Ok(found.map(|(p,)| PersonId(p)))
    }
}
