//! Use cases for tickets: create, read, list, change, reply, note, history.

use steward_domain::policy::{check, ticket_scope, Action, TicketOwner, TicketScope};
use steward_domain::{
    validate, Actor, CategoryId, Channel, EventAction, Field, HistoryEntry, Impact, Message,
    MessageKind, PersonId, Priority, Status, TeamId, Ticket, TicketId, TicketPatch, TicketType,
    Urgency,
};
use steward_store::mail::Watcher;
use steward_store::tickets::{NewTicket, Page, PageRequest, TicketFilter};
use steward_store::{Conn, StoreError};

use crate::directory::MAX_PAGE;
use crate::error::NotFoundAs;
use crate::notices::{Notice, NoticeKind};
use crate::notify::StaffEvent;
use crate::{Result, Service, ServiceError};
use steward_domain::rules::Trigger;

/// A ticket to open.
#[derive(Debug, Clone, Default)]
pub struct CreateTicket {
    pub ticket_type: Option<TicketType>,
    pub subject: String,
    /// The description, stored as the first public message.
    pub body: Option<String>,
    /// Required for staff; a requester always opens tickets for themselves.
    pub requester_id: Option<PersonId>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    /// Staff only; otherwise derived from impact × urgency.
    pub priority: Option<Priority>,
    pub category_id: Option<CategoryId>,
    /// Staff only.
    pub team_id: Option<TeamId>,
    /// Staff only.
    pub assignee_id: Option<PersonId>,
    pub channel: Option<Channel>,
    /// Staff only.
    pub tags: Vec<String>,
}

/// Changes to a ticket's fields (staff only). `None` leaves a field alone; `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct TicketUpdate {
    pub ticket_type: Option<TicketType>,
    pub subject: Option<String>,
    pub status: Option<Status>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    pub priority: Option<Priority>,
    pub category_id: Option<Option<CategoryId>>,
    pub requester_id: Option<PersonId>,
    pub team_id: Option<Option<TeamId>>,
    pub assignee_id: Option<Option<PersonId>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

/// A reply or a note, and optionally the status to move to in the same step.
#[derive(Debug, Clone)]
pub struct MessageInput {
    pub kind: MessageKind,
    pub body: String,
    /// Staff only ("reply and mark pending requester").
    pub status: Option<Status>,
}

pub(crate) fn owner(t: &Ticket) -> TicketOwner {
    TicketOwner {
        requester_id: t.requester_id,
        organisation_id: t.organisation_id,
    }
}

fn allowed(actor: &Actor, action: Action) -> Result<()> {
    check(actor, action).map_err(|d| ServiceError::denied(d, "ticket"))
}

fn staff_only(actor: &Actor, field: &'static str, given: bool) -> Result<()> {
    if given && !actor.is_staff() {
        return Err(ServiceError::forbidden(format!(
            "requesters cannot set {field}"
        )));
    }
    Ok(())
}

/// A referenced record must exist: otherwise the field is invalid (422), not the URL (404).
fn must_exist<T>(
    r: std::result::Result<T, StoreError>,
    field: &'static str,
    what: &str,
    id: i64,
) -> Result<T> {
    r.map_err(|e| match e {
        StoreError::NotFound => ServiceError::invalid(field, format!("no {what} with id {id}")),
        e => e.into(),
    })
}

async fn check_assignee(c: &mut Conn, id: PersonId) -> Result<()> {
    let p = must_exist(c.get_person(id).await, "assignee_id", "person", id.0)?;
    if !p.role.is_staff() || !p.active {
        return Err(ServiceError::invalid(
            "assignee_id",
            "the assignee must be an active member of staff",
        ));
    }
    Ok(())
}

async fn check_requester(c: &mut Conn, id: PersonId) -> Result<steward_domain::Person> {
    let p = must_exist(c.get_person(id).await, "requester_id", "person", id.0)?;
    if !p.active {
        return Err(ServiceError::invalid(
            "requester_id",
            "the requester is deactivated",
        ));
    }
    Ok(p)
}

impl Service {
    pub async fn create_ticket(&self, actor: &Actor, new: CreateTicket) -> Result<Ticket> {
        let mut tx = self.store.write().await?;
        let ticket = self.create_ticket_in(&mut tx, actor, new).await?;
        self.commit_announcing(tx, Notice::new(NoticeKind::Created, &ticket))
            .await?;
        Ok(ticket)
    }

    /// Opens a ticket in the transaction `tx` (the caller commits and announces it).
    pub(crate) async fn create_ticket_in(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        new: CreateTicket,
    ) -> Result<Ticket> {
        staff_only(actor, "the priority", new.priority.is_some())?;
        staff_only(actor, "the team", new.team_id.is_some())?;
        staff_only(actor, "the assignee", new.assignee_id.is_some())?;
        staff_only(actor, "tags", !new.tags.is_empty())?;
        let requester_id = match (new.requester_id, actor.person_id) {
            (Some(r), _) => r,
            (None, Some(me)) if !actor.is_staff() => me,
            _ => return Err(ServiceError::invalid("requester_id", "is required")),
        };
        allowed(actor, Action::CreateTicketFor(requester_id))?;
        let subject = validate::subject(&new.subject)?;
        let body = new.body.as_deref().map(validate::body).transpose()?;
        let mut tags = new
            .tags
            .iter()
            .map(|t| validate::tag(t))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        if tags.len() > validate::MAX_TAGS {
            return Err(ServiceError::invalid(
                "tags",
                format!("at most {} tags", validate::MAX_TAGS),
            ));
        }
        let impact = new.impact.unwrap_or(Impact::Medium);
        let urgency = new.urgency.unwrap_or(Urgency::Medium);
        let channel = if actor.is_staff() {
            new.channel.unwrap_or(Channel::Api)
        } else {
            match new.channel {
                Some(c @ (Channel::Api | Channel::Portal)) => c,
                None => Channel::Api,
                Some(_) => {
                    return Err(ServiceError::forbidden(
                        "requesters can only use the api or portal channel",
                    ))
                }
            }
        };

        let now = self.now();
        let requester = check_requester(tx, requester_id).await?;
        if let Some(c) = new.category_id {
            must_exist(tx.get_category(c).await, "category_id", "category", c.0)?;
        }
        if let Some(t) = new.team_id {
            must_exist(tx.get_team(t).await, "team_id", "team", t.0)?;
        }
        if let Some(a) = new.assignee_id {
            check_assignee(tx, a).await?;
        }
        let mut ticket = tx
            .insert_ticket(
                &NewTicket {
                    ticket_type: new.ticket_type.unwrap_or(TicketType::Incident),
                    subject,
                    status: Status::New,
                    impact,
                    urgency,
                    priority: new
                        .priority
                        .unwrap_or(Priority::from_matrix(impact, urgency)),
                    category_id: new.category_id,
                    requester_id,
                    organisation_id: requester.organisation_id,
                    team_id: new.team_id,
                    assignee_id: new.assignee_id,
                    channel,
                    tags,
                },
                now,
            )
            .await?;
        tx.record_history(ticket.id, actor.person_id, now, EventAction::Created, &[])
            .await?;
        if !actor.is_staff() {
            self.request_not_deflected(tx, requester_id, ticket.id)
                .await?;
        }
        if let Some(body) = &body {
            // The description is the requester's words, even when staff typed it in for them.
            tx.insert_message(
                ticket.id,
                Some(requester_id),
                MessageKind::Public,
                body,
                now,
            )
            .await?;
        }
        let given_assignee = ticket.assignee_id;
        // Handed to one of the team (who is told), or left for the team to take.
        self.run_rules(tx, &mut ticket, Trigger::Created).await?;
        self.auto_assign(tx, &mut ticket).await?;
        self.ticket_changed(tx, &mut ticket).await?;
        let said = body.as_deref().unwrap_or_default();
        if ticket.assignee_id.is_none() {
            self.notify_staff(
                tx,
                &ticket,
                StaffEvent::NewInQueue,
                actor.person_id,
                said,
                now,
            )
            .await?;
        }
        if let Some(a) = given_assignee {
            self.notify_staff(
                tx,
                &ticket,
                StaffEvent::Assigned(a),
                actor.person_id,
                said,
                now,
            )
            .await?;
        }
        Ok(ticket)
    }

    /// A ticket by id, if the actor may see it.
    pub async fn get_ticket(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        let t = self
            .store
            .read()
            .await?
            .get_ticket(id)
            .await
            .not_found_as("ticket")?;
        allowed(actor, Action::ViewTicket(owner(&t)))?;
        Ok(t)
    }

    /// A ticket by its human number, if the actor may see it.
    pub async fn get_ticket_by_number(&self, actor: &Actor, number: i64) -> Result<Ticket> {
        let t = self
            .store
            .read()
            .await?
            .get_ticket_by_number(number)
            .await
            .not_found_as("ticket")?;
        allowed(actor, Action::ViewTicket(owner(&t)))?;
        Ok(t)
    }

    /// Tickets the actor may see that pass the filter, a page at a time.
    pub async fn list_tickets(
        &self,
        actor: &Actor,
        filter: &TicketFilter,
        mut page: PageRequest,
    ) -> Result<Page<Ticket>> {
        page.limit = page.limit.clamp(1, MAX_PAGE);
        let mut c = self.store.read().await?;
        Ok(c.list_tickets(ticket_scope(actor), filter, page).await?)
    }

    /// Changes a ticket's fields; every change is recorded in its history.
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id: TicketId,
        u: TicketUpdate,
    ) -> Result<Ticket> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut t = tx.get_ticket_for_update(id).await.not_found_as("ticket")?;
        allowed(actor, Action::EditTicket(owner(&t)))?;
        if let Some(Some(c)) = u.category_id {
            must_exist(tx.get_category(c).await, "category_id", "category", c.0)?;
        }
        if let Some(Some(team)) = u.team_id {
            must_exist(tx.get_team(team).await, "team_id", "team", team.0)?;
        }
        if let Some(Some(a)) = u.assignee_id {
            check_assignee(&mut tx, a).await?;
        }
        let requester = match u.requester_id {
            Some(r) => {
                let p = check_requester(&mut tx, r).await?;
                Some((p.id, p.organisation_id))
            }
            None => None,
        };
        let changes = t.apply(
            TicketPatch {
                ticket_type: u.ticket_type,
                subject: u.subject,
                status: u.status,
                impact: u.impact,
                urgency: u.urgency,
                priority: u.priority,
                category_id: u.category_id,
                requester,
                team_id: u.team_id,
                assignee_id: u.assignee_id,
                add_tags: u.add_tags,
                remove_tags: u.remove_tags,
            },
            now,
        )?;
        if changes.is_empty() {
            return Ok(t);
        }
        let tags_changed = changes
            .iter()
            .any(|c| c.field == steward_domain::Field::Tags);
        tx.update_ticket(&t, tags_changed).await?;
        tx.record_history(t.id, actor.person_id, now, EventAction::Changed, &changes)
            .await?;
        self.run_rules(&mut tx, &mut t, Trigger::Updated).await?;
        self.ticket_changed(&mut tx, &mut t).await?;
        let changed = |f: Field| changes.iter().any(|c| c.field == f);
        if changed(Field::Status) {
            self.enqueue_status_mail(&mut tx, &t, actor, now).await?;
        }
        if changed(Field::Assignee) {
            if let Some(a) = t.assignee_id {
                self.notify_staff(
                    &mut tx,
                    &t,
                    StaffEvent::Assigned(a),
                    actor.person_id,
                    "",
                    now,
                )
                .await?;
            }
        } else if changed(Field::Team) && t.assignee_id.is_none() && t.status.is_active() {
            self.auto_assign(&mut tx, &mut t).await?;
        }
        if changed(Field::Team) && t.assignee_id.is_none() && t.status.is_active() {
            self.notify_staff(
                &mut tx,
                &t,
                StaffEvent::NewInQueue,
                actor.person_id,
                "",
                now,
            )
            .await?;
        }
        self.commit_announcing(tx, Notice::new(NoticeKind::Changed, &t))
            .await?;
        Ok(t)
    }

    /// Adds a public reply or an internal note, with its effect on the ticket's status.
    pub async fn add_message(
        &self,
        actor: &Actor,
        id: TicketId,
        m: MessageInput,
    ) -> Result<(Message, Ticket)> {
        let body = validate::body(&m.body)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut t = tx.get_ticket_for_update(id).await.not_found_as("ticket")?;
        let o = owner(&t);
        match m.kind {
            MessageKind::Public => allowed(actor, Action::ReplyToTicket(o))?,
            MessageKind::Internal => allowed(actor, Action::AddNote(o))?,
        }
        if m.status.is_some() {
            allowed(actor, Action::EditTicket(o))?;
        }
        let changes = t.add_message(m.kind, actor.is_staff(), m.status, now)?;
        let message = tx
            .insert_message(t.id, actor.person_id, m.kind, &body, now)
            .await?;
        if m.kind == MessageKind::Public && actor.is_staff() {
            self.enqueue_reply(&mut tx, &t, &body, now).await?;
        } else if m.kind == MessageKind::Public {
            self.notify_staff(
                &mut tx,
                &t,
                StaffEvent::RequesterReplied,
                actor.person_id,
                &body,
                now,
            )
            .await?;
        }
        tx.update_ticket(&t, false).await?;
        let action = match m.kind {
            MessageKind::Public => EventAction::Replied,
            MessageKind::Internal => EventAction::Noted,
        };
        tx.record_history(t.id, actor.person_id, now, action, &[])
            .await?;
        if !changes.is_empty() {
            tx.record_history(t.id, actor.person_id, now, EventAction::Changed, &changes)
                .await?;
            // A public reply from staff says itself what changed; after a note, say it by mail.
            let replied = m.kind == MessageKind::Public && actor.is_staff();
            if !replied && changes.iter().any(|c| c.field == Field::Status) {
                self.enqueue_status_mail(&mut tx, &t, actor, now).await?;
            }
        }
        self.run_rules(&mut tx, &mut t, Trigger::MessageAdded)
            .await?;
        self.ticket_changed(&mut tx, &mut t).await?;
        self.commit_announcing(tx, Notice::new(NoticeKind::Message, &t))
            .await?;
        Ok((message, t))
    }

    /// How many tickets the actor may see pass the filter.
    pub async fn count_tickets(&self, actor: &Actor, filter: &TicketFilter) -> Result<i64> {
        let scope = ticket_scope(actor);
        // Staff all see the same counts; those are remembered until the next change.
        let key = (scope == TicketScope::All).then(|| format!("{filter:?}"));
        if let Some(n) = key.as_deref().and_then(|k| self.counts.get(k)) {
            return Ok(n);
        }
        let generation = self.counts.generation();
        let n = self
            .store
            .read()
            .await?
            .count_tickets(scope, filter)
            .await?;
        if let Some(k) = key {
            self.counts.put(k, generation, n);
        }
        Ok(n)
    }

    /// The requester says the problem is solved: the ticket becomes resolved (and reopens if they
    /// write again).
    pub async fn mark_resolved(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut t = tx.get_ticket_for_update(id).await.not_found_as("ticket")?;
        allowed(actor, Action::MarkResolved(owner(&t)))?;
        let Some(change) = t.set_status(Status::Resolved, now)? else {
            return Ok(t);
        };
        tx.update_ticket(&t, false).await?;
        tx.record_history(t.id, actor.person_id, now, EventAction::Changed, &[change])
            .await?;
        self.enqueue_status_mail(&mut tx, &t, actor, now).await?;
        self.run_rules(&mut tx, &mut t, Trigger::Updated).await?;
        self.ticket_changed(&mut tx, &mut t).await?;
        self.commit_announcing(tx, Notice::new(NoticeKind::Changed, &t))
            .await?;
        Ok(t)
    }

    /// A ticket's conversation; internal notes only for staff.
    pub async fn messages(&self, actor: &Actor, id: TicketId) -> Result<Vec<Message>> {
        let mut c = self.store.read().await?;
        let t = c.get_ticket(id).await.not_found_as("ticket")?;
        allowed(actor, Action::ViewTicket(owner(&t)))?;
        Ok(c.list_messages(id, actor.is_staff()).await?)
    }

    /// A ticket's history (staff only).
    pub async fn history(&self, actor: &Actor, id: TicketId) -> Result<Vec<HistoryEntry>> {
        let mut c = self.store.read().await?;
        let t = c.get_ticket(id).await.not_found_as("ticket")?;
        allowed(actor, Action::ViewHistory(owner(&t)))?;
        Ok(c.history(id).await?)
    }

    /// The people who receive copies of a ticket's public replies (staff).
    pub async fn watchers(&self, actor: &Actor, id: TicketId) -> Result<Vec<Watcher>> {
        let mut c = self.store.read().await?;
        let t = c.get_ticket(id).await.not_found_as("ticket")?;
        allowed(actor, Action::EditTicket(owner(&t)))?;
        Ok(c.watchers(id).await?)
    }

    /// Copies a person (known, or a new requester for an unknown address) on a ticket's public
    /// replies (staff). Adding someone twice changes nothing.
    pub async fn add_watcher(&self, actor: &Actor, id: TicketId, email: &str) -> Result<Watcher> {
        let email = validate::email(email)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let t = tx.get_ticket_for_update(id).await.not_found_as("ticket")?;
        allowed(actor, Action::EditTicket(owner(&t)))?;
        let p = self.person_for_address(&mut tx, &email, None, now).await?;
        if p.id == t.requester_id {
            return Err(ServiceError::invalid(
                "email",
                "is the requester, who receives every reply anyway",
            ));
        }
        if !p.active {
            return Err(ServiceError::invalid(
                "email",
                "belongs to a deactivated person",
            ));
        }
        if tx.add_watcher(t.id, p.id, now).await? {
            tx.record_history(
                t.id,
                actor.person_id,
                now,
                EventAction::Changed,
                &[steward_domain::Change {
                    field: Field::Watchers,
                    old: None,
                    new: Some(p.id.to_string()),
                }],
            )
            .await?;
        }
        self.commit_announcing(tx, Notice::new(NoticeKind::Changed, &t))
            .await?;
        Ok(Watcher {
            person: p.id,
            name: p.name,
            email: p.email,
            active: p.active,
        })
    }

    /// Stops copying a person on a ticket's replies (staff).
    pub async fn remove_watcher(
        &self,
        actor: &Actor,
        id: TicketId,
        person: PersonId,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let t = tx.get_ticket_for_update(id).await.not_found_as("ticket")?;
        allowed(actor, Action::EditTicket(owner(&t)))?;
        if !tx.remove_watcher(t.id, person).await? {
            return Err(ServiceError::NotFound("watcher"));
        }
        tx.record_history(
            t.id,
            actor.person_id,
            now,
            EventAction::Changed,
            &[steward_domain::Change {
                field: Field::Watchers,
                old: Some(person.to_string()),
                new: None,
            }],
        )
        .await?;
        self.commit_announcing(tx, Notice::new(NoticeKind::Changed, &t))
            .await?;
        Ok(())
    }
}
