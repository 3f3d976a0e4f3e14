//! Satisfaction surveys, the suggestion box, and KPI reports on a hand-built desk whose right
//! answers are worked out here. Runs on SQLite and PostgreSQL.

use serde_json::{json, Value};
use steward_domain::{Actor, MessageKind, PersonId, Role, Status, TicketId};
use steward_service::{CreateTicket, MailSettings, Mailbox, MessageInput, Service, TicketUpdate};

use crate::harness::{expect, TestApp};
use crate::on_both;

fn actor(id: i64, role: Role) -> Actor {
    Actor {
        person_id: Some(PersonId(id)),
        role,
        organisation_id: None,
        org_access: false,
    }
}

fn requester(id: i64, org: Option<i64>) -> Actor {
    Actor {
        person_id: Some(PersonId(id)),
        role: Role::Requester,
        organisation_id: org.map(steward_domain::OrgId),
        org_access: false,
    }
}

/// The desk as `steward serve` runs it, with surveys one hour after a resolution and mail.
fn desk(app: &TestApp) -> Service {
    app.service
        .clone()
        .with_surveys(Some(jiff::SignedDuration::from_hours(1)))
        .with_mail(MailSettings {
            mailboxes: vec![Mailbox {
                address: "help@msp.example".into(),
                team: None,
                ticket_type: steward_domain::TicketType::Incident,
                category: None,
            }],
            send: true,
            link_base: Some(app.base.clone()),
            ..Default::default()
        })
}

async fn reply(svc: &Service, who: &Actor, t: TicketId, status: Option<Status>) {
    svc.add_message(
        who,
        t,
        MessageInput {
            kind: MessageKind::Public,
            body: "An answer.".into(),
            status,
        },
    )
    .await
    .unwrap();
}

async fn set_status(svc: &Service, who: &Actor, t: TicketId, status: Status) {
    svc.update_ticket(
        who,
        t,
        TicketUpdate {
            status: Some(status),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

/// The mails of one kind in the outbox.
async fn mails(app: &TestApp, kind: &str) -> Vec<steward_store::mail::OutboxMail> {
    app.store
        .read()
        .await
        .unwrap()
        .list_outbox(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.mail.kind == kind)
        .map(|e| e.mail)
        .collect()
}

/// The survey mails in the outbox: (to, body).
async fn survey_mails(app: &TestApp) -> Vec<(String, String)> {
    mails(app, "survey")
        .await
        .into_iter()
        .map(|m| (m.to, m.body))
        .collect()
}

/// The link secret of a survey mail.
fn token_in(body: &str) -> String {
    let at = body.find("/survey/").expect("a survey link") + "/survey/".len();
    body[at..].split('?').next().unwrap().to_string()
}

async fn surveys_ask_once_per_resolution(app: &TestApp) {
    let svc = desk(app);
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (tina_id, tina) = app
        .person("tina@msp.example", Role::Technician, None, false)
        .await;
    let (ann_id, ann) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let (_, bob) = app
        .person("bob@other.example", Role::Requester, None, false)
        .await;
    let tech = actor(tina_id, Role::Technician);
    // A low rating tags the ticket and tells the managers.
    expect(
        app.post(
            "/api/v1/rules",
            &admin,
            json!({"name": "Unhappy requester", "triggers": ["rated"],
                "conditions": {"all": [{"field": "rating", "op": "less_than", "value": "3"}]},
                "actions": [{"do": "add_tag", "tag": "unhappy"},
                            {"do": "notify", "to": "managers", "message": "Low rating"}]}),
        )
        .await,
        201,
    );
    let t = svc
        .create_ticket(
            &tech,
            CreateTicket {
                subject: "Printer jams".into(),
                requester_id: Some(PersonId(ann_id)),
                assignee_id: Some(PersonId(tina_id)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    reply(&svc, &tech, t.id, Some(Status::Resolved)).await;
    // Not before the delay.
    svc.run_due_jobs(50).await.unwrap();
    assert!(survey_mails(app).await.is_empty());
    app.clock.advance(jiff::SignedDuration::from_mins(61));
    svc.run_due_jobs(50).await.unwrap();
    let mails = survey_mails(app).await;
    assert_eq!(mails.len(), 1, "one survey mail");
    assert_eq!(mails[0].0, "ann@acme.example");
    for r in 1..=5 {
        assert!(
            mails[0].1.contains(&format!("?rating={r}")),
            "{}",
            mails[0].1
        );
    }
    let token = token_in(&mails[0].1);
    // Running the scheduler again asks nothing more.
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    svc.run_due_jobs(50).await.unwrap();
    assert_eq!(survey_mails(app).await.len(), 1);

    // The link opens the page with the rating chosen, and records nothing yet.
    let page = app
        .http
        .get(format!("{}/survey/{token}?rating=2", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"value="2" required checked"#), "{html}");
    assert!(html.contains("Printer jams"));
    let s = expect(
        app.call(
            reqwest::Method::GET,
            &format!("/api/v1/surveys/{token}"),
            None,
            None,
        )
        .await,
        200,
    );
    assert_eq!(s["survey"]["rating"], Value::Null);
    // A tampered or made-up link finds nothing.
    let mut tampered = token.clone();
    let last = if tampered.ends_with('0') { '1' } else { '0' };
    tampered.pop();
    tampered.push(last);
    for bad in [tampered.as_str(), "nothing", "../../etc/passwd"] {
        let (status, body) = app
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/surveys/{bad}"),
                None,
                Some(json!({"rating": 5})),
            )
            .await;
        assert_eq!(status, 404, "{bad}: {body}");
    }
    let page = app
        .http
        .get(format!("{}/survey/{tampered}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    // Out of range: refused, nothing recorded.
    expect(
        app.call(
            reqwest::Method::POST,
            &format!("/api/v1/surveys/{token}"),
            None,
            Some(json!({"rating": 7})),
        )
        .await,
        422,
    );
    // Rated through the link form (no sign-in): recorded once.
    let res = app
        .http
        .post(format!("{}/survey/{token}", app.base))
        .form(&[("rating", "2"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("You rated this request"));
    // Replayed, or changed: refused; the first rating stands.
    let again = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/surveys/{token}"),
            None,
            Some(json!({"rating": 5})),
        )
        .await;
    assert_eq!(again.0, 409, "{}", again.1);
    let res = app
        .http
        .post(format!("{}/survey/{token}", app.base))
        .form(&[("rating", "5")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    // Then a comment, once.
    let s = expect(
        app.call(
            reqwest::Method::POST,
            &format!("/api/v1/surveys/{token}/comment"),
            None,
            Some(json!({"comment": "Took <b>too</b> long"})),
        )
        .await,
        200,
    );
    assert_eq!(s["survey"]["rating"], 2);
    expect(
        app.call(
            reqwest::Method::POST,
            &format!("/api/v1/surveys/{token}/comment"),
            None,
            Some(json!({"comment": "And more"})),
        )
        .await,
        409,
    );
    // The rating shows on the ticket, set off the rule, and is for those who see the ticket.
    let ratings = expect(
        app.get(&format!("/api/v1/tickets/{}/ratings", t.id.0), &tina)
            .await,
        200,
    );
    assert_eq!(ratings.as_array().unwrap().len(), 1);
    assert_eq!(ratings[0]["rating"], 2);
    assert_eq!(ratings[0]["comment"], "Took <b>too</b> long");
    expect(
        app.get(&format!("/api/v1/tickets/{}/ratings", t.id.0), &bob)
            .await,
        404,
    );
    // Asking and rating are steps of the ticket's history.
    let history = expect(
        app.get(&format!("/api/v1/tickets/{}/history", t.id.0), &tina)
            .await,
        200,
    );
    let steps: Vec<(Value, Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "survey_sent" || h["action"] == "rated")
        .map(|h| (h["action"].clone(), h["actor_id"].clone(), h["new"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (json!("survey_sent"), Value::Null, Value::Null),
            (json!("rated"), json!(ann_id), json!("2")),
        ],
        "{history}"
    );
    let ticket = expect(
        app.get(&format!("/api/v1/tickets/{}", t.id.0), &tina).await,
        200,
    );
    assert!(
        ticket["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("unhappy")),
        "{ticket}"
    );
    // The comment is escaped on the staff ticket page (and on the survey page).
    let html = app
        .http
        .get(format!("{}/survey/{token}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Took &#60;b&#62;too"), "{html}");
    assert!(!html.contains("<b>too"));

    // Reopened and resolved again: asked again, once; the requester rates in the portal (API).
    reply(&svc, &requester(ann_id, None), t.id, None).await;
    assert_eq!(
        svc.get_ticket(&tech, t.id).await.unwrap().status,
        Status::Open,
        "the requester's answer reopened it"
    );
    expect(
        app.post(
            &format!("/api/v1/tickets/{}/ratings", t.id.0),
            &ann,
            json!({"rating": 5}),
        )
        .await,
        409,
    );
    set_status(&svc, &tech, t.id, Status::Resolved).await;
    app.clock.advance(jiff::SignedDuration::from_mins(30));
    // Reopened again before the delay: no survey for that resolution.
    reply(&svc, &requester(ann_id, None), t.id, None).await;
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    svc.run_due_jobs(50).await.unwrap();
    assert_eq!(survey_mails(app).await.len(), 1);
    set_status(&svc, &tech, t.id, Status::Resolved).await;
    app.clock.advance(jiff::SignedDuration::from_mins(61));
    svc.run_due_jobs(50).await.unwrap();
    assert_eq!(survey_mails(app).await.len(), 2);
    // Only the requester rates; staff cannot rate for them.
    expect(
        app.post(
            &format!("/api/v1/tickets/{}/ratings", t.id.0),
            &tina,
            json!({"rating": 5}),
        )
        .await,
        403,
    );
    expect(
        app.post(
            &format!("/api/v1/tickets/{}/ratings", t.id.0),
            &bob,
            json!({"rating": 5}),
        )
        .await,
        404,
    );
    let r = expect(
        app.post(
            &format!("/api/v1/tickets/{}/ratings", t.id.0),
            &ann,
            json!({"rating": 5, "comment": "Fixed now"}),
        )
        .await,
        200,
    );
    assert_eq!(r["rating"], 5);
    expect(
        app.post(
            &format!("/api/v1/tickets/{}/ratings", t.id.0),
            &ann,
            json!({"rating": 4}),
        )
        .await,
        409,
    );
    let ratings = expect(
        app.get(&format!("/api/v1/tickets/{}/ratings", t.id.0), &ann)
            .await,
        200,
    );
    let given: Vec<i64> = ratings
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rating"].as_i64().unwrap())
        .collect();
    assert_eq!(given, [2, 5]);
}
on_both!(surveys_ask_once_per_resolution);

async fn the_suggestion_box(app: &TestApp) {
    let (_, ann) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let (_, bob) = app
        .person("bob@acme.example", Role::Requester, None, false)
        .await;
    let (_, tina) = app
        .person("tina@msp.example", Role::Technician, None, false)
        .await;
    let (_, maria) = app
        .person("maria@msp.example", Role::Manager, None, false)
        .await;
    let s = expect(
        app.post(
            "/api/v1/suggestions",
            &ann,
            json!({"subject": "Longer opening hours", "body": "Please answer on Saturdays."}),
        )
        .await,
        201,
    );
    expect(
        app.post(
            "/api/v1/suggestions",
            &ann,
            json!({"subject": "", "body": "x"}),
        )
        .await,
        422,
    );
    let id = s["id"].as_i64().unwrap();
    assert_eq!(s["status"], "new");
    // Bob sees only his own (none); Ann hers; the manager all of them.
    assert_eq!(
        expect(app.get("/api/v1/suggestions", &bob).await, 200)
            .as_array()
            .unwrap()
            .len(),
        0
    );
    expect(
        app.get(&format!("/api/v1/suggestions/{id}"), &bob).await,
        404,
    );
    assert_eq!(
        expect(app.get("/api/v1/suggestions", &maria).await, 200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Only those who run the desk answer.
    expect(
        app.patch(
            &format!("/api/v1/suggestions/{id}"),
            &tina,
            json!({"status": "planned"}),
        )
        .await,
        403,
    );
    expect(
        app.patch(
            &format!("/api/v1/suggestions/{id}"),
            &ann,
            json!({"status": "planned"}),
        )
        .await,
        403,
    );
    expect(
        app.patch(
            &format!("/api/v1/suggestions/{id}"),
            &maria,
            json!({"status": "maybe"}),
        )
        .await,
        422,
    );
    let s = expect(
        app.patch(
            &format!("/api/v1/suggestions/{id}"),
            &maria,
            json!({"status": "planned", "response": "From April."}),
        )
        .await,
        200,
    );
    assert_eq!(s["response"], "From April.");
    let mine = expect(
        app.get("/api/v1/suggestions?status=planned", &ann).await,
        200,
    );
    assert_eq!(mine[0]["response"], "From April.");
    assert_eq!(
        expect(
            app.get("/api/v1/suggestions?status=done", &maria).await,
            200
        )
        .as_array()
        .unwrap()
        .len(),
        0
    );
}
on_both!(the_suggestion_box);

/// A week of a small desk in Berlin office hours (09–17 local, Monday to Friday; UTC+1), each
/// ticket's figures worked out by hand:
///
/// - D: opened Fri 27 Feb 10:00 UTC (11:00 local, the week before), resolved Mon 2 Mar 11:00 UTC
///   without a reply: 73 h calendar, 6 + 3 = 9 business hours (over the 8 h target: breached).
/// - A: opened Mon 09:00 UTC (10:00 local), answered 09:30, waiting on the requester 10:00–13:00,
///   resolved 15:00: first response 30 min; resolution 6 h calendar, 1 + 2 = 3 business hours.
/// - C: opened Mon 10:00 UTC, never answered: open, overdue, 47 h old at the report.
/// - B: opened Mon 16:30 UTC (after hours), answered Tue 08:30 (09:30 local: 30 business
///   minutes, 16 h calendar), resolved Tue 09:00, reopened by the requester at 10:00, answered and
///   resolved again at 12:00: 19.5 h calendar, 1 + 2 = 3 business hours; reopened.
/// - Ratings: A 5, B 2.
async fn kpis_of_a_hand_built_week(app: &TestApp) {
    let svc = desk(app);
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (tina_id, tina) = app
        .person("tina@msp.example", Role::Technician, None, false)
        .await;
    let (ann_id, req_token) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let tech = actor(tina_id, Role::Technician);
    let ann = requester(ann_id, None);
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    let cal = expect(
        app.post(
            "/api/v1/calendars",
            &admin,
            json!({"name": "Berlin office", "time_zone": "Europe/Berlin",
            "week": [day, day, day, day, day, [], []]}),
        )
        .await,
        201,
    );
    let t = json!({"first_response_minutes": 60, "resolution_minutes": 480});
    expect(
        app.post("/api/v1/sla-policies", &admin, json!({"name": "Standard", "is_default": true,
            "calendar_id": cal["id"], "targets": {"critical": t, "high": t, "medium": t, "low": t}})).await,
        201,
    );
    let open = |subject: &'static str, assignee: Option<i64>| {
        let svc = svc.clone();
        let tech = tech.clone();
        async move {
            svc.create_ticket(
                &tech,
                CreateTicket {
                    subject: subject.into(),
                    requester_id: Some(PersonId(ann_id)),
                    assignee_id: assignee.map(PersonId),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id
        }
    };
    let at = |s: &str| app.clock.set(s.parse().unwrap());

    at("2026-02-27T10:00:00Z");
    let d = open("D: last week", Some(tina_id)).await;
    at("2026-03-02T09:00:00Z");
    let a = open("A: answered and waiting", Some(tina_id)).await;
    at("2026-03-02T09:30:00Z");
    reply(&svc, &tech, a, None).await;
    at("2026-03-02T10:00:00Z");
    let c = open("C: nobody answers", None).await;
    set_status(&svc, &tech, a, Status::PendingRequester).await;
    at("2026-03-02T11:00:00Z");
    set_status(&svc, &tech, d, Status::Resolved).await;
    at("2026-03-02T13:00:00Z");
    reply(&svc, &ann, a, None).await;
    at("2026-03-02T15:00:00Z");
    set_status(&svc, &tech, a, Status::Resolved).await;
    at("2026-03-02T16:30:00Z");
    let b = open("B: reopened", Some(tina_id)).await;
    at("2026-03-03T08:30:00Z");
    reply(&svc, &tech, b, None).await;
    at("2026-03-03T09:00:00Z");
    set_status(&svc, &tech, b, Status::Resolved).await;
    at("2026-03-03T10:00:00Z");
    reply(&svc, &ann, b, None).await;
    at("2026-03-03T12:00:00Z");
    reply(&svc, &tech, b, Some(Status::Resolved)).await;
    at("2026-03-03T14:00:00Z");
    svc.run_due_jobs(100).await.unwrap();
    let rated = |t: TicketId, r: i64| {
        let svc = svc.clone();
        let ann = ann.clone();
        async move { svc.rate_ticket(&ann, t, r, "").await.unwrap() }
    };
    rated(a, 5).await;
    rated(b, 2).await;
    // D's survey went out too (its resolution was on Monday); it stays unanswered.
    assert_eq!(survey_mails(app).await.len(), 3);
    at("2026-03-04T09:00:00Z");

    let r = expect(
        app.get(
            "/api/v1/reports/kpis?from=2026-03-02&to=2026-03-08&zone=Europe/Berlin",
            &tina,
        )
        .await,
        200,
    );
    let k = &r["current"];
    let h = |n: f64| Value::from((n * 3_600_000.0) as i64);
    assert_eq!(k["created"], 3, "A, B and C: {k}");
    assert_eq!(k["resolved"], 3, "A, B and D");
    assert_eq!(k["first_response"]["calendar"]["count"], 2);
    assert_eq!(k["first_response"]["calendar"]["median_ms"], h(0.5));
    assert_eq!(k["first_response"]["calendar"]["p90_ms"], h(16.0));
    assert_eq!(k["first_response"]["business"]["median_ms"], h(0.5));
    assert_eq!(k["first_response"]["business"]["p90_ms"], h(0.5));
    assert_eq!(
        k["resolution"]["calendar"]["median_ms"],
        h(19.5),
        "{}",
        k["resolution"]
    );
    assert_eq!(k["resolution"]["calendar"]["p90_ms"], h(73.0));
    assert_eq!(k["resolution"]["business"]["median_ms"], h(3.0));
    assert_eq!(k["resolution"]["business"]["p90_ms"], h(9.0));
    assert_eq!(
        k["first_contact_resolution"],
        json!({"part": 2, "of": 3}),
        "A and D"
    );
    assert_eq!(k["reopened"], json!({"part": 1, "of": 3}), "B");
    assert_eq!(k["sla"]["first_response"], json!({"part": 2, "of": 2}));
    assert_eq!(
        k["sla"]["resolution"],
        json!({"part": 2, "of": 3}),
        "D missed it"
    );
    assert_eq!(k["csat"]["satisfied"], json!({"part": 1, "of": 2}));
    assert_eq!(k["csat"]["average"], 3.5);
    assert_eq!(k["backlog"]["open"], 1);
    assert_eq!(k["backlog"]["overdue"], 1);
    assert_eq!(k["backlog"]["by_age"], json!([0, 1, 0, 0, 0]));
    assert_eq!(
        k["by_technician"],
        json!([{"key": tina_id, "count": 2}, {"key": null, "count": 1}])
    );
    assert_eq!(r["names"]["people"][tina_id.to_string()], "tina");
    // Monday 10:00, 11:00 and 17:00 local.
    assert_eq!(k["busiest_hours"][0][10], 1);
    assert_eq!(k["busiest_hours"][0][11], 1);
    assert_eq!(k["busiest_hours"][0][17], 1);
    // The week before: D was opened then.
    assert_eq!(r["previous_from"], "2026-02-23");
    assert_eq!(r["previous"]["created"], 1);
    assert_eq!(r["previous"]["resolved"], 0);
    let _ = c;

    // Filters: one technician's tickets; and the same figures as CSV.
    let mine = expect(
        app.get(&format!("/api/v1/reports/kpis?from=2026-03-02&to=2026-03-08&zone=Europe/Berlin&technician={tina_id}"), &tina).await,
        200,
    );
    assert_eq!(mine["current"]["created"], 2);
    assert_eq!(mine["current"]["backlog"]["open"], 0);
    let csv = app
        .http
        .get(format!(
            "{}/api/v1/reports/kpis.csv?from=2026-03-02&to=2026-03-08&zone=Europe/Berlin",
            app.base
        ))
        .bearer_auth(&tina)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("section,item,this period,previous period\n"),
        "{csv}"
    );
    assert!(csv.contains("\nvolume,created,3,1\n"), "{csv}");
    assert!(
        csv.contains("\n\"resolution, business time\",median (minutes),180.0,\n"),
        "{csv}"
    );
    assert!(csv.contains("\nby technician,tina,2,1\n"), "{csv}");
    // Reports are for staff; malformed queries are clear errors.
    expect(app.get("/api/v1/reports/kpis", &req_token).await, 403);
    // A misspelt filter is an error, not the report of everything.
    expect(app.get("/api/v1/reports/kpis?org=3", &tina).await, 400);
    let bad = expect(
        app.get("/api/v1/reports/kpis?from=yesterday", &tina).await,
        400,
    );
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-03-01"),
        "{bad}"
    );
    expect(
        app.get("/api/v1/reports/kpis?from=2026-03-08&to=2026-03-01", &tina)
            .await,
        422,
    );
    expect(
        app.get("/api/v1/reports/kpis?zone=Mars/Base", &tina).await,
        400,
    );
    expect(
        app.get("/api/v1/reports/kpis?from=2020-01-01&to=2026-03-01", &tina)
            .await,
        422,
    );
    // A large report reads its tickets in parts by id (in parallel): the parts read exactly the
    // tickets of the whole.
    let mut c = app.store.read().await.unwrap();
    let (low, high) = c.ticket_id_bounds().await.unwrap().unwrap();
    assert!(high > low, "several tickets");
    let (from, to) = (
        "2026-01-01T00:00:00Z".parse().unwrap(),
        "2026-06-01T00:00:00Z".parse().unwrap(),
    );
    let read = |ids| {
        let store = app.store.clone();
        async move {
            let mut v = Vec::new();
            let mut c = store.read().await.unwrap();
            c.report_facts(&Default::default(), from, to, ids, |f| {
                v.push(f);
                Ok(())
            })
            .await
            .unwrap();
            v
        }
    };
    // (In no particular order: PostgreSQL returns a table's rows as it finds them.)
    let key = |f: &steward_domain::kpi::Facts| (f.created_at, f.resolved_at);
    let mut whole = read(None).await;
    whole.sort_by_key(key);
    assert!(whole.len() > 2, "{}", whole.len());
    let mut parts = Vec::new();
    for ids in [(low, low), (low + 1, high - 1), (high, high)] {
        parts.extend(read(Some(ids)).await);
    }
    parts.sort_by_key(key);
    assert_eq!(parts, whole);
}
on_both!(kpis_of_a_hand_built_week);

async fn the_dashboard_and_client_report(app: &TestApp) {
    use crate::pages::{with_password, Page};
    let org = app
        .service
        .create_org(
            &Actor::system(),
            steward_service::NewOrg {
                name: "<Acme & Co>".into(),
                slug: Some("acme".into()),
                domains: vec![],
            },
        )
        .await
        .unwrap();
    with_password(app, "maria@msp.example", Role::Manager, None).await;
    with_password(app, "ann@acme.example", Role::Requester, Some(org.id.0)).await;
    let (_, tina) = app
        .person("tina@msp.example", Role::Technician, None, false)
        .await;
    let ann = app
        .service
        .get_person_by_email(&Actor::system(), "ann@acme.example")
        .await
        .unwrap();
    expect(
        app.post(
            "/api/v1/tickets",
            &tina,
            json!({"subject": "VPN drops", "requester_id": ann.id.0}),
        )
        .await,
        201,
    );
    let maria = Page::sign_in(app, "maria@msp.example", "a long enough password").await;
    let (status, html, _) = maria.get("/agent/reports").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<svg class=\"chart"), "charts are drawn");
    assert!(html.contains("Tickets created and resolved per day"));
    assert!(html.contains("First-contact resolution"));
    assert!(!html.contains("<Acme"), "names are escaped everywhere");
    assert!(html.contains("&#60;Acme &#38; Co&#62;") || html.contains("&lt;Acme &amp; Co&gt;"));
    // The client's report: its name in the heading, and printable.
    let (status, html, _) = maria
        .get(&format!("/agent/reports?organisation={}", org.id.0))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Service report:"), "{html}");
    assert!(html.contains("data-print"));
    let (status, csv, _) = maria
        .get(&format!("/agent/reports.csv?organisation={}", org.id.0))
        .await;
    assert_eq!(status, 200);
    assert!(csv.contains("\nvolume,created,1,0\n"), "{csv}");
    // Mail me this report every week: listed, and stopped.
    let (status, _, location) = maria
        .post(
            "/agent/reports/schedules",
            "/agent/reports",
            &[("frequency", "weekly")],
        )
        .await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.contains("notice=scheduled"));
    let (status, html, _) = maria.get(&location).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("The report will be mailed to you."));
    let (_, html, _) = maria.get("/agent/reports").await;
    assert!(html.contains("weekly"), "{html}");
    // Malformed filters: a clear page, not a 500.
    let (status, html, _) = maria.get("/agent/reports?from=31.12.2026").await;
    assert_eq!(status, 422);
    assert!(html.contains("2026-03-01"), "{html}");
    // Requesters have no reports, but a suggestion box.
    let ann_page = Page::sign_in(app, "ann@acme.example", "a long enough password").await;
    let (status, _, location) = ann_page.get("/agent/reports").await;
    assert!(status == 303 || status == 403, "{status} {location:?}");
    let (status, html, _) = ann_page.get("/portal/suggestions").await;
    assert_eq!(status, 200);
    let (status, _, _) = ann_page
        .post(
            "/portal/suggestions",
            "/portal/suggestions",
            &[
                ("subject", "Chat support"),
                ("body", "Could we chat with the desk?"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{html}");
    let (_, html, _) = maria.get("/agent/suggestions").await;
    assert!(html.contains("Chat support"), "{html}");
}
on_both!(the_dashboard_and_client_report);

async fn reports_are_mailed_on_schedule(app: &TestApp) {
    let svc = desk(app);
    let (tina_id, tina) = app
        .person("tina@msp.example", Role::Technician, None, false)
        .await;
    let (ann_id, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let tech = actor(tina_id, Role::Technician);
    // Monday 2 March 09:00 UTC (no SLA calendar: the report zone is UTC).
    let s = expect(
        app.post(
            "/api/v1/reports/schedules",
            &tina,
            json!({"frequency": "weekly", "filter": {"technician": tina_id}}),
        )
        .await,
        201,
    );
    assert_eq!(s["next_run_at"], "2026-03-09T07:00:00Z");
    expect(
        app.post(
            "/api/v1/reports/schedules",
            &tina,
            json!({"frequency": "daily"}),
        )
        .await,
        422,
    );
    for subject in ["One", "Two"] {
        svc.create_ticket(
            &tech,
            CreateTicket {
                subject: subject.into(),
                requester_id: Some(PersonId(ann_id)),
                assignee_id: Some(PersonId(tina_id)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    app.clock.set("2026-03-09T07:00:00Z".parse().unwrap());
    svc.run_due_jobs(50).await.unwrap();
    let sent = mails(app, "report").await;
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(m.to, "tina@msp.example");
    assert_eq!(m.subject, "Service desk report 2026-03-02 to 2026-03-08");
    assert!(m.body.contains("technician tina"), "{}", m.body);
    assert!(
        m.body
            .contains("Tickets created                               2            0"),
        "{}",
        m.body
    );
    assert!(
        m.body
            .contains("/agent/reports?from=2026-03-02&to=2026-03-08&technician="),
        "{}",
        m.body
    );
    // The next one is a week later; stopping it stops it.
    let list = expect(app.get("/api/v1/reports/schedules", &tina).await, 200);
    assert_eq!(list[0]["next_run_at"], "2026-03-16T07:00:00Z");
    assert_eq!(list[0]["last_sent_at"], "2026-03-09T07:00:00Z");
    let id = list[0]["id"].as_i64().unwrap();
    expect(
        app.call(
            reqwest::Method::DELETE,
            &format!("/api/v1/reports/schedules/{id}"),
            Some(&tina),
            None,
        )
        .await,
        204,
    );
    app.clock.set("2026-03-16T08:00:00Z".parse().unwrap());
    svc.run_due_jobs(50).await.unwrap();
    assert_eq!(mails(app, "report").await.len(), 1);
}
on_both!(reports_are_mailed_on_schedule);
