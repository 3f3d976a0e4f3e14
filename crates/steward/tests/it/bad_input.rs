//! Bad input gets a 4xx JSON error that says what is wrong, and changes nothing.

use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

async fn bad_requests_are_refused_clearly_and_change_nothing(app: &TestApp) {
    let (tech_id, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (req, _) = app
        .person("req@example.com", Role::Requester, None, false)
        .await;
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &tech,
            json!({"subject": "Original", "requester_id": req}),
        )
        .await,
        201,
    );
    let id = t["id"].as_i64().unwrap();
    let before = expect(app.get(&format!("/api/v1/tickets/{id}"), &tech).await, 200);
    let ticket = format!("/api/v1/tickets/{id}");

    let long = "x".repeat(251);
    let huge = "y".repeat(300 * 1024);
    let cases: Vec<(Method, String, Value, u16, &str)> = vec![
        (
            Method::PATCH,
            ticket.clone(),
            json!({"subject": long}),
            422,
            "subject",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"subject": "  "}),
            422,
            "subject",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"status": "sleeping"}),
            422,
            "unknown variant",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"priority": 3}),
            422,
            "priority",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"colour": "red"}),
            422,
            "unknown field",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"assignee_id": 999_999}),
            422,
            "assignee_id",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"assignee_id": req}),
            422,
            "staff",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"team_id": 424_242}),
            422,
            "team_id",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"category_id": 7}),
            422,
            "category_id",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"requester_id": -1}),
            422,
            "requester_id",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"add_tags": ["no spaces allowed"]}),
            422,
            "tag",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"subject": "new", "status": "new"}),
            200,
            "",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"status": "closed"}),
            200,
            "",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"subject": "after close", "status": "open"}),
            409,
            "closed",
        ),
        (
            Method::POST,
            format!("{ticket}/messages"),
            json!({"body": ""}),
            422,
            "body",
        ),
        (
            Method::POST,
            format!("{ticket}/messages"),
            json!({"body": huge}),
            422,
            "body",
        ),
        (
            Method::POST,
            format!("{ticket}/messages"),
            json!({"kind": "shout", "body": "x"}),
            422,
            "unknown variant",
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({"requester_id": req}),
            422,
            "subject",
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({"subject": "no requester"}),
            422,
            "requester_id",
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({"subject": "x", "requester_id": 9_999_999}),
            422,
            "requester_id",
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({"subject": "x", "requester_id": "1"}),
            422,
            "requester_id",
        ),
        (
            Method::POST,
            "/api/v1/people".into(),
            json!({"email": "not-an-email", "name": "X", "role": "requester"}),
            403,
            "",
        ),
        (
            Method::GET,
            "/api/v1/tickets/999999".into(),
            Value::Null,
            404,
            "ticket not found",
        ),
        (
            Method::GET,
            "/api/v1/tickets/abc".into(),
            Value::Null,
            400,
            "",
        ),
        (
            Method::GET,
            "/api/v1/tickets/99999999999999999999999".into(),
            Value::Null,
            400,
            "",
        ),
        (
            Method::GET,
            "/api/v1/tickets?status=bogus".into(),
            Value::Null,
            400,
            "status",
        ),
        (
            Method::GET,
            "/api/v1/tickets?limit=ten".into(),
            Value::Null,
            400,
            "limit",
        ),
        (
            Method::GET,
            "/api/v1/tickets?cursor=garbage".into(),
            Value::Null,
            400,
            "cursor",
        ),
        (
            Method::GET,
            "/api/v1/tickets?updated_since=yesterday".into(),
            Value::Null,
            400,
            "updated_since",
        ),
        (
            Method::GET,
            "/api/v1/tickets?frobnicate=1".into(),
            Value::Null,
            400,
            "frobnicate",
        ),
        (
            Method::GET,
            "/api/v1/nothing-here".into(),
            Value::Null,
            404,
            "no such API endpoint",
        ),
        (
            Method::DELETE,
            "/api/v1/tickets".into(),
            Value::Null,
            405,
            "",
        ),
        (
            Method::GET,
            "/api/v1/tickets?limit=0".into(),
            Value::Null,
            400,
            "limit",
        ),
        (
            Method::GET,
            "/api/v1/tickets?limit=201".into(),
            Value::Null,
            400,
            "limit",
        ),
        (
            Method::GET,
            "/api/v1/tickets?tag=two%20words".into(),
            Value::Null,
            400,
            "tag",
        ),
        (
            Method::GET,
            "/api/v1/people?q=a%00b".into(),
            Value::Null,
            422,
            "q",
        ),
        (
            Method::PATCH,
            ticket.clone(),
            json!({"subject": "edited after closing"}),
            409,
            "closed",
        ),
    ];
    for (method, path, body, status, needle) in cases {
        let body = if body.is_null() { None } else { Some(body) };
        let (got_status, got) = app.call(method.clone(), &path, Some(&tech), body).await;
        assert_eq!(got_status.as_u16(), status, "{method} {path}: {got}");
        if status >= 400 {
            let msg = got["error"]["message"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: not a JSON error: {got}"));
            assert!(got["error"]["code"].is_string());
            assert!(
                msg.contains(needle),
                "{method} {path}: message {msg:?} should mention {needle:?}"
            );
        }
    }
    // The two successful changes happened; nothing from the refused ones did.
    let after = expect(app.get(&format!("/api/v1/tickets/{id}"), &tech).await, 200);
    assert_eq!(after["subject"], "new");
    assert_eq!(after["status"], "closed");
    assert_eq!(after["assignee_id"], Value::Null);
    assert_eq!(after["tags"], json!([]));
    assert_eq!(before["requester_id"], after["requester_id"]);
    let msgs = expect(
        app.get(&format!("/api/v1/tickets/{id}/messages"), &tech)
            .await,
        200,
    );
    assert!(msgs.as_array().unwrap().is_empty());
    let _ = tech_id;

    // Text with NUL bytes is refused with a 4xx on both databases (PostgreSQL cannot store it).
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let body = expect(
        app.post(
            "/api/v1/teams",
            &admin,
            json!({"name": "T", "description": "a\u{0}b"}),
        )
        .await,
        422,
    );
    assert_eq!(body["error"]["field"], "description");
    expect(
        app.post("/api/v1/teams", &admin, json!({"name": "a\u{0}b"}))
            .await,
        422,
    );
    expect(app.get("/api/v1/people?q=a%00b", &admin).await, 422);
    expect(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"subject": "x\u{0}", "requester_id": req}),
        )
        .await,
        422,
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "a\u{0}@x.example", "password": "p"})),
        )
        .await;
    assert_eq!(status, 401);
}
on_both!(bad_requests_are_refused_clearly_and_change_nothing);

async fn malformed_bodies(app: &TestApp) {
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let send = |body: &'static str, content_type: &'static str| {
        let req = app
            .http
            .post(format!("{}/api/v1/tickets", app.base))
            .bearer_auth(&tech)
            .header("content-type", content_type)
            .body(body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let v: Value = res.json().await.unwrap();
            (status, v["error"]["code"].as_str().unwrap().to_string())
        }
    };
    assert_eq!(
        send("{\"subject\": ", "application/json").await,
        (400, "malformed_json".into())
    );
    assert_eq!(
        send("[1, 2, 3]", "application/json").await,
        (422, "invalid".into())
    );
    assert_eq!(
        send("subject=x", "application/x-www-form-urlencoded").await,
        (415, "unsupported_media_type".into())
    );
    // Over the body limit. (A client of its own: the server closes that connection without reading
    // the rest of the body, which must not disturb the pooled connections of the other requests.)
    let big = format!("{{\"subject\": \"{}\"}}", "z".repeat(2 * 1024 * 1024));
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/tickets", app.base))
        .bearer_auth(&tech)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let (_, list) = (200, expect(app.get("/api/v1/tickets", &tech).await, 200));
    assert!(list["items"].as_array().unwrap().is_empty());
}
on_both!(malformed_bodies);
