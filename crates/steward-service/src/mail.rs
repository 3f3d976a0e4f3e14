//! The e-mail channel's use cases: a raw message in becomes a ticket, or a message on the ticket it
//! answers; automatic mail is stored but never answered; what cannot be read is quarantined with
//! the reason, never dropped. Acknowledgements are written to the outbox in the same transaction.

use sha2::{Digest, Sha256};
use steward_domain::{
    validate, Channel, EventAction, Impact, MessageKind, Named, OrgId, Person, Priority, Role,
    Status, TeamId, Ticket, TicketId, TicketType, Urgency,
};
use steward_mail::{reply_subject, ticket_number_in_subject, Automatic, Inbound};
use steward_store::directory::NewPerson;
use steward_store::mail::OutboxMail;
use steward_store::tickets::NewTicket;
use steward_store::{Conn, StoreError};

use crate::notices::{Notice, NoticeKind};
use crate::{Result, Service};

/// A mailbox Steward receives mail for, and where its tickets go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The address people write to (also the sender of replies to its tickets).
    pub address: String,
    pub team: Option<TeamId>,
    pub ticket_type: TicketType,
    /// The category of its new tickets.
    pub category: Option<steward_domain::CategoryId>,
}

/// Settings of the e-mail channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub mailboxes: Vec<Mailbox>,
    /// The ticket tag is `[{prefix}#1234]`.
    pub tag_prefix: String,
    /// Attachments larger than this are not stored (the message says so).
    pub max_attachment_bytes: usize,
    /// Send acknowledgements of new requests.
    pub acknowledge: bool,
    /// Outbound mail is set up: acknowledgements and replies are written to the outbox. Without
    /// it, nothing is queued (and nothing piles up to be sent later).
    pub send: bool,
    /// Loop guard: a sender with more than this many messages in [`LOOP_WINDOW`] gets no more
    /// automatic answers (their mail is still stored).
    pub max_mails_per_sender: i64,
    /// The texts of outbound mail.
    pub templates: Templates,
    /// Addresses in the Cc of a requester's mail become watchers of the ticket (they receive
    /// copies of its public replies).
    pub cc_watchers: bool,
    /// Tell staff by mail: a new ticket in their team's queue, a ticket assigned to them, a
    /// requester's answer on their ticket.
    pub notify_staff: bool,
    /// Where Steward is reached (e.g. `https://desk.example.com`), for links in mail to staff.
    pub link_base: Option<String>,
}

/// The bodies of outbound mail. Placeholders: `{number}`, `{tag}` (`[#1234]`), `{subject}`,
/// `{requester}` (their name) and, in replies, `{message}` (what the technician wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub acknowledgement: String,
    pub reply: String,
    /// To a team's members: a new ticket in the team's queue. Also `{link}` and `{message}`.
    pub new_in_queue: String,
    /// To a technician: a ticket was assigned to them. Also `{link}` and `{message}`.
    pub assigned: String,
    /// To the assignee (or the team when there is none): the requester answered. Also `{link}`
    /// and `{message}`.
    pub requester_replied: String,
    /// To the requester: their request was resolved. (`{survey}`, from before surveys had their
    /// own mail, is left out: the survey follows as the `survey` mail.)
    pub resolved: String,
    /// To the requester: the desk waits for them (set without a reply that says so).
    pub pending_requester: String,
    /// To the requester, after the survey delay: how satisfied they are with a resolved ticket.
    /// Also `{survey}` (the five rating links, one per line).
    pub survey: String,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            acknowledgement: "Hello {requester},\n\nthank you for your message. We have opened request #{number} \
                for it and will answer as soon as we can.\n\nTo add anything, reply to this e-mail and keep \
                {tag} in the subject.\n\nSubject: {subject}\n"
                .into(),
            reply: "{message}\n\n-- \nRequest #{number}: reply to this e-mail to answer (keep {tag} in the subject).\n"
                .into(),
            new_in_queue: "A new request is in your team's queue.\n\n#{number} {subject}\nFrom: {requester}\n\n{message}\n\n{link}\n"
                .into(),
            assigned: "Request #{number} is now assigned to you.\n\n{subject}\nFrom: {requester}\n\n{link}\n"
                .into(),
            requester_replied: "{requester} answered on request #{number} ({subject}):\n\n{message}\n\n{link}\n"
                .into(),
            resolved: "Hello {requester},\n\nwe consider your request #{number} ({subject}) resolved.\n\nIf the \
                problem is not solved, reply to this e-mail (keep {tag} in the subject) and we will take it up \
                again.\n"
                .into(),
            pending_requester: "Hello {requester},\n\nwe need something from you to go on with request \
                #{number} ({subject}). Please reply to this e-mail (keep {tag} in the subject).\n"
                .into(),
            survey: "Hello {requester},\n\nyour request #{number} ({subject}) was resolved. How satisfied \
                are you with how we handled it? Choose one:\n\n{survey}\n\nThe link opens a page where you \
                send your rating and, if you like, a comment. No sign-in needed.\n"
                .into(),
        }
    }
}

/// The window of the loop guard.
pub const LOOP_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            mailboxes: Vec::new(),
            tag_prefix: steward_mail::DEFAULT_TAG_PREFIX.to_string(),
            max_attachment_bytes: 25 * 1024 * 1024,
            acknowledge: true,
            send: false,
            max_mails_per_sender: 20,
            templates: Templates::default(),
            cc_watchers: true,
            notify_staff: true,
            link_base: None,
        }
    }
}

impl MailSettings {
    /// The mailbox with this address (case-insensitive), or one that takes any address.
    pub fn mailbox(&self, address: &str) -> Mailbox {
        self.mailboxes
            .iter()
            .find(|m| m.address.eq_ignore_ascii_case(address))
            .cloned()
            .unwrap_or_else(|| Mailbox {
                address: address.to_string(),
                team: None,
                ticket_type: TicketType::Incident,
                category: None,
            })
    }
}

/// What happened to an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// A new ticket.
    Created { ticket: TicketId, number: i64 },
    /// A message on an existing ticket (reopened if it was resolved).
    Added { ticket: TicketId, number: i64 },
    /// A new ticket following up a closed one.
    FollowUp {
        ticket: TicketId,
        number: i64,
        of: i64,
    },
    /// Already stored (same Message-ID): nothing changed.
    Duplicate,
    /// Steward's own mail come back: nothing to do.
    Ignored,
    /// Kept aside with the reason, for an administrator.
    Quarantined { id: i64, reason: String },
}

/// The work on a message that needs no database (text, sanitised HTML, attachment hashes), done
/// before the write transaction so that the writer is held only for writing.
struct Prepared {
    body: String,
    html: Option<String>,
    /// SHA-256 of each attachment that is kept, with its index in the message's attachments.
    files: Vec<(String, usize)>,
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new Message-ID in the mailbox's domain.
pub(crate) fn new_message_id(mailbox: &str) -> Result<String> {
    let domain = mailbox
        .rsplit_once('@')
        .map_or("steward.invalid", |(_, d)| d);
    Ok(format!(
        "{}@{domain}",
        crate::secrets::new_session_token()?
            .get(..32)
            .unwrap_or("0")
    ))
}

impl Service {
    /// Takes one raw message delivered to `mailbox`. Idempotent: the same message (same
    /// Message-ID, or the same bytes when it has none) is stored once. Returns only after the
    /// outcome is committed, so the caller may then acknowledge the message to its source.
    pub async fn ingest_mail(&self, mailbox: &Mailbox, raw: &[u8]) -> Result<Ingested> {
        let now = self.now();
        let parsed = match steward_mail::parse(raw) {
            Ok(p) => p,
            Err(e) => return self.quarantine(mailbox, &e.to_string(), raw).await,
        };
        if parsed.automatic == Automatic::Own {
            return Ok(Ingested::Ignored);
        }
        let message_id = parsed
            .message_id
            .clone()
            .unwrap_or_else(|| format!("sha256.{}@steward.invalid", sha256_hex(raw)));
        let Some(sender) = parsed
            .from
            .as_ref()
            .and_then(|a| validate::email(&a.email).ok())
        else {
            return self
                .quarantine(mailbox, "no usable sender address", raw)
                .await;
        };

        let prepared = Prepared {
            body: self.mail_text(&parsed),
            html: parsed.html.as_deref().map(steward_mail::sanitize_html),
            files: parsed
                .attachments
                .iter()
                .enumerate()
                .filter(|(_, a)| a.data.len() <= self.mail.max_attachment_bytes)
                .map(|(i, a)| (sha256_hex(&a.data), i))
                .collect(),
        };

        let mut tx = self.store.write().await?;
        if tx.mail_id_known(&message_id).await? {
            return Ok(Ingested::Duplicate);
        }
        let sender_name = parsed.from.as_ref().and_then(|a| a.name.as_deref());
        let person = self
            .person_for_address(&mut tx, &sender, sender_name, now)
            .await?;
        let existing = self.find_thread(&mut tx, &parsed, &person).await?;
        let (ticket, outcome) = match existing {
            Some(t) if t.status != Status::Closed => {
                let t = self
                    .add_mail_to_ticket(&mut tx, t, &person, &parsed, &prepared, &message_id, now)
                    .await?;
                let outcome = Ingested::Added {
                    ticket: t.id,
                    number: t.number,
                };
                (t, outcome)
            }
            closed => {
                let t = self
                    .open_mail_ticket(
                        &mut tx,
                        mailbox,
                        &person,
                        &parsed,
                        &prepared,
                        &message_id,
                        now,
                    )
                    .await?;
                let outcome = match &closed {
                    Some(old) => {
                        tx.set_follow_up(t.id, old.id).await?;
                        Ingested::FollowUp {
                            ticket: t.id,
                            number: t.number,
                            of: old.number,
                        }
                    }
                    None => Ingested::Created {
                        ticket: t.id,
                        number: t.number,
                    },
                };
                if self.mail.send && self.mail.acknowledge && parsed.automatic.may_answer() {
                    // A sender writing very often is probably a mail loop: stop answering.
                    let since = now.checked_sub(LOOP_WINDOW).unwrap_or(now);
                    let recent = tx.mail_messages_since(person.id, since).await?;
                    if recent <= self.mail.max_mails_per_sender {
                        self.acknowledge(&mut tx, mailbox, &t, &parsed, &message_id, now)
                            .await?;
                    } else {
                        tracing::warn!(sender = %person.email, recent, "possible mail loop: not acknowledging");
                    }
                }
                (t, outcome)
            }
        };
        let mut ticket = ticket;
        if matches!(outcome, Ingested::Added { .. }) {
            let trigger = steward_domain::rules::Trigger::MessageAdded;
            self.run_rules(&mut tx, &mut ticket, trigger).await?;
        } else {
            let trigger = steward_domain::rules::Trigger::Created;
            self.run_rules(&mut tx, &mut ticket, trigger).await?;
            self.auto_assign(&mut tx, &mut ticket).await?;
        }
        self.ticket_changed(&mut tx, &mut ticket).await?;
        if parsed.automatic.may_answer() {
            self.add_cc_watchers(&mut tx, mailbox, &ticket, &person, &parsed, now)
                .await?;
            // A new ticket handed to someone by auto-assignment was told to them already.
            let event = match outcome {
                Ingested::Added { .. } => Some(crate::notify::StaffEvent::RequesterReplied),
                _ if ticket.assignee_id.is_some() => None,
                _ => Some(crate::notify::StaffEvent::NewInQueue),
            };
            if let Some(event) = event {
                self.notify_staff(
                    &mut tx,
                    &ticket,
                    event,
                    Some(person.id),
                    &prepared.body,
                    now,
                )
                .await?;
            }
        }
        let kind = match outcome {
            Ingested::Added { .. } => NoticeKind::Message,
            _ => NoticeKind::Created,
        };
        self.commit_announcing(tx, Notice::new(kind, &ticket))
            .await?;
        Ok(outcome)
    }

    async fn quarantine(&self, mailbox: &Mailbox, reason: &str, raw: &[u8]) -> Result<Ingested> {
        let mut tx = self.store.write().await?;
        let id = tx
            .quarantine(&mailbox.address, reason, raw, &sha256_hex(raw), self.now())
            .await?;
        tx.commit().await?;
        tracing::warn!(quarantine = id, reason, "inbound mail quarantined");
        Ok(Ingested::Quarantined {
            id,
            reason: reason.to_string(),
        })
    }

    /// The person who wrote: known by address, or a new requester (in the organisation of their
    /// mail domain, if one claims it).
    pub(crate) async fn person_for_address(
        &self,
        tx: &mut Conn,
        email: &str,
        display_name: Option<&str>,
        now: steward_domain::Timestamp,
    ) -> Result<Person> {
        match tx.get_person_by_email(email).await {
            Ok(p) => return Ok(p),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        let organisation_id: Option<OrgId> = match tx.org_by_domain(domain).await {
            Ok(o) => Some(o.id),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let name = display_name
            .and_then(|n| validate::name("name", n).ok())
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
        Ok(tx
            .insert_person(
                &NewPerson {
                    email: email.to_string(),
                    name,
                    role: Role::Requester,
                    organisation_id,
                    org_access: false,
                    password_hash: None,
                    must_change_password: false,
                },
                now,
            )
            .await?)
    }

    /// The people in the Cc of a mail become watchers of its ticket (not Steward's own mailboxes,
    /// not the sender, at most ten a message).
    async fn add_cc_watchers(
        &self,
        tx: &mut Conn,
        mailbox: &Mailbox,
        t: &Ticket,
        sender: &Person,
        parsed: &Inbound,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        // Only the requester and staff choose who is copied: a watcher's or a colleague's Cc does
        // not widen who hears of the ticket.
        if !self.mail.cc_watchers || (sender.id != t.requester_id && !sender.role.is_staff()) {
            return Ok(());
        }
        for a in parsed.cc.iter().take(10) {
            let Ok(email) = validate::email(&a.email) else {
                continue;
            };
            let ours = email.eq_ignore_ascii_case(&mailbox.address)
                || self
                    .mail
                    .mailboxes
                    .iter()
                    .any(|m| m.address.eq_ignore_ascii_case(&email));
            if ours || email.eq_ignore_ascii_case(&sender.email) {
                continue;
            }
            let p = self
                .person_for_address(tx, &email, a.name.as_deref(), now)
                .await?;
            if p.id != t.requester_id && tx.add_watcher(t.id, p.id, now).await? {
                tx.record_history(
                    t.id,
                    Some(sender.id),
                    now,
                    EventAction::Changed,
                    &[steward_domain::Change {
                        field: steward_domain::Field::Watchers,
                        old: None,
                        new: Some(p.id.to_string()),
                    }],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The ticket a message answers: by its In-Reply-To/References, else by the tag in its subject
    /// (only from someone who may write to that ticket: its requester, their organisation, staff).
    async fn find_thread(
        &self,
        tx: &mut Conn,
        parsed: &Inbound,
        person: &Person,
    ) -> Result<Option<Ticket>> {
        // A sender can know (or choose) inbound Message-IDs and ticket numbers, but not the random
        // Message-IDs of Steward's own mail: only those thread without asking who writes.
        let candidate = match tx.ticket_for_mail_ids(&parsed.thread_keys()).await? {
            Some((id, true)) => return Ok(Some(tx.get_ticket_for_update(id).await?)),
            Some((id, false)) => Some(tx.get_ticket(id).await?),
            None => match ticket_number_in_subject(&parsed.subject, &self.mail.tag_prefix) {
                Some(number) => match tx.get_ticket_by_number(number).await {
                    Ok(t) => Some(t),
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                },
                None => None,
            },
        };
        let Some(t) = candidate else { return Ok(None) };
        // Whoever the policy lets answer the ticket (its requester, their organisation with
        // organisation access, staff), and its watchers.
        let owner = steward_domain::policy::TicketOwner {
            requester_id: t.requester_id,
            organisation_id: t.organisation_id,
        };
        let related = steward_domain::policy::check(
            &person.actor(),
            steward_domain::policy::Action::ReplyToTicket(owner),
        )
        .is_ok()
            || tx.is_watcher(t.id, person.id).await?;
        if !related {
            return Ok(None);
        }
        Ok(Some(tx.get_ticket_for_update(t.id).await?))
    }

    /// The text of a message, with a note for attachments that were not kept.
    fn mail_text(&self, parsed: &Inbound) -> String {
        let mut text = parsed.text.trim_end().to_string();
        if text.trim().is_empty() {
            text = "(no text)".into();
        }
        for a in &parsed.attachments {
            if a.data.len() > self.mail.max_attachment_bytes {
                text.push_str(&format!(
                    "\n\n[The attachment {:?} ({} bytes) was not stored: the limit is {} bytes.]",
                    a.filename.as_deref().unwrap_or("without a name"),
                    a.data.len(),
                    self.mail.max_attachment_bytes
                ));
            }
        }
        // Bodies are limited like any message; keep the start, say so.
        if text.len() > validate::MAX_BODY_BYTES {
            let mut cut = validate::MAX_BODY_BYTES - 200;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("\n\n[The message was longer; the rest is in the original mail.]");
        }
        text.chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                    ' '
                } else {
                    c
                }
            })
            .collect()
    }

    /// Stores the message, its attachments and its Message-ID.
    #[allow(clippy::too_many_arguments)]
    async fn store_mail_message(
        &self,
        tx: &mut Conn,
        ticket: TicketId,
        author: &Person,
        parsed: &Inbound,
        prepared: &Prepared,
        message_id: &str,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        let m = tx
            .insert_message(
                ticket,
                Some(author.id),
                MessageKind::Public,
                &prepared.body,
                now,
            )
            .await?;
        let automatic = match parsed.automatic {
            Automatic::No => None,
            Automatic::AutoReply => Some("auto-reply"),
            Automatic::Bulk => Some("bulk"),
            Automatic::Bounce => Some("bounce"),
            Automatic::Own => Some("own"),
        };
        tx.set_message_origin(m.id, Channel::Email.as_str(), automatic)
            .await?;
        if let Some(html) = &prepared.html {
            tx.set_message_html(m.id, html).await?;
        }
        for (sha, i) in &prepared.files {
            let a = &parsed.attachments[*i];
            tx.store_blob(sha, &a.data, now).await?;
            tx.insert_attachment(
                m.id,
                sha,
                a.filename.as_deref(),
                &a.content_type,
                a.content_id.as_deref(),
                a.inline,
            )
            .await?;
        }
        tx.insert_mail_id(message_id, ticket, false, now).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn add_mail_to_ticket(
        &self,
        tx: &mut Conn,
        mut t: Ticket,
        person: &Person,
        parsed: &Inbound,
        prepared: &Prepared,
        message_id: &str,
        now: steward_domain::Timestamp,
    ) -> Result<Ticket> {
        // Automatic mail is recorded but changes nothing (an out-of-office does not reopen).
        // The From of a mail is not proof of who wrote it: mail never counts as a staff response
        // (staff answer in Steward); it reopens and resumes like a requester's message.
        let changes = if parsed.automatic.may_answer() {
            t.add_message(MessageKind::Public, false, None, now)?
        } else {
            Vec::new()
        };
        self.store_mail_message(tx, t.id, person, parsed, prepared, message_id, now)
            .await?;
        tx.update_ticket(&t, false).await?;
        tx.record_history(t.id, Some(person.id), now, EventAction::Replied, &[])
            .await?;
        if !changes.is_empty() {
            tx.record_history(t.id, Some(person.id), now, EventAction::Changed, &changes)
                .await?;
        }
        Ok(t)
    }

    #[allow(clippy::too_many_arguments)]
    async fn open_mail_ticket(
        &self,
        tx: &mut Conn,
        mailbox: &Mailbox,
        person: &Person,
        parsed: &Inbound,
        prepared: &Prepared,
        message_id: &str,
        now: steward_domain::Timestamp,
    ) -> Result<Ticket> {
        let subject = validate::subject(&parsed.subject)
            .or_else(|_| {
                validate::subject(
                    &parsed
                        .subject
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(250)
                        .collect::<String>(),
                )
            })
            .unwrap_or_else(|_| "(no subject)".to_string());
        let team = match mailbox.team {
            Some(t) => match tx.get_team(t).await {
                Ok(_) => Some(t),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let category = match mailbox.category {
            Some(c) => match tx.get_category(c).await {
                Ok(_) => Some(c),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let t = tx
            .insert_ticket(
                &NewTicket {
                    ticket_type: mailbox.ticket_type,
                    subject,
                    status: Status::New,
                    impact: Impact::Medium,
                    urgency: Urgency::Medium,
                    priority: Priority::Medium,
                    category_id: category,
                    requester_id: person.id,
                    organisation_id: person.organisation_id,
                    team_id: team,
                    assignee_id: None,
                    channel: Channel::Email,
                    tags: Vec::new(),
                },
                now,
            )
            .await?;
        tx.set_ticket_mailbox(t.id, &mailbox.address).await?;
        tx.record_history(t.id, Some(person.id), now, EventAction::Created, &[])
            .await?;
        self.store_mail_message(tx, t.id, person, parsed, prepared, message_id, now)
            .await?;
        Ok(t)
    }

    /// The address Steward sends from for mail that came to `received_at`: that mailbox if it is
    /// configured, else the first configured one (never an arbitrary address the mail was sent to).
    pub(crate) fn sending_address(&self, received_at: &str) -> String {
        self.mail
            .mailboxes
            .iter()
            .find(|m| m.address.eq_ignore_ascii_case(received_at))
            .or(self.mail.mailboxes.first())
            .map_or_else(|| received_at.to_string(), |m| m.address.clone())
    }

    /// The address mail about a ticket is sent from: the mailbox it came in on, else the first
    /// configured mailbox; `None` when no mailbox is configured (then nothing is sent).
    pub(crate) async fn ticket_sender(&self, tx: &mut Conn, t: &Ticket) -> Result<Option<String>> {
        Ok(match tx.ticket_mailbox(t.id).await? {
            Some(m) => Some(self.sending_address(&m)),
            None => self.mail.mailboxes.first().map(|m| m.address.clone()),
        })
    }

    /// Queues a mail to one address that is not about a ticket (a scheduled report, a
    /// password-reset or sign-in link), sent automatically from the first mailbox. False, and
    /// nothing queued, when there is no mailbox to send from.
    pub(crate) async fn enqueue_plain_mail(
        &self,
        tx: &mut Conn,
        to: &str,
        kind: &str,
        subject: &str,
        body: String,
    ) -> Result<bool> {
        let Some(from) = self.mail.mailboxes.first().map(|m| m.address.clone()) else {
            return Ok(false);
        };
        tx.enqueue_mail(
            &OutboxMail {
                ticket_id: None,
                kind: kind.into(),
                to: to.into(),
                cc: Vec::new(),
                from: from.clone(),
                subject: subject.into(),
                body,
                message_id: new_message_id(&from)?,
                in_reply_to: None,
                references: String::new(),
                automatic: true,
                in_thread: false,
            },
            self.now(),
        )
        .await?;
        Ok(true)
    }

    /// Writes a mail to a ticket's requester to the outbox: from the mailbox the ticket came in on
    /// (or the first configured one), threaded onto the ticket's mail, with the tag in the subject.
    /// `text` gets the placeholders filled in (`{message}` is `message`). Nothing is written
    /// without outbound mail, a mailbox, or an active requester.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn enqueue_to_requester(
        &self,
        tx: &mut Conn,
        t: &Ticket,
        kind: &str,
        subject: &str,
        text: &str,
        message: &str,
        copy_watchers: bool,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        if !self.mail.send {
            return Ok(());
        }
        let Some(from) = self.ticket_sender(tx, t).await? else {
            return Ok(());
        };
        let requester = tx.get_person(t.requester_id).await?;
        if !requester.active {
            return Ok(());
        }
        let cc: Vec<String> = if copy_watchers {
            tx.watchers(t.id)
                .await?
                .into_iter()
                .filter(|w| w.active && w.person != requester.id)
                .map(|w| w.email)
                .collect()
        } else {
            Vec::new()
        };
        let thread = tx.mail_ids_of(t.id).await?;
        let subject = self.fill(subject, t, &requester.name, "");
        // {survey} is filled in before the message, so that a technician's own words stay as written.
        let body = self.fill(&text.replace("{survey}", ""), t, &requester.name, message);
        tx.enqueue_mail(
            &OutboxMail {
                ticket_id: Some(t.id),
                kind: kind.into(),
                to: requester.email,
                cc,
                from: from.clone(),
                subject: reply_subject(&subject, t.number, &self.mail.tag_prefix),
                body,
                message_id: new_message_id(&from)?,
                in_reply_to: thread.last().cloned(),
                references: thread.join(" "),
                // Staff's own words are not automatic; everything else Steward writes is.
                automatic: kind != "reply",
                in_thread: true,
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// Writes a staff member's public reply to the outbox, to the requester with the watchers
    /// copied.
    pub(crate) async fn enqueue_reply(
        &self,
        tx: &mut Conn,
        t: &Ticket,
        body: &str,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        let template = self.mail.templates.reply.clone();
        self.enqueue_to_requester(
            tx,
            t,
            "reply",
            &t.subject,
            &template,
            body.trim_end(),
            true,
            now,
        )
        .await
    }

    /// Tells the requester their ticket was resolved, or waits for them — when someone else made
    /// that change without a public reply (which would say so itself).
    pub(crate) async fn enqueue_status_mail(
        &self,
        tx: &mut Conn,
        t: &Ticket,
        actor: &steward_domain::Actor,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        let (kind, template) = match t.status {
            Status::Resolved => ("resolved", self.mail.templates.resolved.clone()),
            Status::PendingRequester => (
                "pending_requester",
                self.mail.templates.pending_requester.clone(),
            ),
            _ => return Ok(()),
        };
        if actor.person_id == Some(t.requester_id) {
            return Ok(());
        }
        self.enqueue_to_requester(tx, t, kind, &t.subject, &template, "", false, now)
            .await
    }

    /// A rule's mail to the requester.
    pub(crate) async fn enqueue_rule_mail(
        &self,
        tx: &mut Conn,
        t: &Ticket,
        rule: &str,
        subject: &str,
        body: &str,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        tracing::debug!(rule, ticket = t.number, "rule mail to the requester");
        self.enqueue_to_requester(tx, t, "rule", subject, body, "", false, now)
            .await
    }

    /// A template with its placeholders filled in for a ticket.
    pub(crate) fn fill(
        &self,
        template: &str,
        t: &Ticket,
        requester: &str,
        message: &str,
    ) -> String {
        template
            .replace("{number}", &t.number.to_string())
            .replace("{tag}", &format!("[{}#{}]", self.mail.tag_prefix, t.number))
            .replace("{subject}", &t.subject)
            .replace("{requester}", requester)
            .replace("{message}", message)
    }

    /// Writes the acknowledgement of a new request to the outbox.
    async fn acknowledge(
        &self,
        tx: &mut Conn,
        mailbox: &Mailbox,
        t: &Ticket,
        parsed: &Inbound,
        message_id: &str,
        now: steward_domain::Timestamp,
    ) -> Result<()> {
        // To the requester's own address (never a Reply-To the sender chose: Steward must not be a
        // way to mail strangers).
        let to = tx.get_person(t.requester_id).await?.email;
        let mut references: Vec<String> = parsed
            .references
            .iter()
            .rev()
            .take(20)
            .rev()
            .cloned()
            .collect();
        references.push(message_id.to_string());
        let requester = tx.get_person(t.requester_id).await?.name;
        let body = self.fill(&self.mail.templates.acknowledgement, t, &requester, "");
        tx.enqueue_mail(
            &OutboxMail {
                ticket_id: Some(t.id),
                kind: "acknowledgement".into(),
                to,
                cc: Vec::new(),
                from: self.sending_address(&mailbox.address),
                subject: reply_subject(&t.subject, t.number, &self.mail.tag_prefix),
                body,
                message_id: new_message_id(&mailbox.address)?,
                in_reply_to: Some(message_id.to_string()),
                references: references.join(" "),
                automatic: true,
                in_thread: true,
            },
            now,
        )
        .await?;
        Ok(())
    }
}

impl Service {
    /// Where a polled mail source (an IMAP folder) stopped: its UIDVALIDITY and last UID taken.
    /// For Steward's own pollers, not on anyone's behalf.
    pub async fn mail_cursor(&self, source: &str) -> Result<Option<(i64, i64)>> {
        Ok(self.store.read().await?.mail_cursor(source).await?)
    }

    /// Records that a polled mail source was taken up to `last_uid`.
    pub async fn set_mail_cursor(
        &self,
        source: &str,
        uid_validity: i64,
        last_uid: i64,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.set_mail_cursor(source, uid_validity, last_uid, self.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Service {
    /// Mail in quarantine, not yet retried or discarded (administrators).
    pub async fn quarantined(
        &self,
        actor: &steward_domain::Actor,
    ) -> Result<Vec<steward_store::mail::Quarantined>> {
        steward_domain::policy::check(actor, steward_domain::policy::Action::ManageMail)
            .map_err(|d| crate::ServiceError::denied(d, "message"))?;
        Ok(self.store.read().await?.list_quarantine(false).await?)
    }

    /// Takes a quarantined message in again (after the cause was fixed: a mailbox configured, a
    /// limit raised). If it still cannot be read it stays in quarantine and the reason is returned.
    pub async fn retry_quarantined(
        &self,
        actor: &steward_domain::Actor,
        id: i64,
    ) -> Result<Ingested> {
        steward_domain::policy::check(actor, steward_domain::policy::Action::ManageMail)
            .map_err(|d| crate::ServiceError::denied(d, "message"))?;
        let (mailbox, raw) = match self.store.read().await?.quarantined_raw(id).await {
            Ok(found) => found,
            Err(StoreError::NotFound) => return Err(crate::ServiceError::NotFound("message")),
            Err(e) => return Err(e.into()),
        };
        // Checked first, so that a message that still cannot be read is not quarantined twice.
        let readable = steward_mail::parse(&raw)
            .map_err(|e| e.to_string())
            .and_then(
                |p| match p.from.as_ref().and_then(|a| validate::email(&a.email).ok()) {
                    Some(_) => Ok(()),
                    None => Err("no usable sender address".to_string()),
                },
            );
        if let Err(reason) = readable {
            return Ok(Ingested::Quarantined { id, reason });
        }
        let outcome = self.ingest_mail(&self.mail.mailbox(&mailbox), &raw).await?;
        let mut tx = self.store.write().await?;
        tx.resolve_quarantine(id, self.now()).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Gives up on a quarantined message (it stays stored, marked resolved).
    pub async fn discard_quarantined(&self, actor: &steward_domain::Actor, id: i64) -> Result<()> {
        steward_domain::policy::check(actor, steward_domain::policy::Action::ManageMail)
            .map_err(|d| crate::ServiceError::denied(d, "message"))?;
        let mut tx = self.store.write().await?;
        tx.resolve_quarantine(id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Service {
    /// The sanitised HTML versions of a ticket's messages (those that came as HTML mail), for
    /// whoever may read the ticket's conversation.
    pub async fn message_html(
        &self,
        actor: &steward_domain::Actor,
        ticket: TicketId,
    ) -> Result<Vec<(steward_domain::MessageId, String)>> {
        let visible: Vec<steward_domain::MessageId> = self
            .messages(actor, ticket)
            .await?
            .iter()
            .map(|m| m.id)
            .collect();
        let all = self.store.read().await?.message_html_of(ticket).await?;
        Ok(all
            .into_iter()
            .filter(|(id, _)| visible.contains(id))
            .collect())
    }
}

impl Service {
    /// The files attached to the messages of a ticket that the actor may read.
    pub async fn ticket_attachments(
        &self,
        actor: &steward_domain::Actor,
        ticket: TicketId,
    ) -> Result<Vec<steward_store::mail::AttachmentInfo>> {
        let visible: Vec<steward_domain::MessageId> = self
            .messages(actor, ticket)
            .await?
            .iter()
            .map(|m| m.id)
            .collect();
        let all = self
            .store
            .read()
            .await?
            .attachments_of_ticket(ticket)
            .await?;
        Ok(all
            .into_iter()
            .filter(|a| visible.contains(&a.message_id))
            .collect())
    }

    /// One attachment of a ticket, with its bytes, if the actor may read its message.
    pub async fn attachment(
        &self,
        actor: &steward_domain::Actor,
        ticket: TicketId,
        id: i64,
    ) -> Result<(steward_store::mail::AttachmentInfo, Vec<u8>)> {
        let info = self
            .ticket_attachments(actor, ticket)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(crate::ServiceError::NotFound("attachment"))?;
        let data = self.store.read().await?.attachment_data(id).await?;
        Ok((info, data))
    }
}
