//! Automation rules: *when* something happens to a ticket, *if* its fields say so, *then* do
//! something. Pure: which rules match a ticket, and what their actions are. The service applies the
//! actions in the transaction of the event; changes made by rules do not set off rules again.

use serde::{Deserialize, Serialize};

use crate::{CategoryId, Channel, Named, PersonId, Priority, Status, TeamId, Ticket, TicketType};

/// What sets a rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A ticket was opened (any channel).
    Created,
    /// Someone changed a ticket's fields.
    Updated,
    /// A public message or note was added (by anyone, by mail too).
    MessageAdded,
    /// A service-level warning fired.
    SlaWarning,
    /// A service-level target was missed.
    SlaBreach,
    /// The requester rated the ticket (a satisfaction survey); conditions on `rating` see it.
    Rated,
    /// Time passed: checked every few minutes over open tickets, with conditions on
    /// `idle_hours`, `age_hours` or `due_in_hours`. Fires once per ticket and state: again only
    /// after the ticket has changed since (so "pending for 3 days → remind" reminds once per wait).
    Time,
}

/// A field a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Status,
    Priority,
    Type,
    Channel,
    Team,
    Assignee,
    Category,
    Organisation,
    /// Any of the ticket's tags.
    Tag,
    /// The subject, compared without regard to case.
    Subject,
    /// Hours since the ticket last changed (a time; compare with `more_than`/`less_than`).
    IdleHours,
    /// Hours since the ticket was opened.
    AgeHours,
    /// Hours until the earliest SLA due instant (negative when overdue); empty when no clock
    /// runs.
    DueInHours,
    /// The requester's latest satisfaction rating (1–5; empty until rated). Compare with `is`,
    /// `more_than` or `less_than` (`less_than 3`: a low rating).
    Rating,
}

impl Field {
    /// A field measured in hours from now.
    pub fn is_time(self) -> bool {
        matches!(self, Field::IdleHours | Field::AgeHours | Field::DueInHours)
    }
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal to the value (for `tag`: has that tag).
    Is,
    IsNot,
    /// The subject contains the value (case-insensitive).
    Contains,
    NotContains,
    /// The field has no value (no team, no assignee, no tags…).
    IsEmpty,
    IsNotEmpty,
    /// For times: more hours than the value (decimals allowed: `0.5`).
    MoreThan,
    LessThan,
}

/// One comparison. Values are written as the API writes them: `"pending_requester"`, `"high"`,
/// an id as a number in a string (`"12"`), a tag, or text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
    #[serde(default)]
    pub value: String,
}

/// Conditions: every one of `all`, and at least one of `any` (when there are any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Conditions {
    pub all: Vec<Condition>,
    pub any: Vec<Condition>,
}

/// Who a notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The assignee, or the team's staff while nobody is assigned.
    Assignee,
    /// The staff of the ticket's team.
    Team,
    /// Every service manager.
    Managers,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "do", deny_unknown_fields)]
pub enum Action {
    SetStatus {
        status: Status,
    },
    SetPriority {
        priority: Priority,
    },
    SetType {
        #[serde(rename = "type")]
        ticket_type: TicketType,
    },
    SetTeam {
        #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
        team: Option<TeamId>,
    },
    Assign {
        #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
        person: Option<PersonId>,
    },
    SetCategory {
        #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
        category: Option<CategoryId>,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    /// An internal note, written by Steward.
    AddNote {
        text: String,
    },
    /// A mail to staff about the ticket (with a link to it).
    Notify {
        to: Recipient,
        message: String,
    },
    /// A mail to the requester from the ticket's mailbox, threaded with the ticket's mail.
    /// Placeholders: `{number}`, `{tag}`, `{subject}`, `{requester}`.
    EmailRequester {
        subject: String,
        body: String,
    },
    /// A POST of the event and the ticket as JSON to an `http(s)` URL, signed with the
    /// installation's webhook secret (sent by the scheduler: retried, never blocking the event).
    Webhook {
        url: String,
    },
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub triggers: Vec<Trigger>,
    #[serde(default)]
    pub conditions: Conditions,
    pub actions: Vec<Action>,
    /// No later rule runs for this event when this one matched.
    #[serde(default)]
    pub stop: bool,
}

fn id_is(v: Option<i64>, value: &str) -> bool {
    match v {
        Some(id) => value.trim().parse::<i64>().is_ok_and(|x| x == id),
        None => false,
    }
}

/// Hours from `from` to `to` (negative when `to` is earlier).
fn hours(from: crate::Timestamp, to: crate::Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64() / 3600.0
}

impl Condition {
    /// Whether the ticket meets this condition at `now`.
    pub fn holds(&self, t: &Ticket, now: crate::Timestamp) -> bool {
        let value = self.value.trim();
        if self.field == Field::Rating {
            let r = t.rating.map(f64::from);
            let v = value.parse::<f64>().ok();
            return match (self.op, r) {
                (Op::IsEmpty, r) => r.is_none(),
                (Op::IsNotEmpty, r) => r.is_some(),
                (Op::Is, Some(r)) => v == Some(r),
                (Op::IsNot, r) => !(r.is_some() && v == r),
                (Op::MoreThan, Some(r)) => v.is_some_and(|v| r > v),
                (Op::LessThan, Some(r)) => v.is_some_and(|v| r < v),
                _ => false,
            };
        }
        if self.field.is_time() {
            let Some(h) = (match self.field {
                Field::IdleHours => Some(hours(t.updated_at, now)),
                Field::AgeHours => Some(hours(t.created_at, now)),
                _ => t.sla_due_at.map(|due| hours(now, due)),
            }) else {
                return self.op == Op::IsEmpty;
            };
            let Ok(v) = value.parse::<f64>() else {
                return false;
            };
            return match self.op {
                Op::MoreThan => h > v,
                Op::LessThan => h < v,
                Op::IsNotEmpty => true,
                _ => false,
            };
        }
        let empty = match self.field {
            Field::Team => t.team_id.is_none(),
            Field::Assignee => t.assignee_id.is_none(),
            Field::Category => t.category_id.is_none(),
            Field::Organisation => t.organisation_id.is_none(),
            Field::Tag => t.tags.is_empty(),
            Field::Subject => t.subject.trim().is_empty(),
            Field::Status | Field::Priority | Field::Type | Field::Channel => false,
            Field::IdleHours | Field::AgeHours | Field::DueInHours | Field::Rating => false,
        };
        let is = || match self.field {
            Field::Status => t.status.as_str() == value,
            Field::Priority => t.priority.as_str() == value,
            Field::Type => t.ticket_type.as_str() == value,
            Field::Channel => t.channel.as_str() == value,
            Field::Team => id_is(t.team_id.map(|x| x.0), value),
            Field::Assignee => id_is(t.assignee_id.map(|x| x.0), value),
            Field::Category => id_is(t.category_id.map(|x| x.0), value),
            Field::Organisation => id_is(t.organisation_id.map(|x| x.0), value),
            Field::Tag => t.tags.iter().any(|x| x.eq_ignore_ascii_case(value)),
            Field::Subject => t.subject.trim().eq_ignore_ascii_case(value),
            Field::IdleHours | Field::AgeHours | Field::DueInHours | Field::Rating => false,
        };
        let contains = || match self.field {
            Field::Subject => t.subject.to_lowercase().contains(&value.to_lowercase()),
            Field::Tag => t
                .tags
                .iter()
                .any(|x| x.to_lowercase().contains(&value.to_lowercase())),
            _ => is(),
        };
        match self.op {
            Op::Is => is(),
            Op::IsNot => !is(),
            Op::Contains => contains(),
            Op::NotContains => !contains(),
            Op::IsEmpty => empty,
            Op::IsNotEmpty => !empty,
            Op::MoreThan | Op::LessThan => false,
        }
    }

    /// A value that could never match is a mistake worth naming (an unknown status, say).
    pub fn check(&self) -> Result<(), crate::DomainError> {
        let v = self.value.trim();
        let compares = matches!(self.op, Op::MoreThan | Op::LessThan);
        if self.field == Field::Rating {
            return match self.op {
                Op::IsEmpty | Op::IsNotEmpty => Ok(()),
                Op::Contains | Op::NotContains => Err(crate::DomainError::invalid(
                    "conditions",
                    "compare a rating with is, is_not, more_than or less_than",
                )),
                _ => match v.parse::<u8>() {
                    Ok(r) if r <= 6 => Ok(()),
                    _ => Err(crate::DomainError::invalid(
                        "conditions",
                        format!("{v:?} is not a rating (1 to 5)"),
                    )),
                },
            };
        }
        if self.field.is_time() {
            let empty_ok =
                self.field == Field::DueInHours && matches!(self.op, Op::IsEmpty | Op::IsNotEmpty);
            if empty_ok {
                return Ok(());
            }
            if !compares {
                return Err(crate::DomainError::invalid(
                    "conditions",
                    "compare a time with more_than or less_than (hours)",
                ));
            }
            return match v.parse::<f64>() {
                Ok(h) if h.is_finite() && h.abs() <= 100_000.0 => Ok(()),
                _ => Err(crate::DomainError::invalid(
                    "conditions",
                    format!("{v:?} is not a number of hours"),
                )),
            };
        }
        if compares {
            return Err(crate::DomainError::invalid(
                "conditions",
                "more_than and less_than compare times (idle_hours, age_hours, due_in_hours) and ratings",
            ));
        }
        let needs_value = !matches!(self.op, Op::IsEmpty | Op::IsNotEmpty);
        if needs_value && v.is_empty() {
            return Err(crate::DomainError::invalid(
                "conditions",
                "a condition needs a value",
            ));
        }
        if !needs_value {
            return Ok(());
        }
        let ok = match self.field {
            Field::Status => Status::parse(v).is_ok(),
            Field::Priority => Priority::parse(v).is_ok(),
            Field::Type => TicketType::parse(v).is_ok(),
            Field::Channel => Channel::parse(v).is_ok(),
            Field::Team | Field::Assignee | Field::Category | Field::Organisation => {
                v.parse::<i64>().is_ok()
            }
            Field::Tag | Field::Subject => true,
            Field::IdleHours | Field::AgeHours | Field::DueInHours | Field::Rating => true,
        };
        if ok {
            Ok(())
        } else {
            Err(crate::DomainError::invalid(
                "conditions",
                format!("{v:?} is not a value of {:?}", self.field),
            ))
        }
    }
}

impl Conditions {
    pub fn hold(&self, t: &Ticket, now: crate::Timestamp) -> bool {
        self.all.iter().all(|c| c.holds(t, now))
            && (self.any.is_empty() || self.any.iter().any(|c| c.holds(t, now)))
    }

    /// Whether any condition looks at a time.
    pub fn on_time(&self) -> bool {
        self.all.iter().chain(&self.any).any(|c| c.field.is_time())
    }
}

impl RuleDef {
    /// Checks a rule before it is stored.
    pub fn check(&self) -> Result<(), crate::DomainError> {
        if self.triggers.is_empty() {
            return Err(crate::DomainError::invalid(
                "triggers",
                "choose at least one event",
            ));
        }
        if self.actions.is_empty() || self.actions.len() > 20 {
            return Err(crate::DomainError::invalid(
                "actions",
                "from 1 to 20 actions",
            ));
        }
        if self.conditions.all.len() + self.conditions.any.len() > 50 {
            return Err(crate::DomainError::invalid(
                "conditions",
                "at most 50 conditions",
            ));
        }
        for c in self.conditions.all.iter().chain(&self.conditions.any) {
            c.check()?;
        }
        if self.triggers.contains(&Trigger::Time) && !self.conditions.on_time() {
            return Err(crate::DomainError::invalid(
                "conditions",
                "a time rule needs a condition on idle_hours, age_hours or due_in_hours",
            ));
        }
        for a in &self.actions {
            match a {
                Action::AddTag { tag } | Action::RemoveTag { tag } => {
                    crate::validate::tag(tag)
                        .map_err(|e| crate::DomainError::invalid("actions", e.to_string()))?;
                }
                Action::Webhook { url }
                    if !(url.starts_with("https://") || url.starts_with("http://"))
                        || url.len() > 2000
                        || url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
                {
                    return Err(crate::DomainError::invalid(
                        "actions",
                        "a webhook needs an http:// or https:// address",
                    ));
                }
                Action::EmailRequester { subject, body }
                    if subject.trim().is_empty()
                        || subject.chars().count() > 250
                        || body.trim().is_empty()
                        || body.chars().count() > 10_000 =>
                {
                    return Err(crate::DomainError::invalid(
                        "actions",
                        "a mail needs a subject (up to 250 characters) and a text",
                    ));
                }
                Action::AddNote { text } | Action::Notify { message: text, .. }
                    if text.trim().is_empty() || text.chars().count() > 10_000 =>
                {
                    return Err(crate::DomainError::invalid(
                        "actions",
                        "a note or message of 1 to 10,000 characters",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A rule with its place in the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub enabled: bool,
    pub def: RuleDef,
}

/// The rules that run for `trigger` on ticket `t`, in order: enabled, set off by it, conditions
/// holding, up to and including the first that stops the rest. `rules` must be in order.
pub fn matching<'a>(
    rules: &'a [Rule],
    trigger: Trigger,
    t: &Ticket,
    now: crate::Timestamp,
) -> Vec<&'a Rule> {
    let mut out = Vec::new();
    for r in rules {
        if r.enabled && r.def.triggers.contains(&trigger) && r.def.conditions.hold(t, now) {
            out.push(r);
            if r.def.stop {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::OrgId;

    fn ticket() -> Ticket {
        let now: jiff::Timestamp = "2026-03-02T09:00:00Z".parse().unwrap();
        Ticket {
            id: crate::TicketId(1),
            number: 1,
            ticket_type: TicketType::Incident,
            subject: "VPN down in Vienna".into(),
            status: Status::New,
            impact: crate::Impact::High,
            urgency: crate::Urgency::High,
            priority: Priority::Critical,
            category_id: None,
            requester_id: PersonId(5),
            organisation_id: Some(OrgId(3)),
            team_id: None,
            assignee_id: None,
            channel: Channel::Email,
            tags: vec!["network".into()],
            created_at: now,
            updated_at: now,
            first_responded_at: None,
            resolved_at: None,
            closed_at: None,
            reopen_count: 0,
            sla_due_at: None,
            rating: None,
        }
    }

    fn c(field: Field, op: Op, value: &str) -> Condition {
        Condition {
            field,
            op,
            value: value.into(),
        }
    }

    #[test]
    fn conditions_table() {
        let t = ticket();
        let table = [
            (c(Field::Priority, Op::Is, "critical"), true),
            (c(Field::Priority, Op::IsNot, "critical"), false),
            (c(Field::Subject, Op::Contains, "vpn"), true),
            (c(Field::Subject, Op::NotContains, "printer"), true),
            (c(Field::Team, Op::IsEmpty, ""), true),
            (c(Field::Assignee, Op::IsNotEmpty, ""), false),
            (c(Field::Organisation, Op::Is, "3"), true),
            (c(Field::Organisation, Op::Is, "4"), false),
            (c(Field::Tag, Op::Is, "Network"), true),
            (c(Field::Tag, Op::Is, "printer"), false),
            (c(Field::Channel, Op::Is, "email"), true),
            (c(Field::Status, Op::Is, "new"), true),
            (c(Field::Type, Op::Is, "change"), false),
        ];
        for (cond, want) in table {
            assert_eq!(cond.holds(&t, t.updated_at), want, "{cond:?}");
        }
        let all_any = Conditions {
            all: vec![c(Field::Channel, Op::Is, "email")],
            any: vec![
                c(Field::Subject, Op::Contains, "printer"),
                c(Field::Tag, Op::Is, "network"),
            ],
        };
        assert!(all_any.hold(&t, t.updated_at));
        let none_of_any = Conditions {
            all: vec![],
            any: vec![c(Field::Subject, Op::Contains, "printer")],
        };
        assert!(!none_of_any.hold(&t, t.updated_at));
        assert!(Conditions::default().hold(&t, t.updated_at));
    }

    #[test]
    fn rating_conditions() {
        let mut t = ticket();
        let low = c(Field::Rating, Op::LessThan, "3");
        // Not rated: neither low nor anything else but empty.
        assert!(!low.holds(&t, t.updated_at));
        assert!(c(Field::Rating, Op::IsEmpty, "").holds(&t, t.updated_at));
        assert!(c(Field::Rating, Op::IsNot, "5").holds(&t, t.updated_at));
        t.rating = Some(2);
        assert!(low.holds(&t, t.updated_at));
        assert!(c(Field::Rating, Op::Is, "2").holds(&t, t.updated_at));
        assert!(!c(Field::Rating, Op::MoreThan, "2").holds(&t, t.updated_at));
        assert!(!c(Field::Rating, Op::IsEmpty, "").holds(&t, t.updated_at));
        t.rating = Some(5);
        assert!(!low.holds(&t, t.updated_at));
        assert!(c(Field::Rating, Op::MoreThan, "3").holds(&t, t.updated_at));
        assert!(low.check().is_ok());
        assert!(c(Field::Rating, Op::Is, "great").check().is_err());
        assert!(c(Field::Rating, Op::Contains, "3").check().is_err());
        assert!(c(Field::Rating, Op::Is, "9").check().is_err());
    }

    #[test]
    fn order_triggers_and_stop() {
        let t = ticket();
        let rule = |id, position, trigger, stop, enabled| Rule {
            id,
            name: format!("r{id}"),
            position,
            enabled,
            def: RuleDef {
                triggers: vec![trigger],
                conditions: Conditions::default(),
                actions: vec![Action::AddTag { tag: "x".into() }],
                stop,
            },
        };
        let rules = [
            rule(1, 1, Trigger::Created, false, true),
            rule(2, 2, Trigger::Updated, false, true),
            rule(3, 3, Trigger::Created, false, false),
            rule(4, 4, Trigger::Created, true, true),
            rule(5, 5, Trigger::Created, false, true),
        ];
        let ids: Vec<i64> = matching(&rules, Trigger::Created, &t, t.updated_at)
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            ids,
            [1, 4],
            "in order, only enabled ones for the event, until one stops"
        );
    }

    #[test]
    fn times_compare_in_hours_from_now() {
        let mut t = ticket();
        let later = |h: i64| {
            t.updated_at
                .checked_add(jiff::SignedDuration::from_mins(h * 60))
                .unwrap()
        };
        let idle = c(Field::IdleHours, Op::MoreThan, "72");
        assert!(!idle.holds(&t, later(72)), "exactly 72 hours is not more");
        assert!(idle.holds(&t, later(73)));
        assert!(c(Field::AgeHours, Op::LessThan, "0.5").holds(&t, t.created_at));
        let due_soon = c(Field::DueInHours, Op::LessThan, "2");
        assert!(!due_soon.holds(&t, later(0)), "no clock: never due");
        assert!(c(Field::DueInHours, Op::IsEmpty, "").holds(&t, later(0)));
        t.sla_due_at = Some(later(3));
        assert!(!due_soon.holds(&t, later(0)));
        assert!(due_soon.holds(&t, later(2)));
        assert!(
            c(Field::DueInHours, Op::LessThan, "0").holds(&t, later(4)),
            "overdue is negative"
        );
        for bad in [
            c(Field::IdleHours, Op::Is, "3"),
            c(Field::IdleHours, Op::MoreThan, "three"),
            c(Field::IdleHours, Op::MoreThan, "NaN"),
            c(Field::Priority, Op::MoreThan, "high"),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        let time_rule = RuleDef {
            triggers: vec![Trigger::Time],
            conditions: Conditions {
                all: vec![c(Field::Status, Op::Is, "pending_requester")],
                any: vec![],
            },
            actions: vec![Action::AddTag { tag: "x".into() }],
            stop: false,
        };
        assert!(
            time_rule.check().is_err(),
            "a time rule without a time condition would fire on every open ticket at once"
        );
        let time_rule = RuleDef {
            conditions: Conditions {
                all: vec![idle],
                any: vec![],
            },
            ..time_rule
        };
        assert!(time_rule.check().is_ok());
    }

    #[test]
    fn mistakes_are_named_and_json_reads_as_written() {
        let bad = RuleDef {
            triggers: vec![Trigger::Created],
            conditions: Conditions {
                all: vec![c(Field::Status, Op::Is, "sleeping")],
                any: vec![],
            },
            actions: vec![Action::AddNote { text: "x".into() }],
            stop: false,
        };
        assert!(bad.check().is_err());
        let json = r#"{"triggers": ["created"], "conditions": {"all": [{"field": "subject", "op": "contains", "value": "vpn"}]},
                       "actions": [{"do": "set_priority", "priority": "high"}, {"do": "add_tag", "tag": "network"},
                                   {"do": "assign", "person": 7}, {"do": "notify", "to": "managers", "message": "Look"}]}"#;
        let def: RuleDef = serde_json::from_str(json).unwrap();
        assert!(def.check().is_ok());
        assert_eq!(
            def.actions[2],
            Action::Assign {
                person: Some(PersonId(7))
            }
        );
        let no_triggers = RuleDef {
            triggers: vec![],
            ..def
        };
        assert!(no_triggers.check().is_err());
    }
}
