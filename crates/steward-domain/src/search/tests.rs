use super::*;
use proptest::prelude::*;

fn now() -> Timestamp {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn parse(q: &str) -> SearchQuery {
    SearchQuery::parse(q, now(), &berlin()).unwrap_or_else(|e| panic!("{q:?}: {e}"))
}

fn error(q: &str) -> String {
    match SearchQuery::parse(q, now(), &berlin()) {
        Ok(p) => panic!("{q:?} should be refused, got {p:?}"),
        Err(e) => e.to_string(),
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn word(w: &str) -> Term {
    Term::Word(w.into())
}

#[test]
fn free_text_words_phrases_prefixes_and_exclusions() {
    let q = parse(r#"Printer "paper jam" offl* -toner -"out of order""#);
    assert_eq!(
        q.terms,
        vec![
            word("printer"),
            Term::Phrase(vec!["paper".into(), "jam".into()]),
            Term::Prefix("offl".into()),
        ]
    );
    assert_eq!(
        q.excluded,
        vec![
            word("toner"),
            Term::Phrase(vec!["out".into(), "of".into(), "order".into()])
        ]
    );
    assert!(q.clauses.is_empty());
    assert_eq!(q.jump, None);
}

#[test]
fn punctuation_inside_a_word_makes_a_phrase_and_never_reaches_the_index() {
    let q = parse("ann@example.com");
    assert_eq!(
        q.terms,
        vec![Term::Phrase(vec![
            "ann".into(),
            "example".into(),
            "com".into()
        ])]
    );
    // The index's own operators are only punctuation or plain words to it.
    let q = parse(r#"NEAR(a b) a OR b ^c {x}:y"#);
    assert_eq!(
        q.terms,
        vec![
            Term::Phrase(vec!["near".into(), "a".into()]),
            word("b"),
            word("a"),
            word("or"),
            word("b"),
            word("c"),
            Term::Phrase(vec!["x".into(), "y".into()]),
        ]
    );
    // Nothing but punctuation is nothing to look for.
    assert!(parse(" *** -- () ").is_empty());
}

#[test]
fn unicode_words_are_kept_and_lowered() {
    assert_eq!(
        parse("Drücker Ωmega").terms,
        vec![word("drücker"), word("ωmega")]
    );
}

#[test]
fn filters() {
    let q = parse("vpn status:open type:incident priority:HIGH assignee:me team:Network org:\"Acme Ltd\" requester:ann@acme.example tag:VPN -status:closed");
    assert_eq!(q.terms, vec![word("vpn")]);
    let f: Vec<(Filter, bool)> = q
        .clauses
        .into_iter()
        .map(|c| (c.filter, c.negated))
        .collect();
    assert_eq!(
        f,
        vec![
            (Filter::Status(vec![Status::Open]), false),
            (Filter::Type(TicketType::Incident), false),
            (Filter::Priority(Priority::High), false),
            (Filter::Assignee(Who::Me), false),
            (Filter::Team("Network".into()), false),
            (Filter::Org("Acme Ltd".into()), false),
            (
                Filter::Requester(Who::Named("ann@acme.example".into())),
                false
            ),
            (Filter::Tag("vpn".into()), false),
            (Filter::Status(vec![Status::Closed]), true),
        ]
    );
    assert_eq!(
        parse("status:pending_requester").clauses[0].filter,
        Filter::Status(vec![Status::PendingRequester])
    );
    assert_eq!(
        parse("status:\"pending requester\"").clauses[0].filter,
        Filter::Status(vec![Status::PendingRequester])
    );
    assert_eq!(
        parse("type:service-request").clauses[0].filter,
        Filter::Type(TicketType::ServiceRequest)
    );
    assert_eq!(
        parse("status:unresolved").clauses[0].filter,
        Filter::Status(vec![
            Status::New,
            Status::Open,
            Status::PendingRequester,
            Status::PendingVendor
        ])
    );
    assert_eq!(
        parse("assignee:none").clauses[0].filter,
        Filter::Assignee(Who::Nobody)
    );
    assert!(parse("status:open").tickets_only());
    assert!(!parse("tag:vpn").tickets_only());
}

#[test]
fn unknown_field_names_are_searched_as_text() {
    let q = parse("error:0x80070005");
    assert_eq!(
        q.terms,
        vec![Term::Phrase(vec!["error".into(), "0x80070005".into()])]
    );
    assert!(q.clauses.is_empty());
}

#[test]
fn dates_are_whole_days_in_the_zone() {
    // Berlin is UTC+1 in January.
    let created = |q: &str| match parse(q).clauses.remove(0).filter {
        Filter::Created(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        created("created:>2026-01-01"),
        Span {
            from: Some(ts("2026-01-01T23:00:00Z")),
            to: None
        }
    );
    assert_eq!(
        created("created:>=2026-01-01"),
        Span {
            from: Some(ts("2025-12-31T23:00:00Z")),
            to: None
        }
    );
    assert_eq!(
        created("created:<2026-01-01"),
        Span {
            from: None,
            to: Some(ts("2025-12-31T23:00:00Z"))
        }
    );
    assert_eq!(
        created("created:<=2026-01-01"),
        Span {
            from: None,
            to: Some(ts("2026-01-01T23:00:00Z"))
        }
    );
    assert_eq!(
        created("created:2026-01-01"),
        Span {
            from: Some(ts("2025-12-31T23:00:00Z")),
            to: Some(ts("2026-01-01T23:00:00Z"))
        }
    );
    // A month, across the change to summer time (Berlin is UTC+2 from 29 March 2026).
    assert_eq!(
        created("created:2026-03"),
        Span {
            from: Some(ts("2026-02-28T23:00:00Z")),
            to: Some(ts("2026-03-31T22:00:00Z"))
        }
    );
    assert_eq!(
        created("created:2025"),
        Span {
            from: Some(ts("2024-12-31T23:00:00Z")),
            to: Some(ts("2025-12-31T23:00:00Z"))
        }
    );
    assert_eq!(
        created("created:2026-01-01..2026-01-31"),
        Span {
            from: Some(ts("2025-12-31T23:00:00Z")),
            to: Some(ts("2026-01-31T23:00:00Z"))
        }
    );
}

#[test]
fn ages_count_back_from_now() {
    let updated = |q: &str| match parse(q).clauses.remove(0).filter {
        Filter::Updated(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        updated("updated:<7d"),
        Span {
            from: Some(ts("2026-03-03T12:00:00Z")),
            to: None
        }
    );
    assert_eq!(
        updated("updated:>12h"),
        Span {
            from: None,
            to: Some(ts("2026-03-10T00:00:00Z"))
        }
    );
    assert_eq!(
        updated("updated:<2weeks"),
        Span {
            from: Some(ts("2026-02-24T12:00:00Z")),
            to: None
        }
    );
    // Months are calendar months in the zone.
    assert_eq!(
        updated("updated:<1mo"),
        Span {
            from: Some(ts("2026-02-10T12:00:00Z")),
            to: None
        }
    );
}

#[test]
fn a_ticket_number_alone_jumps_to_it() {
    assert_eq!(parse("#1234").jump, Some(1234));
    assert_eq!(parse("  #7 ").jump, Some(7));
    // With other words, it is text.
    let q = parse("#1234 printer");
    assert_eq!(q.jump, None);
    assert_eq!(q.terms, vec![word("1234"), word("printer")]);
    assert_eq!(parse("#vpn").terms, vec![word("vpn")]);
}

#[test]
fn malformed_queries_get_a_clear_error() {
    let cases = [
        ("\"paper jam", "not closed"),
        ("org:\"Acme", "not closed"),
        ("status:", "needs a value"),
        ("status:bogus", "is no status"),
        ("type:bug", "is no ticket type"),
        ("priority:urgent", "is no priority"),
        ("created:>yesterday", "is not a date"),
        ("created:2026-13-01", "is not a date"),
        ("created:2026-02-30", "is not a date"),
        ("updated:<7m", "write mo for months"),
        ("updated:<7fortnights", "unknown unit"),
        ("updated:7d", "needs < or >"),
        ("created:2026-02-01..2026-01-01", "ends before it starts"),
        ("created:..2026-01-01", "no start date"),
        ("-printer", "what to look for"),
        ("#0", "no ticket #0"),
        ("#99999999999999999999", "no ticket"),
    ];
    for (q, expected) in cases {
        let e = error(q);
        assert!(e.contains(expected), "{q:?} gave {e:?}");
        assert!(e.starts_with("q: "), "{q:?} gave {e:?}");
    }
    let long = "a ".repeat(300);
    assert!(error(&long).contains("at most 500 characters"));
    let many = "word ".repeat(40);
    assert!(error(&many).contains("at most 32"));
}

#[test]
fn significant_words_leave_out_the_common_ones() {
    assert_eq!(
        significant_words("The VPN keeps dropping every hour, and the VPN is slow"),
        ["vpn", "dropping", "hour", "slow"]
    );
    assert!(significant_words("it is on").is_empty());
}

fn marked(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| {
            if p.hit {
                format!("[{}]", p.text)
            } else {
                p.text.clone()
            }
        })
        .collect()
}

#[test]
fn snippets_mark_words_by_stem_and_prefix() {
    let q = parse("printers offl*");
    assert_eq!(
        marked(&snippet(
            "The printer on floor 3\n\n  is offline again.",
            &q.terms,
            200
        )),
        "The [printer] on floor 3 is [offline] again."
    );
    // A long text is cut around the first match, at word boundaries.
    let text = format!(
        "{} the VPN drops every hour {}",
        "word ".repeat(100),
        "tail ".repeat(100)
    );
    let s = marked(&snippet(&text, &parse("vpn").terms, 60));
    assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
    assert!(s.contains("the [VPN] drops every hour"), "{s}");
    assert!(s.chars().count() <= 64, "{s}");
    // No match: the start of the text.
    assert_eq!(
        marked(&snippet("short text", &parse("other").terms, 60)),
        "short text"
    );
    assert!(snippet("", &parse("x").terms, 60).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever is typed, parsing answers (a query or an error), and every word it keeps is made of
    /// letters and digits only, so that it cannot be read as the index's own syntax.
    #[test]
    fn any_text_parses_or_is_refused_and_words_are_clean(text in "\\PC{0,80}") {
        if let Ok(q) = SearchQuery::parse(&text, now(), &berlin()) {
            let words = q.terms.iter().chain(&q.excluded).flat_map(|t| match t {
                Term::Word(w) | Term::Prefix(w) => vec![w.clone()],
                Term::Phrase(ws) => ws.clone(),
            });
            for w in words {
                prop_assert!(!w.is_empty());
                prop_assert!(w.chars().all(char::is_alphanumeric), "{w:?}");
            }
        }
    }

    #[test]
    fn query_like_text_never_panics(text in "[-#\"*: a-z0-9<>=.]{0,60}") {
        let _ = SearchQuery::parse(&text, now(), &berlin());
    }
}

#[test]
fn scores_rank_like_bm25() {
    let words = |q: &str| parse(q).terms;
    let s = Scorer::new(&words("printer"));
    // Other forms of the word count; a subject counts three times a message.
    assert!(s.score("Printers", None) > 0.0);
    assert!(s.score("Printer jam", None) > s.score("Paper jam", Some("the printer jams")));
    // More occurrences score higher, with diminishing returns; a longer text dilutes them.
    let once = s.score("Help", Some("the printer is broken"));
    let twice = s.score("Help", Some("the printer is broken, the printer"));
    let thrice = s.score("Help", Some("the printer is broken, the printer, printer"));
    assert!(twice > once && thrice > twice && thrice - twice < twice - once);
    let long = format!("the printer is broken {}", "and more words ".repeat(50));
    assert!(s.score("Help", Some(&long)) < once);
    assert_eq!(s.score("Help", Some("nothing here")), 0.0);
    // Every term counts; prefixes and phrases.
    let both = Scorer::new(&words("vpn disconnects"));
    assert!(
        both.score("VPN", Some("it disconnected again")) > both.score("VPN", Some("it is slow"))
    );
    let prefix = Scorer::new(&words("certif*"));
    assert!(prefix.score("Certificate expired", None) > 0.0);
    assert_eq!(prefix.score("Cert expired", None), 0.0);
    let phrase = Scorer::new(&words("\"access denied\""));
    assert!(phrase.score("Access denied", None) > 0.0);
    assert_eq!(phrase.score("Denied access", None), 0.0);
    // Words whose stem does not start like the word (happy → happi) still match.
    let happy = Scorer::new(&words("happy"));
    assert!(happy.score("Not happy", None) > 0.0);
}
