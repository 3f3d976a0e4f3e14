//! The audit log: who did what security-relevant thing, from where and when.
//!
//! Entries are written in the transaction of what they record (a role change and its entry commit
//! together or not at all); failures that change nothing (a wrong password) get a transaction of
//! their own. Where a request came from ([`Origin`]: client address and user agent) is set once per
//! request by the web layer with [`with_origin`], so use cases keep their signatures; work with no
//! origin (jobs, the command line) records none.

use std::future::Future;

use jiff::SignedDuration;
use serde_json::Value;
use steward_domain::audit::AuditAction;
use steward_domain::policy::{check, Action};
use steward_domain::{Actor, PersonId};
use steward_store::audit::{AuditEntry, AuditFilter};
use steward_store::Conn;

use crate::{Result, Service, ServiceError};

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

/// Runs `f` with `origin` as where its requests come from (for the audit log).
pub async fn with_origin<F: Future>(origin: Origin, f: F) -> F::Output {
    ORIGIN.scope(origin, f).await
}

/// The origin of the request being served, or none.
fn origin() -> Origin {
    ORIGIN.try_with(Origin::clone).unwrap_or_default()
}

/// Text from outside as the log keeps it: at most `max` characters, control characters (which
/// PostgreSQL refuses, in the case of NUL, and which could forge lines of an export) as `\u{…}`.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The job that deletes entries older than the retention.
pub(crate) const AUDIT_PRUNE: &str = "audit_prune";
const AUDIT_PRUNE_KEY: &str = "audit:prune";
const AUDIT_PRUNE_EVERY: SignedDuration = SignedDuration::from_hours(24);
/// The longest page of entries.
pub const MAX_AUDIT_PAGE: u32 = 500;

impl Service {
    /// Appends an entry in `tx`, as `actor`, from the current request's origin.
    pub(crate) async fn audit(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        action: AuditAction,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        self.audit_as(tx, actor.person_id, "", action, subject, detail)
            .await
    }

    /// [`Service::audit`] with the actor given as a person (or nobody) and, when known, the
    /// address they used.
    pub(crate) async fn audit_as(
        &self,
        tx: &mut Conn,
        actor_id: Option<PersonId>,
        actor_email: &str,
        action: AuditAction,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        let o = origin();
        tx.insert_audit(&AuditEntry {
            id: 0,
            at: self.now(),
            actor_id,
            actor_email: clean(actor_email, 320),
            action: action.as_str().into(),
            subject: clean(subject, 200),
            // JSON escapes control characters itself.
            detail: detail.to_string(),
            ip: clean(&o.ip, 100),
            user_agent: clean(&o.user_agent, 300),
        })
        .await?;
        Ok(())
    }

    /// Appends an entry in a transaction of its own (for events that change nothing else).
    pub(crate) async fn audit_alone(
        &self,
        actor_id: Option<PersonId>,
        actor_email: &str,
        action: AuditAction,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        self.audit_as(&mut tx, actor_id, actor_email, action, subject, detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a change of a setting (`kind` `calendar`, `policy`, `rule`, …) in `tx`.
    pub(crate) async fn audit_setting(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        kind: &str,
        id: i64,
        change: &str,
        name: &str,
    ) -> Result<()> {
        self.audit(
            tx,
            actor,
            AuditAction::SettingsChanged,
            &format!("{kind}:{id}"),
            serde_json::json!({ "setting": kind, "change": change, "name": name }),
        )
        .await
    }

    /// Records that `actor` exported something (a report, the audit log, the whole database).
    pub async fn audit_export(&self, actor: &Actor, what: &str, detail: Value) -> Result<()> {
        let mut tx = self.store.write().await?;
        let detail = match detail {
            Value::Object(mut m) => {
                m.insert("what".into(), what.into());
                Value::Object(m)
            }
            _ => serde_json::json!({ "what": what }),
        };
        self.audit(&mut tx, actor, AuditAction::Export, "", detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an operation of the command line (backup, import) in the audit log.
    pub async fn audit_operation(&self, action: AuditAction, detail: Value) -> Result<()> {
        self.audit_alone(None, "", action, "", detail).await
    }

    /// A page of the audit log, newest first, for administrators.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        check(actor, Action::ViewAuditLog).map_err(|d| ServiceError::denied(d, "audit log"))?;
        if limit == 0 || limit > MAX_AUDIT_PAGE {
            return Err(ServiceError::invalid(
                "limit",
                format!("must be between 1 and {MAX_AUDIT_PAGE}"),
            ));
        }
        Ok(self
            .store
            .read()
            .await?
            .list_audit(filter, before, limit)
            .await?)
    }

    /// Every entry matching `filter`, oldest first, to `each` (exports). The export itself is
    /// recorded first, so that it appears in what it exports.
    pub async fn export_audit_log(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        format: &str,
        each: impl FnMut(AuditEntry) -> steward_store::Result<()> + Send,
    ) -> Result<()> {
        check(actor, Action::ViewAuditLog).map_err(|d| ServiceError::denied(d, "audit log"))?;
        self.audit_export(actor, "audit_log", serde_json::json!({ "format": format }))
            .await?;
        self.store.read().await?.each_audit(filter, each).await?;
        Ok(())
    }

    /// The same service deleting audit entries after `days` (0: keep them forever).
    pub fn with_audit_retention(mut self, days: u32) -> Self {
        self.audit_retention = (days > 0).then(|| SignedDuration::from_hours(24 * i64::from(days)));
        self
    }

    /// Makes sure the daily retention sweep is scheduled (at start-up); cancels it when entries
    /// are kept forever.
    pub async fn schedule_audit_prune(&self) -> Result<()> {
        let mut tx = self.store.write().await?;
        if self.audit_retention.is_none() {
            tx.cancel_job(AUDIT_PRUNE_KEY).await?;
        } else if tx.pending_job(AUDIT_PRUNE_KEY).await?.is_none() {
            let now = self.now();
            tx.schedule_job(AUDIT_PRUNE, None, "", Some(AUDIT_PRUNE_KEY), now, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The retention sweep: deletes what is older than the retention, records how many, and
    /// comes back in a day.
    pub(crate) async fn prune_audit(&self) -> Result<u64> {
        let Some(keep) = self.audit_retention else {
            return Ok(0);
        };
        let now = self.now();
        let cutoff = now.checked_sub(keep).unwrap_or(now);
        let mut tx = self.store.write().await?;
        let n = tx.prune_audit(cutoff).await?;
        if n > 0 {
            self.audit_as(
                &mut tx,
                None,
                "",
                AuditAction::AuditPruned,
                "",
                serde_json::json!({ "deleted": n, "before": cutoff.to_string() }),
            )
            .await?;
        }
        let next = now.checked_add(AUDIT_PRUNE_EVERY).unwrap_or(now);
        tx.schedule_job(AUDIT_PRUNE, None, "", Some(AUDIT_PRUNE_KEY), next, now)
            .await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn outside_text_is_kept_printable_and_short() {
        assert_eq!(clean("a\u{0}@x.example", 320), "a\\u{0}@x.example");
        assert_eq!(clean("line\nforged", 320), "line\\u{a}forged");
        assert_eq!(clean(&"é".repeat(500), 300).chars().count(), 300);
    }
}
