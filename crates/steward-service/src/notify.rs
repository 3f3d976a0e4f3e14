//! Telling staff about their work: a new ticket in their team's queue, a ticket assigned to them,
//! a requester's answer on their ticket, SLA warnings and breaches, rules' messages. Stored as an
//! in-app notification and written to the outbox, both in the transaction of the change that
//! causes it, and never to the person who made the change.

use steward_domain::{PersonId, Ticket, Timestamp};
use steward_mail::reply_subject;
use steward_store::mail::OutboxMail;
use steward_store::{Conn, StoreError};

use crate::mail::new_message_id;
use crate::{Result, Service};

/// What staff are told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StaffEvent {
    /// A new ticket in a team's queue: its active staff members.
    NewInQueue,
    /// A ticket was assigned to this person.
    Assigned(PersonId),
    /// The requester wrote: the assignee, or the team when there is none.
    RequesterReplied,
    /// A service-level clock reached its warning share (due at the instant given).
    SlaWarning(steward_domain::sla::Target, Timestamp),
    /// A service-level clock ran out at the instant given: whom the policy's escalation names.
    SlaBreach(steward_domain::sla::Target, Timestamp, Audience),
    /// An automation rule's message, to whom it names.
    Rule(steward_domain::rules::Recipient),
    /// A reminder this person set on the ticket.
    Reminder(PersonId),
}

/// Who hears of a breach (from the policy's escalation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Audience {
    pub assignee: bool,
    pub team_leads: bool,
    pub managers: bool,
}

impl StaffEvent {
    fn kind(self) -> &'static str {
        match self {
            StaffEvent::NewInQueue => "new_in_queue",
            StaffEvent::Assigned(_) => "assigned",
            StaffEvent::RequesterReplied => "requester_replied",
            StaffEvent::SlaWarning(..) => "sla_warning",
            StaffEvent::SlaBreach(..) => "sla_breach",
            StaffEvent::Rule(_) => "rule",
            StaffEvent::Reminder(_) => "reminder",
        }
    }
}

/// At most this many staff are told of one event (a very large team gets no mail storm).
const MAX_RECIPIENTS: usize = 50;

/// How much of the text an in-app notification keeps.
const IN_APP_CHARS: usize = 500;

/// The first lines of a message, for a notification.
fn excerpt(text: &str) -> String {
    let folded = steward_mail::fold(text).visible;
    let mut out: String = folded.chars().take(1200).collect();
    if out.len() < folded.len() {
        out.push_str(" …");
    }
    out.trim().to_string()
}

/// The ticket's assignee, or its team's active staff while nobody is assigned.
async fn assignee_or_team(tx: &mut Conn, t: &Ticket) -> Result<Vec<(PersonId, String)>> {
    match t.assignee_id {
        Some(a) => match tx.get_person(a).await {
            Ok(p) if p.active && p.role.is_staff() => Ok(vec![(p.id, p.email)]),
            Ok(_) | Err(StoreError::NotFound) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        },
        None => team_staff(tx, t).await,
    }
}

/// The active staff of the ticket's team (none without a team).
async fn team_staff(tx: &mut Conn, t: &Ticket) -> Result<Vec<(PersonId, String)>> {
    Ok(match t.team_id {
        Some(team) => tx
            .team_staff(team)
            .await?
            .into_iter()
            .map(|(id, _, email)| (id, email))
            .collect(),
        None => Vec::new(),
    })
}

impl Service {
    /// Tells staff about `event` on `t`: in the app always, and by mail too when staff
    /// notifications and outbound mail are set up. `actor` (who caused it) is never told of
    /// their own doing.
    pub(crate) async fn notify_staff(
        &self,
        tx: &mut Conn,
        t: &Ticket,
        event: StaffEvent,
        actor: Option<PersonId>,
        message: &str,
        now: Timestamp,
    ) -> Result<()> {
        let mut to: Vec<(PersonId, String)> = match event {
            StaffEvent::NewInQueue => team_staff(tx, t).await?,
            StaffEvent::Assigned(p) | StaffEvent::Reminder(p) => match tx.get_person(p).await {
                Ok(p) if p.active && p.role.is_staff() => vec![(p.id, p.email)],
                Ok(_) | Err(StoreError::NotFound) => Vec::new(),
                Err(e) => return Err(e.into()),
            },
            StaffEvent::RequesterReplied
            | StaffEvent::SlaWarning(..)
            | StaffEvent::Rule(steward_domain::rules::Recipient::Assignee) => {
                assignee_or_team(tx, t).await?
            }
            StaffEvent::Rule(steward_domain::rules::Recipient::Team) => team_staff(tx, t).await?,
            StaffEvent::Rule(steward_domain::rules::Recipient::Managers) => {
                tx.active_managers().await?
            }
            StaffEvent::SlaBreach(_, _, who) => {
                let mut to = if who.assignee {
                    assignee_or_team(tx, t).await?
                } else {
                    Vec::new()
                };
                if who.managers {
                    for (id, email) in tx.active_managers().await? {
                        if !to.iter().any(|(x, _)| *x == id) {
                            to.push((id, email));
                        }
                    }
                }
                if let (true, Some(team)) = (who.team_leads, t.team_id) {
                    let leads: Vec<PersonId> = tx
                        .team_members(team)
                        .await?
                        .into_iter()
                        .filter(|m| m.lead)
                        .map(|m| m.person_id)
                        .collect();
                    for (id, _, email) in tx.team_staff(team).await? {
                        if leads.contains(&id) && !to.iter().any(|(x, _)| *x == id) {
                            to.push((id, email));
                        }
                    }
                }
                to
            }
        };
        to.retain(|(id, _)| Some(*id) != actor);
        to.truncate(MAX_RECIPIENTS);
        if to.is_empty() {
            return Ok(());
        }
        let requester = tx.get_person(t.requester_id).await?.name;
        let templates = &self.mail.templates;
        let sla_text = |target: steward_domain::sla::Target, at: Timestamp, breached: bool| {
            let what = match target {
                steward_domain::sla::Target::FirstResponse => "first response",
                steward_domain::sla::Target::NextResponse => "next response",
                steward_domain::sla::Target::Resolution => "resolution",
            };
            let at = at.strftime("%Y-%m-%d %H:%M UTC");
            if breached {
                format!("The {what} of request #{{number}} ({{subject}}) was due {at} and is overdue.\n\n{{link}}\n")
            } else {
                format!(
                    "The {what} of request #{{number}} ({{subject}}) is due {at}.\n\n{{link}}\n"
                )
            }
        };
        let sla_template;
        let template = match event {
            StaffEvent::NewInQueue => &templates.new_in_queue,
            StaffEvent::Assigned(_) => &templates.assigned,
            StaffEvent::RequesterReplied => &templates.requester_replied,
            StaffEvent::SlaWarning(target, at) => {
                sla_template = sla_text(target, at, false);
                &sla_template
            }
            StaffEvent::SlaBreach(target, at, _) => {
                sla_template = sla_text(target, at, true);
                &sla_template
            }
            StaffEvent::Rule(_) | StaffEvent::Reminder(_) => {
                sla_template = "{message}\n\n#{number} {subject}\n{link}\n".to_string();
                &sla_template
            }
        };
        let link = self.mail.link_base.as_deref().map_or_else(
            || format!("/agent/tickets/{}", t.number),
            |b| format!("{}/agent/tickets/{}", b.trim_end_matches('/'), t.number),
        );
        let body = self
            .fill(template, t, &requester, &excerpt(message))
            .replace("{link}", &link);
        let subject = match event {
            StaffEvent::NewInQueue => format!("New request: {}", t.subject),
            StaffEvent::Assigned(_) => format!("Assigned to you: {}", t.subject),
            StaffEvent::RequesterReplied => format!("Requester answered: {}", t.subject),
            StaffEvent::SlaWarning(..) => format!("Due soon: {}", t.subject),
            StaffEvent::SlaBreach(..) => format!("Overdue: {}", t.subject),
            StaffEvent::Reminder(_) => format!("Reminder: {}", t.subject),
            StaffEvent::Rule(to) => format!(
                "For the {}: {}",
                match to {
                    steward_domain::rules::Recipient::Assignee => "assignee",
                    steward_domain::rules::Recipient::Team => "team",
                    steward_domain::rules::Recipient::Managers => "managers",
                },
                t.subject
            ),
        };
        let in_app: String = body
            .replace(&link, "")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
            .chars()
            .take(IN_APP_CHARS)
            .collect();
        for (id, _) in &to {
            tx.insert_notification(*id, Some(t.id), event.kind(), &subject, &in_app, now)
                .await?;
        }
        if !self.mail.send || !self.mail.notify_staff {
            return Ok(());
        }
        let Some(from) = self.ticket_sender(tx, t).await? else {
            return Ok(());
        };
        let thread = tx.mail_ids_of(t.id).await?;
        for (_, email) in to {
            tx.enqueue_mail(
                &OutboxMail {
                    ticket_id: Some(t.id),
                    kind: event.kind().into(),
                    to: email,
                    cc: Vec::new(),
                    from: from.clone(),
                    subject: reply_subject(&subject, t.number, &self.mail.tag_prefix),
                    body: body.clone(),
                    message_id: new_message_id(&from)?,
                    in_reply_to: thread.last().cloned(),
                    references: thread.join(" "),
                    automatic: true,
                    in_thread: false,
                },
                now,
            )
            .await?;
        }
        Ok(())
    }
}
