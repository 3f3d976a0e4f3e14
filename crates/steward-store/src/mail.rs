//! Queries for the e-mail channel: Message-IDs for threading and idempotency, attachments stored
//! once by content, quarantined mail, and the outbox.

use steward_domain::{MessageId, PersonId, TicketId, Timestamp};

use crate::query::{q, Query};
use crate::rows::{from_ts, ts};
use crate::{Backend, Conn, Result};

/// A quarantined message (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub id: i64,
    pub mailbox: String,
    pub reason: String,
    pub received_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub size: i64,
}

/// Someone who receives copies of a ticket's public replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    pub person: PersonId,
    pub name: String,
    pub email: String,
    pub active: bool,
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub ticket_id: Option<TicketId>,
    /// What it is ("acknowledgement", "reply", …).
    pub kind: String,
    pub to: String,
    /// Copies (watchers of the ticket).
    pub cc: Vec<String>,
    pub from: String,
    pub subject: String,
    pub body: String,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// Space-separated Message-IDs, oldest first.
    pub references: String,
    /// Sent automatically (gets `Auto-Submitted: auto-replied`).
    pub automatic: bool,
    /// Its Message-ID joins the ticket's thread (mail to the requester and watchers does; notes to
    /// staff do not, so the requester's mail never refers to what they never saw).
    pub in_thread: bool,
}

/// A stored outbound message and its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub mail: OutboxMail,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
}

crate::record::record! {
    struct OutboxRow {
        id: i64,
        ticket_id: Option<i64>,
        kind: String,
        to_addr: String,
        from_addr: String,
        subject: String,
        body: String,
        message_id: String,
        in_reply_to: Option<String>,
        refs: String,
        cc: String,
        automatic: bool,
        status: String,
        attempts: i64,
        next_attempt_at: i64,
        last_error: Option<String>,
    }
}

const OUTBOX_COLS: &str = "id, ticket_id, kind, to_addr, from_addr, subject, body, message_id, \
     in_reply_to, refs, cc, automatic, status, attempts, next_attempt_at, last_error";

impl TryFrom<OutboxRow> for OutboxEntry {
    type Error = crate::StoreError;
    fn try_from(r: OutboxRow) -> Result<Self> {
        Ok(OutboxEntry {
            id: r.id,
            mail: OutboxMail {
                ticket_id: r.ticket_id.map(TicketId),
                kind: r.kind,
                to: r.to_addr,
                cc: r
                    .cc
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
                from: r.from_addr,
                subject: r.subject,
                body: r.body,
                message_id: r.message_id,
                in_reply_to: r.in_reply_to,
                references: r.refs,
                automatic: r.automatic,
                in_thread: true,
            },
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: from_ts(r.next_attempt_at)?,
            last_error: r.last_error,
        })
    }
}

impl Conn {
    /// The ticket of the first of these Message-IDs that Steward knows, in the order given, and
    /// whether that Message-ID is one Steward itself sent (and so could not have been guessed).
    pub async fn ticket_for_mail_ids(&mut self, ids: &[&str]) -> Result<Option<(TicketId, bool)>> {
        if ids.is_empty() {
            return Ok(None);
        }
        let mut query = Query::default();
        query.push("SELECT message_id, ticket_id, direction FROM mail_ids WHERE message_id IN (");
        for (i, id) in ids.iter().take(100).enumerate() {
            if i > 0 {
                query.push(", ");
            }
            query.param(*id);
        }
        query.push(")");
        let rows: Vec<(String, i64, String)> = self.fetch_all(query).await?;
        Ok(ids
            .iter()
            .find_map(|id| rows.iter().find(|(m, _, _)| m == id))
            .map(|(_, t, dir)| (TicketId(*t), dir == "out")))
    }

    /// Whether a message with this Message-ID is already stored (inbound or outbound).
    pub async fn mail_id_known(&mut self, message_id: &str) -> Result<bool> {
        let found: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT ticket_id FROM mail_ids WHERE message_id = $1").bind(message_id),
            )
            .await?;
        Ok(found.is_some())
    }

    pub async fn insert_mail_id(
        &mut self,
        message_id: &str,
        ticket: TicketId,
        outbound: bool,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO mail_ids (message_id, ticket_id, direction, created_at) VALUES ($1, $2, $3, $4)")
                .bind(message_id)
                .bind(ticket.0)
                .bind(if outbound { "out" } else { "in" })
                .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    /// Notes how a message arrived and whether it was automatic.
    pub async fn set_message_origin(
        &mut self,
        message: MessageId,
        channel: &str,
        automatic: Option<&str>,
    ) -> Result<()> {
        self.execute(
            q("UPDATE messages SET channel = $1, automatic = $2 WHERE id = $3")
                .bind(channel)
                .bind(automatic)
                .bind(message.0),
        )
        .await?;
        Ok(())
    }

    pub async fn set_follow_up(&mut self, ticket: TicketId, of: TicketId) -> Result<()> {
        self.execute(
            q("UPDATE tickets SET follow_up_of = $1 WHERE id = $2")
                .bind(of.0)
                .bind(ticket.0),
        )
        .await?;
        Ok(())
    }

    /// Stores file contents once, by their SHA-256.
    pub async fn store_blob(&mut self, sha256: &str, data: &[u8], now: Timestamp) -> Result<()> {
        self.execute(
            q(
                "INSERT INTO blobs (sha256, size, data, created_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(sha256)
            .bind(data.len() as i64)
            .bind(data)
            .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    pub async fn insert_attachment(
        &mut self,
        message: MessageId,
        sha256: &str,
        filename: Option<&str>,
        content_type: &str,
        content_id: Option<&str>,
        inline: bool,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO message_attachments (message_id, sha256, filename, content_type, content_id, inline)
               VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(message.0)
            .bind(sha256)
            .bind(filename)
            .bind(content_type)
            .bind(content_id)
            .bind(inline),
        )
        .await?;
        Ok(())
    }

    /// The attachments of a message: (filename, content type, SHA-256, size).
    pub async fn attachments_of(
        &mut self,
        message: MessageId,
    ) -> Result<Vec<(Option<String>, String, String, i64)>> {
        self.fetch_all(
            q(
                "SELECT a.filename, a.content_type, a.sha256, b.size FROM message_attachments a
               JOIN blobs b ON b.sha256 = a.sha256 WHERE a.message_id = $1 ORDER BY a.id",
            )
            .bind(message.0),
        )
        .await
    }

    /// Keeps a message aside. `raw_sha256` names its bytes: the same bytes still waiting in
    /// quarantine are kept once (the existing entry's id is returned).
    pub async fn quarantine(
        &mut self,
        mailbox: &str,
        reason: &str,
        raw: &[u8],
        raw_sha256: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let waiting: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT id FROM quarantine WHERE raw_sha256 = $1 AND resolved_at IS NULL ORDER BY id LIMIT 1")
                    .bind(raw_sha256),
            )
            .await?;
        if let Some((id,)) = waiting {
            return Ok(id);
        }
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO quarantine (mailbox, reason, raw, received_at, raw_sha256) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(mailbox)
                    .bind(reason)
                    .bind(raw)
                    .bind(ts(now))
                    .bind(raw_sha256),
            )
            .await?;
        Ok(id)
    }

    /// Where a polled mail folder stopped: its UIDVALIDITY and the last UID taken in.
    pub async fn mail_cursor(&mut self, source: &str) -> Result<Option<(i64, i64)>> {
        self.fetch_optional(
            q("SELECT uid_validity, last_uid FROM mail_cursors WHERE source = $1").bind(source),
        )
        .await
    }

    pub async fn set_mail_cursor(
        &mut self,
        source: &str,
        uid_validity: i64,
        last_uid: i64,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO mail_cursors (source, uid_validity, last_uid, updated_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (source) DO UPDATE SET uid_validity = excluded.uid_validity,
                 last_uid = excluded.last_uid, updated_at = excluded.updated_at")
            .bind(source)
            .bind(uid_validity)
            .bind(last_uid)
            .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    /// Adds a watcher to a ticket (once).
    pub async fn add_watcher(
        &mut self,
        ticket: TicketId,
        person: PersonId,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self
            .execute(
                q("INSERT INTO ticket_watchers (ticket_id, person_id, created_at) VALUES ($1, $2, $3)
                   ON CONFLICT (ticket_id, person_id) DO NOTHING")
                .bind(ticket.0)
                .bind(person.0)
                .bind(ts(now)),
            )
            .await?;
        Ok(n > 0)
    }

    pub async fn is_watcher(&mut self, ticket: TicketId, person: PersonId) -> Result<bool> {
        let found: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT person_id FROM ticket_watchers WHERE ticket_id = $1 AND person_id = $2")
                    .bind(ticket.0)
                    .bind(person.0),
            )
            .await?;
        Ok(found.is_some())
    }

    /// Active service managers: id and address.
    pub async fn active_managers(&mut self) -> Result<Vec<(PersonId, String)>> {
        let rows: Vec<(i64, String)> = self
            .fetch_all(q(
                "SELECT id, email FROM people WHERE active AND role = 'manager' ORDER BY id",
            ))
            .await?;
        Ok(rows.into_iter().map(|(id, e)| (PersonId(id), e)).collect())
    }

    /// Active staff members of a team: id, name and address.
    pub async fn team_staff(
        &mut self,
        team: steward_domain::TeamId,
    ) -> Result<Vec<(PersonId, String, String)>> {
        let rows: Vec<(i64, String, String)> = self
            .fetch_all(
                q("SELECT p.id, p.name, p.email FROM team_members m JOIN people p ON p.id = m.person_id
                   WHERE m.team_id = $1 AND p.active AND p.role IN ('technician', 'manager', 'admin')
                   ORDER BY p.id")
                .bind(team.0),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, n, e)| (PersonId(id), n, e))
            .collect())
    }

    pub async fn remove_watcher(&mut self, ticket: TicketId, person: PersonId) -> Result<bool> {
        let n = self
            .execute(
                q("DELETE FROM ticket_watchers WHERE ticket_id = $1 AND person_id = $2")
                    .bind(ticket.0)
                    .bind(person.0),
            )
            .await?;
        Ok(n > 0)
    }

    /// A ticket's watchers: id, name and address, by name.
    pub async fn watchers(&mut self, ticket: TicketId) -> Result<Vec<Watcher>> {
        let rows: Vec<(i64, String, String, bool)> = self
            .fetch_all(
                q("SELECT p.id, p.name, p.email, p.active FROM ticket_watchers w JOIN people p ON p.id = w.person_id
                   WHERE w.ticket_id = $1 ORDER BY p.name, p.id")
                .bind(ticket.0),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, email, active)| Watcher {
                person: PersonId(id),
                name,
                email,
                active,
            })
            .collect())
    }

    pub async fn list_quarantine(&mut self, include_resolved: bool) -> Result<Vec<Quarantined>> {
        let filter = if include_resolved {
            ""
        } else {
            " WHERE resolved_at IS NULL"
        };
        let rows: Vec<(i64, String, String, i64, Option<i64>, i64)> = self
            .fetch_all(q(&format!(
                "SELECT id, mailbox, reason, received_at, resolved_at, {} FROM quarantine{filter} ORDER BY id",
                match self.backend() {
                    Backend::Sqlite => "length(raw)",
                    Backend::Postgres => "octet_length(raw)::BIGINT",
                }
            )))
            .await?;
        rows.into_iter()
            .map(|(id, mailbox, reason, at, resolved, size)| {
                Ok(Quarantined {
                    id,
                    mailbox,
                    reason,
                    received_at: from_ts(at)?,
                    resolved_at: resolved.map(from_ts).transpose()?,
                    size,
                })
            })
            .collect()
    }

    /// A quarantined message's bytes and mailbox.
    pub async fn quarantined_raw(&mut self, id: i64) -> Result<(String, Vec<u8>)> {
        self.fetch_one(q("SELECT mailbox, raw FROM quarantine WHERE id = $1").bind(id))
            .await
    }

    pub async fn resolve_quarantine(&mut self, id: i64, now: Timestamp) -> Result<()> {
        self.execute(
            q("UPDATE quarantine SET resolved_at = $1 WHERE id = $2")
                .bind(ts(now))
                .bind(id),
        )
        .await?;
        Ok(())
    }

    pub async fn enqueue_mail(&mut self, m: &OutboxMail, now: Timestamp) -> Result<i64> {
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO outbox (ticket_id, kind, to_addr, from_addr, subject, body, message_id,
                     in_reply_to, refs, automatic, next_attempt_at, created_at, cc)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING id")
                .bind(m.ticket_id.map(|t| t.0))
                .bind(m.kind.as_str())
                .bind(m.to.as_str())
                .bind(m.from.as_str())
                .bind(m.subject.as_str())
                .bind(m.body.as_str())
                .bind(m.message_id.as_str())
                .bind(m.in_reply_to.clone())
                .bind(m.references.as_str())
                .bind(m.automatic)
                .bind(ts(now))
                .bind(m.cc.join(", ")),
            )
            .await?;
        if let (Some(t), true) = (m.ticket_id, m.in_thread) {
            self.insert_mail_id(&m.message_id, t, true, now).await?;
        }
        Ok(id)
    }

    /// Takes up to `limit` pending messages due by `now` to send, holding each until
    /// `lease_until` so that no other sender (on any node) takes it meanwhile. A sender that dies
    /// leaves its lease to expire, and the message is taken again.
    pub async fn claim_due_mail(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        token: &str,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>> {
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let rows: Vec<OutboxRow> = self
            .fetch_all(
                q(&format!(
                    "UPDATE outbox SET lease_until = $1, lease_token = $4 WHERE id IN (
                       SELECT id FROM outbox
                       WHERE status = 'pending' AND next_attempt_at <= $2
                         AND (lease_until IS NULL OR lease_until <= $2)
                       ORDER BY next_attempt_at, id LIMIT $3{lock})
                     RETURNING {OUTBOX_COLS}"
                ))
                .bind(ts(lease_until))
                .bind(ts(now))
                .bind(limit)
                .bind(token),
            )
            .await?;
        let mut out = rows
            .into_iter()
            .map(OutboxEntry::try_from)
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|e| e.id);
        Ok(out)
    }

    /// Records that the holder of `token` sent the message. `false` if the lease was lost (another
    /// sender took the message meanwhile): nothing is changed then.
    pub async fn mark_mail_sent(&mut self, id: i64, token: &str, now: Timestamp) -> Result<bool> {
        let n = self
            .execute(
                q(
                    "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1,
                     last_error = NULL, lease_until = NULL, lease_token = NULL
                   WHERE id = $2 AND lease_token = $3 AND status = 'pending'",
                )
                .bind(ts(now))
                .bind(id)
                .bind(token),
            )
            .await?;
        Ok(n > 0)
    }

    /// Records a failed attempt by the holder of `token`: try again at `retry_at`, or give up
    /// (`None`). A result from a sender whose lease was lost is ignored.
    pub async fn mark_mail_failed(
        &mut self,
        id: i64,
        token: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool> {
        let status = if retry_at.is_some() {
            "pending"
        } else {
            "failed"
        };
        let n = self
            .execute(
                q(
                    "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2,
                     next_attempt_at = COALESCE($3, next_attempt_at), lease_until = NULL,
                     lease_token = NULL
                   WHERE id = $4 AND lease_token = $5 AND status = 'pending'",
                )
                .bind(status)
                .bind(error)
                .bind(retry_at.map(ts))
                .bind(id)
                .bind(token),
            )
            .await?;
        Ok(n > 0)
    }

    /// Every outbound message, newest first (for administrators and tests).
    pub async fn list_outbox(&mut self, limit: i64) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<OutboxRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {OUTBOX_COLS} FROM outbox ORDER BY id DESC LIMIT $1"
                ))
                .bind(limit),
            )
            .await?;
        rows.into_iter().map(OutboxEntry::try_from).collect()
    }
}

impl Conn {
    /// Records the mailbox a ticket came in on.
    pub async fn set_ticket_mailbox(&mut self, ticket: TicketId, mailbox: &str) -> Result<()> {
        self.execute(
            q("UPDATE tickets SET mailbox = $1 WHERE id = $2")
                .bind(mailbox)
                .bind(ticket.0),
        )
        .await?;
        Ok(())
    }

    /// The mailbox a ticket came in on, if it came by mail.
    pub async fn ticket_mailbox(&mut self, ticket: TicketId) -> Result<Option<String>> {
        let (m,): (Option<String>,) = self
            .fetch_one(q("SELECT mailbox FROM tickets WHERE id = $1").bind(ticket.0))
            .await?;
        Ok(m)
    }

    /// The Message-IDs of a ticket's mail, oldest first (for the References of a new message).
    pub async fn mail_ids_of(&mut self, ticket: TicketId) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = self
            .fetch_all(
                q("SELECT message_id FROM mail_ids WHERE ticket_id = $1 ORDER BY id")
                    .bind(ticket.0),
            )
            .await?;
        Ok(rows.into_iter().map(|(m,)| m).collect())
    }
}

impl Conn {
    /// How many messages this person sent by mail since `since` (for the loop guard).
    pub async fn mail_messages_since(
        &mut self,
        author: steward_domain::PersonId,
        since: Timestamp,
    ) -> Result<i64> {
        let (n,): (i64,) = self
            .fetch_one(
                q("SELECT COUNT(*) FROM messages WHERE author_id = $1 AND created_at >= $2 AND channel = 'email'")
                    .bind(author.0)
                    .bind(ts(since)),
            )
            .await?;
        Ok(n)
    }
}

impl Conn {
    /// Keeps a message's sanitised HTML.
    pub async fn set_message_html(&mut self, message: MessageId, html: &str) -> Result<()> {
        self.execute(
            q("UPDATE messages SET body_html = $1 WHERE id = $2")
                .bind(html)
                .bind(message.0),
        )
        .await?;
        Ok(())
    }

    /// The sanitised HTML of a ticket's messages that have one.
    pub async fn message_html_of(&mut self, ticket: TicketId) -> Result<Vec<(MessageId, String)>> {
        let rows: Vec<(i64, String)> = self
            .fetch_all(
                q("SELECT id, body_html FROM messages WHERE ticket_id = $1 AND body_html IS NOT NULL ORDER BY id")
                    .bind(ticket.0),
            )
            .await?;
        Ok(rows.into_iter().map(|(id, h)| (MessageId(id), h)).collect())
    }
}

/// A file attached to a message (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: i64,
    pub message_id: MessageId,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub inline: bool,
    /// Its Content-ID (without angle brackets), by which the message's HTML shows it.
    pub content_id: Option<String>,
}

crate::record::record! {
    struct AttachmentRow {
        id: i64,
        message_id: i64,
        filename: Option<String>,
        content_type: String,
        size: i64,
        inline: bool,
        content_id: Option<String>,
    }
}

impl Conn {
    /// The attachments of a ticket's messages.
    pub async fn attachments_of_ticket(&mut self, ticket: TicketId) -> Result<Vec<AttachmentInfo>> {
        let rows: Vec<AttachmentRow> = self
            .fetch_all(
                q(
                    "SELECT a.id, a.message_id, a.filename, a.content_type, b.size, a.inline, a.content_id
                   FROM message_attachments a JOIN blobs b ON b.sha256 = a.sha256
                   JOIN messages m ON m.id = a.message_id
                   WHERE m.ticket_id = $1 ORDER BY a.id",
                )
                .bind(ticket.0),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AttachmentInfo {
                id: r.id,
                message_id: MessageId(r.message_id),
                filename: r.filename,
                content_type: r.content_type,
                size: r.size,
                inline: r.inline,
                content_id: r.content_id,
            })
            .collect())
    }

    /// An attachment's bytes.
    pub async fn attachment_data(&mut self, id: i64) -> Result<Vec<u8>> {
        let (data,): (Vec<u8>,) = self
            .fetch_one(
                q("SELECT b.data FROM message_attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = $1")
                    .bind(id),
            )
            .await?;
        Ok(data)
    }
}
