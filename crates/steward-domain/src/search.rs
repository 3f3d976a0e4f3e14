//! The search box's query language: free text (words, `"phrases"`, `prefix*`, `-excluded`) and
//! field filters (`status:open`, `assignee:me`, `created:>2026-01-01`, `updated:<7d`, …), or `#1234`
//! to jump to a ticket. Parsing is pure: the caller passes `now` and the time zone that dates are
//! read in. What the filters mean and how they combine is in `docs/search.md`.
//!
//! Words are cut into their letters and digits the way the full-text indexes cut text
//! (`user@example.com` is the phrase `user example com`), so nothing a person types can change the
//! meaning of the index's own query syntax.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::ticket::{Priority, Status, TicketType};
use crate::{DomainError, Named, Timestamp};

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// The most words (counting each word of a phrase) and filters in one query.
pub const MAX_PARTS: usize = 32;

/// Free text to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A word; matches its other forms too (`printers` finds `printer`).
    Word(String),
    /// `back*`: any word that starts with it.
    Prefix(String),
    /// `"disk full"`: these words next to each other, in this order.
    Phrase(Vec<String>),
}

/// A span of time: from (inclusive) to (exclusive); either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Whom a person filter names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// `me`: the person searching.
    Me,
    /// `none`: nobody (an unassigned ticket).
    Nobody,
    /// An email address or (part of) a name.
    Named(String),
}

/// A field filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `status:` one status, or `unresolved` (any but resolved and closed).
    Status(Vec<Status>),
    Type(TicketType),
    Priority(Priority),
    Assignee(Who),
    Requester(Who),
    /// `team:` a team's name.
    Team(String),
    /// `org:` an organisation's name or mail domain.
    Org(String),
    Tag(String),
    Created(Span),
    Updated(Span),
}

impl Filter {
    /// The filter's field, as written in a query.
    pub fn field(&self) -> &'static str {
        match self {
            Filter::Status(_) => "status",
            Filter::Type(_) => "type",
            Filter::Priority(_) => "priority",
            Filter::Assignee(_) => "assignee",
            Filter::Requester(_) => "requester",
            Filter::Team(_) => "team",
            Filter::Org(_) => "org",
            Filter::Tag(_) => "tag",
            Filter::Created(_) => "created",
            Filter::Updated(_) => "updated",
        }
    }

    /// Whether the filter says something about tickets only (people, organisations and articles
    /// have no status or assignee, so a query with one finds tickets only).
    pub fn tickets_only(&self) -> bool {
        !matches!(
            self,
            Filter::Created(_) | Filter::Updated(_) | Filter::Tag(_)
        )
    }
}

/// A filter, or its negation (`-status:closed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub filter: Filter,
    pub negated: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// Every one must match (in the subject or one message of a ticket, or in an article).
    pub terms: Vec<Term>,
    /// None may match.
    pub excluded: Vec<Term>,
    pub clauses: Vec<Clause>,
    /// `#1234` on its own: go straight to the ticket of that number.
    pub jump: Option<i64>,
}

impl SearchQuery {
    /// Whether nothing was asked.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.clauses.is_empty() && self.jump.is_none()
    }

    /// Whether only tickets can match (a ticket-only filter was given).
    pub fn tickets_only(&self) -> bool {
        self.clauses.iter().any(|c| c.filter.tickets_only())
    }

    /// Parses a query. `now` and `zone` give meaning to `updated:<7d` and `created:>2026-01-01`
    /// (dates are whole days in `zone`).
    pub fn parse(text: &str, now: Timestamp, zone: &TimeZone) -> Result<SearchQuery, DomainError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(bad(format!(
                "a query is at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let mut q = SearchQuery::default();
        let mut parts = 0;
        let tokens = tokenize(text)?;
        if let [Token::Bare(only)] = tokens.as_slice() {
            if let Some(n) = only.strip_prefix('#') {
                if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                    let id = n
                        .parse::<i64>()
                        .ok()
                        .filter(|id| *id > 0)
                        .ok_or_else(|| bad(format!("there is no ticket #{n}")))?;
                    q.jump = Some(id);
                    return Ok(q);
                }
            }
        }
        for token in tokens {
            match token {
                Token::Phrase { negated, text } => {
                    let words = words_of(&text);
                    parts += words.len();
                    let term = match words.len() {
                        0 => continue,
                        1 => Term::Word(words.into_iter().next().unwrap_or_default()),
                        _ => Term::Phrase(words),
                    };
                    push_term(&mut q, term, negated);
                }
                Token::Bare(raw) => {
                    let (negated, body) = match raw.strip_prefix('-') {
                        Some(rest) if !rest.is_empty() => (true, rest),
                        _ => (false, raw.as_str()),
                    };
                    if let Some((name, value)) = body.split_once(':') {
                        if let Some(filter) = filter(name, value, now, zone)? {
                            parts += 1;
                            q.clauses.push(Clause { filter, negated });
                            continue;
                        }
                    }
                    let (body, prefix) = match body.strip_suffix('*') {
                        Some(b) => (b, true),
                        None => (body, false),
                    };
                    let words = words_of(body);
                    parts += words.len();
                    let term = match (words.len(), prefix) {
                        (0, _) => continue,
                        (1, true) => Term::Prefix(words.into_iter().next().unwrap_or_default()),
                        (1, false) => Term::Word(words.into_iter().next().unwrap_or_default()),
                        (_, _) => Term::Phrase(words),
                    };
                    push_term(&mut q, term, negated);
                }
            }
            if parts > MAX_PARTS {
                return Err(bad(format!(
                    "a query has at most {MAX_PARTS} words and filters"
                )));
            }
        }
        if q.terms.is_empty() && !q.excluded.is_empty() {
            return Err(bad(
                "say what to look for as well as what to leave out (a word, or a filter such as status:open)",
            ));
        }
        Ok(q)
    }
}

fn bad(message: impl Into<String>) -> DomainError {
    DomainError::invalid("q", message)
}

fn push_term(q: &mut SearchQuery, term: Term, negated: bool) {
    if negated {
        q.excluded.push(term);
    } else {
        q.terms.push(term);
    }
}

enum Token {
    /// A run of text without spaces (a `"…"` inside it ends it).
    Bare(String),
    /// `"…"`, possibly `-"…"`.
    Phrase { negated: bool, text: String },
}

fn tokenize(text: &str) -> Result<Vec<Token>, DomainError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&c) = chars.peek() else {
            return Ok(out);
        };
        let negated = c == '-' && {
            let mut ahead = chars.clone();
            ahead.next();
            ahead.peek() == Some(&'"')
        };
        if negated {
            chars.next();
        }
        if chars.next_if_eq(&'"').is_some() {
            let mut phrase = String::new();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => phrase.push(c),
                    None => {
                        return Err(bad(format!(
                            "the phrase \"{} is not closed: add a \" at its end",
                            phrase.trim()
                        )))
                    }
                }
            }
            out.push(Token::Phrase {
                negated,
                text: phrase,
            });
            continue;
        }
        let mut bare = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '"') {
            bare.push(c);
        }
        // `status:"pending requester"` and `org:"Acme Ltd"`: a quoted value belongs to its field.
        if bare.ends_with(':') && chars.peek() == Some(&'"') {
            chars.next();
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(bad(format!(
                            "the value of {bare} is not closed: add a \" at its end"
                        )))
                    }
                }
            }
            bare.push_str(&value);
        }
        out.push(Token::Bare(bare));
    }
}

/// The words of a piece of text as the full-text indexes see them: runs of letters and digits,
/// lower-cased.
pub fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// The words of a text worth matching on their own (for "articles like this"): at least three
/// letters, not among the most common English words, at most 12, each once.
pub fn significant_words(text: &str) -> Vec<String> {
    const COMMON: &[&str] = &[
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was",
        "one", "our", "out", "has", "his", "how", "its", "may", "new", "now", "see", "way", "who",
        "did", "get", "got", "let", "put", "say", "she", "too", "use", "with", "this", "that",
        "from", "have", "they", "will", "your", "what", "when", "where", "which", "there", "their",
        "been", "does", "into", "just", "some", "than", "then", "them", "very", "would", "could",
        "should", "about", "after", "again", "also", "please", "thanks", "hello", "help", "need",
        "keeps", "still", "since", "every", "cannot", "doesn", "isn", "won",
    ];
    let mut out: Vec<String> = Vec::new();
    for w in words_of(text) {
        if w.chars().count() >= 3 && !COMMON.contains(&w.as_str()) && !out.contains(&w) {
            out.push(w);
        }
        if out.len() == 12 {
            break;
        }
    }
    out
}

/// The filter `name:value`, `None` if `name` is no filter's name (the text is then searched for
/// as words, so that `error:0x80070005` pasted from a message still finds it).
fn filter(
    name: &str,
    value: &str,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<Option<Filter>, DomainError> {
    let name = name.to_ascii_lowercase();
    let known = [
        "status",
        "type",
        "priority",
        "assignee",
        "requester",
        "team",
        "org",
        "tag",
        "created",
        "updated",
    ];
    if !known.contains(&name.as_str()) {
        return Ok(None);
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(bad(format!(
            "{name}: needs a value, e.g. {}",
            example(&name)
        )));
    }
    let lower = value.to_lowercase();
    let named = |s: &str| s.replace([' ', '-'], "_");
    Ok(Some(match name.as_str() {
        "status" => Filter::Status(match lower.as_str() {
            "unresolved" => vec![
                Status::New,
                Status::Open,
                Status::PendingRequester,
                Status::PendingVendor,
            ],
            "pending" => vec![Status::PendingRequester, Status::PendingVendor],
            s => vec![Status::parse(&named(s)).map_err(|_| {
                bad(format!(
                    "status:{value} is no status; use one of {}, unresolved or pending",
                    Status::names()
                ))
            })?],
        }),
        "type" => Filter::Type(TicketType::parse(&named(&lower)).map_err(|_| {
            bad(format!(
                "type:{value} is no ticket type; use one of {}",
                TicketType::names()
            ))
        })?),
        "priority" => Filter::Priority(Priority::parse(&lower).map_err(|_| {
            bad(format!(
                "priority:{value} is no priority; use one of {}",
                Priority::names()
            ))
        })?),
        "assignee" => Filter::Assignee(who(&lower, value)),
        "requester" => Filter::Requester(who(&lower, value)),
        "team" => Filter::Team(value.to_string()),
        "org" => Filter::Org(value.to_string()),
        "tag" => Filter::Tag(lower),
        "created" => Filter::Created(span(&name, value, now, zone)?),
        "updated" => Filter::Updated(span(&name, value, now, zone)?),
        _ => return Ok(None),
    }))
}

fn example(name: &str) -> &'static str {
    match name {
        "status" => "status:open",
        "type" => "type:incident",
        "priority" => "priority:high",
        "assignee" => "assignee:me",
        "requester" => "requester:ann@example.com",
        "team" => "team:Network",
        "org" => "org:Acme",
        "tag" => "tag:vpn",
        "created" => "created:>2026-01-01",
        _ => "updated:<7d",
    }
}

fn who(lower: &str, value: &str) -> Who {
    match lower {
        "me" => Who::Me,
        "none" | "nobody" => Who::Nobody,
        _ => Who::Named(value.to_string()),
    }
}

/// `>2026-01-01`, `<=2026-03`, `2026-01-01..2026-01-31`, `<7d` (within the last 7 days), `>2w`
/// (longer ago than 2 weeks).
fn span(name: &str, value: &str, now: Timestamp, zone: &TimeZone) -> Result<Span, DomainError> {
    let unreadable = |why: &str| {
        bad(format!(
            "{name}:{value} {why}; write a date (2026-01-31), a month (2026-01), a range \
             (2026-01-01..2026-01-31) or an age (7d, 12h, 2w, 3mo, 1y), after <, >, <= or >="
        ))
    };
    if let Some((a, b)) = value.split_once("..") {
        let (from, _) = period(a, zone).ok_or_else(|| unreadable("has no start date"))?;
        let (_, to) = period(b, zone).ok_or_else(|| unreadable("has no end date"))?;
        if to <= from {
            return Err(unreadable("ends before it starts"));
        }
        return Ok(Span {
            from: Some(from),
            to: Some(to),
        });
    }
    let (op, rest) = ["<=", ">=", "<", ">", "="]
        .iter()
        .find_map(|op| value.strip_prefix(op).map(|r| (*op, r)))
        .unwrap_or(("=", value));
    if let Some(age) = age(rest) {
        let age = age.map_err(|why| unreadable(&why))?;
        let at = now
            .to_zoned(zone.clone())
            .checked_sub(age)
            .map(|z| z.timestamp())
            .map_err(|_| unreadable("reaches too far back"))?;
        // An age counts back from now: `<7d` is newer than 7 days ago, `>7d` older.
        return Ok(match op {
            "<" | "<=" => Span {
                from: Some(at),
                to: None,
            },
            ">" | ">=" => Span {
                from: None,
                to: Some(at),
            },
            _ => return Err(unreadable("needs < or > before an age")),
        });
    }
    let (start, end) = period(rest, zone).ok_or_else(|| unreadable("is not a date"))?;
    Ok(match op {
        ">" => Span {
            from: Some(end),
            to: None,
        },
        ">=" => Span {
            from: Some(start),
            to: None,
        },
        "<" => Span {
            from: None,
            to: Some(start),
        },
        "<=" => Span {
            from: None,
            to: Some(end),
        },
        _ => Span {
            from: Some(start),
            to: Some(end),
        },
    })
}

/// A day (`2026-01-31`), month (`2026-01`) or year (`2026`) as its first instant and the first
/// instant after it, in `zone`.
fn period(text: &str, zone: &TimeZone) -> Option<(Timestamp, Timestamp)> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let num = |s: &str, len: usize| -> Option<i16> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (first, next) = match parts.as_slice() {
        [y] => {
            let d = Date::new(num(y, 4)?, 1, 1).ok()?;
            (d, d.checked_add(jiff::Span::new().years(1)).ok()?)
        }
        [y, m] => {
            let d = Date::new(num(y, 4)?, num(m, 2)? as i8, 1).ok()?;
            (d, d.checked_add(jiff::Span::new().months(1)).ok()?)
        }
        [y, m, d] => {
            let d = Date::new(num(y, 4)?, num(m, 2)? as i8, num(d, 2)? as i8).ok()?;
            (d, d.tomorrow().ok()?)
        }
        _ => return None,
    };
    let at = |d: Date| d.to_zoned(zone.clone()).ok().map(|z| z.timestamp());
    Some((at(first)?, at(next)?))
}

/// An age such as `7d`: `None` if the text is not shaped like one, an error if its unit is unknown.
fn age(text: &str) -> Option<Result<jiff::Span, String>> {
    let digits = text.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits == text.len() {
        return None;
    }
    let (n, unit) = text.split_at(digits);
    if !unit.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let Ok(n) = n.parse::<i64>() else {
        return Some(Err("is too large".into()));
    };
    let n = n.min(100 * 366);
    let span = match unit.to_ascii_lowercase().as_str() {
        "h" | "hour" | "hours" => jiff::Span::new().try_hours(n),
        "d" | "day" | "days" => jiff::Span::new().try_days(n),
        "w" | "week" | "weeks" => jiff::Span::new().try_weeks(n),
        "mo" | "month" | "months" => jiff::Span::new().try_months(n.min(1200)),
        "y" | "year" | "years" => jiff::Span::new().try_years(n.min(100)),
        "m" => return Some(Err("has the unit m: write mo for months".into())),
        u => return Some(Err(format!("has the unknown unit {u:?}"))),
    };
    Some(span.map_err(|_| "is too large".to_string()))
}

/// A piece of a snippet: text as it was written, and whether it is a word that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// The part of `text` (spaces collapsed) around its first word that matches `terms`, about
/// `width` characters long, cut at word boundaries with "…" where cut, the matching words marked.
/// A word matches a word of the query when both have the same English stem (`printers` and
/// `printer`), or when it starts with a prefix term. Without a match, the start of the text.
pub fn snippet(text: &str, terms: &[Term], width: usize) -> Vec<Piece> {
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    let mut stems = std::collections::HashSet::new();
    let mut prefixes = Vec::new();
    for t in terms {
        match t {
            Term::Word(w) => {
                stems.insert(stemmer.stem(w).into_owned());
            }
            Term::Prefix(p) => prefixes.push(p.clone()),
            Term::Phrase(ws) => {
                for w in ws {
                    stems.insert(stemmer.stem(w).into_owned());
                }
            }
        }
    }
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = flat.chars().collect();
    // Words as ranges of characters.
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            words.push((start, i));
        } else {
            i += 1;
        }
    }
    let is_hit = |&(a, b): &(usize, usize)| {
        let w: String = chars[a..b].iter().collect::<String>().to_lowercase();
        prefixes.iter().any(|p| w.starts_with(p.as_str()))
            || stems.contains(stemmer.stem(&w).as_ref())
    };
    let first = words.iter().find(|w| is_hit(w)).map_or(0, |w| w.0);
    // Start a third of the width before the first match, at the start of a word.
    let mut start = first.saturating_sub(width / 3);
    if start > 0 {
        start = words
            .iter()
            .map(|w| w.0)
            .find(|&a| a >= start)
            .unwrap_or(first)
            .min(first);
    }
    let mut end = (start + width).min(chars.len());
    if end < chars.len() {
        // End at the end of a word.
        end = words
            .iter()
            .map(|w| w.1)
            .filter(|&b| b <= end && b > start)
            .max()
            .unwrap_or(end);
    }
    let mut out: Vec<Piece> = Vec::new();
    let mut push = |text: String, hit: bool| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if !last.hit && !hit => last.text.push_str(&text),
            _ => out.push(Piece { text, hit }),
        }
    };
    if start > 0 {
        push("…".into(), false);
    }
    let mut at = start;
    for w in words.iter().filter(|w| w.0 >= start && w.1 <= end) {
        if is_hit(w) {
            push(chars[at..w.0].iter().collect(), false);
            push(chars[w.0..w.1].iter().collect(), true);
            at = w.1;
        }
    }
    push(chars[at..end].iter().collect(), false);
    if end < chars.len() {
        push("…".into(), false);
    }
    out
}

/// Ranks the matches of a search the way BM25 does, from the matched texts themselves: for each
/// term, its occurrences in the subject (counted three times) and in the message, each saturating
/// (`k1 = 1.2`) and normalised by the text's length against a typical one (`b = 0.75`). Terms
/// match as in [`snippet`] (same English stem, or the start of a word for a prefix; a phrase's
/// words in a row). Unlike the database's own BM25 there is no weight for how rare a term is
/// overall: every ranked match has every term, and counting each term's rows over the whole
/// index cost SQLite more than the rest of a search together (see `docs/search.md`).
pub struct Scorer {
    stemmer: rust_stemmers::Stemmer,
    terms: Vec<ScoredTerm>,
    /// The first letters of every stem and prefix: only words that start so can match.
    starts: Vec<String>,
}

enum ScoredTerm {
    Stem(String),
    Prefix(String),
    Phrase(Vec<String>),
}

/// How many words a subject and a message typically have (the length BM25 normalises by).
const TYPICAL_SUBJECT: f64 = 6.0;
const TYPICAL_BODY: f64 = 80.0;

impl Scorer {
    pub fn new(terms: &[Term]) -> Scorer {
        let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
        let terms: Vec<ScoredTerm> = terms
            .iter()
            .map(|t| match t {
                Term::Word(w) => ScoredTerm::Stem(stemmer.stem(&w.to_lowercase()).into_owned()),
                Term::Prefix(p) => ScoredTerm::Prefix(p.to_lowercase()),
                Term::Phrase(ws) => ScoredTerm::Phrase(
                    ws.iter()
                        .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
                        .collect(),
                ),
            })
            .collect();
        // A stem and the word it came from share their first letters (happy → happi).
        let starts = terms
            .iter()
            .flat_map(|t| match t {
                ScoredTerm::Stem(s) | ScoredTerm::Prefix(s) => vec![s.as_str()],
                ScoredTerm::Phrase(ws) => ws.iter().map(String::as_str).collect(),
            })
            .map(|s| s.chars().take(3).collect())
            .collect();
        Scorer {
            stemmer,
            terms,
            starts,
        }
    }

    /// The score of a match: its subject's words and, for a message, the message's. Higher is
    /// better; 0 when no term occurs.
    pub fn score(&self, subject: &str, body: Option<&str>) -> f64 {
        self.subject(subject) + body.map_or(0.0, |b| self.body(b))
    }

    /// The subject's part of [`Scorer::score`] (the same for every message of a ticket).
    pub fn subject(&self, subject: &str) -> f64 {
        3.0 * self.text(subject, TYPICAL_SUBJECT)
    }

    /// A message's part of [`Scorer::score`].
    pub fn body(&self, body: &str) -> f64 {
        self.text(body, TYPICAL_BODY)
    }

    /// Whether a word could match a term (before its stem is worked out).
    fn could_match(&self, word: &str) -> bool {
        if word.is_ascii() {
            self.starts.iter().any(|s| {
                word.len() >= s.len()
                    && word.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes())
            })
        } else {
            let lower = word.to_lowercase();
            self.starts.iter().any(|s| lower.starts_with(s.as_str()))
        }
    }

    fn text(&self, text: &str, typical: f64) -> f64 {
        const K1: f64 = 1.2;
        const B: f64 = 0.75;
        // The words that could match: (position, word in lower case, its stem). Only those
        // are lower-cased and stemmed, so that long messages cost little.
        let mut hits: Vec<(usize, String, String)> = Vec::new();
        let mut length = 0usize;
        for w in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if self.could_match(w) {
                let lower = w.to_lowercase();
                let stem = self.stemmer.stem(&lower).into_owned();
                hits.push((length, lower, stem));
            }
            length += 1;
        }
        let stem_at = |pos: usize| {
            hits.binary_search_by_key(&pos, |h| h.0)
                .ok()
                .map(|i| hits[i].2.as_str())
        };
        let norm = K1 * (1.0 - B + B * length as f64 / typical);
        let mut score = 0.0;
        for t in &self.terms {
            let tf = match t {
                ScoredTerm::Stem(s) => hits.iter().filter(|h| &h.2 == s).count(),
                ScoredTerm::Prefix(p) => {
                    hits.iter().filter(|h| h.1.starts_with(p.as_str())).count()
                }
                ScoredTerm::Phrase(ws) => hits
                    .iter()
                    .filter(|h| {
                        !ws.is_empty()
                            && ws
                                .iter()
                                .enumerate()
                                .all(|(i, s)| stem_at(h.0 + i) == Some(s.as_str()))
                    })
                    .count(),
            } as f64;
            score += tf * (K1 + 1.0) / (tf + norm);
        }
        score
    }
}

#[cfg(test)]
mod tests;
