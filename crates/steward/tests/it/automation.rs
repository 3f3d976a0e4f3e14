//! Automation over the API with a clock the test controls: in-app notifications (each person's
//! own), reminders, rules on time (once per ticket and state) and recurring tickets (RRULE, once
//! per occurrence even with two workers).

use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

async fn notifications_and_reminders_are_each_persons_own(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (tech_id, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (_, other) = app
        .person("other@msp.example", Role::Technician, None, false)
        .await;
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
    expect(
        app.call(
            Method::PUT,
            &format!("/api/v1/teams/{team}/members/{tech_id}"),
            Some(&admin),
            Some(json!({"lead": false})),
        )
        .await,
        200,
    );
    // A new ticket in the team's queue: the team's staff are told in the app (no mail set up).
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &ann_token,
            json!({"subject": "Printer on fire", "body": "Smoke everywhere"}),
        )
        .await,
        201,
    );
    let id = t["id"].as_i64().unwrap();
    expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &admin,
            json!({"team_id": team}),
        )
        .await,
        200,
    );
    expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &admin,
            json!({"assignee_id": tech_id}),
        )
        .await,
        200,
    );
    // Put in the team's queue, then assigned: told of both, newest first.
    let mine = expect(app.get("/api/v1/notifications", &tech).await, 200);
    assert_eq!(mine["unread"], 2, "{mine}");
    assert_eq!(mine["items"][1]["kind"], "new_in_queue");
    assert_eq!(mine["items"][0]["kind"], "assigned");
    assert_eq!(mine["items"][0]["ticket_number"], t["number"]);
    assert!(mine["items"][0]["title"]
        .as_str()
        .unwrap()
        .contains("Printer on fire"));
    let nid = mine["items"][0]["id"].as_i64().unwrap();
    // Nobody else sees or marks it; requesters have none.
    assert_eq!(
        expect(app.get("/api/v1/notifications", &other).await, 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    expect(
        app.post(
            &format!("/api/v1/notifications/{nid}/read"),
            &other,
            json!({}),
        )
        .await,
        404,
    );
    expect(app.get("/api/v1/notifications", &ann_token).await, 403);
    expect(
        app.post(
            &format!("/api/v1/notifications/{nid}/read"),
            &tech,
            json!({}),
        )
        .await,
        200,
    );
    let after = expect(
        app.get("/api/v1/notifications?unread=true", &tech).await,
        200,
    );
    assert_eq!(after["unread"], 1);
    assert_eq!(after["items"][0]["kind"], "new_in_queue");
    assert_eq!(
        expect(
            app.post("/api/v1/notifications/read", &tech, json!({}))
                .await,
            200
        )["marked"],
        1
    );

    // A reminder: in the future only; told at that instant, once, and only its owner.
    let path = format!("/api/v1/tickets/{id}/reminder");
    let now = app.clock_now();
    let past = now.checked_sub(jiff::SignedDuration::from_mins(1)).unwrap();
    expect(
        app.call(
            Method::PUT,
            &path,
            Some(&tech),
            Some(json!({"at": past.to_string()})),
        )
        .await,
        422,
    );
    let at = now
        .checked_add(jiff::SignedDuration::from_hours(2))
        .unwrap();
    expect(
        app.call(
            Method::PUT,
            &path,
            Some(&tech),
            Some(json!({"at": at.to_string(), "note": "Call the vendor"})),
        )
        .await,
        200,
    );
    assert_eq!(
        expect(app.get(&path, &tech).await, 200)["note"],
        "Call the vendor"
    );
    assert_eq!(expect(app.get(&path, &other).await, 200), Value::Null);
    expect(
        app.call(
            Method::PUT,
            &path,
            Some(&ann_token),
            Some(json!({"at": at.to_string()})),
        )
        .await,
        403,
    );
    app.clock.advance(jiff::SignedDuration::from_mins(119));
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(
        expect(app.get("/api/v1/notifications", &tech).await, 200)["unread"],
        0
    );
    app.clock.advance(jiff::SignedDuration::from_mins(1));
    app.service.run_due_jobs(10).await.unwrap();
    let told = expect(app.get("/api/v1/notifications", &tech).await, 200);
    assert_eq!(told["unread"], 1, "{told}");
    assert_eq!(told["items"][0]["kind"], "reminder");
    assert!(told["items"][0]["body"]
        .as_str()
        .unwrap()
        .contains("Call the vendor"));
    assert_eq!(expect(app.get(&path, &tech).await, 200), Value::Null);
    app.clock.advance(jiff::SignedDuration::from_hours(5));
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(
        expect(app.get("/api/v1/notifications", &tech).await, 200)["unread"],
        1,
        "a reminder fires once"
    );
    // Mark all read.
    assert_eq!(
        expect(
            app.post("/api/v1/notifications/read", &tech, json!({}))
                .await,
            200
        )["marked"],
        1
    );
    // A removed reminder never fires.
    let later = app
        .clock_now()
        .checked_add(jiff::SignedDuration::from_hours(1))
        .unwrap();
    expect(
        app.call(
            Method::PUT,
            &path,
            Some(&tech),
            Some(json!({"at": later.to_string()})),
        )
        .await,
        200,
    );
    expect(
        app.call(Method::DELETE, &path, Some(&tech), None).await,
        204,
    );
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(
        expect(app.get("/api/v1/notifications", &tech).await, 200)["unread"],
        0
    );
    let _ = ann;
}
on_both!(notifications_and_reminders_are_each_persons_own);

async fn time_rules_fire_once_per_wait(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, ann) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    // A time rule needs a time condition.
    expect(
        app.post(
            "/api/v1/rules",
            &admin,
            json!({"name": "Bad", "triggers": ["time"],
                "conditions": {"all": [{"field": "status", "op": "is", "value": "pending_requester"}]},
                "actions": [{"do": "add_tag", "tag": "x"}]}),
        )
        .await,
        422,
    );
    expect(
        app.post(
            "/api/v1/rules",
            &admin,
            json!({"name": "Chase the requester", "triggers": ["time"],
                "conditions": {"all": [
                    {"field": "status", "op": "is", "value": "pending_requester"},
                    {"field": "idle_hours", "op": "more_than", "value": "72"}]},
                "actions": [{"do": "add_note", "text": "Reminded the requester."},
                            {"do": "add_tag", "tag": "chased"}]}),
        )
        .await,
        201,
    );
    let open = |subject: &'static str| {
        let ann = ann.clone();
        async move {
            expect(
                app.post("/api/v1/tickets", &ann, json!({"subject": subject}))
                    .await,
                201,
            )["id"]
                .as_i64()
                .unwrap()
        }
    };
    let waiting = open("Waiting on you").await;
    let working = open("Being worked on").await;
    expect(
        app.patch(
            &format!("/api/v1/tickets/{waiting}"),
            &admin,
            json!({"status": "pending_requester"}),
        )
        .await,
        200,
    );
    let tags = |id: i64| {
        let admin = admin.clone();
        async move {
            expect(app.get(&format!("/api/v1/tickets/{id}"), &admin).await, 200)["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let notes = |id: i64| {
        let admin = admin.clone();
        async move {
            expect(
                app.get(&format!("/api/v1/tickets/{id}/messages"), &admin)
                    .await,
                200,
            )
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["body"] == "Reminded the requester.")
            .count()
        }
    };
    // The sweep runs every five minutes; nothing is due for 72 hours.
    app.service.run_due_jobs(10).await.unwrap();
    assert!(tags(waiting).await.is_empty());
    app.clock.advance(jiff::SignedDuration::from_hours(72));
    app.service.run_due_jobs(10).await.unwrap();
    assert!(
        tags(waiting).await.is_empty(),
        "exactly 72 hours is not more"
    );
    app.clock.advance(jiff::SignedDuration::from_mins(5));
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(tags(waiting).await, ["chased"]);
    assert_eq!(notes(waiting).await, 1);
    assert!(
        tags(working).await.is_empty(),
        "conditions hold for one only"
    );
    // Later sweeps leave it alone while nothing changes…
    for _ in 0..3 {
        app.clock.advance(jiff::SignedDuration::from_hours(30));
        app.service.run_due_jobs(10).await.unwrap();
    }
    assert_eq!(notes(waiting).await, 1, "once per wait");
    // …and a new wait (the ticket changed) fires it again after another 72 hours.
    expect(
        app.patch(
            &format!("/api/v1/tickets/{waiting}"),
            &admin,
            json!({"remove_tags": ["chased"]}),
        )
        .await,
        200,
    );
    app.clock.advance(jiff::SignedDuration::from_hours(73));
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(notes(waiting).await, 2);
    // The sweep keeps itself scheduled only while a time rule exists.
    let rules = expect(app.get("/api/v1/rules", &admin).await, 200);
    let rid = rules[0]["id"].as_i64().unwrap();
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/rules/{rid}"),
            Some(&admin),
            None,
        )
        .await,
        204,
    );
    let mut c = app.store.read().await.unwrap();
    assert!(c.pending_job("rules:time").await.unwrap().is_none());
}
on_both!(time_rules_fire_once_per_wait);

async fn recurring_tickets_open_once_per_occurrence(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (ops, _) = app
        .person("ops@msp.example", Role::Requester, None, false)
        .await;
    // The test clock starts Monday 2026-03-02 09:00 UTC (10:00 in Vienna).
    let schedule = json!({
        "name": "Check backups", "rrule": "FREQ=MONTHLY;BYDAY=1MO", "starts": "2026-03-02T09:00",
        "time_zone": "Europe/Vienna",
        "template": {"subject": "Check the backups", "body": "Restore one file.", "requester_id": ops,
                     "priority": "high", "tags": ["backup"]}});
    for (bad, field) in [
        (json!({"rrule": "FREQ=HOURLY"}), "recurrence"),
        (json!({"time_zone": "Mars/Olympus"}), "recurrence"),
        (json!({"starts": "first monday"}), "starts"),
    ] {
        let mut body = schedule.clone();
        for (k, v) in bad.as_object().unwrap() {
            body[k] = v.clone();
        }
        let e = expect(
            app.post("/api/v1/recurring-tickets", &admin, body).await,
            422,
        );
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    expect(
        app.post("/api/v1/recurring-tickets", &tech, schedule.clone())
            .await,
        403,
    );
    let created = expect(
        app.post("/api/v1/recurring-tickets", &admin, schedule.clone())
            .await,
        201,
    );
    // 09:00 Vienna on the first Monday: 2026-03-02 was this morning already (08:00 UTC), so
    // the next is 2026-04-06 07:00 UTC (summer time).
    assert_eq!(created["upcoming"][0], "2026-04-06T07:00:00Z", "{created}");
    assert_eq!(created["upcoming"][1], "2026-05-04T07:00:00Z");
    assert!(created["description"].as_str().unwrap().contains("Monday"));
    let rid = created["id"].as_i64().unwrap();
    let count = || {
        let tech = tech.clone();
        async move {
            expect(app.get("/api/v1/tickets?limit=50", &tech).await, 200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["subject"] == "Check the backups")
                .count()
        }
    };
    // Up to the instant: nothing. At it, two workers race: one ticket.
    app.clock.set("2026-04-06T06:59:59Z".parse().unwrap());
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(count().await, 0);
    app.clock.set("2026-04-06T07:00:00Z".parse().unwrap());
    let other = steward_service::Service::new(app.reopen().await, app.clock.clone());
    let (a, b) = tokio::join!(app.service.run_due_jobs(10), other.run_due_jobs(10));
    a.unwrap();
    b.unwrap();
    assert_eq!(count().await, 1);
    let list = expect(app.get("/api/v1/tickets?limit=50", &tech).await, 200);
    let t = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "Check the backups")
        .unwrap()
        .clone();
    assert_eq!(t["priority"], "high");
    assert_eq!(t["tags"], json!(["backup"]));
    assert_eq!(t["requester_id"], ops);
    let shown = expect(
        app.get(&format!("/api/v1/recurring-tickets/{rid}"), &tech)
            .await,
        200,
    );
    assert_eq!(shown["last_ticket_id"], t["id"]);
    assert_eq!(shown["upcoming"][0], "2026-05-04T07:00:00Z");
    // Steward stopped for three months: one ticket for the missed ones, then on schedule.
    app.clock.set("2026-08-10T12:00:00Z".parse().unwrap());
    app.service.run_due_jobs(10).await.unwrap();
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(count().await, 2);
    assert_eq!(
        expect(
            app.get(&format!("/api/v1/recurring-tickets/{rid}"), &tech)
                .await,
            200
        )["upcoming"][0],
        "2026-09-07T07:00:00Z"
    );
    // Switched off: nothing more.
    let mut off = schedule.clone();
    off["enabled"] = json!(false);
    expect(
        app.call(
            Method::PUT,
            &format!("/api/v1/recurring-tickets/{rid}"),
            Some(&admin),
            Some(off),
        )
        .await,
        200,
    );
    app.clock.set("2026-09-08T00:00:00Z".parse().unwrap());
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(count().await, 2);
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/recurring-tickets/{rid}"),
            Some(&admin),
            None,
        )
        .await,
        204,
    );
    expect(
        app.get(&format!("/api/v1/recurring-tickets/{rid}"), &tech)
            .await,
        404,
    );
}
on_both!(recurring_tickets_open_once_per_occurrence);
