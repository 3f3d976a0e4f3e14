//! The audit log: appended to in the transaction of what it records, read back newest first,
//! streamed for exports, and trimmed by the retention sweep.

use steward_domain::{PersonId, Timestamp};

use crate::query::{q, Query};
use crate::rows::{from_ts, ts};
use crate::{Conn, Result, StoreError};

/// One event of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Assigned by the database (ignored when appending).
    pub id: i64,
    pub at: Timestamp,
    pub actor_id: Option<PersonId>,
    /// The actor's address at the time ('' for Steward itself or nobody known).
    pub actor_email: String,
    pub action: String,
    /// What it was done to, `kind:id`, or ''.
    pub subject: String,
    /// A JSON object.
    pub detail: String,
    pub ip: String,
    pub user_agent: String,
}

/// Which entries to read. Every field narrows; none reads everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this action (`sign_in_failed`).
    pub action: Option<String>,
    pub actor_id: Option<PersonId>,
    /// Exactly this subject (`person:12`).
    pub subject: Option<String>,
    pub ip: Option<String>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub to: Option<Timestamp>,
}

const COLS: &str = "id, at, actor_id, actor_email, action, subject, detail, ip, user_agent";

crate::record::record! {
    struct AuditRow {
        id: i64,
        at: i64,
        actor_id: Option<i64>,
        actor_email: String,
        action: String,
        subject: String,
        detail: String,
        ip: String,
        user_agent: String,
    }
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(r: AuditRow) -> Result<Self> {
        Ok(AuditEntry {
            id: r.id,
            at: from_ts(r.at)?,
            actor_id: r.actor_id.map(PersonId),
            actor_email: r.actor_email,
            action: r.action,
            subject: r.subject,
            detail: r.detail,
            ip: r.ip,
            user_agent: r.user_agent,
        })
    }
}

fn filtered(f: &AuditFilter) -> Query {
    let mut sql = q(&format!("SELECT {COLS} FROM audit_log WHERE 1 = 1"));
    if let Some(a) = &f.action {
        sql.push(" AND action = ").param(a.as_str());
    }
    if let Some(p) = f.actor_id {
        sql.push(" AND actor_id = ").param(p.0);
    }
    if let Some(s) = &f.subject {
        sql.push(" AND subject = ").param(s.as_str());
    }
    if let Some(ip) = &f.ip {
        sql.push(" AND ip = ").param(ip.as_str());
    }
    if let Some(t) = f.from {
        sql.push(" AND at >= ").param(ts(t));
    }
    if let Some(t) = f.to {
        sql.push(" AND at < ").param(ts(t));
    }
    sql
}

impl Conn {
    /// Appends an entry. An empty `actor_email` is filled in from the actor's record.
    pub async fn insert_audit(&mut self, e: &AuditEntry) -> Result<()> {
        self.execute(
            q("INSERT INTO audit_log (at, actor_id, actor_email, action, subject, detail, ip, user_agent)
               VALUES ($1, $2, CASE WHEN $3 = '' THEN COALESCE((SELECT email FROM people WHERE id = $9), '') ELSE $3 END,
                       $4, $5, $6, $7, $8)")
            .bind(ts(e.at))
            .bind(e.actor_id.map(|p| p.0))
            .bind(&e.actor_email)
            .bind(&e.action)
            .bind(&e.subject)
            .bind(&e.detail)
            .bind(&e.ip)
            .bind(&e.user_agent)
            .bind(e.actor_id.map(|p| p.0)),
        )
        .await?;
        Ok(())
    }

    /// Up to `limit` entries matching `f`, newest first, older than the entry `before` if given
    /// (the next page).
    pub async fn list_audit(
        &mut self,
        f: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let mut sql = filtered(f);
        if let Some(b) = before {
            sql.push(" AND id < ").param(b);
        }
        sql.push(" ORDER BY id DESC LIMIT ").param(i64::from(limit));
        let rows: Vec<AuditRow> = self.fetch_all(sql).await?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }

    /// Every entry matching `f`, oldest first, one at a time (exports).
    pub async fn each_audit(
        &mut self,
        f: &AuditFilter,
        mut each: impl FnMut(AuditEntry) -> Result<()> + Send,
    ) -> Result<()> {
        let mut sql = filtered(f);
        sql.push(" ORDER BY id");
        self.fetch_each(sql, |r: AuditRow| each(r.try_into()?))
            .await
    }

    /// Deletes the entries from before `cutoff` (retention); returns how many.
    pub async fn prune_audit(&mut self, cutoff: Timestamp) -> Result<u64> {
        self.execute(q("DELETE FROM audit_log WHERE at < $1").bind(ts(cutoff)))
            .await
    }
}
