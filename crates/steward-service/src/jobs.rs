//! The durable scheduler: jobs stored in the database with the instant they are due, run by
//! whichever Steward process takes them first (one at a time per job, under a lease), retried with
//! back-off, and kept in a failed-jobs list when they keep failing. It drives the SLA checks
//! (warnings and breaches), auto-closing, rule webhooks, reminders, the time-rule sweep and
//! recurring tickets (the last three in `automation.rs`).

use steward_domain::policy::{check, Action};
use steward_domain::{Actor, TicketId};
use steward_store::jobs::Job;

use crate::{Result, Service, ServiceError};

/// A ticket's next SLA check.
pub(crate) const SLA_CHECK: &str = "sla_check";
/// Closing a resolved ticket.
pub(crate) const AUTO_CLOSE: &str = "auto_close";
/// A rule's webhook call.
pub(crate) const WEBHOOK: &str = "webhook";

/// How long a worker holds a job it took.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
/// Jobs a worker claims at once.
const CLAIM_BATCH: usize = 50;
/// How long after its claim a worker still starts jobs of a batch.
const BATCH_TIME: std::time::Duration = std::time::Duration::from_secs(20);
/// Runs before a job is marked failed.
pub const MAX_JOB_ATTEMPTS: i64 = 5;

/// What one round of the scheduler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobsRun {
    pub done: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The key of a ticket's pending auto-close.
pub(crate) fn auto_close_key(t: TicketId) -> String {
    format!("close:{}", t.0)
}

/// Whether a ticket was resolved at some time (and so may have an auto-close or a survey pending).
pub(crate) fn was_resolved(t: &steward_domain::Ticket) -> bool {
    t.resolved_at.is_some() || t.reopen_count > 0
}

/// The key of a ticket's pending SLA check.
pub(crate) fn sla_check_key(t: TicketId) -> String {
    format!("sla:{}", t.0)
}

impl Service {
    /// Runs up to `limit` due jobs. Jobs are claimed in batches under one lease and their
    /// outcomes recorded together, so that a cheap job (most are SLA checks) costs one commit of
    /// its own rather than three. A worker starts no new job of a batch once [`BATCH_TIME`] has
    /// passed since the claim: it gives the rest back, so that one slow job (a webhook waits up to
    /// 10 s) delays the others of its batch by little and never holds them past their lease.
    pub async fn run_due_jobs(&self, limit: usize) -> Result<JobsRun> {
        let mut run = JobsRun::default();
        let mut left = limit;
        while left > 0 {
            let claimed_at = std::time::Instant::now();
            let now = self.now();
            let lease_until = now.checked_add(LEASE).unwrap_or(now);
            let token = crate::secrets::new_session_token()?;
            let take = left.min(CLAIM_BATCH);
            let mut tx = self.store.write().await?;
            let due = tx
                .claim_due_jobs(now, lease_until, &token, take as i64)
                .await?;
            tx.commit().await?;
            if due.is_empty() {
                break;
            }
            let claimed = due.len();
            left -= claimed;
            let mut outcomes = Vec::with_capacity(claimed);
            let mut unrun = Vec::new();
            for job in due {
                if claimed_at.elapsed() >= BATCH_TIME {
                    unrun.push(job.id);
                    continue;
                }
                let result = self.run_job(&job).await;
                outcomes.push((job, result));
            }
            let now = self.now();
            let mut tx = self.store.write().await?;
            for (job, result) in outcomes {
                match result {
                    Ok(()) => {
                        tx.finish_job(job.id, &token, job.run_at, now).await?;
                        run.done += 1;
                    }
                    Err(e) => {
                        let error = e.to_string();
                        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %error, "job failed");
                        let retry_at = (job.attempts < MAX_JOB_ATTEMPTS).then(|| {
                            let wait =
                                jiff::SignedDuration::from_secs(30 << job.attempts.clamp(0, 10));
                            now.checked_add(wait).unwrap_or(now)
                        });
                        if retry_at.is_some() {
                            run.retrying += 1;
                        } else {
                            run.failed += 1;
                        }
                        tx.fail_job(job.id, &token, &error, retry_at, now).await?;
                    }
                }
            }
            tx.release_jobs(&unrun, &token).await?;
            tx.commit().await?;
            if claimed < take || !unrun.is_empty() {
                break;
            }
        }
        Ok(run)
    }

    async fn run_job(&self, job: &Job) -> Result<()> {
        match (job.kind.as_str(), job.ticket_id) {
            (SLA_CHECK, Some(t)) => self.sla_check(t).await,
            (AUTO_CLOSE, Some(t)) => self.auto_close(t).await,
            (WEBHOOK, _) => self.call_webhook(&job.payload).await,
            (crate::automation::REMINDER, Some(t)) => self.remind(t, &job.payload).await,
            (crate::automation::TIME_RULES, _) => self.sweep_time_rules().await.map(|_| ()),
            (crate::automation::RECURRING, _) => self.run_recurring(&job.payload, job.run_at).await,
            (crate::feedback::SURVEY, Some(t)) => self.start_survey(t, &job.payload).await,
            (crate::reports::REPORT_MAIL, _) => self.send_scheduled_report(&job.payload).await,
            (crate::audit::AUDIT_PRUNE, _) => self.prune_audit().await.map(|_| ()),
            (crate::backup::BACKUP, _) => self.scheduled_backup().await,
            (kind, _) => Err(ServiceError::invalid(
                "kind",
                format!("no job of kind {kind:?} exists (made by a newer Steward?)"),
            )),
        }
    }

    /// After every change to a ticket, in its transaction: its clocks, and when it closes by
    /// itself if it is resolved.
    pub(crate) async fn ticket_changed(
        &self,
        tx: &mut steward_store::Conn,
        t: &mut steward_domain::Ticket,
    ) -> Result<()> {
        self.recompute_sla(tx, t).await?;
        let key = auto_close_key(t.id);
        match (t.status, t.resolved_at, self.auto_close) {
            (steward_domain::Status::Resolved, Some(at), Some(after)) => {
                let when = at.checked_add(after).unwrap_or(at);
                tx.schedule_job(AUTO_CLOSE, Some(t.id), "", Some(&key), when, self.now())
                    .await?;
            }
            // Only a ticket that was ever resolved can have one pending (a new ticket costs no
            // statement here).
            _ if was_resolved(t) => tx.cancel_job(&key).await?,
            _ => {}
        }
        self.schedule_survey(tx, t).await?;
        Ok(())
    }

    /// Closes a ticket resolved long enough ago (as Steward, recorded in its history).
    async fn auto_close(&self, id: TicketId) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut t = match tx.get_ticket_for_update(id).await {
            Ok(t) => t,
            Err(steward_store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let (Some(after), Some(at)) = (self.auto_close, t.resolved_at) else {
            return Ok(());
        };
        if t.status != steward_domain::Status::Resolved || at.checked_add(after).unwrap_or(at) > now
        {
            return Ok(());
        }
        let Some(change) = t.set_status(steward_domain::Status::Closed, now)? else {
            return Ok(());
        };
        tx.update_ticket(&t, false).await?;
        tx.record_history(
            t.id,
            None,
            now,
            steward_domain::EventAction::Changed,
            &[change],
        )
        .await?;
        self.recompute_sla(&mut tx, &mut t).await?;
        self.commit_announcing(
            tx,
            crate::notices::Notice::new(crate::notices::NoticeKind::Changed, &t),
        )
        .await?;
        Ok(())
    }

    /// POSTs a rule's webhook: the body as JSON, signed `X-Steward-Signature: sha256=<hex>` (HMAC
    /// of the body with the webhook secret) when a secret is set. Anything but a 2xx answer is a
    /// failure, retried by the scheduler.
    async fn call_webhook(&self, payload: &str) -> Result<()> {
        use hmac::Mac;
        let bad = |m: String| ServiceError::invalid("webhook", m);
        let v: serde_json::Value = serde_json::from_str(payload)
            .map_err(|e| bad(format!("stored call unreadable: {e}")))?;
        let url = v["url"].as_str().ok_or_else(|| bad("no address".into()))?;
        let body = v["body"].to_string();
        let mut req = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", concat!("Steward/", env!("CARGO_PKG_VERSION")));
        if let Some(secret) = &self.webhook_secret {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
                .map_err(|e| bad(e.to_string()))?;
            mac.update(body.as_bytes());
            let sig = hex::encode(mac.finalize().into_bytes());
            req = req.header("x-steward-signature", format!("sha256={sig}"));
        }
        let res = req
            .body(body)
            .send()
            .await
            .map_err(|e| bad(format!("{url}: {e}")))?;
        if !res.status().is_success() {
            return Err(bad(format!("{url} answered {}", res.status())));
        }
        Ok(())
    }

    /// How many jobs are due now and how many failed for good (for the metrics endpoint: a
    /// growing number of due jobs means the scheduler falls behind).
    pub async fn job_backlog(&self) -> Result<(i64, i64)> {
        Ok(self.store.read().await?.job_backlog(self.now()).await?)
    }

    /// Jobs that failed for good, newest first (administrators).
    pub async fn failed_jobs(&self, actor: &Actor) -> Result<Vec<Job>> {
        check(actor, Action::ViewFailedJobs).map_err(|d| ServiceError::denied(d, "job"))?;
        Ok(self.store.read().await?.failed_jobs(200).await?)
    }
}
