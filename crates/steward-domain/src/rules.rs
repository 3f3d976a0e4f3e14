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

impl Condition {
    /// Whether the ticket meets this condition.
    pub fn holds(&self, t: &Ticket) -> bool {
        let value = self.value.trim();
        let empty = match self.field {
            Field::Team => t.team_id.is_none(),
            Field::Assignee => t.assignee_id.is_none(),
            Field::Category => t.category_id.is_none(),
            Field::Organisation => t.organisation_id.is_none(),
            Field::Tag => t.tags.is_empty(),
            Field::Subject => t.subject.trim().is_empty(),
            Field::Status | Field::Priority | Field::Type | Field::Channel => false,
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
        }
    }

    /// A value that could never match is a mistake worth naming (an unknown status, say).
    pub fn check(&self) -> Result<(), crate::DomainError> {
        let v = self.value.trim();
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
    pub fn hold(&self, t: &Ticket) -> bool {
        self.all.iter().all(|c| c.holds(t))
            && (self.any.is_empty() || self.any.iter().any(|c| c.holds(t)))
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
pub fn matching<'a>(rules: &'a [Rule], trigger: Trigger, t: &Ticket) -> Vec<&'a Rule> {
    let mut out = Vec::new();
    for r in rules {
        if r.enabled && r.def.triggers.contains(&trigger) && r.def.conditions.hold(t) {
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
            assert_eq!(cond.holds(&t), want, "{cond:?}");
        }
        let all_any = Conditions {
            all: vec![c(Field::Channel, Op::Is, "email")],
            any: vec![
                c(Field::Subject, Op::Contains, "printer"),
                c(Field::Tag, Op::Is, "network"),
            ],
        };
        assert!(all_any.hold(&t));
        let none_of_any = Conditions {
            all: vec![],
            any: vec![c(Field::Subject, Op::Contains, "printer")],
        };
        assert!(!none_of_any.hold(&t));
        assert!(Conditions::default().hold(&t));
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
        let ids: Vec<i64> = matching(&rules, Trigger::Created, &t)
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
