//! The durable scheduler's queries: jobs stored with the instant they are due, taken by one worker
//! at a time with a lease (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so that several Steward
//! processes share the work without waiting on each other), finished or retried by the lease's
//! holder only, and kept when they finally fail.

use steward_domain::{TicketId, Timestamp};

use crate::query::q;
use crate::rows::{from_ts, ts};
use crate::{Backend, Conn, Result};

/// A job to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub ticket_id: Option<TicketId>,
    pub payload: String,
    pub run_at: Timestamp,
    pub attempts: i64,
    pub status: String,
    pub last_error: Option<String>,
}

crate::record::record! {
    struct JobRow {
        id: i64,
        kind: String,
        ticket_id: Option<i64>,
        payload: String,
        run_at: i64,
        attempts: i64,
        status: String,
        last_error: Option<String>,
    }
}

const JOB_COLS: &str = "id, kind, ticket_id, payload, run_at, attempts, status, last_error";

impl TryFrom<JobRow> for Job {
    type Error = crate::StoreError;
    fn try_from(r: JobRow) -> Result<Self> {
        Ok(Job {
            id: r.id,
            kind: r.kind,
            ticket_id: r.ticket_id.map(TicketId),
            payload: r.payload,
            run_at: from_ts(r.run_at)?,
            attempts: r.attempts,
            status: r.status,
            last_error: r.last_error,
        })
    }
}

impl Conn {
    /// Schedules a job. With a `dedupe` key, a pending job of that key is moved to `run_at`
    /// instead of a second one being added (a finished one is started afresh).
    pub async fn schedule_job(
        &mut self,
        kind: &str,
        ticket: Option<TicketId>,
        payload: &str,
        dedupe: Option<&str>,
        run_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO jobs (kind, ticket_id, payload, dedupe, run_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (dedupe) DO UPDATE SET run_at = excluded.run_at, payload = excluded.payload,
                 status = 'pending', attempts = 0, last_error = NULL, done_at = NULL")
            .bind(kind)
            .bind(ticket.map(|t| t.0))
            .bind(payload)
            .bind(dedupe.map(str::to_string))
            .bind(ts(run_at))
            .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    /// Schedules many jobs of one kind, each with its own key, as [`Conn::schedule_job`] does
    /// (a pending job of a key is moved; one already pending for that instant is left alone), in
    /// one statement.
    pub async fn schedule_jobs(
        &mut self,
        kind: &str,
        jobs: &[(TicketId, String, Timestamp)],
        now: Timestamp,
    ) -> Result<()> {
        use crate::bulk::{push_rows, Col};
        if jobs.is_empty() {
            return Ok(());
        }
        let rows: Vec<serde_json::Value> = jobs
            .iter()
            .map(|(t, key, at)| serde_json::json!([t.0, key, ts(*at)]))
            .collect();
        let backend = self.backend();
        let mut query =
            q("INSERT INTO jobs (kind, ticket_id, payload, dedupe, run_at, created_at) SELECT ");
        query
            .param(kind)
            .push(", c0, '', c1, c2, ")
            .param(ts(now))
            .push(" FROM ");
        push_rows(
            &mut query,
            backend,
            serde_json::Value::Array(rows).to_string(),
            &[Col::Int, Col::Text, Col::Int],
            "v",
        );
        query.push(
            " WHERE true ON CONFLICT (dedupe) DO UPDATE SET run_at = excluded.run_at, payload = excluded.payload,
             status = 'pending', attempts = 0, last_error = NULL, done_at = NULL
             WHERE jobs.run_at <> excluded.run_at OR jobs.status <> 'pending' OR jobs.attempts <> 0",
        );
        self.execute(query).await?;
        Ok(())
    }

    /// Removes the pending jobs of many keys.
    pub async fn cancel_jobs(&mut self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut query = q("DELETE FROM jobs WHERE status = 'pending'");
        crate::bulk::push_texts_in(&mut query, self.backend(), "dedupe", &keys);
        self.execute(query).await?;
        Ok(())
    }

    /// Removes a pending job by its key (nothing left to do).
    pub async fn cancel_job(&mut self, dedupe: &str) -> Result<()> {
        self.execute(q("DELETE FROM jobs WHERE dedupe = $1 AND status = 'pending'").bind(dedupe))
            .await?;
        Ok(())
    }

    /// Takes up to `limit` due jobs for the holder of `token` until `lease_until`.
    pub async fn claim_due_jobs(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        token: &str,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let rows: Vec<JobRow> = self
            .fetch_all(
                q(&format!(
                    "UPDATE jobs SET lease_until = $1, lease_token = $4, attempts = attempts + 1 WHERE id IN (
                       SELECT id FROM jobs
                       WHERE status = 'pending' AND run_at <= $2
                         AND (lease_until IS NULL OR lease_until <= $2)
                       ORDER BY run_at, id LIMIT $3{lock})
                     RETURNING {JOB_COLS}"
                ))
                .bind(ts(lease_until))
                .bind(ts(now))
                .bind(limit)
                .bind(token),
            )
            .await?;
        let mut out = rows
            .into_iter()
            .map(Job::try_from)
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|j| (j.run_at, j.id));
        Ok(out)
    }

    /// Finishes a job the holder of `token` ran. `false` if the lease was lost. A job rescheduled
    /// while it ran (its `run_at` moved past `ran_for`) stays pending for that new instant.
    pub async fn finish_job(
        &mut self,
        id: i64,
        token: &str,
        ran_for: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self
            .execute(
                q("UPDATE jobs SET
                     status = CASE WHEN run_at > $4 THEN 'pending' ELSE 'done' END,
                     done_at = CASE WHEN run_at > $4 THEN NULL ELSE $1 END,
                     attempts = CASE WHEN run_at > $4 THEN 0 ELSE attempts END,
                     lease_until = NULL, lease_token = NULL, last_error = NULL
                   WHERE id = $2 AND lease_token = $3 AND status = 'pending'")
                .bind(ts(now))
                .bind(id)
                .bind(token)
                .bind(ts(ran_for)),
            )
            .await?;
        Ok(n > 0)
    }

    /// Gives back claimed jobs that were not run (the worker ran out of time): they are due again
    /// at once for any worker, and the claim does not count as an attempt.
    pub async fn release_jobs(&mut self, ids: &[i64], token: &str) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut query = q("UPDATE jobs SET lease_until = NULL, lease_token = NULL, attempts = attempts - 1 WHERE lease_token = ");
        query.param(token).push(" AND status = 'pending'");
        crate::bulk::push_ids_in(&mut query, self.backend(), "id", ids);
        self.execute(query).await?;
        Ok(())
    }

    /// Records a failed run: retried at `retry_at`, or failed for good (`None`).
    pub async fn fail_job(
        &mut self,
        id: i64,
        token: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        let n = match retry_at {
            Some(at) => {
                self.execute(
                    q("UPDATE jobs SET run_at = $1, last_error = $2, lease_until = NULL, lease_token = NULL
                       WHERE id = $3 AND lease_token = $4 AND status = 'pending'")
                    .bind(ts(at))
                    .bind(error)
                    .bind(id)
                    .bind(token),
                )
                .await?
            }
            None => {
                self.execute(
                    q("UPDATE jobs SET status = 'failed', done_at = $1, last_error = $2, lease_until = NULL,
                         lease_token = NULL
                       WHERE id = $3 AND lease_token = $4 AND status = 'pending'")
                    .bind(ts(now))
                    .bind(error)
                    .bind(id)
                    .bind(token),
                )
                .await?
            }
        };
        Ok(n > 0)
    }

    /// How many jobs are due (pending, their time reached) and how many failed for good.
    pub async fn job_backlog(&mut self, now: Timestamp) -> Result<(i64, i64)> {
        self.fetch_one(
            q(
                "SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND run_at <= $1),
                      (SELECT COUNT(*) FROM jobs WHERE status = 'failed')",
            )
            .bind(ts(now)),
        )
        .await
    }

    /// Jobs that failed for good, newest first.
    pub async fn failed_jobs(&mut self, limit: i64) -> Result<Vec<Job>> {
        let rows: Vec<JobRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {JOB_COLS} FROM jobs WHERE status = 'failed' ORDER BY done_at DESC, id DESC LIMIT $1"
                ))
                .bind(limit),
            )
            .await?;
        rows.into_iter().map(Job::try_from).collect()
    }

    /// The pending job of a key, if any.
    pub async fn pending_job(&mut self, dedupe: &str) -> Result<Option<Job>> {
        let row: Option<JobRow> = self
            .fetch_optional(
                q(&format!(
                    "SELECT {JOB_COLS} FROM jobs WHERE dedupe = $1 AND status = 'pending'"
                ))
                .bind(dedupe),
            )
            .await?;
        row.map(Job::try_from).transpose()
    }

    /// Records that an escalation step fired; `false` if it had already (it fires once).
    pub async fn record_escalation(
        &mut self,
        ticket: TicketId,
        target: &str,
        step: &str,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self
            .execute(
                q("INSERT INTO sla_escalations (ticket_id, target, step, since, fired_at) VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (ticket_id, target, step, since) DO NOTHING")
                .bind(ticket.0)
                .bind(target)
                .bind(step)
                .bind(ts(since))
                .bind(ts(now)),
            )
            .await?;
        Ok(n > 0)
    }

    /// The escalation steps that fired on a ticket: (target, step, since).
    pub async fn fired_escalations(
        &mut self,
        ticket: TicketId,
    ) -> Result<Vec<(String, String, Timestamp)>> {
        let rows: Vec<(String, String, i64)> = self
            .fetch_all(
                q("SELECT target, step, since FROM sla_escalations WHERE ticket_id = $1")
                    .bind(ticket.0),
            )
            .await?;
        rows.into_iter()
            .map(|(t, s, since)| Ok((t, s, from_ts(since)?)))
            .collect()
    }
}
