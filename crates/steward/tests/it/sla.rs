//! Service levels over the API: calendars, policies and their precedence, and ticket clocks that
//! pause, resume, breach and follow a changed policy, with a clock the test controls.

use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

fn clock_of<'a>(sla: &'a Value, target: &str) -> &'a Value {
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["target"] == target)
        .unwrap_or_else(|| panic!("no {target} clock in {sla}"))
}

fn office_week() -> Value {
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    json!([day, day, day, day, day, [], []])
}

async fn service_levels_keep_time(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let acme = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Acme"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (ann, ann_token) = app
        .person("ann@acme.example", Role::Requester, Some(acme), false)
        .await;
    let (bob, _) = app
        .person("bob@else.example", Role::Requester, None, false)
        .await;

    // A calendar: office hours in Berlin, with a holiday imported from an iCalendar file.
    let berlin = expect(
        app.post(
            "/api/v1/calendars",
            &admin,
            json!({"name": "Berlin office", "time_zone": "Europe/Berlin", "week": office_week()}),
        )
        .await,
        201,
    );
    let berlin_id = berlin["id"].as_i64().unwrap();
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Labour Day\r\nDTSTART;VALUE=DATE:20260501\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let with_holiday = expect(
        app.post(
            &format!("/api/v1/calendars/{berlin_id}/holidays"),
            &admin,
            json!({"ical": ics}),
        )
        .await,
        200,
    );
    assert_eq!(with_holiday["holidays"][0]["yearly"], "05-01");
    // Mistakes are named; technicians may look but not change; requesters may not look.
    let bad = expect(
        app.post(
            "/api/v1/calendars",
            &admin,
            json!({"name": "Bad", "time_zone": "Mars/Base", "week": office_week()}),
        )
        .await,
        422,
    );
    assert_eq!(bad["error"]["field"], "time_zone");
    expect(app.get("/api/v1/calendars", &tech).await, 200);
    expect(
        app.post(
            "/api/v1/calendars",
            &tech,
            json!({"name": "Mine", "time_zone": "UTC", "week": office_week()}),
        )
        .await,
        403,
    );
    let (status, _) = app.get("/api/v1/calendars", &ann_token).await;
    assert!(status == 403 || status == 404, "{status}");

    // A default policy around the clock, and one for Acme in Berlin office hours.
    let targets = |first: u32, resolution: u32| json!({"first_response_minutes": first, "resolution_minutes": resolution});
    let default = expect(
        app.post(
            "/api/v1/sla-policies",
            &admin,
            json!({"name": "Standard", "is_default": true, "targets": {
                "critical": targets(15, 120), "high": targets(30, 240),
                "medium": targets(60, 480), "low": targets(240, 2400)}}),
        )
        .await,
        201,
    );
    expect(
        app.post(
            "/api/v1/sla-policies",
            &admin,
            json!({"name": "Acme", "position": 10, "calendar_id": berlin_id,
                   "applies": {"organisations": [acme]},
                   "targets": {"medium": targets(30, 120)}}),
        )
        .await,
        201,
    );
    let ticket = |requester: i64, subject: &'static str| {
        let admin = admin.clone();
        async move {
            expect(
                app.post(
                    "/api/v1/tickets",
                    &admin,
                    json!({"subject": subject, "requester_id": requester}),
                )
                .await,
                201,
            )["id"]
                .as_i64()
                .unwrap()
        }
    };
    // Monday 09:00 UTC (10:00 in Berlin).
    let bobs = ticket(bob, "Laptop slow").await;
    let anns = ticket(ann, "VPN down").await;
    let sla = |id: i64| {
        let tech = tech.clone();
        async move {
            expect(
                app.get(&format!("/api/v1/tickets/{id}/sla"), &tech).await,
                200,
            )
        }
    };
    let b = sla(bobs).await;
    assert_eq!(b["policy_name"], "Standard");
    assert_eq!(
        clock_of(&b, "first_response")["due_at"],
        "2026-03-02T10:00:00Z"
    );
    assert_eq!(clock_of(&b, "resolution")["due_at"], "2026-03-02T17:00:00Z");
    assert_eq!(clock_of(&b, "first_response")["state"], "running");
    let a = sla(anns).await;
    assert_eq!(a["policy_name"], "Acme");
    // Half an hour of Berlin business time after 10:00 Berlin.
    assert_eq!(
        clock_of(&a, "first_response")["due_at"],
        "2026-03-02T09:30:00Z"
    );
    // The queue sorts by the soonest due instant.
    let list = expect(
        app.get("/api/v1/tickets?sort=due&order=asc", &tech).await,
        200,
    );
    let order: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [anns, bobs]);
    assert_eq!(list["items"][0]["sla_due_at"], "2026-03-02T09:30:00Z");
    // The requester sees her own ticket's service level, not another's.
    expect(
        app.get(&format!("/api/v1/tickets/{anns}/sla"), &ann_token)
            .await,
        200,
    );
    expect(
        app.get(&format!("/api/v1/tickets/{bobs}/sla"), &ann_token)
            .await,
        404,
    );

    // 90 minutes later nobody has answered Bob: breached, 30 minutes overdue.
    app.clock.advance(jiff::SignedDuration::from_mins(90));
    let b = sla(bobs).await;
    let f = clock_of(&b, "first_response");
    assert_eq!(
        (f["state"].as_str(), f["remaining_minutes"].as_i64()),
        (Some("breached"), Some(-30))
    );

    // The pages show it: the queue's Due column, the ticket's service-level panel.
    let tech_id = app
        .service
        .get_person_by_email(&steward_domain::Actor::system(), "tech@msp.example")
        .await
        .unwrap()
        .id;
    app.service
        .set_password(
            &steward_domain::Actor::system(),
            tech_id,
            "a long enough password",
        )
        .await
        .unwrap();
    let cookie = app
        .session_cookie(&app.base, "tech@msp.example", "a long enough password")
        .await;
    let page = |path: String| {
        let (http, cookie, base) = (app.http.clone(), cookie.clone(), app.base.clone());
        async move {
            http.get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let queue = page("/agent?view=open&sort=due&order=asc".into()).await;
    assert!(queue.contains("class=\"due-over\""), "{queue}");
    assert!(queue.contains("overdue 30 min"), "{queue}");
    let number = expect(
        app.get(&format!("/api/v1/tickets/{bobs}"), &tech).await,
        200,
    )["number"]
        .as_i64()
        .unwrap();
    let ticket_page = page(format!("/agent/tickets/{number}")).await;
    assert!(ticket_page.contains("Service level") && ticket_page.contains("Standard"));
    assert!(ticket_page.contains("state-breached"), "{ticket_page}");

    // Waiting for Bob for two hours moves the resolution due instant by exactly two hours.
    let status = |id: i64, s: &'static str| {
        let tech = tech.clone();
        async move {
            expect(
                app.patch(
                    &format!("/api/v1/tickets/{id}"),
                    &tech,
                    json!({"status": s}),
                )
                .await,
                200,
            );
        }
    };
    status(bobs, "pending_requester").await;
    let b = sla(bobs).await;
    let r = clock_of(&b, "resolution");
    assert_eq!(r["state"], "paused");
    assert!(r["due_at"].is_null());
    assert_eq!(r["remaining_minutes"], 480 - 90);
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    status(bobs, "open").await;
    let b = sla(bobs).await;
    assert_eq!(clock_of(&b, "resolution")["due_at"], "2026-03-02T19:00:00Z");
    assert_eq!(clock_of(&b, "resolution")["state"], "running");

    // A staff reply stops the first-response clock (late).
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{bobs}/messages"),
            Some(&tech),
            Some(json!({"body": "Looking into it."})),
        )
        .await;
    assert_eq!(s, 201);
    let b = sla(bobs).await;
    let f = clock_of(&b, "first_response");
    assert_eq!(f["state"], "breached");
    assert_eq!(f["stopped_at"], "2026-03-02T12:30:00Z");

    // Changing the default policy re-targets open tickets at once.
    let id = default["id"].as_i64().unwrap();
    expect(
        app.call(
            Method::PUT,
            &format!("/api/v1/sla-policies/{id}"),
            Some(&admin),
            Some(json!({"name": "Standard", "is_default": true,
                        "targets": {"medium": targets(60, 960)}})),
        )
        .await,
        200,
    );
    let b = sla(bobs).await;
    assert_eq!(clock_of(&b, "resolution")["due_at"], "2026-03-03T03:00:00Z");
    let policies = expect(app.get("/api/v1/sla-policies", &tech).await, 200);
    let names: Vec<&str> = policies
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Standard", "Acme"]);
    // A calendar in use cannot go.
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/calendars/{berlin_id}"),
            Some(&admin),
            None,
        )
        .await,
        409,
    );
}
on_both!(service_levels_keep_time);

async fn escalations_fire_once_at_the_right_instants(app: &TestApp) {
    use steward_domain::{Actor, EventAction, Field, PersonId};
    use steward_service::{MailSettings, Mailbox, Service};
    let system = Actor::system();
    let svc = app.service.clone().with_mail(MailSettings {
        mailboxes: vec![Mailbox {
            address: "help@msp.example".into(),
            team: None,
            ticket_type: steward_domain::TicketType::Incident,
            category: None,
        }],
        send: true,
        ..Default::default()
    });
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (tina, _) = app
        .person("tina@msp.example", Role::Technician, None, false)
        .await;
    let (lena, _) = app
        .person("lena@msp.example", Role::Technician, None, false)
        .await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let team = svc
        .create_team(
            &system,
            steward_service::NewTeam {
                name: "Desk".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    svc.set_team_member(&system, team.id, PersonId(tina), false)
        .await
        .unwrap();
    svc.set_team_member(&system, team.id, PersonId(lena), true)
        .await
        .unwrap();
    expect(
        app.post(
            "/api/v1/sla-policies",
            &admin,
            json!({"name": "Standard", "is_default": true, "warn_percent": 75,
                   "targets": {"medium": {"first_response_minutes": 60, "resolution_minutes": 240}}}),
        )
        .await,
        201,
    );
    let t = svc
        .create_ticket(
            &system,
            steward_service::CreateTicket {
                subject: "Printer".into(),
                requester_id: Some(PersonId(ann)),
                team_id: Some(team.id),
                assignee_id: Some(PersonId(tina)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let escalations = |svc: Service| async move {
        svc.history(&Actor::system(), t.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|h| {
                h.change
                    .as_ref()
                    .is_some_and(|c| c.field == Field::ServiceLevel)
            })
            .map(|h| (h.action, h.change.unwrap().new.unwrap()))
            .collect::<Vec<_>>()
    };
    let sent_to = |kind: &'static str| async move {
        let mut c = app.store.read().await.unwrap();
        let mut to: Vec<String> = c
            .list_outbox(100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.mail.kind == kind)
            .map(|e| e.mail.to)
            .collect();
        to.sort();
        to
    };

    // Nothing is due at first; a minute before the warning share (75 % of an hour), still nothing.
    assert_eq!(svc.run_due_jobs(10).await.unwrap().done, 0);
    app.clock.advance(jiff::SignedDuration::from_mins(44));
    assert_eq!(svc.run_due_jobs(10).await.unwrap().done, 0);
    assert!(escalations(svc.clone()).await.is_empty());
    // At 45 minutes the warning fires, once, to the assignee.
    app.clock.advance(jiff::SignedDuration::from_mins(1));
    assert_eq!(svc.run_due_jobs(10).await.unwrap().done, 1);
    assert_eq!(
        escalations(svc.clone()).await,
        [(EventAction::SlaWarning, "first_response".to_string())]
    );
    assert_eq!(sent_to("sla_warning").await, ["tina@msp.example"]);
    assert_eq!(svc.run_due_jobs(10).await.unwrap().done, 0);
    // At the hour the breach fires, to the assignee and the team lead.
    app.clock.advance(jiff::SignedDuration::from_mins(15));
    assert_eq!(svc.run_due_jobs(10).await.unwrap().done, 1);
    assert_eq!(
        escalations(svc.clone()).await,
        [
            (EventAction::SlaWarning, "first_response".to_string()),
            (EventAction::SlaBreach, "first_response".to_string())
        ]
    );
    assert_eq!(
        sent_to("sla_breach").await,
        ["lena@msp.example", "tina@msp.example"]
    );
    // Running again, later, fires nothing twice (the resolution warning comes at 3 h).
    app.clock.advance(jiff::SignedDuration::from_mins(30));
    svc.run_due_jobs(10).await.unwrap();
    assert_eq!(escalations(svc.clone()).await.len(), 2);
    app.clock.advance(jiff::SignedDuration::from_mins(90));
    assert_eq!(svc.run_due_jobs(10).await.unwrap().done, 1);
    assert_eq!(
        escalations(svc.clone()).await.last().unwrap(),
        &(EventAction::SlaWarning, "resolution".to_string())
    );

    // Many tickets due at once, two workers (as two Steward processes, the second started after
    // the tickets were made): each job runs once.
    for i in 0..20 {
        svc.create_ticket(
            &system,
            steward_service::CreateTicket {
                subject: format!("Batch {i}"),
                requester_id: Some(PersonId(ann)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    app.clock.advance(jiff::SignedDuration::from_mins(50));
    let other = Service::new(app.reopen().await, app.clock.clone());
    let (a, b) = tokio::join!(svc.run_due_jobs(100), other.run_due_jobs(100));
    let (a, b) = (a.unwrap(), b.unwrap());
    // 20 first-response warnings, plus the first ticket's resolution breach check (not yet due:
    // not run).
    assert_eq!(a.done + b.done, 20, "{a:?} {b:?}");
    assert!(expect(app.get("/api/v1/jobs/failed", &admin).await, 200)
        .as_array()
        .unwrap()
        .is_empty());

    // Jobs a worker claimed but gave back unrun (its batch ran out of time) are due again at once
    // for another worker, and the claim does not count as an attempt.
    {
        let now = app.clock_now();
        let later = now.checked_add(jiff::SignedDuration::from_mins(5)).unwrap();
        let mut tx = app.store.write().await.unwrap();
        for key in ["given-back-1", "given-back-2"] {
            tx.schedule_job("from_the_future", None, "", Some(key), now, now)
                .await
                .unwrap();
        }
        let claimed = tx.claim_due_jobs(now, later, "first", 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(tx
            .claim_due_jobs(now, later, "second", 10)
            .await
            .unwrap()
            .is_empty());
        let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
        // Another holder's token gives nothing back.
        tx.release_jobs(&ids, "second").await.unwrap();
        assert!(tx
            .claim_due_jobs(now, later, "second", 10)
            .await
            .unwrap()
            .is_empty());
        tx.release_jobs(&ids, "first").await.unwrap();
        let again = tx.claim_due_jobs(now, later, "second", 10).await.unwrap();
        assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), ids);
        assert!(again.iter().all(|j| j.attempts == 1), "{again:?}");
        // A claimed job is still pending: cancelling removes it.
        tx.cancel_jobs(&["given-back-1".to_string(), "given-back-2".to_string()])
            .await
            .unwrap();
        assert!(tx.pending_job("given-back-1").await.unwrap().is_none());
        assert!(tx.pending_job("given-back-2").await.unwrap().is_none());
        tx.commit().await.unwrap();
    }

    // A job that keeps failing is retried with back-off, then kept in the failed list.
    {
        let mut tx = app.store.write().await.unwrap();
        tx.schedule_job(
            "from_the_future",
            None,
            "",
            None,
            app.clock_now(),
            app.clock_now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let mut retried = 0;
    for _ in 0..10 {
        let r = svc.run_due_jobs(10).await.unwrap();
        retried += r.retrying;
        if r.failed > 0 {
            break;
        }
        app.clock.advance(jiff::SignedDuration::from_hours(12));
    }
    assert_eq!(retried, 4);
    let failed = expect(app.get("/api/v1/jobs/failed", &admin).await, 200);
    assert_eq!(failed[0]["kind"], "from_the_future");
    assert_eq!(failed[0]["attempts"], 5);
    assert!(failed[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("from_the_future"));
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    expect(app.get("/api/v1/jobs/failed", &tech).await, 403);
}
on_both!(escalations_fire_once_at_the_right_instants);

async fn a_breach_escalates_as_the_policy_says(app: &TestApp) {
    use steward_domain::{Actor, PersonId, Priority};
    use steward_service::{MailSettings, Mailbox};
    let system = Actor::system();
    let svc = app.service.clone().with_mail(MailSettings {
        mailboxes: vec![Mailbox {
            address: "help@msp.example".into(),
            team: None,
            ticket_type: steward_domain::TicketType::Incident,
            category: None,
        }],
        send: true,
        ..Default::default()
    });
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    app.person("maria@msp.example", Role::Manager, None, false)
        .await;
    let (tina, _) = app
        .person("tina@msp.example", Role::Technician, None, false)
        .await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let team = |name: &'static str| {
        let svc = svc.clone();
        async move {
            svc.create_team(
                &Actor::system(),
                steward_service::NewTeam {
                    name: name.into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap()
        }
    };
    let desk = team("Desk").await;
    let second = team("Second line").await;
    let bad = expect(
        app.post(
            "/api/v1/sla-policies",
            &admin,
            json!({"name": "X", "targets": {}, "escalation": {"reassign_to_team": 999}}),
        )
        .await,
        422,
    );
    assert_eq!(bad["error"]["field"], "escalation");
    expect(
        app.post(
            "/api/v1/sla-policies",
            &admin,
            json!({"name": "Strict", "is_default": true,
                   "targets": {"medium": {"first_response_minutes": 30}},
                   "escalation": {"notify_assignee": true, "notify_team_leads": false,
                                  "notify_managers": true, "reassign_to_team": second.id.0,
                                  "raise_priority": true}}),
        )
        .await,
        201,
    );
    let t = svc
        .create_ticket(
            &system,
            steward_service::CreateTicket {
                subject: "Server down".into(),
                requester_id: Some(PersonId(ann)),
                team_id: Some(desk.id),
                assignee_id: Some(PersonId(tina)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.clock.advance(jiff::SignedDuration::from_mins(30));
    svc.run_due_jobs(10).await.unwrap();
    let t = svc.get_ticket(&system, t.id).await.unwrap();
    assert_eq!(
        (t.team_id, t.assignee_id, t.priority),
        (Some(second.id), None, Priority::High),
        "moved to the escalation team, unassigned, one priority up"
    );
    let mut breach_to: Vec<String> = app
        .store
        .read()
        .await
        .unwrap()
        .list_outbox(50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.mail.kind == "sla_breach")
        .map(|e| e.mail.to)
        .collect();
    breach_to.sort();
    assert_eq!(breach_to, ["maria@msp.example", "tina@msp.example"]);
    // It happens once: later checks change nothing more.
    app.clock.advance(jiff::SignedDuration::from_hours(5));
    svc.run_due_jobs(10).await.unwrap();
    let again = svc.get_ticket(&system, t.id).await.unwrap();
    assert_eq!(again.priority, Priority::High);
}
on_both!(a_breach_escalates_as_the_policy_says);

async fn resolved_tickets_close_by_themselves(app: &TestApp) {
    use steward_domain::{Actor, PersonId, Status};
    let system = Actor::system();
    let svc = app.service.clone().with_auto_close(3);
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let new = |subject: &'static str| {
        let svc = svc.clone();
        async move {
            svc.create_ticket(
                &Actor::system(),
                steward_service::CreateTicket {
                    subject: subject.into(),
                    requester_id: Some(PersonId(ann)),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    let set = |id, status| {
        let svc = svc.clone();
        async move {
            svc.update_ticket(
                &Actor::system(),
                id,
                steward_service::TicketUpdate {
                    status: Some(status),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
    };
    let a = new("Resolved and left").await;
    let b = new("Reopened").await;
    set(a.id, Status::Resolved).await;
    set(b.id, Status::Resolved).await;
    app.clock.advance(jiff::SignedDuration::from_hours(24));
    set(b.id, Status::Open).await;
    // Two days and 23 hours after resolving: still resolved.
    app.clock.advance(jiff::SignedDuration::from_hours(47));
    svc.run_due_jobs(10).await.unwrap();
    assert_eq!(
        svc.get_ticket(&system, a.id).await.unwrap().status,
        Status::Resolved
    );
    // Three days: closed, by Steward; the reopened one is left alone.
    app.clock.advance(jiff::SignedDuration::from_hours(1));
    assert_eq!(svc.run_due_jobs(10).await.unwrap().done, 1);
    assert_eq!(
        svc.get_ticket(&system, a.id).await.unwrap().status,
        Status::Closed
    );
    assert_eq!(
        svc.get_ticket(&system, b.id).await.unwrap().status,
        Status::Open
    );
    let last = svc.history(&system, a.id).await.unwrap().pop().unwrap();
    assert_eq!(last.actor_id, None);
}
on_both!(resolved_tickets_close_by_themselves);

async fn teams_hand_out_tickets_to_who_is_there(app: &TestApp) {
    use reqwest::Method;
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let mut techs = Vec::new();
    for name in ["t1", "t2", "t3"] {
        techs.push(
            app.person(
                &format!("{name}@msp.example"),
                Role::Technician,
                None,
                false,
            )
            .await,
        );
    }
    let (ann, ann_token) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let team = expect(
        app.post("/api/v1/teams", &admin, json!({"name": "Desk"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    for (id, _) in &techs {
        let (s, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/teams/{team}/members/{id}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, 200);
    }
    let put = |path: String, token: String, body: Value| async move {
        app.call(Method::PUT, &path, Some(&token), Some(body)).await
    };
    // t2 is away (as they say themselves); nobody else may say so for them but a manager/admin.
    let (t2, t2_token) = techs[1].clone();
    assert_eq!(
        put(
            format!("/api/v1/people/{t2}/away"),
            t2_token.clone(),
            json!({"away": true})
        )
        .await
        .0,
        200
    );
    let (t1, t1_token) = techs[0].clone();
    assert_eq!(
        put(
            format!("/api/v1/people/{t2}/away"),
            t1_token.clone(),
            json!({"away": false})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        put(
            format!("/api/v1/people/{ann}/away"),
            ann_token.clone(),
            json!({"away": true})
        )
        .await
        .0,
        403
    );
    expect(
        put(
            format!("/api/v1/teams/{team}/assignment"),
            admin.clone(),
            json!({"mode": "round_robin"}),
        )
        .await,
        200,
    );
    assert_eq!(
        put(
            format!("/api/v1/teams/{team}/assignment"),
            t1_token.clone(),
            json!({"mode": null}),
        )
        .await
        .0,
        403
    );
    let open = |subject: String| {
        let admin = admin.clone();
        async move {
            expect(
                app.post(
                    "/api/v1/tickets",
                    &admin,
                    json!({"subject": subject, "requester_id": ann, "team_id": team}),
                )
                .await,
                201,
            )
        }
    };
    let t3 = techs[2].0;
    let mut got = Vec::new();
    for i in 0..4 {
        got.push(
            open(format!("Round {i}")).await["assignee_id"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(got, [t1, t3, t1, t3], "in turn, skipping who is away");

    // Least open: t3 resolves one, so holds fewer; then t2 comes back with none.
    expect(
        put(
            format!("/api/v1/teams/{team}/assignment"),
            admin.clone(),
            json!({"mode": "least_open"}),
        )
        .await,
        200,
    );
    let list = expect(
        app.get("/api/v1/tickets?assignee=none&limit=50", &admin)
            .await,
        200,
    );
    assert!(list["items"].as_array().unwrap().is_empty());
    let t3_ticket = expect(
        app.get(&format!("/api/v1/tickets?assignee={t3}"), &admin)
            .await,
        200,
    )["items"][0]["id"]
        .as_i64()
        .unwrap();
    expect(
        app.patch(
            &format!("/api/v1/tickets/{t3_ticket}"),
            &admin,
            json!({"status": "resolved"}),
        )
        .await,
        200,
    );
    assert_eq!(open("Least 1".into()).await["assignee_id"], t3);
    put(
        format!("/api/v1/people/{t2}/away"),
        t2_token,
        json!({"away": false}),
    )
    .await;
    assert_eq!(open("Least 2".into()).await["assignee_id"], t2);

    // A ticket given an assignee keeps it; one unassigned later is not taken back.
    let own = expect(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"subject": "Mine", "requester_id": ann, "team_id": team, "assignee_id": t1}),
        )
        .await,
        201,
    );
    assert_eq!(own["assignee_id"], t1);
    let id = own["id"].as_i64().unwrap();
    let after = expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &admin,
            json!({"assignee_id": null}),
        )
        .await,
        200,
    );
    assert!(after["assignee_id"].is_null());
    let mode = expect(
        app.get(&format!("/api/v1/teams/{team}/assignment"), &t1_token)
            .await,
        200,
    );
    assert_eq!(mode["mode"], "least_open");
}
on_both!(teams_hand_out_tickets_to_who_is_there);

async fn rules_act_on_events_in_order_without_loops(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let network = expect(
        app.post("/api/v1/teams", &admin, json!({"name": "Network"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let rule = |body: Value| {
        let admin = admin.clone();
        async move { app.post("/api/v1/rules", &admin, body).await }
    };
    expect(
        rule(json!({"name": "VPN to network", "position": 10, "triggers": ["created"],
            "conditions": {"all": [{"field": "subject", "op": "contains", "value": "vpn"}]},
            "actions": [{"do": "set_team", "team": network}, {"do": "set_priority", "priority": "high"},
                        {"do": "add_tag", "tag": "network"},
                        {"do": "add_note", "text": "Check the VPN concentrator first."}],
            "stop": true}))
        .await,
        201,
    );
    expect(
        rule(
            json!({"name": "Everything new", "position": 20, "triggers": ["created"],
            "actions": [{"do": "add_tag", "tag": "triage"}]}),
        )
        .await,
        201,
    );
    expect(
        rule(
            json!({"name": "High when touched", "position": 30, "triggers": ["updated"],
            "conditions": {"all": [{"field": "priority", "op": "is", "value": "high"}]},
            "actions": [{"do": "add_tag", "tag": "escalated"}]}),
        )
        .await,
        201,
    );
    expect(
        rule(
            json!({"name": "Answers", "position": 40, "triggers": ["message_added"],
            "conditions": {"any": [{"field": "tag", "op": "is", "value": "network"}]},
            "actions": [{"do": "add_tag", "tag": "answered"}]}),
        )
        .await,
        201,
    );
    // Mistakes are named; technicians may look, not change.
    let bad = expect(
        rule(json!({"name": "Bad", "triggers": ["created"],
            "conditions": {"all": [{"field": "status", "op": "is", "value": "sleeping"}]},
            "actions": [{"do": "add_tag", "tag": "x"}]}))
        .await,
        422,
    );
    assert_eq!(bad["error"]["field"], "conditions");
    expect(
        app.post("/api/v1/rules", &tech, json!({"name": "Mine", "triggers": ["created"], "actions": [{"do": "add_tag", "tag": "x"}]}))
            .await,
        403,
    );
    assert_eq!(
        expect(app.get("/api/v1/rules", &tech).await, 200)
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let open = |subject: &'static str| {
        let admin = admin.clone();
        async move {
            expect(
                app.post(
                    "/api/v1/tickets",
                    &admin,
                    json!({"subject": subject, "requester_id": ann}),
                )
                .await,
                201,
            )
        }
    };
    // The first matching rule acts and stops the rest; its own changes set off no rules.
    let vpn = open("VPN down in Vienna").await;
    assert_eq!(vpn["team_id"], network);
    assert_eq!(vpn["priority"], "high");
    assert_eq!(vpn["tags"], json!(["network"]));
    let id = vpn["id"].as_i64().unwrap();
    let notes = expect(
        app.get(&format!("/api/v1/tickets/{id}/messages"), &tech)
            .await,
        200,
    );
    let note = notes
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "internal")
        .unwrap();
    assert!(note["author_id"].is_null());
    assert_eq!(note["body"], "Check the VPN concentrator first.");
    let printer = open("Printer jams").await;
    assert_eq!(printer["tags"], json!(["triage"]));

    // Someone's change sets off the "updated" rules, once.
    let changed = expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &tech,
            json!({"subject": "VPN down in Vienna office"}),
        )
        .await,
        200,
    );
    assert_eq!(changed["tags"], json!(["escalated", "network"]));
    // A message sets off the "message added" rules.
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &tech,
            json!({"body": "On it."}),
        )
        .await,
        201,
    );
    let t = expect(app.get(&format!("/api/v1/tickets/{id}"), &tech).await, 200);
    assert_eq!(t["tags"], json!(["answered", "escalated", "network"]));
    let history = expect(
        app.get(&format!("/api/v1/tickets/{id}/history"), &tech)
            .await,
        200,
    );
    assert!(history
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["actor_id"].is_null() && h["field"] == "team"));

    // Test mode names the open tickets a rule's conditions match, and changes nothing.
    let matched = expect(
        app.post(
            "/api/v1/rules/test",
            &tech,
            json!({"name": "t", "triggers": ["updated"],
            "conditions": {"all": [{"field": "tag", "op": "is", "value": "triage"}]},
            "actions": [{"do": "set_status", "status": "closed"}]}),
        )
        .await,
        200,
    );
    assert_eq!(matched, json!([printer["number"]]));
    let p = expect(
        app.get(&format!("/api/v1/tickets/{}", printer["id"]), &tech)
            .await,
        200,
    );
    assert_eq!(p["status"], "new");
}
on_both!(rules_act_on_events_in_order_without_loops);

async fn downtime_is_measured_against_the_monthly_commitment(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (_, ann) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let acme = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Acme"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let commit = |org: Option<i64>, max: i64| {
        let admin = admin.clone();
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/v1/downtime-commitments",
                Some(&admin),
                Some(json!({"service": "Email", "organisation_id": org, "max_minutes_per_month": max})),
            )
            .await
        }
    };
    expect(commit(None, 120).await, 200);
    expect(commit(Some(acme), 60).await, 200);
    // Set again: replaced, not doubled.
    expect(commit(Some(acme), 90).await, 200);
    let record = |body: Value| {
        let tech = tech.clone();
        async move { app.post("/api/v1/downtimes", &tech, body).await }
    };
    // An hour for everyone, and 45 minutes for Acme only (overlapping by 15), and one across the
    // end of March.
    expect(
        record(json!({"service": "Email", "started_at": "2026-03-02T10:00:00Z", "ended_at": "2026-03-02T11:00:00Z"}))
            .await,
        201,
    );
    expect(
        record(json!({"service": "email", "organisation_id": acme, "started_at": "2026-03-02T10:45:00Z",
                      "ended_at": "2026-03-02T11:30:00Z", "note": "Acme's mail gateway"}))
            .await,
        201,
    );
    let ongoing = expect(
        record(json!({"service": "Email", "started_at": "2026-03-31T23:30:00Z"})).await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    expect(
        app.call(
            reqwest::Method::POST,
            &format!("/api/v1/downtimes/{ongoing}/end"),
            Some(&tech),
            Some(json!({"ended_at": "2026-04-01T00:30:00Z"})),
        )
        .await,
        200,
    );
    // Mistakes are refused.
    expect(
        record(json!({"service": "Email", "started_at": "2026-03-02T10:00:00Z", "ended_at": "2026-03-02T09:00:00Z"}))
            .await,
        422,
    );
    let (status, _) = app
        .post(
            "/api/v1/downtimes",
            &ann,
            json!({"service": "Email", "started_at": "2026-03-02T10:00:00Z"}),
        )
        .await;
    assert!(status == 403 || status == 404, "{status}");

    let report = expect(
        app.get("/api/v1/downtimes/report?month=2026-03", &tech)
            .await,
        200,
    );
    let row = |org: Value| {
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["organisation_id"] == org)
            .unwrap()
            .clone()
    };
    // Everyone: 60 + 30 minutes in March. Acme: 60 + 30 for everyone, plus its own 30 not
    // overlapping those = 120 > 90.
    let all = row(Value::Null);
    assert_eq!(
        (all["down_minutes"].as_i64(), all["kept"].as_bool()),
        (Some(90), Some(true))
    );
    let a = row(json!(acme));
    assert_eq!(
        (a["down_minutes"].as_i64(), a["kept"].as_bool()),
        (Some(120), Some(false))
    );
    assert_eq!(a["max_minutes"], 90);
    let april = expect(
        app.get("/api/v1/downtimes/report?month=2026-04", &tech)
            .await,
        200,
    );
    assert!(april
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["down_minutes"] == 30));
    expect(
        app.get("/api/v1/downtimes/report?month=March", &tech).await,
        400,
    );
    let listed = expect(app.get("/api/v1/downtimes?month=2026-03", &tech).await, 200);
    assert_eq!(listed.as_array().unwrap().len(), 3);
}
on_both!(downtime_is_measured_against_the_monthly_commitment);

/// The requests a receiver got: signature header and body.
type Calls = std::sync::Arc<std::sync::Mutex<Vec<(Option<String>, String)>>>;

/// A web server on loopback that answers the first `fail` requests with 500, then 200, and keeps
/// each request's signature header and body.
async fn hook_receiver(fail: usize) -> (String, Calls) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Calls = Default::default();
    let keep = got.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then as much body as Content-Length says.
            let (head, body) = loop {
                let r = sock.read(&mut chunk).await.unwrap_or(0);
                if r == 0 {
                    break (String::new(), String::new());
                }
                buf.extend_from_slice(&chunk[..r]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(i) = text.find("\r\n\r\n") {
                    let head = text[..i].to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len {
                        break (head, text[i + 4..i + 4 + len].to_string());
                    }
                }
            };
            let sig = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("x-steward-signature:")
                    .then(|| l[20..].trim().to_string())
            });
            keep.lock().unwrap().push((sig, body));
            n += 1;
            let status = if n <= fail {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = sock
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    (url, got)
}

async fn rule_webhooks_are_signed_and_retried(app: &TestApp) {
    use hmac::Mac;
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let (url, got) = hook_receiver(1).await;
    expect(
        app.post(
            "/api/v1/rules",
            &admin,
            json!({"name": "Tell the monitoring", "triggers": ["created"],
                   "actions": [{"do": "webhook", "url": url}]}),
        )
        .await,
        201,
    );
    expect(
        app.post(
            "/api/v1/rules",
            &admin,
            json!({"name": "Bad hook", "triggers": ["created"], "actions": [{"do": "webhook", "url": "ftp://x"}]}),
        )
        .await,
        422,
    );
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"subject": "Disk full", "requester_id": ann}),
        )
        .await,
        201,
    );
    let svc = app
        .service
        .clone()
        .with_webhook_secret(Some("s3cret".into()));
    // The first call fails (500): retried later, not lost.
    let r = svc.run_due_jobs(10).await.unwrap();
    assert_eq!((r.done, r.retrying), (0, 1));
    app.clock.advance(jiff::SignedDuration::from_mins(2));
    let r = svc.run_due_jobs(10).await.unwrap();
    assert_eq!(r.done, 1);
    let calls = got.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    let (sig, body) = &calls[1];
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["event"], "created");
    assert_eq!(v["rule"], "Tell the monitoring");
    assert_eq!(v["ticket"]["number"], t["number"]);
    assert_eq!(v["ticket"]["subject"], "Disk full");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body.as_bytes());
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(sig.as_deref(), Some(want.as_str()));
}
on_both!(rule_webhooks_are_signed_and_retried);

async fn a_rule_can_mail_the_requester(app: &TestApp) {
    use steward_domain::rules::{Action, RuleDef, Trigger};
    use steward_domain::{Actor, PersonId};
    use steward_service::{MailSettings, Mailbox, RuleInput};
    let svc = app.service.clone().with_mail(MailSettings {
        mailboxes: vec![Mailbox {
            address: "help@msp.example".into(),
            team: None,
            ticket_type: steward_domain::TicketType::Incident,
            category: None,
        }],
        send: true,
        ..Default::default()
    });
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    svc.create_rule(
        &Actor::system(),
        RuleInput {
            name: "Outage notice".into(),
            position: 0,
            enabled: true,
            def: RuleDef {
                triggers: vec![Trigger::Created],
                conditions: serde_json::from_value(json!({"all": [
                    {"field": "subject", "op": "contains", "value": "outage"}]}))
                .unwrap(),
                actions: vec![Action::EmailRequester {
                    subject: "Known outage: {subject}".into(),
                    body: "Hello {requester}, we know about it; see {tag}.".into(),
                }],
                stop: false,
            },
        },
    )
    .await
    .unwrap();
    let t = svc
        .create_ticket(
            &Actor::system(),
            steward_service::CreateTicket {
                subject: "Mail outage".into(),
                requester_id: Some(PersonId(ann)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    svc.create_ticket(
        &Actor::system(),
        steward_service::CreateTicket {
            subject: "Printer".into(),
            requester_id: Some(PersonId(ann)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let out = app
        .store
        .read()
        .await
        .unwrap()
        .list_outbox(10)
        .await
        .unwrap();
    let rule_mail: Vec<_> = out.iter().filter(|e| e.mail.kind == "rule").collect();
    assert_eq!(rule_mail.len(), 1);
    let m = &rule_mail[0].mail;
    assert_eq!(m.to, "ann@acme.example");
    assert_eq!(
        m.subject,
        format!("[#{}] Known outage: Mail outage", t.number)
    );
    assert_eq!(
        m.body,
        format!("Hello ann, we know about it; see [#{}].", t.number)
    );
    assert!(m.automatic);
}
on_both!(a_rule_can_mail_the_requester);

/// After a policy change every open ticket is recomputed in bulk; what is stored must be what the
/// one-ticket path computes, across more than one batch, for tickets in every state.
async fn bulk_recompute_stores_what_each_ticket_computes(app: &TestApp) {
    use steward_domain::{Actor, MessageKind, Named, PersonId, Priority, Status};
    let system = Actor::system();
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (tech, _) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let tech = app
        .service
        .get_person(&system, PersonId(tech))
        .await
        .unwrap()
        .actor();
    // More open tickets than one batch (1,000), opened before any policy exists.
    let mut ids = Vec::new();
    for i in 0..1_100 {
        let t = app
            .service
            .create_ticket(
                &system,
                steward_service::CreateTicket {
                    subject: format!("Ticket {i}"),
                    requester_id: Some(PersonId(ann)),
                    priority: Some(
                        [
                            Priority::Critical,
                            Priority::High,
                            Priority::Medium,
                            Priority::Low,
                        ][i % 4],
                    ),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        ids.push(t.id);
        if i % 50 == 0 {
            app.clock.advance(jiff::SignedDuration::from_mins(7));
        }
    }
    let berlin = expect(
        app.post(
            "/api/v1/calendars",
            &admin,
            json!({"name": "Berlin office", "time_zone": "Europe/Berlin", "week": office_week()}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let targets = |first: i64, resolve: i64| json!({"first_response_minutes": first, "next_response_minutes": first, "resolution_minutes": resolve});
    let policy = expect(
        app.post(
            "/api/v1/sla-policies",
            &admin,
            json!({"name": "Standard", "is_default": true, "calendar_id": berlin, "targets": {
                "critical": targets(15, 120), "high": targets(30, 240),
                "medium": targets(60, 480), "low": targets(240, 2400)}}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    // Some answered, some waiting (paused), some resolved, some escalated already.
    for (n, id) in ids.iter().enumerate().step_by(7) {
        app.clock.advance(jiff::SignedDuration::from_mins(3));
        let status = match n % 3 {
            0 => Some(Status::PendingRequester),
            1 => None,
            _ => Some(Status::Resolved),
        };
        app.service
            .add_message(
                &tech,
                *id,
                steward_service::MessageInput {
                    kind: MessageKind::Public,
                    body: "Looking into it.".into(),
                    status,
                },
            )
            .await
            .unwrap();
    }
    app.clock.advance(jiff::SignedDuration::from_hours(3));
    app.service.run_due_jobs(200).await.unwrap();
    // The change: every open ticket is recomputed in bulk.
    expect(
        app.call(
            Method::PUT,
            &format!("/api/v1/sla-policies/{policy}"),
            Some(&admin),
            Some(
                json!({"name": "Standard", "is_default": true, "calendar_id": berlin, "targets": {
                "critical": targets(30, 240), "high": targets(60, 480),
                "medium": targets(120, 960), "low": targets(480, 4800)}}),
            ),
        )
        .await,
        200,
    );
    let mut c = app.store.read().await.unwrap();
    let mut checked = 0;
    for id in &ids {
        let (stored_policy, stored) = c.ticket_clocks(*id).await.unwrap();
        let (live_policy, live) = app.service.ticket_clocks(&system, *id).await.unwrap();
        let t = app.service.get_ticket(&system, *id).await.unwrap();
        if matches!(t.status, Status::Resolved | Status::Closed) {
            continue;
        }
        assert_eq!(
            stored_policy,
            live_policy.map(|p| p.id),
            "ticket {}",
            t.number
        );
        assert_eq!(stored.len(), live.len(), "ticket {}", t.number);
        for (s, l) in stored.iter().zip(&live) {
            assert_eq!(
                (s.target, s.state, s.due_at, s.warn_at, s.stopped_at),
                (l.target, l.state, l.due, l.warn_at, l.stopped_at),
                "ticket {}",
                t.number
            );
        }
        let soonest = live
            .iter()
            .filter(|c| {
                matches!(
                    c.state,
                    steward_domain::sla::ClockState::Running
                        | steward_domain::sla::ClockState::Breached
                ) && c.stopped_at.is_none()
            })
            .filter_map(|c| c.due)
            .min();
        assert_eq!(t.sla_due_at, soonest, "ticket {}", t.number);
        let check = c
            .pending_job(&format!("sla:{}", id.0))
            .await
            .unwrap()
            .map(|j| j.run_at);
        // The next check: the soonest step of a running clock that has not fired yet.
        let fired = c.fired_escalations(*id).await.unwrap();
        let unfired = |c: &steward_domain::sla::Clock, step: &str| {
            !fired.iter().any(|(target, s, since)| {
                target == c.target.as_str() && s == step && *since == c.since
            })
        };
        let next = live
            .iter()
            .filter(|c| c.stopped_at.is_none())
            .flat_map(|c| {
                [
                    c.warn_at.filter(|_| unfired(c, "warning")),
                    c.due.filter(|_| unfired(c, "breach")),
                ]
            })
            .flatten()
            .min();
        assert_eq!(check, next, "ticket {}", t.number);
        checked += 1;
    }
    assert!(checked > 1_000, "{checked}");
}
on_both!(bulk_recompute_stores_what_each_ticket_computes);
