//! KPI reports: a period of days in a time zone, a filter, the figures
//! ([`steward_domain::kpi`]) for it and for the period of the same length before, with the names
//! of what they count; and reports mailed on a schedule (a `report_mail` job per schedule).

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use steward_domain::kpi::{Filter, Kpis, Period, Tally};
use steward_domain::policy::{check, Action};
use steward_domain::{Actor, Named, Timestamp};
use steward_store::reports::{NameTable, ReportSchedule, Survey};

use crate::error::NotFoundAs;
use crate::{Result, Service, ServiceError};

/// Mailing a scheduled report.
pub(crate) const REPORT_MAIL: &str = "report_mail";

/// The longest period a report covers (days).
pub const MAX_REPORT_DAYS: i64 = 3 * 366;

/// Comments shown with a report.
const COMMENTS: i64 = 20;

/// A report reads its tickets in this many parts at once, at most (one per core).
const MAX_PARTS: usize = 4;

/// Below this many ticket ids a report reads its tickets in one part.
const PART_SIZE: i64 = 100_000;

/// The id ranges (both ends included) to read tickets with ids `bounds` in, at most `most` of
/// them and none smaller than [`PART_SIZE`] but the last; one `None` (all) for few tickets.
fn parts(bounds: Option<(i64, i64)>, most: usize) -> Vec<Option<(i64, i64)>> {
    let Some((low, high)) = bounds.filter(|(low, high)| low <= high) else {
        return vec![None];
    };
    let n = ((high - low) / PART_SIZE + 1).min(most.max(1) as i64);
    if n <= 1 {
        return vec![None];
    }
    let size = (high - low) / n + 1;
    let mut out = Vec::new();
    let mut a = low;
    while a <= high {
        out.push(Some((a, (a + size - 1).min(high))));
        a += size;
    }
    out
}

/// What a report is asked for: days `from` to `to` (both included) in a zone (default: the
/// zone of the default SLA policy's calendar, else UTC), and which tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub from: Date,
    pub to: Date,
    pub zone: Option<String>,
    pub filter: Filter,
}

/// Names of what a report counts by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportNames {
    pub organisations: HashMap<i64, String>,
    pub teams: HashMap<i64, String>,
    pub people: HashMap<i64, String>,
    pub categories: HashMap<i64, String>,
}

/// A report: the period's figures and the previous period's.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub from: Date,
    pub to: Date,
    pub zone: String,
    pub filter: Filter,
    pub current: Kpis,
    /// The same number of days just before.
    pub previous: Kpis,
    pub previous_from: Date,
    pub previous_to: Date,
    pub names: ReportNames,
    /// The latest comments of ratings in the period: `(survey, ticket number)`.
    pub comments: Vec<(Survey, i64)>,
    pub generated_at: Timestamp,
}

fn zone_of(name: &str) -> Result<TimeZone> {
    TimeZone::get(name)
        .map_err(|_| ServiceError::invalid("zone", format!("unknown time zone {name:?}")))
}

fn start_of(d: Date, tz: &TimeZone) -> Result<Timestamp> {
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| ServiceError::invalid("from", format!("{d}: {e}")))
}

impl Service {
    /// Counts the tickets of `period` and of the period `before` it, in one pass over both
    /// periods' tickets: each tally keeps what falls in its own. Many tickets (a year at a million)
    /// are read in parts at once, one per core, each on a connection of its own, and the parts'
    /// tallies merged: reading and adding up is most of a report's time, and a part's work is
    /// all on one core.
    async fn tally_tickets(
        &self,
        filter: &Filter,
        period: &Period,
        before: &Period,
        now: Timestamp,
    ) -> Result<(Tally, Tally)> {
        let bounds = self.store.read().await?.ticket_id_bounds().await?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // A set of tasks: if one part fails, or the report is no longer wanted (the request went
        // away), dropping the set stops the other parts (on SQLite a part finishes the read it is
        // in: SQLite reads a part in one call, on a thread that does not yield).
        let mut tasks = tokio::task::JoinSet::new();
        for ids in parts(bounds, cores.clamp(1, MAX_PARTS)) {
            let (store, filter) = (self.store.clone(), filter.clone());
            let (mut current, mut previous) = (
                Tally::new(period.clone(), now),
                Tally::new(before.clone(), now),
            );
            let (from, to) = (before.from, period.to);
            tasks.spawn(async move {
                let mut c = store.read().await?;
                c.report_facts(&filter, from, to, ids, |f| {
                    current.add(&f);
                    previous.add(&f);
                    Ok(())
                })
                .await?;
                Ok::<_, steward_store::StoreError>((current, previous))
            });
        }
        // The parts' tallies merge in any order (every figure is a count, a set of durations or a
        // sum).
        let mut whole: Option<(Tally, Tally)> = None;
        while let Some(part) = tasks.join_next().await {
            let (current, previous) =
                part.map_err(|e| ServiceError::Internal(format!("a report's part failed: {e}")))??;
            match &mut whole {
                None => whole = Some((current, previous)),
                Some((c, p)) => {
                    c.merge(current);
                    p.merge(previous);
                }
            }
        }
        whole.ok_or_else(|| ServiceError::Internal("a report without parts".into()))
    }

    /// The zone reports are read in unless asked otherwise: the default SLA policy's calendar's.
    pub async fn report_zone(&self) -> Result<String> {
        let mut c = self.store.read().await?;
        let policies = c.list_policies().await?;
        if let Some(cal) = policies
            .iter()
            .find(|p| p.is_default)
            .and_then(|p| p.calendar_id)
        {
            return Ok(c.get_calendar(cal).await?.def.time_zone);
        }
        Ok("UTC".into())
    }

    /// The KPI report for a period and filter (staff).
    pub async fn report(&self, actor: &Actor, req: &ReportRequest) -> Result<Report> {
        check(actor, Action::ViewReports).map_err(|d| ServiceError::denied(d, "report"))?;
        if req.to < req.from {
            return Err(ServiceError::invalid(
                "to",
                "the period ends before it starts",
            ));
        }
        let days = req.from.until(req.to).map(|s| s.get_days()).unwrap_or(0) as i64 + 1;
        if days > MAX_REPORT_DAYS {
            return Err(ServiceError::invalid(
                "from",
                format!("a report covers at most {MAX_REPORT_DAYS} days"),
            ));
        }
        let zone_name = match &req.zone {
            Some(z) if !z.trim().is_empty() => z.trim().to_string(),
            _ => self.report_zone().await?,
        };
        let tz = zone_of(&zone_name)?;
        let next = req
            .to
            .tomorrow()
            .map_err(|e| ServiceError::invalid("to", e.to_string()))?;
        let period = Period {
            from: start_of(req.from, &tz)?,
            to: start_of(next, &tz)?,
            zone: tz.clone(),
        };
        let previous_to = req
            .from
            .yesterday()
            .map_err(|e| ServiceError::invalid("from", e.to_string()))?;
        let previous_from = previous_to
            .checked_sub(jiff::Span::new().days(days - 1))
            .map_err(|e| ServiceError::invalid("from", e.to_string()))?;
        let before = Period {
            from: start_of(previous_from, &tz)?,
            to: period.from,
            zone: tz,
        };
        let now = self.now();
        let (mut current, mut previous) = self
            .tally_tickets(&req.filter, &period, &before, now)
            .await?;
        let mut c = self.store.read().await?;
        c.report_ratings(&req.filter, before.from, period.to, |rating, at| {
            current.add_rating(rating, at);
            previous.add_rating(rating, at);
        })
        .await?;
        // Deflection is about requesters, not tickets: only an organisation narrows it.
        let narrowed = req.filter.team.is_some()
            || req.filter.technician.is_some()
            || req.filter.ticket_type.is_some()
            || req.filter.priority.is_some();
        if !narrowed {
            let window = crate::knowledge::DEFLECTION_WINDOW;
            let org = req.filter.organisation;
            let n = c
                .count_deflections(period.from, period.to, window, org)
                .await?;
            current.set_deflected(n.max(0) as u64);
            let n = c
                .count_deflections(before.from, before.to, window, org)
                .await?;
            previous.set_deflected(n.max(0) as u64);
        }
        let comments = c
            .report_comments(&req.filter, period.from, period.to, COMMENTS)
            .await?;
        let current = current.finish();
        let previous = previous.finish();
        let ids = |f: &dyn Fn(&Kpis) -> Vec<Option<i64>>| -> Vec<i64> {
            let mut v: Vec<i64> = f(&current)
                .into_iter()
                .chain(f(&previous))
                .flatten()
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let org_ids = ids(&|k| k.by_organisation.iter().map(|c| c.key).collect());
        let team_ids = ids(&|k| k.by_team.iter().map(|c| c.key).collect());
        let mut people_ids = ids(&|k| k.by_technician.iter().map(|c| c.key).collect());
        people_ids.extend(req.filter.technician);
        let cat_ids = ids(&|k| k.by_category.iter().map(|c| c.key).collect());
        let mut org_ids = org_ids;
        org_ids.extend(req.filter.organisation);
        let mut team_ids = team_ids;
        team_ids.extend(req.filter.team);
        let names = ReportNames {
            organisations: c.names_of(NameTable::Organisations, &org_ids).await?,
            teams: c.names_of(NameTable::Teams, &team_ids).await?,
            people: c.names_of(NameTable::People, &people_ids).await?,
            categories: c.names_of(NameTable::Categories, &cat_ids).await?,
        };
        Ok(Report {
            from: req.from,
            to: req.to,
            zone: zone_name,
            filter: req.filter.clone(),
            current,
            previous,
            previous_from,
            previous_to,
            names,
            comments,
            generated_at: now,
        })
    }

    // ---- scheduled reports ----

    /// The reports mailed to a person (their own), or to everyone (those who run the desk).
    pub async fn report_schedules(&self, actor: &Actor) -> Result<Vec<ReportSchedule>> {
        check(actor, Action::ViewReports).map_err(|d| ServiceError::denied(d, "report"))?;
        let whose = match check(actor, Action::ManageSuggestions) {
            Ok(()) => None,
            Err(_) => actor.person_id,
        };
        Ok(self
            .store
            .read()
            .await?
            .list_report_schedules(whose)
            .await?)
    }

    /// Mails the signed-in staff member a report every week (Mondays, for the week before) or
    /// every month (on the 1st, for the month before), at 07:00 in the report zone.
    pub async fn schedule_report(
        &self,
        actor: &Actor,
        frequency: &str,
        filter: Filter,
    ) -> Result<ReportSchedule> {
        check(actor, Action::ViewReports).map_err(|d| ServiceError::denied(d, "report"))?;
        let Some(person) = actor.person_id else {
            return Err(ServiceError::forbidden("reports are mailed to people"));
        };
        if !matches!(frequency, "weekly" | "monthly") {
            return Err(ServiceError::invalid(
                "frequency",
                "a report is mailed weekly or monthly",
            ));
        }
        let tz = zone_of(&self.report_zone().await?)?;
        let now = self.now();
        let next = next_run(frequency, now, &tz)?;
        let mut tx = self.store.write().await?;
        let s = tx
            .insert_report_schedule(person, frequency, &filter, next, now)
            .await?;
        tx.schedule_job(
            REPORT_MAIL,
            None,
            &s.id.to_string(),
            Some(&format!("report:{}", s.id)),
            next,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Stops a scheduled report (its owner, or those who run the desk).
    pub async fn delete_report_schedule(&self, actor: &Actor, id: i64) -> Result<()> {
        check(actor, Action::ViewReports).map_err(|d| ServiceError::denied(d, "report"))?;
        let mut tx = self.store.write().await?;
        let s = tx
            .get_report_schedule(id)
            .await
            .not_found_as("scheduled report")?;
        if check(actor, Action::ManageSuggestions).is_err() && actor.person_id != Some(s.person_id)
        {
            return Err(ServiceError::NotFound("scheduled report"));
        }
        tx.delete_report_schedule(id).await?;
        tx.cancel_job(&format!("report:{id}")).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The scheduler's `report_mail` job: the report of the last full week or month, mailed to
    /// the schedule's owner (while they are active staff), and the next one scheduled.
    pub(crate) async fn send_scheduled_report(&self, payload: &str) -> Result<()> {
        let id: i64 = payload
            .parse()
            .map_err(|_| ServiceError::invalid("payload", "report job without a schedule"))?;
        let mut c = self.store.read().await?;
        let s = match c.get_report_schedule(id).await {
            Ok(s) => s,
            Err(steward_store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let person = c.get_person(s.person_id).await?;
        drop(c);
        let zone = self.report_zone().await?;
        let tz = zone_of(&zone)?;
        let now = self.now();
        let next = next_run(&s.frequency, now, &tz)?;
        if person.active && person.role.is_staff() {
            let actor = Actor {
                person_id: Some(person.id),
                role: person.role,
                organisation_id: person.organisation_id,
                org_access: person.org_access,
            };
            let today = now.to_zoned(tz.clone()).date();
            let (from, to) = last_full_period(&s.frequency, today)?;
            let report = self
                .report(
                    &actor,
                    &ReportRequest {
                        from,
                        to,
                        zone: Some(zone),
                        filter: s.filter.clone(),
                    },
                )
                .await?;
            let mut tx = self.store.write().await?;
            if self.mail.send {
                let (subject, body) = self.report_mail_text(&report, &s);
                self.enqueue_plain_mail(&mut tx, &person.email, "report", &subject, body)
                    .await?;
            }
            tx.report_schedule_sent(s.id, now, next).await?;
            tx.schedule_job(
                REPORT_MAIL,
                None,
                payload,
                Some(&format!("report:{}", s.id)),
                next,
                now,
            )
            .await?;
            tx.commit().await?;
        } else {
            // Someone who left gets no more reports; the schedule stays for an admin to remove.
            tracing::info!(
                schedule = s.id,
                "scheduled report skipped: not active staff"
            );
        }
        Ok(())
    }

    /// The text of a mailed report: the headline figures, with the link to the dashboard.
    fn report_mail_text(&self, r: &Report, s: &ReportSchedule) -> (String, String) {
        let k = &r.current;
        let p = &r.previous;
        let mut lines = vec![
            format!(
                "Service desk report, {} to {} ({}){}",
                r.from,
                r.to,
                r.zone,
                filter_words(&r.filter, &r.names)
            ),
            String::new(),
            format!("{:<34} {:>12} {:>12}", "", "this period", "before"),
        ];
        let mut row = |label: &str, a: String, b: String| {
            lines.push(format!("{label:<34} {a:>12} {b:>12}"));
        };
        row(
            "Tickets created",
            k.created.to_string(),
            p.created.to_string(),
        );
        row(
            "Tickets resolved",
            k.resolved.to_string(),
            p.resolved.to_string(),
        );
        row(
            "First response, median (business)",
            duration_words(k.first_response.business.median_ms),
            duration_words(p.first_response.business.median_ms),
        );
        row(
            "Resolution, median (business)",
            duration_words(k.resolution.business.median_ms),
            duration_words(p.resolution.business.median_ms),
        );
        row(
            "First-contact resolution",
            percent_words(k.first_contact_resolution.percent()),
            percent_words(p.first_contact_resolution.percent()),
        );
        row(
            "Reopened",
            percent_words(k.reopened.percent()),
            percent_words(p.reopened.percent()),
        );
        row(
            "Satisfied (CSAT)",
            percent_words(k.csat.satisfied.percent()),
            percent_words(p.csat.satisfied.percent()),
        );
        row(
            "Resolution target met",
            percent_words(k.sla.resolution.percent()),
            percent_words(p.sla.resolution.percent()),
        );
        lines.push(String::new());
        lines.push(format!(
            "Open now: {} ({} overdue).",
            k.backlog.open, k.backlog.overdue
        ));
        if let Some(base) = self.mail.link_base.as_deref() {
            lines.push(String::new());
            lines.push(format!(
                "The whole report: {}/agent/reports?from={}&to={}{}",
                base.trim_end_matches('/'),
                r.from,
                r.to,
                filter_query(&r.filter)
            ));
        }
        lines.push(String::new());
        lines.push(format!(
            "You receive this {} report because you asked for it; stop it on the reports page.",
            s.frequency
        ));
        (
            format!("Service desk report {} to {}", r.from, r.to),
            lines.join("\n") + "\n",
        )
    }
}

/// A filter in words ("" for everything).
pub fn filter_words(f: &Filter, names: &ReportNames) -> String {
    let mut parts = Vec::new();
    let name = |m: &HashMap<i64, String>, id: i64| m.get(&id).cloned().unwrap_or(format!("#{id}"));
    if let Some(o) = f.organisation {
        parts.push(format!("organisation {}", name(&names.organisations, o)));
    }
    if let Some(t) = f.team {
        parts.push(format!("team {}", name(&names.teams, t)));
    }
    if let Some(p) = f.technician {
        parts.push(format!("technician {}", name(&names.people, p)));
    }
    if let Some(t) = f.ticket_type {
        parts.push(format!("type {}", t.as_str()));
    }
    if let Some(p) = f.priority {
        parts.push(format!("priority {}", p.as_str()));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(", {}", parts.join(", "))
    }
}

/// A filter as query parameters (`&organisation=3…`).
pub fn filter_query(f: &Filter) -> String {
    let mut q = String::new();
    if let Some(o) = f.organisation {
        q.push_str(&format!("&organisation={o}"));
    }
    if let Some(t) = f.team {
        q.push_str(&format!("&team={t}"));
    }
    if let Some(p) = f.technician {
        q.push_str(&format!("&technician={p}"));
    }
    if let Some(t) = f.ticket_type {
        q.push_str(&format!("&type={}", t.as_str()));
    }
    if let Some(p) = f.priority {
        q.push_str(&format!("&priority={}", p.as_str()));
    }
    q
}

/// A duration for people: "45 min", "3.5 h", "2.1 d"; "–" for none.
pub fn duration_words(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "–".into();
    };
    let mins = ms as f64 / 60_000.0;
    if mins < 90.0 {
        format!("{mins:.0} min")
    } else if mins < 48.0 * 60.0 {
        format!("{:.1} h", mins / 60.0)
    } else {
        format!("{:.1} d", mins / 1440.0)
    }
}

/// A share for people: "87.5 %"; "–" for none.
pub fn percent_words(p: Option<f64>) -> String {
    p.map_or("–".into(), |p| format!("{p:.1} %"))
}

/// The days of the last full week (Monday to Sunday) or month before `today`.
fn last_full_period(frequency: &str, today: Date) -> Result<(Date, Date)> {
    let bad = |e: jiff::Error| ServiceError::Internal(format!("report period: {e}"));
    if frequency == "weekly" {
        let monday = today
            .checked_sub(jiff::Span::new().days(i64::from(today.weekday().to_monday_zero_offset())))
            .map_err(bad)?;
        let from = monday.checked_sub(jiff::Span::new().days(7)).map_err(bad)?;
        Ok((from, monday.yesterday().map_err(bad)?))
    } else {
        let first = today.first_of_month();
        let to = first.yesterday().map_err(bad)?;
        Ok((to.first_of_month(), to))
    }
}

/// The next Monday (weekly) or 1st of a month (monthly) at 07:00 in `tz`, after `now`.
fn next_run(frequency: &str, now: Timestamp, tz: &TimeZone) -> Result<Timestamp> {
    let bad = |e: jiff::Error| ServiceError::Internal(format!("report schedule: {e}"));
    let today = now.to_zoned(tz.clone()).date();
    let mut day = if frequency == "weekly" {
        let back = i64::from(today.weekday().to_monday_zero_offset());
        today
            .checked_sub(jiff::Span::new().days(back))
            .map_err(bad)?
    } else {
        today.first_of_month()
    };
    loop {
        let at = day
            .at(7, 0, 0, 0)
            .to_zoned(tz.clone())
            .map_err(bad)?
            .timestamp();
        if at > now {
            return Ok(at);
        }
        day = if frequency == "weekly" {
            day.checked_add(jiff::Span::new().days(7)).map_err(bad)?
        } else {
            day.last_of_month().tomorrow().map_err(bad)?
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_read_in_parts_that_cover_every_id_once() {
        assert_eq!(parts(None, 4), vec![None]);
        assert_eq!(
            parts(Some((1, 50_000)), 4),
            vec![None],
            "few tickets: one part"
        );
        assert_eq!(
            parts(Some((1, 1_000_000)), 1),
            vec![None],
            "one core: one part"
        );
        for (low, high, most) in [
            (1, 1_000_000, 2),
            (1, 1_000_001, 2),
            (7, 250_000, 4),
            (1, 10_000_000, 4),
            (500_000, 700_001, 3),
        ] {
            let p = parts(Some((low, high)), most);
            assert!(
                p.len() > 1 && p.len() <= most,
                "{low}..{high} in {most}: {p:?}"
            );
            let ranges: Vec<(i64, i64)> = p.into_iter().map(|r| r.unwrap()).collect();
            assert_eq!(ranges[0].0, low);
            assert_eq!(ranges.last().unwrap().1, high);
            for w in ranges.windows(2) {
                assert_eq!(w[0].1 + 1, w[1].0, "no gap, no overlap: {ranges:?}");
            }
            for r in &ranges {
                assert!(r.0 <= r.1);
            }
        }
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn last_full_periods() {
        // Wednesday 2026-03-11: the week of 2–8 March; the month of February.
        assert_eq!(
            last_full_period("weekly", d("2026-03-11")).unwrap(),
            (d("2026-03-02"), d("2026-03-08"))
        );
        assert_eq!(
            last_full_period("weekly", d("2026-03-09")).unwrap(),
            (d("2026-03-02"), d("2026-03-08"))
        );
        assert_eq!(
            last_full_period("monthly", d("2026-03-01")).unwrap(),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            last_full_period("monthly", d("2026-01-15")).unwrap(),
            (d("2025-12-01"), d("2025-12-31"))
        );
    }

    #[test]
    fn next_runs_are_monday_or_the_first_at_seven_local() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let now: Timestamp = "2026-03-11T12:00:00Z".parse().unwrap();
        assert_eq!(
            next_run("weekly", now, &tz).unwrap(),
            "2026-03-16T06:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            next_run("monthly", now, &tz).unwrap(),
            // 1 April: summer time (UTC+2).
            "2026-04-01T05:00:00Z".parse::<Timestamp>().unwrap()
        );
        // Monday 06:30 local: today's 07:00 is still ahead.
        let early: Timestamp = "2026-03-16T05:30:00Z".parse().unwrap();
        assert_eq!(
            next_run("weekly", early, &tz).unwrap(),
            "2026-03-16T06:00:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn words() {
        assert_eq!(duration_words(Some(45 * 60_000)), "45 min");
        assert_eq!(duration_words(Some(210 * 60_000)), "3.5 h");
        assert_eq!(duration_words(Some(3 * 86_400_000)), "3.0 d");
        assert_eq!(duration_words(None), "–");
        assert_eq!(percent_words(Some(87.54)), "87.5 %");
    }
}
