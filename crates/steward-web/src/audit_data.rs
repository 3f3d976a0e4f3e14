//! The audit log's query parameters, and its exports (CSV and JSON lines), shared by the API and
//! the admin page.

use serde::{Deserialize, Serialize};
use steward_domain::audit::AuditAction;
use steward_domain::{PersonId, Timestamp};
use steward_store::audit::{AuditEntry, AuditFilter};
use utoipa::{IntoParams, ToSchema};

use crate::pages::blank;
use crate::report_data::cell;

/// Which audit entries.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// One action (`sign_in_failed`, `person_changed`, …; see `docs/security.md`).
    pub action: Option<String>,
    /// The person who acted.
    pub actor_id: Option<i64>,
    /// What it was done to, `kind:id` (`person:12`).
    pub subject: Option<String>,
    /// The client address.
    pub ip: Option<String>,
    /// From this day (`2026-11-01`, UTC) or instant (RFC 3339).
    pub from: Option<String>,
    /// Up to and including this day (UTC), or before this instant.
    pub to: Option<String>,
    /// The next page (`next_cursor` of the page before).
    pub cursor: Option<String>,
    /// Entries per page (1–500, default 100).
    pub limit: Option<u32>,
}

/// An instant, or a day in UTC: its start, or with `end` the start of the next day.
fn instant(field: &'static str, s: &str, end: bool) -> Result<Timestamp, (&'static str, String)> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let bad = || {
        (
            field,
            format!("{s:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 instant"),
        )
    };
    let d: jiff::civil::Date = s.parse().map_err(|_| bad())?;
    let d = if end {
        d.tomorrow().map_err(|_| bad())?
    } else {
        d
    };
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

impl AuditQuery {
    /// The filter these parameters ask for, or the parameter that is wrong and why.
    pub fn filter(&self) -> Result<AuditFilter, (&'static str, String)> {
        let action = match blank(&self.action) {
            None => None,
            Some(a) => Some(
                AuditAction::parse(a)
                    .ok_or(("action", format!("{a:?} is not an audit action")))?
                    .as_str()
                    .to_string(),
            ),
        };
        Ok(AuditFilter {
            action,
            actor_id: self.actor_id.map(PersonId),
            subject: blank(&self.subject).map(str::to_string),
            ip: blank(&self.ip).map(str::to_string),
            from: blank(&self.from)
                .map(|s| instant("from", s, false))
                .transpose()?,
            to: blank(&self.to)
                .map(|s| instant("to", s, true))
                .transpose()?,
        })
    }
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<i64>,
    pub actor_email: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub ip: String,
    pub user_agent: String,
}

impl From<AuditEntry> for AuditOut {
    fn from(e: AuditEntry) -> Self {
        AuditOut {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id.map(|p| p.0),
            actor_email: e.actor_email,
            action: e.action,
            subject: e.subject,
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            ip: e.ip,
            user_agent: e.user_agent,
        }
    }
}

/// The header line of the CSV export.
pub const CSV_HEADER: &str = "id,at,actor_id,actor_email,action,subject,detail,ip,user_agent\n";

/// One entry as a CSV line (cells quoted, never formulas).
pub fn csv_line(e: &AuditEntry) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{}\n",
        e.id,
        e.at,
        e.actor_id.map(|p| p.0.to_string()).unwrap_or_default(),
        cell(&e.actor_email),
        cell(&e.action),
        cell(&e.subject),
        cell(&e.detail),
        cell(&e.ip),
        cell(&e.user_agent)
    )
}

/// One entry as a line of JSON.
pub fn json_line(e: AuditEntry) -> String {
    let mut s = serde_json::to_string(&AuditOut::from(e)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_instants() {
        let q = AuditQuery {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            action: Some(" sign_in ".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(f.from.unwrap().to_string(), "2026-11-01T00:00:00Z");
        assert_eq!(f.to.unwrap().to_string(), "2026-12-01T00:00:00Z");
        assert_eq!(f.action.as_deref(), Some("sign_in"));
        let q = AuditQuery {
            to: Some("2026-11-30T10:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(
            q.filter().unwrap().to.unwrap().to_string(),
            "2026-11-30T10:00:00Z"
        );
        for bad in [
            AuditQuery {
                action: Some("drop_tables".into()),
                ..Default::default()
            },
            AuditQuery {
                from: Some("yesterday".into()),
                ..Default::default()
            },
        ] {
            assert!(bad.filter().is_err());
        }
    }

    #[test]
    fn csv_cells_are_safe() {
        let e = AuditEntry {
            id: 1,
            at: Timestamp::from_second(1_800_000_000).unwrap(),
            actor_id: None,
            actor_email: "=cmd|' /C calc'!A0".into(),
            action: "sign_in_failed".into(),
            subject: String::new(),
            detail: r#"{"reason":"unknown address"}"#.into(),
            ip: "127.0.0.1".into(),
            user_agent: "curl, 8".into(),
        };
        let line = csv_line(&e);
        assert!(line.contains(",'=cmd"), "{line}");
        assert!(
            line.contains("\"{\"\"reason\"\":\"\"unknown address\"\"}\""),
            "{line}"
        );
        assert!(line.contains("\"curl, 8\""), "{line}");
        assert!(json_line(e).ends_with("}\n"));
    }
}
