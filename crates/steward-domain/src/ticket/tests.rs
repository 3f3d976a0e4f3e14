use super::*;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

fn ticket() -> Ticket {
    Ticket {
        id: TicketId(1),
        number: 1001,
        ticket_type: TicketType::Incident,
        subject: "Printer jam".into(),
        status: Status::New,
        impact: Impact::Medium,
        urgency: Urgency::Medium,
        priority: Priority::Medium,
        category_id: None,
        requester_id: PersonId(7),
        organisation_id: Some(OrgId(3)),
        team_id: None,
        assignee_id: None,
        channel: Channel::Api,
        tags: vec![],
        created_at: at(0),
        updated_at: at(0),
        first_responded_at: None,
        resolved_at: None,
        closed_at: None,
        reopen_count: 0,
        sla_due_at: None,
        rating: None,
    }
}

#[test]
fn transition_table() {
    use Status::*;
    // Every pair, written out: (from, to, allowed).
    let allowed = [
        (
            New,
            [Open, PendingRequester, PendingVendor, Resolved, Closed].as_slice(),
        ),
        (Open, &[PendingRequester, PendingVendor, Resolved, Closed]),
        (PendingRequester, &[Open, PendingVendor, Resolved, Closed]),
        (PendingVendor, &[Open, PendingRequester, Resolved, Closed]),
        (Resolved, &[Open, Closed]),
        (Closed, &[]),
    ];
    for (from, tos) in allowed {
        for &to in Status::ALL {
            assert_eq!(from.can_become(to), tos.contains(&to), "{from:?} -> {to:?}");
        }
    }
}

#[test]
fn closed_to_pending_is_refused_and_leaves_the_ticket_alone() {
    let mut t = ticket();
    t.set_status(Status::Closed, at(10)).unwrap();
    let before = t.clone();
    let err = t
        .apply(
            TicketPatch {
                status: Some(Status::PendingRequester),
                subject: Some("changed".into()),
                ..Default::default()
            },
            at(20),
        )
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::InvalidTransition {
            from: Status::Closed,
            to: Status::PendingRequester
        }
    );
    assert_eq!(t, before);
}

#[test]
fn priority_matrix() {
    use Impact as I;
    use Priority as P;
    use Urgency as U;
    let table = [
        (I::High, U::High, P::Critical),
        (I::High, U::Medium, P::High),
        (I::High, U::Low, P::Medium),
        (I::Medium, U::High, P::High),
        (I::Medium, U::Medium, P::Medium),
        (I::Medium, U::Low, P::Low),
        (I::Low, U::High, P::Medium),
        (I::Low, U::Medium, P::Low),
        (I::Low, U::Low, P::Low),
    ];
    for (i, u, p) in table {
        assert_eq!(Priority::from_matrix(i, u), p, "{i:?} × {u:?}");
    }
}

#[test]
fn impact_change_rederives_priority_unless_priority_is_given() {
    let mut t = ticket();
    let changes = t
        .apply(
            TicketPatch {
                impact: Some(Impact::High),
                ..Default::default()
            },
            at(5),
        )
        .unwrap();
    assert_eq!(t.priority, Priority::High);
    assert_eq!(
        changes.iter().map(|c| c.field).collect::<Vec<_>>(),
        vec![Field::Impact, Field::Priority]
    );
    assert_eq!(t.updated_at, at(5));

    t.apply(
        TicketPatch {
            urgency: Some(Urgency::High),
            priority: Some(Priority::Low),
            ..Default::default()
        },
        at(6),
    )
    .unwrap();
    assert_eq!(t.priority, Priority::Low);
}

#[test]
fn unchanged_values_record_nothing() {
    let mut t = ticket();
    let changes = t
        .apply(
            TicketPatch {
                subject: Some("  Printer jam ".into()),
                status: Some(Status::New),
                impact: Some(Impact::Medium),
                ..Default::default()
            },
            at(9),
        )
        .unwrap();
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(t.updated_at, at(0));
}

#[test]
fn tags_are_normalised_sorted_and_recorded() {
    let mut t = ticket();
    let changes = t
        .apply(
            TicketPatch {
                add_tags: vec!["VPN".into(), "laptop".into(), "vpn".into()],
                ..Default::default()
            },
            at(1),
        )
        .unwrap();
    assert_eq!(t.tags, vec!["laptop", "vpn"]);
    assert_eq!(changes.len(), 2);
    let changes = t
        .apply(
            TicketPatch {
                remove_tags: vec!["vpn".into(), "absent".into()],
                ..Default::default()
            },
            at(2),
        )
        .unwrap();
    assert_eq!(t.tags, vec!["laptop"]);
    assert_eq!(
        changes,
        vec![Change {
            field: Field::Tags,
            old: Some("vpn".into()),
            new: None
        }]
    );
    let too_many = (0..=validate::MAX_TAGS).map(|i| format!("t{i}")).collect();
    assert!(t
        .apply(
            TicketPatch {
                add_tags: too_many,
                ..Default::default()
            },
            at(3)
        )
        .is_err());
    assert_eq!(t.tags, vec!["laptop"]);
}

#[test]
fn lifecycle_instants_follow_status() {
    let mut t = ticket();
    t.set_status(Status::Resolved, at(100)).unwrap();
    assert_eq!(t.resolved_at, Some(at(100)));
    // The requester answers: the ticket reopens.
    let changes = t
        .add_message(MessageKind::Public, false, None, at(200))
        .unwrap();
    assert_eq!(t.status, Status::Open);
    assert_eq!(t.resolved_at, None);
    assert_eq!(t.reopen_count, 1);
    assert_eq!(changes[0].new.as_deref(), Some("open"));
    t.set_status(Status::Resolved, at(300)).unwrap();
    t.set_status(Status::Closed, at(400)).unwrap();
    assert_eq!((t.resolved_at, t.closed_at), (Some(at(300)), Some(at(400))));
    assert_eq!(
        t.add_message(MessageKind::Public, false, None, at(500)),
        Err(DomainError::TicketClosed)
    );
}

#[test]
fn first_staff_reply_opens_and_counts_as_response_but_notes_do_not() {
    let mut t = ticket();
    t.add_message(MessageKind::Internal, true, None, at(10))
        .unwrap();
    assert_eq!((t.status, t.first_responded_at), (Status::New, None));
    t.add_message(MessageKind::Public, true, None, at(20))
        .unwrap();
    assert_eq!(
        (t.status, t.first_responded_at),
        (Status::Open, Some(at(20)))
    );
    // A later reply does not move the first response.
    t.add_message(
        MessageKind::Public,
        true,
        Some(Status::PendingRequester),
        at(30),
    )
    .unwrap();
    assert_eq!(
        (t.status, t.first_responded_at),
        (Status::PendingRequester, Some(at(20)))
    );
    // The requester's answer puts it back to open.
    t.add_message(MessageKind::Public, false, None, at(40))
        .unwrap();
    assert_eq!(t.status, Status::Open);
    // A requester's reply does not count as a response.
    let mut u = ticket();
    u.add_message(MessageKind::Public, false, None, at(10))
        .unwrap();
    assert_eq!((u.status, u.first_responded_at), (Status::New, None));
}

#[test]
fn names_round_trip() {
    fn all<T: Named + PartialEq + std::fmt::Debug>() {
        for &v in T::ALL {
            assert_eq!(T::parse(v.as_str()).unwrap(), v);
        }
        let err = T::parse("nonsense").unwrap_err().to_string();
        assert!(err.contains("expected one of"), "{err}");
    }
    all::<Status>();
    all::<TicketType>();
    all::<Impact>();
    all::<Urgency>();
    all::<Priority>();
    all::<Channel>();
    all::<MessageKind>();
    all::<Field>();
    for &p in Priority::ALL {
        assert_eq!(Priority::from_rank(p.rank()), Some(p));
    }
}

/// Every sequence of up to five steps (status changes and messages of every kind): the lifecycle
/// invariants hold after each step, and a refused step changes nothing.
#[test]
fn lifecycle_invariants_hold_for_every_short_sequence() {
    #[derive(Clone, Copy, Debug)]
    enum Step {
        To(Status),
        Msg(MessageKind, bool),
    }
    let mut steps: Vec<Step> = Status::ALL.iter().map(|&s| Step::To(s)).collect();
    for kind in [MessageKind::Public, MessageKind::Internal] {
        for staff in [true, false] {
            steps.push(Step::Msg(kind, staff));
        }
    }
    fn run(
        t: &mut Ticket,
        path: &mut Vec<Step>,
        steps: &[Step],
        depth: usize,
        reopens: i64,
    ) -> usize {
        let mut explored = 1;
        if depth == 0 {
            return explored;
        }
        for &step in steps {
            let before = t.clone();
            let now = at(1000 + path.len() as i64 * 60);
            let result = match step {
                Step::To(s) => t
                    .set_status(s, now)
                    .map(|c| c.into_iter().collect::<Vec<_>>()),
                Step::Msg(kind, staff) => t.add_message(kind, staff, None, now),
            };
            path.push(step);
            match result {
                Err(_) => assert_eq!(*t, before, "a refused step changed the ticket: {path:?}"),
                Ok(changes) => {
                    let reopened = before.status == Status::Resolved && t.status == Status::Open;
                    let reopens = reopens + i64::from(reopened);
                    assert_eq!(t.reopen_count, reopens, "{path:?}");
                    assert!(
                        before.status != Status::Closed || *t == before,
                        "closed is final: {path:?}"
                    );
                    assert_eq!(
                        t.resolved_at.is_some(),
                        matches!(t.status, Status::Resolved)
                            || (t.status == Status::Closed && before.resolved_at.is_some()),
                        "{path:?}"
                    );
                    assert_eq!(
                        t.closed_at.is_some(),
                        t.status == Status::Closed,
                        "{path:?}"
                    );
                    assert!(t.updated_at >= before.updated_at, "{path:?}");
                    assert_eq!(changes.is_empty(), t.status == before.status, "{path:?}");
                    if t.first_responded_at.is_some() {
                        assert!(
                            t.status != Status::New,
                            "a responded ticket is not new: {path:?}"
                        );
                    }
                    explored += run(t, path, steps, depth - 1, reopens);
                }
            }
            path.pop();
            *t = before;
        }
        explored
    }
    let mut t = ticket();
    let explored = run(&mut t, &mut Vec::new(), &steps, 5, 0);
    assert!(explored > 10_000, "only {explored} sequences explored");
}
