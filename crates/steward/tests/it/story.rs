//! The foundation story, end to end over HTTP: organisations, people, tokens, a ticket and its
//! conversation, changes, lists and history. Runs on SQLite and on PostgreSQL.

use jiff::SignedDuration;
use serde_json::json;
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

async fn ticket_story(app: &TestApp) {
    let (_, admin) = app
        .person("boss@msp.example", Role::Admin, None, false)
        .await;

    // An organisation and its people, through the API.
    let acme = expect(
        app.post(
            "/api/v1/organisations",
            &admin,
            json!({"name": "Acme Corp.", "domains": ["acme.example"]}),
        )
        .await,
        201,
    );
    assert_eq!(acme["slug"], "acme-corp");
    let acme_id = acme["id"].as_i64().unwrap();
    let alice = expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "Alice@Acme.example", "name": "Alice", "role": "requester", "organisation_id": acme_id, "password": "alice's long password"}),
        )
        .await,
        201,
    );
    assert_eq!(alice["email"], "alice@acme.example");
    let alice_id = alice["id"].as_i64().unwrap();
    let tech = expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "tom@msp.example", "name": "Tom", "role": "technician"}),
        )
        .await,
        201,
    );
    let tech_id = tech["id"].as_i64().unwrap();
    let team = expect(
        app.post("/api/v1/teams", &admin, json!({"name": "Service Desk"}))
            .await,
        201,
    );
    let team_id = team["id"].as_i64().unwrap();
    expect(
        app.call(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{team_id}/members/{tech_id}"),
            Some(&admin),
            Some(json!({"lead": true})),
        )
        .await,
        200,
    );

    // Tokens for Tom and Alice.
    let tom_token = expect(
        app.post(
            "/api/v1/tokens",
            &admin,
            json!({"label": "tom's script", "person_id": tech_id}),
        )
        .await,
        201,
    )["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let alice_token = expect(
        app.post(
            "/api/v1/tokens",
            &admin,
            json!({"label": "alice", "person_id": alice_id}),
        )
        .await,
        201,
    )["secret"]
        .as_str()
        .unwrap()
        .to_string();

    // Alice opens a ticket for herself.
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &alice_token,
            json!({"subject": "Printer on floor 2 jams", "body": "Every second page.", "urgency": "high"}),
        )
        .await,
        201,
    );
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["status"], "new");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["requester_id"], alice_id);
    assert_eq!(t["organisation_id"], acme_id);
    assert_eq!(t["created_at"], "2026-03-02T09:00:00Z");
    let number = t["number"].as_i64().unwrap();
    let by_number = expect(
        app.get(&format!("/api/v1/tickets/number/{number}"), &tom_token)
            .await,
        200,
    );
    assert_eq!(by_number["id"], id);

    // Ten minutes later Tom assigns it, tags it and adds a note; then replies asking a question.
    app.clock.advance(SignedDuration::from_mins(10));
    let t = expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &tom_token,
            json!({"team_id": team_id, "assignee_id": tech_id, "add_tags": ["Printer", "floor-2"], "impact": "high"}),
        )
        .await,
        200,
    );
    assert_eq!(t["priority"], "critical");
    assert_eq!(t["tags"], json!(["floor-2", "printer"]));
    let note = expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &tom_token,
            json!({"kind": "internal", "body": "Probably the fuser."}),
        )
        .await,
        201,
    );
    assert_eq!(note["ticket"]["status"], "new", "a note is not a response");
    app.clock.advance(SignedDuration::from_mins(5));
    let reply = expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &tom_token,
            json!({"body": "Which printer model is it?", "status": "pending_requester"}),
        )
        .await,
        201,
    );
    assert_eq!(reply["ticket"]["status"], "pending_requester");
    assert_eq!(
        reply["ticket"]["first_responded_at"],
        "2026-03-02T09:15:00Z"
    );

    // Alice sees the conversation without the note, answers, and the ticket is open again.
    let seen = expect(
        app.get(&format!("/api/v1/tickets/{id}/messages"), &alice_token)
            .await,
        200,
    );
    let bodies: Vec<_> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        vec!["Every second page.", "Which printer model is it?"]
    );
    app.clock.advance(SignedDuration::from_mins(30));
    let answer = expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &alice_token,
            json!({"body": "An HP LaserJet 4."}),
        )
        .await,
        201,
    );
    assert_eq!(answer["ticket"]["status"], "open");
    // Staff see all four messages.
    let all = expect(
        app.get(&format!("/api/v1/tickets/{id}/messages"), &tom_token)
            .await,
        200,
    );
    assert_eq!(all.as_array().unwrap().len(), 4);

    // Resolve, then Alice reopens by answering; then it is resolved and closed for good.
    expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &tom_token,
            json!({"status": "resolved"}),
        )
        .await,
        200,
    );
    let reopened = expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &alice_token,
            json!({"body": "It jams again!"}),
        )
        .await,
        201,
    );
    assert_eq!(reopened["ticket"]["status"], "open");
    assert_eq!(reopened["ticket"]["reopen_count"], 1);
    expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &tom_token,
            json!({"status": "resolved"}),
        )
        .await,
        200,
    );
    let closed = expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &tom_token,
            json!({"status": "closed"}),
        )
        .await,
        200,
    );
    assert!(closed["closed_at"].is_string());
    let refused = expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &tom_token,
            json!({"status": "pending_requester"}),
        )
        .await,
        409,
    );
    assert_eq!(refused["error"]["code"], "conflict");
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &alice_token,
            json!({"body": "hello?"}),
        )
        .await,
        409,
    );

    // History: who changed which field from what to what, in order.
    let h = expect(
        app.get(&format!("/api/v1/tickets/{id}/history"), &tom_token)
            .await,
        200,
    );
    let h = h.as_array().unwrap();
    assert_eq!(h[0]["action"], "created");
    assert_eq!(h[0]["actor_id"], alice_id);
    let status_changes: Vec<(String, String)> = h
        .iter()
        .filter(|e| e["field"] == "status")
        .map(|e| {
            (
                e["old"].as_str().unwrap().to_string(),
                e["new"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = status_changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("new", "pending_requester"),
            ("pending_requester", "open"),
            ("open", "resolved"),
            ("resolved", "open"),
            ("open", "resolved"),
            ("resolved", "closed"),
        ]
    );
    let assignee = h.iter().find(|e| e["field"] == "assignee").unwrap();
    assert_eq!(
        (assignee["old"].clone(), assignee["new"].clone()),
        (json!(null), json!(tech_id.to_string()))
    );
    assert_eq!(assignee["actor_id"], tech_id);
    assert_eq!(assignee["at"], "2026-03-02T09:10:00Z");
    // Requesters do not read history.
    expect(
        app.get(&format!("/api/v1/tickets/{id}/history"), &alice_token)
            .await,
        403,
    );
}
on_both!(ticket_story);

async fn lists_filter_sort_and_page(app: &TestApp) {
    let (tech, tok) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let org = expect(
        app.post(
            "/api/v1/organisations",
            &app.person("a@msp.example", Role::Admin, None, false)
                .await
                .1,
            json!({"name": "Globex"}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (req, _) = app
        .person("req@globex.example", Role::Requester, Some(org), false)
        .await;
    let mut ids = Vec::new();
    for i in 0..7 {
        app.clock.advance(SignedDuration::from_mins(1));
        let body = if i % 2 == 0 {
            json!({"subject": format!("ticket {i}"), "requester_id": req, "assignee_id": tech, "tags": ["even"], "type": "service_request"})
        } else {
            json!({"subject": format!("ticket {i}"), "requester_id": req, "impact": "high", "urgency": "high"})
        };
        ids.push(
            expect(app.post("/api/v1/tickets", &tok, body).await, 201)["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // Newest first by default; three pages of three, two, ... following next_cursor.
    let mut seen = Vec::new();
    let mut url = "/api/v1/tickets?limit=3".to_string();
    loop {
        let page = expect(app.get(&url, &tok).await, 200);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/tickets?limit=3&cursor={c}"),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let count = |v: serde_json::Value| v["items"].as_array().unwrap().len();
    assert_eq!(
        count(expect(
            app.get("/api/v1/tickets?assignee=me", &tok).await,
            200
        )),
        4
    );
    assert_eq!(
        count(expect(
            app.get("/api/v1/tickets?assignee=none", &tok).await,
            200
        )),
        3
    );
    assert_eq!(
        count(expect(app.get("/api/v1/tickets?tag=EVEN", &tok).await, 200)),
        4
    );
    assert_eq!(
        count(expect(
            app.get("/api/v1/tickets?priority=critical", &tok).await,
            200
        )),
        3
    );
    assert_eq!(
        count(expect(
            app.get("/api/v1/tickets?type=service_request,problem", &tok)
                .await,
            200
        )),
        4
    );
    assert_eq!(
        count(expect(
            app.get(
                &format!("/api/v1/tickets?organisation={org}&status=new"),
                &tok
            )
            .await,
            200
        )),
        7
    );
    assert_eq!(
        count(expect(
            app.get("/api/v1/tickets?status=open", &tok).await,
            200
        )),
        0
    );
    assert_eq!(
        count(expect(
            app.get("/api/v1/tickets?updated_since=2026-03-02T09:05:00Z", &tok)
                .await,
            200
        )),
        3
    );
    // Priority ascending puts critical first, ties by id.
    let by_prio = expect(
        app.get("/api/v1/tickets?sort=priority&order=asc&limit=3", &tok)
            .await,
        200,
    );
    let first: Vec<_> = by_prio["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["priority"].clone())
        .collect();
    assert_eq!(first, vec![json!("critical"); 3]);
    // A cursor from one sort is refused by another.
    let c = by_prio["next_cursor"].as_str().unwrap().to_string();
    expect(
        app.get(&format!("/api/v1/tickets?sort=created&cursor={c}"), &tok)
            .await,
        400,
    );
}
on_both!(lists_filter_sort_and_page);

async fn requesters_with_organisation_access_see_colleagues_tickets(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let org = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Initech"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (_, peter) = app
        .person("peter@initech.example", Role::Requester, Some(org), false)
        .await;
    let (_, bill) = app
        .person("bill@initech.example", Role::Requester, Some(org), true)
        .await;
    let (_, milton) = app
        .person("milton@initech.example", Role::Requester, Some(org), false)
        .await;
    let t = expect(
        app.post("/api/v1/tickets", &peter, json!({"subject": "TPS reports"}))
            .await,
        201,
    );
    let id = t["id"].as_i64().unwrap();
    expect(app.get(&format!("/api/v1/tickets/{id}"), &bill).await, 200);
    expect(
        app.get(&format!("/api/v1/tickets/{id}"), &milton).await,
        404,
    );
    let bills = expect(app.get("/api/v1/tickets", &bill).await, 200);
    assert_eq!(bills["items"].as_array().unwrap().len(), 1);
    let miltons = expect(app.get("/api/v1/tickets", &milton).await, 200);
    assert_eq!(miltons["items"].as_array().unwrap().len(), 0);
}
on_both!(requesters_with_organisation_access_see_colleagues_tickets);

async fn a_requester_who_moves_takes_their_tickets_along(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let old = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Old Co"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let new = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "New Co"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (mover, mover_t) = app
        .person("mover@old.example", Role::Requester, Some(old), false)
        .await;
    let (_, old_colleague) = app
        .person("stays@old.example", Role::Requester, Some(old), true)
        .await;
    let (_, new_colleague) = app
        .person("there@new.example", Role::Requester, Some(new), true)
        .await;
    let id = expect(
        app.post("/api/v1/tickets", &mover_t, json!({"subject": "My laptop"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    expect(
        app.get(&format!("/api/v1/tickets/{id}"), &old_colleague)
            .await,
        200,
    );

    app.clock.advance(SignedDuration::from_mins(1));
    expect(
        app.patch(
            &format!("/api/v1/people/{mover}"),
            &admin,
            json!({"organisation_id": new}),
        )
        .await,
        200,
    );
    let t = expect(app.get(&format!("/api/v1/tickets/{id}"), &admin).await, 200);
    assert_eq!(t["organisation_id"], new);
    expect(
        app.get(&format!("/api/v1/tickets/{id}"), &old_colleague)
            .await,
        404,
    );
    expect(
        app.get(&format!("/api/v1/tickets/{id}"), &new_colleague)
            .await,
        200,
    );
    let h = expect(
        app.get(&format!("/api/v1/tickets/{id}/history"), &admin)
            .await,
        200,
    );
    let moved = h
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "organisation")
        .unwrap();
    assert_eq!(
        (moved["old"].clone(), moved["new"].clone()),
        (json!(old.to_string()), json!(new.to_string()))
    );
}
on_both!(a_requester_who_moves_takes_their_tickets_along);

/// Two people act on the same ticket at the same moment: the writes are serialised, so the result
/// is one of the possible orders, never a mix (on PostgreSQL this needs the row lock).
async fn concurrent_changes_to_one_ticket_do_not_mix(app: &TestApp) {
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (req, req_t) = app
        .person("req@example.com", Role::Requester, None, false)
        .await;
    for round in 0..8 {
        let id = expect(
            app.post(
                "/api/v1/tickets",
                &tech,
                json!({"subject": format!("race {round}"), "requester_id": req}),
            )
            .await,
            201,
        )["id"]
            .as_i64()
            .unwrap();
        expect(
            app.patch(
                &format!("/api/v1/tickets/{id}"),
                &tech,
                json!({"status": "resolved"}),
            )
            .await,
            200,
        );
        let (path, messages) = (
            format!("/api/v1/tickets/{id}"),
            format!("/api/v1/tickets/{id}/messages"),
        );
        let close = app.patch(&path, &tech, json!({"status": "closed", "add_tags": ["a"]}));
        let reply = app.post(&messages, &req_t, json!({"body": "still broken"}));
        let tag = app.patch(&path, &tech, json!({"add_tags": ["b"]}));
        let ((close_s, _), (reply_s, _), (tag_s, _)) = tokio::join!(close, reply, tag);
        let t = expect(app.get(&format!("/api/v1/tickets/{id}"), &tech).await, 200);
        assert_eq!(close_s, 200, "closing a resolved or reopened ticket works");
        assert_eq!(t["status"], "closed", "round {round}: {t}");
        assert!(t["closed_at"].is_string());
        // The reply either came first (and reopened the ticket) or was refused as too late.
        match reply_s.as_u16() {
            201 => assert_eq!(t["reopen_count"], 1, "round {round}: {t}"),
            409 => assert_eq!(t["reopen_count"], 0, "round {round}: {t}"),
            other => panic!("round {round}: reply gave {other}"),
        }
        match tag_s.as_u16() {
            200 => assert_eq!(t["tags"], json!(["a", "b"]), "round {round}: {t}"),
            409 => assert_eq!(t["tags"], json!(["a"]), "round {round}: {t}"),
            other => panic!("round {round}: tagging gave {other}"),
        }
    }
}
on_both!(concurrent_changes_to_one_ticket_do_not_mix);
