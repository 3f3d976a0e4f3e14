//! A business calendar as people write it (and as it is stored and sent over the API): a time
//! zone, working hours per weekday as "HH:MM" text, and holidays; checked and turned into a
//! [`Calendar`]. Holidays can be imported from an iCalendar (.ics) file.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::{Calendar, Holiday, Interval};
use crate::DomainError;

/// Working hours: "09:00" to "17:00"; an end at or before the start runs past midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Hours {
    pub start: String,
    pub end: String,
}

/// A day off: one date, a range of dates (both included), or the same day every year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HolidayDef {
    #[serde(default)]
    pub name: String,
    /// "2026-12-24" (with `until`: the first day of a range).
    pub date: Option<String>,
    /// The last day of a range.
    pub until: Option<String>,
    /// "12-25": every year.
    pub yearly: Option<String>,
}

/// A calendar as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CalendarDef {
    /// An IANA time zone, e.g. "Europe/Berlin".
    pub time_zone: String,
    /// Seven days, Monday first; each a list of working hours (empty: a day off).
    pub week: Vec<Vec<Hours>>,
    #[serde(default)]
    pub holidays: Vec<HolidayDef>,
}

/// At most this many holidays and intervals per day (more is a mistake, not a calendar).
const MAX_HOLIDAYS: usize = 1000;
const MAX_INTERVALS: usize = 12;

fn bad(field: &'static str, msg: impl Into<String>) -> DomainError {
    DomainError::invalid(field, msg.into())
}

fn hhmm(s: &str) -> Result<Time, DomainError> {
    let t = s.trim();
    let (h, m) = t
        .split_once(':')
        .ok_or_else(|| bad("week", format!("{s:?} is not a time like 09:00")))?;
    let h: i8 = h
        .parse()
        .map_err(|_| bad("week", format!("{s:?} is not a time like 09:00")))?;
    let m: i8 = m
        .parse()
        .map_err(|_| bad("week", format!("{s:?} is not a time like 09:00")))?;
    if h == 24 && m == 0 {
        return Ok(Time::midnight());
    }
    Time::new(h, m, 0, 0).map_err(|_| bad("week", format!("{s:?} is not a time of day")))
}

fn date(field: &'static str, s: &str) -> Result<Date, DomainError> {
    s.trim()
        .parse()
        .map_err(|_| bad(field, format!("{s:?} is not a date like 2026-12-24")))
}

impl HolidayDef {
    fn to_holiday(&self) -> Result<Holiday, DomainError> {
        match (&self.date, &self.until, &self.yearly) {
            (Some(d), None, None) => Ok(Holiday::Date(date("holidays", d)?)),
            (Some(a), Some(b), None) => {
                let (a, b) = (date("holidays", a)?, date("holidays", b)?);
                if b < a {
                    return Err(bad("holidays", format!("{a} to {b} ends before it starts")));
                }
                Ok(Holiday::Range(a, b))
            }
            (None, None, Some(md)) => {
                let (m, d) = md
                    .trim()
                    .split_once('-')
                    .and_then(|(m, d)| Some((m.parse::<i8>().ok()?, d.parse::<i8>().ok()?)))
                    .ok_or_else(|| bad("holidays", format!("{md:?} is not a day like 12-25")))?;
                // Checked against a leap year, so that 02-29 is allowed.
                Date::new(2024, m, d)
                    .map_err(|_| bad("holidays", format!("{md:?} is not a day of the year")))?;
                Ok(Holiday::Yearly(m, d))
            }
            _ => Err(bad(
                "holidays",
                "a holiday has a date, a date and until, or yearly",
            )),
        }
    }
}

impl CalendarDef {
    /// Always open, in UTC.
    pub fn always() -> CalendarDef {
        CalendarDef {
            time_zone: "UTC".into(),
            week: vec![
                vec![Hours {
                    start: "00:00".into(),
                    end: "00:00".into()
                }];
                7
            ],
            holidays: Vec::new(),
        }
    }

    /// Checks it and makes the calendar the arithmetic works on.
    pub fn to_calendar(&self) -> Result<Calendar, DomainError> {
        let tz = TimeZone::get(self.time_zone.trim()).map_err(|_| {
            bad(
                "time_zone",
                format!(
                    "{:?} is not an IANA time zone such as Europe/Berlin",
                    self.time_zone
                ),
            )
        })?;
        if self.week.len() != 7 {
            return Err(bad("week", "seven days, Monday first"));
        }
        let mut week: [Vec<Interval>; 7] = Default::default();
        for (i, day) in self.week.iter().enumerate() {
            if day.len() > MAX_INTERVALS {
                return Err(bad(
                    "week",
                    format!("at most {MAX_INTERVALS} intervals a day"),
                ));
            }
            for h in day {
                week[i].push(Interval {
                    start: hhmm(&h.start)?,
                    end: hhmm(&h.end)?,
                });
            }
        }
        if self.holidays.len() > MAX_HOLIDAYS {
            return Err(bad("holidays", format!("at most {MAX_HOLIDAYS} holidays")));
        }
        let holidays = self
            .holidays
            .iter()
            .map(HolidayDef::to_holiday)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Calendar::new(tz, week, holidays))
    }
}

/// The holidays in an iCalendar file: each all-day `VEVENT` (its `SUMMARY` the name) becomes a
/// date, a range (with `DTEND`, which iCalendar counts exclusive) or, with `RRULE:FREQ=YEARLY`, a
/// yearly day. Timed events are not holidays and are skipped.
pub fn holidays_from_ical(text: &str) -> Result<Vec<HolidayDef>, DomainError> {
    // Unfold continuation lines (a line starting with a space or tab continues the previous).
    let mut lines: Vec<String> = Vec::new();
    for raw in text.lines() {
        let raw = raw.trim_end_matches('\r');
        if let Some(cont) = raw.strip_prefix([' ', '\t']) {
            if let Some(last) = lines.last_mut() {
                last.push_str(cont);
                continue;
            }
        }
        lines.push(raw.to_string());
    }
    if !lines.iter().any(|l| l.trim() == "BEGIN:VCALENDAR") {
        return Err(bad("file", "not an iCalendar file (no BEGIN:VCALENDAR)"));
    }
    let mut out = Vec::new();
    let mut event: Option<Event> = None;
    for l in &lines {
        let (key, value) = l.split_once(':').unwrap_or((l.as_str(), ""));
        let (name, params) = key.split_once(';').unwrap_or((key, ""));
        match name.to_ascii_uppercase().as_str() {
            "BEGIN" if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event {
                    all_day: true,
                    ..Event::default()
                });
            }
            "SUMMARY" => {
                if let Some(e) = event.as_mut() {
                    e.summary = value
                        .replace("\\,", ",")
                        .replace("\\;", ";")
                        .trim()
                        .to_string();
                }
            }
            "DTSTART" | "DTEND" => {
                if let Some(e) = event.as_mut() {
                    let all_day = params.to_ascii_uppercase().contains("VALUE=DATE")
                        && !params.to_ascii_uppercase().contains("VALUE=DATE-TIME")
                        || (value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()));
                    e.all_day &= all_day;
                    let v = Some(value.trim().to_string());
                    if name.eq_ignore_ascii_case("DTSTART") {
                        e.start = v;
                    } else {
                        e.end = v;
                    }
                }
            }
            "RRULE" => {
                if let Some(e) = event.as_mut() {
                    e.yearly = value.to_ascii_uppercase().contains("FREQ=YEARLY");
                }
            }
            "END" if value.eq_ignore_ascii_case("VEVENT") => {
                let Some(Event {
                    summary,
                    start,
                    end,
                    yearly,
                    all_day,
                }) = event.take()
                else {
                    continue;
                };
                let (Some(start), true) = (start, all_day) else {
                    continue;
                };
                let d = ical_date(&start)?;
                let last = match end {
                    Some(e) => ical_date(&e)?.yesterday().unwrap_or(d).max(d),
                    None => d,
                };
                out.push(if yearly {
                    HolidayDef {
                        name: summary,
                        date: None,
                        until: None,
                        yearly: Some(format!("{:02}-{:02}", d.month(), d.day())),
                    }
                } else {
                    HolidayDef {
                        name: summary,
                        date: Some(d.to_string()),
                        until: (last > d).then(|| last.to_string()),
                        yearly: None,
                    }
                });
                if out.len() > MAX_HOLIDAYS {
                    return Err(bad("file", format!("more than {MAX_HOLIDAYS} holidays")));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A `VEVENT` being read.
#[derive(Default)]
struct Event {
    summary: String,
    start: Option<String>,
    end: Option<String>,
    yearly: bool,
    all_day: bool,
}

fn ical_date(v: &str) -> Result<Date, DomainError> {
    let v = v.trim();
    let ok = v.len() >= 8 && v.as_bytes()[..8].iter().all(u8::is_ascii_digit);
    if !ok {
        return Err(bad("file", format!("{v:?} is not an iCalendar date")));
    }
    let n = |r: std::ops::Range<usize>| v[r].parse::<i16>().unwrap_or(0);
    Date::new(n(0..4), n(4..6) as i8, n(6..8) as i8)
        .map_err(|_| bad("file", format!("{v:?} is not a real date")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hours(a: &str, b: &str) -> Hours {
        Hours {
            start: a.into(),
            end: b.into(),
        }
    }

    #[test]
    fn a_written_calendar_becomes_one_that_counts() {
        let mut week = vec![vec![hours("08:00", "12:00"), hours("13:00", "17:00")]; 5];
        week.extend([vec![], vec![]]);
        let def = CalendarDef {
            time_zone: "Europe/Vienna".into(),
            week,
            holidays: vec![HolidayDef {
                name: "Christmas".into(),
                date: None,
                until: None,
                yearly: Some("12-25".into()),
            }],
        };
        let cal = def.to_calendar().unwrap();
        // Friday 2026-12-25 is a holiday: Thursday 16:00 Vienna + 2h = Monday 09:00 Vienna.
        let from: jiff::Timestamp = "2026-12-24T15:00:00Z".parse().unwrap();
        let due = cal.add(from, jiff::SignedDuration::from_hours(2)).unwrap();
        assert_eq!(
            due,
            "2026-12-28T08:00:00Z".parse::<jiff::Timestamp>().unwrap()
        );
        // It round-trips through JSON, as it is stored.
        let json = serde_json::to_string(&def).unwrap();
        assert_eq!(serde_json::from_str::<CalendarDef>(&json).unwrap(), def);
        assert!(CalendarDef::always().to_calendar().is_ok());
    }

    #[test]
    fn mistakes_are_named() {
        let mut def = CalendarDef::always();
        def.time_zone = "Mars/Olympus".into();
        assert!(def
            .to_calendar()
            .unwrap_err()
            .to_string()
            .contains("time zone"));
        let mut def = CalendarDef::always();
        def.week.pop();
        assert!(def.to_calendar().is_err());
        for bad_hours in ["9", "25:00", "09:61", "nine"] {
            let mut def = CalendarDef::always();
            def.week[0] = vec![hours(bad_hours, "17:00")];
            assert!(def.to_calendar().is_err(), "{bad_hours}");
        }
        for h in [
            HolidayDef {
                name: String::new(),
                date: Some("2026-13-01".into()),
                until: None,
                yearly: None,
            },
            HolidayDef {
                name: String::new(),
                date: Some("2026-05-02".into()),
                until: Some("2026-05-01".into()),
                yearly: None,
            },
            HolidayDef {
                name: String::new(),
                date: None,
                until: None,
                yearly: Some("02-30".into()),
            },
            HolidayDef {
                name: String::new(),
                date: None,
                until: None,
                yearly: None,
            },
        ] {
            let mut def = CalendarDef::always();
            def.holidays = vec![h.clone()];
            assert!(def.to_calendar().is_err(), "{h:?}");
        }
        let mut def = CalendarDef::always();
        def.holidays = vec![HolidayDef {
            name: String::new(),
            date: None,
            until: None,
            yearly: Some("02-29".into()),
        }];
        assert!(def.to_calendar().is_ok());
    }

    #[test]
    fn holidays_import_from_icalendar() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\
            BEGIN:VEVENT\r\nSUMMARY:New Year\r\nDTSTART;VALUE=DATE:20270101\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nSUMMARY:Company\r\n  retreat\r\nDTSTART;VALUE=DATE:20260810\r\nDTEND;VALUE=DATE:20260815\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nSUMMARY:Whit Monday\r\nDTSTART:20260525\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nSUMMARY:Team meeting\r\nDTSTART:20260525T100000Z\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let h = holidays_from_ical(ics).unwrap();
        assert_eq!(h.len(), 3, "{h:?}");
        assert_eq!(
            (h[0].name.as_str(), h[0].yearly.as_deref()),
            ("New Year", Some("01-01"))
        );
        assert_eq!(h[1].name, "Company retreat");
        assert_eq!(
            (h[1].date.as_deref(), h[1].until.as_deref()),
            (Some("2026-08-10"), Some("2026-08-14"))
        );
        assert_eq!(
            (h[2].date.as_deref(), h[2].until.as_deref()),
            (Some("2026-05-25"), None)
        );
        assert!(holidays_from_ical("not a calendar").is_err());
        assert!(holidays_from_ical(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026XX01\nEND:VEVENT\n"
        )
        .is_err());
    }
}
