//! The authorization matrix: every ticket route, tried by everyone who must not get the data.

use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

/// Every ticket route with a body that would succeed for the ticket's owner or staff.
fn ticket_routes(id: i64, number: i64, victim: i64) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/v1/tickets/{id}"), None),
        (
            Method::GET,
            format!("/api/v1/tickets/number/{number}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/tickets/{id}"),
            Some(json!({"subject": "pwned"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/tickets/{id}"),
            Some(json!({"status": "closed"})),
        ),
        (Method::GET, format!("/api/v1/tickets/{id}/messages"), None),
        (
            Method::POST,
            format!("/api/v1/tickets/{id}/messages"),
            Some(json!({"body": "hi"})),
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{id}/messages"),
            Some(json!({"kind": "internal", "body": "hi"})),
        ),
        (Method::GET, format!("/api/v1/tickets/{id}/history"), None),
        (Method::GET, format!("/api/v1/tickets/{id}/watchers"), None),
        (
            Method::POST,
            format!("/api/v1/tickets/{id}/watchers"),
            Some(json!({"email": "spy@globex.example"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/tickets/{id}/watchers/{victim}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            Some(json!({"subject": "as you", "requester_id": victim})),
        ),
    ]
}

fn leaks(body: &Value) -> bool {
    let s = body.to_string();
    s.contains("Salary spreadsheet") || s.contains("secret note") || s.contains("victim's text")
}

async fn ticket_routes_refuse_everyone_else(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let org = |name: &'static str| {
        let admin = admin.clone();
        async move {
            expect(
                app.post("/api/v1/organisations", &admin, json!({"name": name}))
                    .await,
                201,
            )["id"]
                .as_i64()
                .unwrap()
        }
    };
    let acme = org("Acme").await;
    let globex = org("Globex").await;
    let (victim, victim_token) = app
        .person("victim@acme.example", Role::Requester, Some(acme), false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let t = expect(
        app.post(
            "/api/v1/tickets",
            &victim_token,
            json!({"subject": "Salary spreadsheet", "body": "victim's text"}),
        )
        .await,
        201,
    );
    let (id, number) = (t["id"].as_i64().unwrap(), t["number"].as_i64().unwrap());
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &tech,
            json!({"kind": "internal", "body": "secret note"}),
        )
        .await,
        201,
    );
    let before = expect(app.get(&format!("/api/v1/tickets/{id}"), &tech).await, 200);

    // Who must not get in, and what they must get instead.
    let (_, other_org) = app
        .person("eve@globex.example", Role::Requester, Some(globex), true)
        .await;
    let (_, same_org_no_access) = app
        .person("mallory@acme.example", Role::Requester, Some(acme), false)
        .await;
    let (revoked_id, revoked) = {
        let (pid, _) = app
            .person("rita@acme.example", Role::Technician, None, false)
            .await;
        let t = app
            .service
            .create_token(
                &steward_domain::Actor::system(),
                steward_domain::PersonId(pid),
                "soon revoked",
                None,
            )
            .await
            .unwrap();
        (t.token.id.0, t.secret)
    };
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/tokens/{revoked_id}"),
            Some(&admin),
            None,
        )
        .await,
        200,
    );
    let (deactivated_id, deactivated) = app
        .person("dan@msp.example", Role::Technician, None, false)
        .await;
    expect(
        app.patch(
            &format!("/api/v1/people/{deactivated_id}"),
            &admin,
            json!({"active": false}),
        )
        .await,
        200,
    );

    let callers: Vec<(&str, Option<&str>, &[u16])> = vec![
        ("anonymous", None, &[401]),
        ("revoked token", Some(revoked.as_str()), &[401]),
        ("deactivated person", Some(deactivated.as_str()), &[401]),
        ("garbage token", Some("stw_not-a-token"), &[401]),
        (
            "requester of another organisation",
            Some(other_org.as_str()),
            &[403, 404],
        ),
        (
            "requester without organisation access",
            Some(same_org_no_access.as_str()),
            &[403, 404],
        ),
    ];
    for (who, token, allowed) in &callers {
        for (method, path, body) in ticket_routes(id, number, victim) {
            let (status, got) = app.call(method.clone(), &path, *token, body.clone()).await;
            assert!(
                allowed.contains(&status.as_u16()),
                "{who}: {method} {path} gave {status}: {got}"
            );
            assert!(
                got["error"]["code"].is_string(),
                "{who}: {method} {path}: not a JSON error: {got}"
            );
            assert!(!leaks(&got), "{who}: {method} {path} leaked: {got}");
        }
        // Lists answer, but never with the ticket.
        let (status, got) = app.call(Method::GET, "/api/v1/tickets", *token, None).await;
        assert!(status == 200 || status == 401, "{who}: list gave {status}");
        assert!(!leaks(&got), "{who}: list leaked: {got}");
        for filter in [
            format!("requester={victim}"),
            format!("organisation={acme}"),
        ] {
            let (_, got) = app
                .call(
                    Method::GET,
                    &format!("/api/v1/tickets?{filter}"),
                    *token,
                    None,
                )
                .await;
            assert!(!leaks(&got), "{who}: list with {filter} leaked: {got}");
        }
    }
    // Requesters of other organisations get "not found", not "forbidden", for someone else's ticket.
    expect(
        app.get(&format!("/api/v1/tickets/{id}"), &other_org).await,
        404,
    );

    // Nothing changed.
    let after = expect(app.get(&format!("/api/v1/tickets/{id}"), &tech).await, 200);
    assert_eq!(before, after);
    let msgs = expect(
        app.get(&format!("/api/v1/tickets/{id}/messages"), &tech)
            .await,
        200,
    );
    assert_eq!(msgs.as_array().unwrap().len(), 2);

    // The owner may read, reply, and not more.
    expect(
        app.get(&format!("/api/v1/tickets/{id}"), &victim_token)
            .await,
        200,
    );
    expect(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &victim_token,
            json!({"subject": "x"}),
        )
        .await,
        403,
    );
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &victim_token,
            json!({"kind": "internal", "body": "x"}),
        )
        .await,
        403,
    );
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            &victim_token,
            json!({"body": "x", "status": "resolved"}),
        )
        .await,
        403,
    );
    expect(
        app.post(
            "/api/v1/tickets",
            &victim_token,
            json!({"subject": "x", "assignee_id": 1}),
        )
        .await,
        403,
    );
}
on_both!(ticket_routes_refuse_everyone_else);

async fn directory_routes_follow_roles(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let acme = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Acme"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let globex = expect(
        app.post("/api/v1/organisations", &admin, json!({"name": "Globex"}))
            .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (alice, alice_t) = app
        .person("alice@acme.example", Role::Requester, Some(acme), true)
        .await;
    let (eve, _) = app
        .person("eve@globex.example", Role::Requester, Some(globex), false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let (_, manager) = app
        .person("manager@msp.example", Role::Manager, None, false)
        .await;

    // Requesters see themselves and their organisation only.
    expect(
        app.get(&format!("/api/v1/people/{alice}"), &alice_t).await,
        200,
    );
    expect(
        app.get(&format!("/api/v1/people/{eve}"), &alice_t).await,
        404,
    );
    expect(app.get("/api/v1/people", &alice_t).await, 403);
    expect(
        app.get(&format!("/api/v1/organisations/{acme}"), &alice_t)
            .await,
        200,
    );
    expect(
        app.get(&format!("/api/v1/organisations/{globex}"), &alice_t)
            .await,
        404,
    );
    expect(app.get("/api/v1/organisations", &alice_t).await, 403);
    expect(app.get("/api/v1/teams", &alice_t).await, 403);
    expect(app.get("/api/v1/categories", &alice_t).await, 200);

    // Only admins manage people; managers run organisations, teams and categories.
    let new_person = json!({"email": "x@msp.example", "name": "X", "role": "admin"});
    expect(
        app.post("/api/v1/people", &tech, new_person.clone()).await,
        403,
    );
    expect(
        app.post("/api/v1/people", &manager, new_person.clone())
            .await,
        403,
    );
    expect(app.post("/api/v1/people", &alice_t, new_person).await, 403);
    expect(
        app.patch(
            &format!("/api/v1/people/{alice}"),
            &manager,
            json!({"role": "admin"}),
        )
        .await,
        403,
    );
    expect(
        app.patch(
            &format!("/api/v1/people/{alice}"),
            &alice_t,
            json!({"role": "admin"}),
        )
        .await,
        403,
    );
    expect(
        app.post("/api/v1/organisations", &tech, json!({"name": "T"}))
            .await,
        403,
    );
    expect(
        app.post("/api/v1/organisations", &manager, json!({"name": "M"}))
            .await,
        201,
    );
    expect(
        app.post("/api/v1/teams", &tech, json!({"name": "T"})).await,
        403,
    );
    expect(
        app.post("/api/v1/teams", &manager, json!({"name": "M"}))
            .await,
        201,
    );
    expect(
        app.post("/api/v1/categories", &alice_t, json!({"name": "C"}))
            .await,
        403,
    );
    expect(
        app.post("/api/v1/categories", &manager, json!({"name": "Hardware"}))
            .await,
        201,
    );

    // Tokens: one's own only, unless admin.
    expect(
        app.get(&format!("/api/v1/tokens?person_id={eve}"), &alice_t)
            .await,
        403,
    );
    expect(
        app.post(
            "/api/v1/tokens",
            &alice_t,
            json!({"label": "x", "person_id": eve}),
        )
        .await,
        403,
    );
    let mine = expect(
        app.post("/api/v1/tokens", &alice_t, json!({"label": "mine"}))
            .await,
        201,
    );
    let admin_tokens = expect(
        app.get(&format!("/api/v1/tokens?person_id={alice}"), &admin)
            .await,
        200,
    );
    assert!(admin_tokens.to_string().contains("mine"));
    assert!(
        !admin_tokens
            .to_string()
            .contains(mine["secret"].as_str().unwrap()),
        "secrets are never listed"
    );
    let (_, tech2) = app
        .person("tech2@msp.example", Role::Technician, None, false)
        .await;
    let mine_id = mine["token"]["id"].as_i64().unwrap();
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/tokens/{mine_id}"),
            Some(&tech2),
            None,
        )
        .await,
        404,
    );
}
on_both!(directory_routes_follow_roles);
