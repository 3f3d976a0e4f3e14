//! Rows as the database returns them, and their conversion into domain values. A value the domain
//! does not accept (an unknown status, say) is reported as [`StoreError::Corrupt`], never guessed.

use steward_domain::{
    Category, CategoryId, Change, Channel, EventAction, Field, HistoryEntry, Impact, Message,
    MessageId, MessageKind, Named, OrgId, Organisation, Person, PersonId, Priority, Role, Status,
    Team, TeamId, Ticket, TicketId, TicketType, Timestamp, Urgency,
};

use crate::conn::{CellKind, Cells};
use crate::{Result, StoreError};

/// An instant as stored: microseconds since the Unix epoch.
pub(crate) fn ts(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_ts(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("instant {us}: {e}")))
}

pub(crate) fn from_opt_ts(us: Option<i64>) -> Result<Option<Timestamp>> {
    us.map(from_ts).transpose()
}

pub(crate) fn name<T: Named>(s: &str) -> Result<T> {
    T::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn rank<T>(r: i64, f: fn(i64) -> Option<T>, what: &str) -> Result<T> {
    f(r).ok_or_else(|| StoreError::Corrupt(format!("{what} rank {r}")))
}

pub(crate) const ORG_COLS: &str = "id, name, slug, created_at, updated_at";

crate::record::record! {
    pub(crate) struct OrgRow {
        id: i64,
        name: String,
        slug: String,
        created_at: i64,
        updated_at: i64,
    }
}

impl OrgRow {
    pub(crate) fn into_org(self, domains: Vec<String>) -> Result<Organisation> {
        Ok(Organisation {
            id: OrgId(self.id),
            name: self.name,
            slug: self.slug,
            domains,
            created_at: from_ts(self.created_at)?,
            updated_at: from_ts(self.updated_at)?,
        })
    }
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

pub(crate) const PERSON_COLS: &str = "id, email, name, role, organisation_id, org_access, active, \
     password_hash IS NOT NULL AS has_password, must_change_password, created_at, updated_at";

/// The person columns of table alias `p`, prefixed `p_`, for joins (see [`PrefixedPersonRow`]).
pub(crate) const PERSON_COLS_P: &str = "p.id AS p_id, p.email AS p_email, p.name AS p_name, \
     p.role AS p_role, p.organisation_id AS p_organisation_id, p.org_access AS p_org_access, \
     p.active AS p_active, p.password_hash IS NOT NULL AS p_has_password, \
     p.must_change_password AS p_must_change_password, p.created_at AS p_created_at, \
     p.updated_at AS p_updated_at";

crate::record::record! {
    /// A person read through a join, with `p_`-prefixed columns.
    pub(crate) struct PrefixedPersonRow {
        p_id: i64,
        p_email: String,
        p_name: String,
        p_role: String,
        p_organisation_id: Option<i64>,
        p_org_access: bool,
        p_active: bool,
        p_has_password: bool,
        p_must_change_password: bool,
        p_created_at: i64,
        p_updated_at: i64,
    }
}

impl TryFrom<PrefixedPersonRow> for Person {
    type Error = StoreError;
    fn try_from(r: PrefixedPersonRow) -> Result<Person> {
        PersonRow {
            id: r.p_id,
            email: r.p_email,
            name: r.p_name,
            role: r.p_role,
            organisation_id: r.p_organisation_id,
            org_access: r.p_org_access,
            active: r.p_active,
            has_password: r.p_has_password,
            must_change_password: r.p_must_change_password,
            created_at: r.p_created_at,
            updated_at: r.p_updated_at,
        }
        .try_into()
    }
}

crate::record::record! {
    pub(crate) struct PersonRow {
        pub(crate) id: i64,
        pub(crate) email: String,
        pub(crate) name: String,
        pub(crate) role: String,
        pub(crate) organisation_id: Option<i64>,
        pub(crate) org_access: bool,
        pub(crate) active: bool,
        pub(crate) has_password: bool,
        pub(crate) must_change_password: bool,
        pub(crate) created_at: i64,
        pub(crate) updated_at: i64,
    }
}

impl TryFrom<PersonRow> for Person {
    type Error = StoreError;
    fn try_from(r: PersonRow) -> Result<Person> {
        Ok(Person {
            id: PersonId(r.id),
            email: r.email,
            name: r.name,
            role: name::<Role>(&r.role)?,
            organisation_id: r.organisation_id.map(OrgId),
            org_access: r.org_access,
            active: r.active,
            has_password: r.has_password,
            must_change_password: r.must_change_password,
            created_at: from_ts(r.created_at)?,
            updated_at: from_ts(r.updated_at)?,
        })
    }
}

pub(crate) const TEAM_COLS: &str = "id, name, description, created_at, updated_at";

crate::record::record! {
    pub(crate) struct TeamRow {
        id: i64,
        name: String,
        description: String,
        created_at: i64,
        updated_at: i64,
    }
}

impl TryFrom<TeamRow> for Team {
    type Error = StoreError;
    fn try_from(r: TeamRow) -> Result<Team> {
        Ok(Team {
            id: TeamId(r.id),
            name: r.name,
            description: r.description,
            created_at: from_ts(r.created_at)?,
            updated_at: from_ts(r.updated_at)?,
        })
    }
}

pub(crate) const CATEGORY_COLS: &str = "id, name, parent_id, created_at";

crate::record::record! {
    pub(crate) struct CategoryRow {
        id: i64,
        name: String,
        parent_id: Option<i64>,
        created_at: i64,
    }
}

impl TryFrom<CategoryRow> for Category {
    type Error = StoreError;
    fn try_from(r: CategoryRow) -> Result<Category> {
        Ok(Category {
            id: CategoryId(r.id),
            name: r.name,
            parent_id: r.parent_id.map(CategoryId),
            created_at: from_ts(r.created_at)?,
        })
    }
}

pub(crate) const TICKET_COLS: &str = "id, number, ticket_type, subject, status, impact, urgency, \
     priority, category_id, requester_id, organisation_id, team_id, assignee_id, channel, \
     created_at, updated_at, first_responded_at, resolved_at, closed_at, reopen_count, sla_due_at, rating";

crate::record::record! {
    pub(crate) struct TicketRow {
        pub(crate) id: i64,
        number: i64,
        ticket_type: String,
        subject: String,
        status: String,
        impact: i64,
        urgency: i64,
        priority: i64,
        category_id: Option<i64>,
        requester_id: i64,
        organisation_id: Option<i64>,
        team_id: Option<i64>,
        assignee_id: Option<i64>,
        channel: String,
        created_at: i64,
        updated_at: i64,
        first_responded_at: Option<i64>,
        resolved_at: Option<i64>,
        closed_at: Option<i64>,
        reopen_count: i64,
        sla_due_at: Option<i64>,
        rating: Option<i64>,
    }
}

/// What each of [`TICKET_COLS`] holds, to read tickets many at a time
/// ([`crate::Conn::fetch_each_row`], [`TicketRow::from_cells`]).
pub(crate) const TICKET_KINDS: [CellKind; 22] = {
    let mut k = [CellKind::Int; 22];
    k[2] = CellKind::Text; // ticket_type
    k[3] = CellKind::Text; // subject
    k[4] = CellKind::Text; // status
    k[13] = CellKind::Text; // channel
    k
};

impl TicketRow {
    /// A row of [`TICKET_COLS`] read as [`TICKET_KINDS`].
    pub(crate) fn from_cells(r: &Cells) -> Result<TicketRow> {
        Ok(TicketRow {
            id: r.need_int(0)?,
            number: r.need_int(1)?,
            ticket_type: r.need_text(2)?.to_string(),
            subject: r.need_text(3)?.to_string(),
            status: r.need_text(4)?.to_string(),
            impact: r.need_int(5)?,
            urgency: r.need_int(6)?,
            priority: r.need_int(7)?,
            category_id: r.int(8),
            requester_id: r.need_int(9)?,
            organisation_id: r.int(10),
            team_id: r.int(11),
            assignee_id: r.int(12),
            channel: r.need_text(13)?.to_string(),
            created_at: r.need_int(14)?,
            updated_at: r.need_int(15)?,
            first_responded_at: r.int(16),
            resolved_at: r.int(17),
            closed_at: r.int(18),
            reopen_count: r.need_int(19)?,
            sla_due_at: r.int(20),
            rating: r.int(21),
        })
    }

    pub(crate) fn into_ticket(self, tags: Vec<String>) -> Result<Ticket> {
        Ok(Ticket {
            id: TicketId(self.id),
            number: self.number,
            ticket_type: name::<TicketType>(&self.ticket_type)?,
            subject: self.subject,
            status: name::<Status>(&self.status)?,
            impact: rank(self.impact, Impact::from_rank, "impact")?,
            urgency: rank(self.urgency, Urgency::from_rank, "urgency")?,
            priority: rank(self.priority, Priority::from_rank, "priority")?,
            category_id: self.category_id.map(CategoryId),
            requester_id: PersonId(self.requester_id),
            organisation_id: self.organisation_id.map(OrgId),
            team_id: self.team_id.map(TeamId),
            assignee_id: self.assignee_id.map(PersonId),
            channel: name::<Channel>(&self.channel)?,
            tags,
            created_at: from_ts(self.created_at)?,
            updated_at: from_ts(self.updated_at)?,
            first_responded_at: from_opt_ts(self.first_responded_at)?,
            resolved_at: from_opt_ts(self.resolved_at)?,
            closed_at: from_opt_ts(self.closed_at)?,
            reopen_count: self.reopen_count,
            sla_due_at: from_opt_ts(self.sla_due_at)?,
            rating: self.rating.and_then(|r| u8::try_from(r).ok()),
        })
    }
}

pub(crate) const MESSAGE_COLS: &str = "id, ticket_id, author_id, kind, body, created_at";

crate::record::record! {
    pub(crate) struct MessageRow {
        id: i64,
        ticket_id: i64,
        author_id: Option<i64>,
        kind: String,
        body: String,
        created_at: i64,
    }
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;
    fn try_from(r: MessageRow) -> Result<Message> {
        Ok(Message {
            id: MessageId(r.id),
            ticket_id: TicketId(r.ticket_id),
            author_id: r.author_id.map(PersonId),
            kind: name::<MessageKind>(&r.kind)?,
            body: r.body,
            created_at: from_ts(r.created_at)?,
        })
    }
}

pub(crate) const EVENT_COLS: &str =
    "id, ticket_id, actor_id, at, action, field, old_value, new_value";

crate::record::record! {
    pub(crate) struct EventRow {
        id: i64,
        ticket_id: i64,
        actor_id: Option<i64>,
        at: i64,
        action: String,
        field: Option<String>,
        old_value: Option<String>,
        new_value: Option<String>,
    }
}

impl TryFrom<EventRow> for HistoryEntry {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<HistoryEntry> {
        let change = match r.field {
            Some(f) => Some(Change {
                field: name::<Field>(&f)?,
                old: r.old_value,
                new: r.new_value,
            }),
            None => None,
        };
        Ok(HistoryEntry {
            id: r.id,
            ticket_id: TicketId(r.ticket_id),
            actor_id: r.actor_id.map(PersonId),
            at: from_ts(r.at)?,
            action: name::<EventAction>(&r.action)?,
            change,
        })
    }
}
