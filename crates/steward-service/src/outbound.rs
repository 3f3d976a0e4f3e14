//! Sending the outbox: messages are taken with a lease (so no two senders, on any node, send the
//! same one), sent through SMTP, and marked sent; a failure is retried with growing delays, and
//! after too many attempts the message is marked failed for an administrator to see. A sender that
//! dies mid-way leaves its lease to expire and the message is sent later (at least once).

use jiff::SignedDuration;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::{Result, Service};

/// How to reach the SMTP server.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Transport security towards the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain (only for a server on this machine).
    None,
    /// STARTTLS on the submission port (usually 587).
    StartTls,
    /// TLS from the start (usually 465).
    Tls,
}

/// Sends rendered mail.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpSender {
    pub fn new(s: &SmtpSettings) -> std::result::Result<Self, String> {
        let builder = match s.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| e.to_string())?,
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| e.to_string())?
            }
        };
        let mut builder = builder
            .port(s.port)
            .timeout(Some(std::time::Duration::from_secs(30)));
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
        })
    }

    async fn send(&self, r: &steward_mail::Rendered) -> std::result::Result<(), String> {
        self.transport
            .send_raw(&r.envelope, &r.bytes)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// What one round of sending did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a taken message is held by its sender.
const LEASE: SignedDuration = SignedDuration::from_mins(5);

/// The delay before attempt `n + 1`: 1, 2, 4 … minutes, at most 6 hours.
fn backoff(attempts: i64) -> SignedDuration {
    let mins = 1i64 << attempts.clamp(0, 9);
    SignedDuration::from_mins(mins.min(360))
}

impl Service {
    /// Sends what is due in the outbox (up to `limit` messages).
    pub async fn deliver_mail(&self, sender: &SmtpSender, limit: i64) -> Result<Delivery> {
        let mut report = Delivery::default();
        // One message per lease: a slow server delays one message, never a batch past its lease.
        for _ in 0..limit.max(0) {
            let now = self.now();
            let lease_until = now.checked_add(LEASE).unwrap_or(now);
            let token = crate::secrets::new_session_token()?;
            let mut tx = self.store.write().await?;
            let mut due = tx.claim_due_mail(now, lease_until, &token, 1).await?;
            tx.commit().await?;
            let Some(e) = due.pop() else { break };
            let m = &e.mail;
            let rendered = steward_mail::render(&steward_mail::Outgoing {
                from: &m.from,
                to: &m.to,
                cc: &m.cc,
                subject: &m.subject,
                body: &m.body,
                message_id: &m.message_id,
                in_reply_to: m.in_reply_to.as_deref(),
                references: &m.references,
                automatic: m.automatic,
                ticket_number: m.ticket_id.map(|t| t.0),
            });
            let result = match rendered {
                Ok(r) => sender.send(&r).await,
                // A message that cannot be rendered will never be: no retries.
                Err(err) => {
                    let mut tx = self.store.write().await?;
                    tx.mark_mail_failed(e.id, &token, &err.to_string(), None)
                        .await?;
                    tx.commit().await?;
                    report.failed += 1;
                    continue;
                }
            };
            let mut tx = self.store.write().await?;
            match result {
                Ok(()) => {
                    tx.mark_mail_sent(e.id, &token, self.now()).await?;
                    report.sent += 1;
                }
                Err(err) if e.attempts + 1 >= MAX_ATTEMPTS => {
                    tracing::warn!(outbox = e.id, error = %err, "giving up sending mail");
                    tx.mark_mail_failed(e.id, &token, &err, None).await?;
                    report.failed += 1;
                }
                Err(err) => {
                    let retry = self.now().checked_add(backoff(e.attempts)).ok();
                    tracing::info!(outbox = e.id, error = %err, "sending mail failed; will retry");
                    tx.mark_mail_failed(e.id, &token, &err, retry).await?;
                    report.retrying += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops_growing() {
        assert_eq!(backoff(0), SignedDuration::from_mins(1));
        assert_eq!(backoff(3), SignedDuration::from_mins(8));
        assert_eq!(backoff(100), SignedDuration::from_mins(360));
    }
}
