//! Rules written as lines, for the administration page: one condition or action per line, in the
//! words of the API (`priority is high`, `idle_hours more_than 72`, `add_tag network`,
//! `notify managers Look at this`). Teams, people and categories may be named or given by id;
//! they are written back by name. Each line that cannot be read is named in the error.

use steward_domain::rules::{Action, Condition, Field, Op, Recipient};
use steward_domain::{CategoryId, Named, PersonId, Priority, Status, TeamId, TicketType};

/// Names of the things rules point at: (id, name).
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub teams: Vec<(i64, String)>,
    /// Staff who can be assigned.
    pub people: Vec<(i64, String)>,
    pub categories: Vec<(i64, String)>,
}

fn find(list: &[(i64, String)], what: &str, text: &str) -> Result<i64, String> {
    let text = text.trim().trim_start_matches('#');
    if let Ok(id) = text.parse::<i64>() {
        return Ok(id);
    }
    list.iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(text))
        .map(|(id, _)| *id)
        .ok_or_else(|| format!("no {what} named {text:?}"))
}

fn name_of(list: &[(i64, String)], id: i64) -> String {
    list.iter()
        .find(|(i, _)| *i == id)
        .map_or_else(|| id.to_string(), |(_, n)| n.clone())
}

fn token<T: serde::de::DeserializeOwned>(word: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(word.to_string())).ok()
}

fn word<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Splits off the first word.
fn split(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim()),
        None => (line, ""),
    }
}

/// `field op value`, e.g. `team is Network`.
pub fn parse_condition(line: &str, names: &Names) -> Result<Condition, String> {
    let (f, rest) = split(line);
    let (o, value) = split(rest);
    let field: Field = token(f).ok_or_else(|| format!("{f:?} is not a field"))?;
    let op: Op = token(o).ok_or_else(|| format!("{o:?} is not a comparison"))?;
    let value = match (field, op) {
        (_, Op::IsEmpty | Op::IsNotEmpty) => String::new(),
        (Field::Team, _) => find(&names.teams, "team", value)?.to_string(),
        (Field::Assignee, _) => find(&names.people, "member of staff", value)?.to_string(),
        (Field::Category, _) => find(&names.categories, "category", value)?.to_string(),
        _ => value.to_string(),
    };
    let c = Condition { field, op, value };
    c.check().map_err(|e| e.to_string())?;
    Ok(c)
}

pub fn condition_line(c: &Condition, names: &Names) -> String {
    let value = match (c.field, c.value.parse::<i64>()) {
        (Field::Team, Ok(id)) => name_of(&names.teams, id),
        (Field::Assignee, Ok(id)) => name_of(&names.people, id),
        (Field::Category, Ok(id)) => name_of(&names.categories, id),
        _ => c.value.clone(),
    };
    format!("{} {} {}", word(c.field), word(c.op), value)
        .trim()
        .to_string()
}

fn optional(list: &[(i64, String)], what: &str, text: &str) -> Result<Option<i64>, String> {
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        find(list, what, text).map(Some)
    }
}

fn named<T: Named>(what: &str, text: &str) -> Result<T, String> {
    T::parse(text.trim()).map_err(|_| format!("{text:?} is not a {what}"))
}

/// `action argument…`, e.g. `set_priority high`, `email_requester Subject | Body\nmore`.
pub fn parse_action(line: &str, names: &Names) -> Result<Action, String> {
    let (a, rest) = split(line);
    let text = || rest.replace("\\n", "\n");
    Ok(match a {
        "set_status" => Action::SetStatus {
            status: named::<Status>("status", rest)?,
        },
        "set_priority" => Action::SetPriority {
            priority: named::<Priority>("priority", rest)?,
        },
        "set_type" => Action::SetType {
            ticket_type: named::<TicketType>("type", rest)?,
        },
        "set_team" => Action::SetTeam {
            team: optional(&names.teams, "team", rest)?.map(TeamId),
        },
        "assign" => Action::Assign {
            person: optional(&names.people, "member of staff", rest)?.map(PersonId),
        },
        "set_category" => Action::SetCategory {
            category: optional(&names.categories, "category", rest)?.map(CategoryId),
        },
        "add_tag" => Action::AddTag { tag: rest.into() },
        "remove_tag" => Action::RemoveTag { tag: rest.into() },
        "add_note" => Action::AddNote { text: text() },
        "notify" => {
            let (to, message) = split(rest);
            let to: Recipient = token(to)
                .ok_or_else(|| format!("notify whom? {to:?} is not assignee, team or managers"))?;
            Action::Notify {
                to,
                message: message.replace("\\n", "\n"),
            }
        }
        "email_requester" => {
            let t = text();
            let (subject, body) = t
                .split_once('|')
                .ok_or("write the mail as: email_requester Subject | Text")?;
            Action::EmailRequester {
                subject: subject.trim().into(),
                body: body.trim().into(),
            }
        }
        "webhook" => Action::Webhook { url: rest.into() },
        other => return Err(format!("{other:?} is not an action")),
    })
}

pub fn action_line(a: &Action, names: &Names) -> String {
    let one = |s: &str| s.replace('\n', "\\n");
    let opt = |list: &[(i64, String)], id: Option<i64>| {
        id.map_or_else(|| "none".to_string(), |id| name_of(list, id))
    };
    match a {
        Action::SetStatus { status } => format!("set_status {}", status.as_str()),
        Action::SetPriority { priority } => format!("set_priority {}", priority.as_str()),
        Action::SetType { ticket_type } => format!("set_type {}", ticket_type.as_str()),
        Action::SetTeam { team } => format!("set_team {}", opt(&names.teams, team.map(|t| t.0))),
        Action::Assign { person } => format!("assign {}", opt(&names.people, person.map(|p| p.0))),
        Action::SetCategory { category } => format!(
            "set_category {}",
            opt(&names.categories, category.map(|c| c.0))
        ),
        Action::AddTag { tag } => format!("add_tag {tag}"),
        Action::RemoveTag { tag } => format!("remove_tag {tag}"),
        Action::AddNote { text } => format!("add_note {}", one(text)),
        Action::Notify { to, message } => format!("notify {} {}", word(to), one(message)),
        Action::EmailRequester { subject, body } => {
            format!("email_requester {} | {}", one(subject), one(body))
        }
        Action::Webhook { url } => format!("webhook {url}"),
    }
}

/// Reads every non-empty line; errors name the line.
pub fn parse_lines<T>(
    what: &str,
    text: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .map(|(i, l)| parse(l).map_err(|e| format!("{what}, line {}: {e}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn names() -> Names {
        Names {
            teams: vec![(3, "Network".into()), (4, "Service Desk".into())],
            people: vec![(7, "Ada Lovelace".into())],
            categories: vec![(9, "Printers".into())],
        }
    }

    #[test]
    fn lines_read_back_as_written() {
        let n = names();
        for line in [
            "priority is high",
            "team is Network",
            "team is Service Desk",
            "assignee is_empty",
            "subject contains vpn down",
            "idle_hours more_than 72",
            "due_in_hours less_than 0.5",
            "category is_not Printers",
        ] {
            let c = parse_condition(line, &n).unwrap();
            assert_eq!(condition_line(&c, &n), line);
        }
        for line in [
            "set_priority critical",
            "set_team Network",
            "assign none",
            "assign Ada Lovelace",
            "set_category Printers",
            "add_tag network",
            "add_note Checked by the night rule\\nsecond line",
            "notify managers Look at this",
            "email_requester Still waiting? | We have not heard from you.\\nReply to keep it open.",
            "webhook https://hooks.example.com/steward",
            "set_status pending_requester",
        ] {
            let a = parse_action(line, &n).unwrap();
            assert_eq!(action_line(&a, &n), line);
        }
        assert_eq!(
            parse_action("assign 7", &n).unwrap(),
            Action::Assign {
                person: Some(PersonId(7))
            }
        );
        assert_eq!(
            parse_action("add_note a\\nb", &n).unwrap(),
            Action::AddNote {
                text: "a\nb".into()
            }
        );
    }

    #[test]
    fn mistakes_name_their_line() {
        let n = names();
        let e = parse_lines("Actions", "add_tag x\n\nfrobnicate now", |l| {
            parse_action(l, &n)
        })
        .unwrap_err();
        assert!(e.contains("line 3") && e.contains("frobnicate"), "{e}");
        for bad in [
            "team is Nowhere",
            "priority is urgent-ish",
            "colour is red",
            "idle_hours is 3",
            "",
        ] {
            assert!(parse_condition(bad, &n).is_err(), "{bad}");
        }
        for bad in [
            "notify everyone hi",
            "email_requester no separator",
            "set_priority whenever",
            "set_team Nowhere",
        ] {
            assert!(parse_action(bad, &n).is_err(), "{bad}");
        }
    }
}
