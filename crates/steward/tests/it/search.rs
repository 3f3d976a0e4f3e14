//! The search box over the API, on both databases: relevance on a small fixture (the obviously
//! right ticket first), stemming, prefixes, phrases and left-out words, the filters, `#1234`, and
//! permissions (a requester never finds another organisation's tickets or any internal note,
//! whatever the query). Malformed queries are a 400 that says what is wrong.

use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

fn path(q: &str, extra: &str) -> String {
    let url = reqwest::Url::parse_with_params("http://x/api/v1/search", &[("q", q)]).unwrap();
    format!("/api/v1/search?{}{extra}", url.query().unwrap())
}

async fn search(app: &TestApp, token: &str, q: &str) -> Value {
    expect(app.get(&path(q, ""), token).await, 200)
}

/// The subjects of the tickets found, in order.
async fn subjects(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    search(app, token, q).await["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["ticket"]["subject"].as_str().unwrap().to_string())
        .collect()
}

async fn ticket(app: &TestApp, token: &str, subject: &str, body: &str) -> (i64, i64) {
    let t = expect(
        app.post(
            "/api/v1/tickets",
            token,
            json!({"subject": subject, "body": body}),
        )
        .await,
        201,
    );
    (t["id"].as_i64().unwrap(), t["number"].as_i64().unwrap())
}

/// Changes a ticket over the API; the ticket as it is now.
async fn update(app: &TestApp, token: &str, id: i64, change: Value) -> Value {
    expect(
        app.patch(&format!("/api/v1/tickets/{id}"), token, change)
            .await,
        200,
    )
}

async fn message(app: &TestApp, token: &str, id: i64, kind: &str, body: &str) {
    expect(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            token,
            json!({"kind": kind, "body": body}),
        )
        .await,
        201,
    );
}

async fn search_finds_what_each_person_may_see(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (tech_id, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let acme = expect(
        app.post(
            "/api/v1/organisations",
            &admin,
            json!({"name": "Acme Corporation", "slug": "acme", "domains": ["acme.example"]}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let globex = expect(
        app.post(
            "/api/v1/organisations",
            &admin,
            json!({"name": "Globex", "domains": ["globex.example"]}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (_, ann) = app
        .person("ann@acme.example", Role::Requester, Some(acme), false)
        .await;
    let (_, bob) = app
        .person("bob@globex.example", Role::Requester, Some(globex), false)
        .await;

    let (vpn_ann, vpn_ann_no) = ticket(
        app,
        &ann,
        "VPN drops every hour",
        "The VPN connection drops every hour since Monday.",
    )
    .await;
    let (printer, _) = ticket(
        app,
        &ann,
        "Printer out of toner",
        "The printer on floor 3 says the toner is low.",
    )
    .await;
    let (vpn_bob, _) = ticket(
        app,
        &bob,
        "VPN client crashes on start",
        "The VPN app crashes as soon as it opens.",
    )
    .await;
    let (password, _) = ticket(
        app,
        &bob,
        "Password reset",
        "I forgot my password for the payroll portal.",
    )
    .await;
    message(
        app,
        &tech,
        printer,
        "internal",
        "Vendor contract zebra-42 covers toner.",
    )
    .await;
    message(
        app,
        &tech,
        vpn_bob,
        "public",
        "Please reinstall the AnyConnect client.",
    )
    .await;

    // Relevance: the obviously right ticket first.
    assert_eq!(
        subjects(app, &tech, "vpn drops").await,
        ["VPN drops every hour"]
    );
    let vpn = subjects(app, &tech, "vpn").await;
    assert_eq!(vpn.len(), 2, "{vpn:?}");
    assert_eq!(
        subjects(app, &tech, "printer toner").await[0],
        "Printer out of toner"
    );
    // Stems, prefixes, phrases, words left out, words of the subject and a message together.
    assert_eq!(
        subjects(app, &tech, "printers").await,
        ["Printer out of toner"]
    );
    assert_eq!(
        subjects(app, &tech, "anyconn*").await,
        ["VPN client crashes on start"]
    );
    assert_eq!(
        subjects(app, &tech, "\"drops every hour\"").await,
        ["VPN drops every hour"]
    );
    assert!(subjects(app, &tech, "\"hour every drops\"")
        .await
        .is_empty());
    assert_eq!(
        subjects(app, &tech, "vpn -crashes").await,
        ["VPN drops every hour"]
    );
    assert_eq!(
        subjects(app, &tech, "crashes reinstall").await,
        ["VPN client crashes on start"]
    );
    // Snippets: escaped text with the matching words marked.
    let hit = &search(app, &tech, "monday").await["tickets"][0];
    assert!(
        hit["snippet_html"]
            .as_str()
            .unwrap()
            .contains("since <mark>Monday</mark>."),
        "{hit}"
    );

    // Internal notes: staff find them, requesters never.
    assert_eq!(
        subjects(app, &tech, "zebra").await,
        ["Printer out of toner"]
    );
    assert!(subjects(app, &ann, "zebra").await.is_empty());
    assert!(subjects(app, &ann, "vendor contract").await.is_empty());
    assert!(subjects(app, &ann, "toner -zebra").await.len() == 1);
    // Other organisations' tickets: never, whatever the query.
    assert_eq!(
        subjects(app, &bob, "vpn").await,
        ["VPN client crashes on start"]
    );
    for q in [
        "vpn",
        "drops",
        "monday",
        "printer",
        "toner",
        "org:acme",
        "requester:ann@acme.example",
        "status:new",
        "created:>2000-01-01",
        "drop*",
    ] {
        let found = subjects(app, &bob, q).await;
        assert!(
            found
                .iter()
                .all(|s| s.contains("crashes") || s.contains("Password")),
            "bob searched {q:?} and found {found:?}"
        );
    }
    // Whether a team or organisation of some name exists is not a requester's to learn: an
    // unknown name finds nothing, as a known one outside their scope does.
    assert!(subjects(app, &bob, "org:nowhere").await.is_empty());
    assert!(subjects(app, &bob, "team:nowhere").await.is_empty());
    // `#number` jumps, only to a ticket the asker may see.
    assert_eq!(
        search(app, &ann, &format!("#{vpn_ann_no}")).await["jump_to_ticket"],
        vpn_ann
    );
    assert_eq!(
        search(app, &bob, &format!("#{vpn_ann_no}")).await["jump_to_ticket"],
        Value::Null
    );
    assert_eq!(
        search(app, &tech, "#999999").await["jump_to_ticket"],
        Value::Null
    );

    // Filters.
    expect(
        app.patch(
            &format!("/api/v1/tickets/{vpn_ann}"),
            &tech,
            json!({"assignee_id": tech_id, "status": "pending_vendor", "add_tags": ["network"]}),
        )
        .await,
        200,
    );
    assert_eq!(
        subjects(app, &tech, "vpn status:pending_vendor").await,
        ["VPN drops every hour"]
    );
    assert_eq!(
        subjects(app, &tech, "vpn -status:\"pending vendor\"").await,
        ["VPN client crashes on start"]
    );
    assert_eq!(
        subjects(app, &tech, "assignee:me").await,
        ["VPN drops every hour"]
    );
    assert_eq!(
        subjects(app, &tech, "tag:network").await,
        ["VPN drops every hour"]
    );
    let mut globex_found = subjects(app, &tech, "org:globex.example").await;
    globex_found.sort();
    assert_eq!(
        globex_found,
        ["Password reset", "VPN client crashes on start"]
    );
    assert_eq!(
        subjects(app, &tech, "org:\"Acme Corporation\" toner").await,
        ["Printer out of toner"]
    );
    assert_eq!(
        subjects(app, &tech, "requester:bob password").await,
        ["Password reset"]
    );
    assert_eq!(
        subjects(app, &tech, "status:pending_vendor status:open vpn")
            .await
            .len(),
        2
    );
    assert!(subjects(app, &tech, "created:<2000-01-01").await.is_empty());
    assert_eq!(
        subjects(app, &tech, "updated:<1d type:incident")
            .await
            .len(),
        4
    );
    assert!(subjects(app, &tech, "assignee:none vpn").await == ["VPN client crashes on start"]);

    // A changed subject is found by its new words at once, and its messages with it.
    expect(
        app.patch(
            &format!("/api/v1/tickets/{password}"),
            &tech,
            json!({"subject": "Account locked out"}),
        )
        .await,
        200,
    );
    assert_eq!(
        subjects(app, &tech, "locked payroll").await,
        ["Account locked out"]
    );
    assert!(subjects(app, &tech, "reset").await.is_empty());

    // People and organisations: staff only, by name or address, as they type.
    let found = search(app, &tech, "ann").await;
    assert_eq!(found["people"][0]["email"], "ann@acme.example");
    let found = search(app, &tech, "glob").await;
    assert_eq!(found["organisations"][0]["name"], "Globex");
    assert_eq!(
        search(app, &tech, "ann@acme.example").await["people"][0]["email"],
        "ann@acme.example"
    );
    let found = search(app, &ann, "ann").await;
    assert!(found["people"].as_array().unwrap().is_empty());
    assert!(found["organisations"].as_array().unwrap().is_empty());
    let found = expect(
        app.get(&path("acme", "&in=organisations"), &tech).await,
        200,
    );
    assert_eq!(found["organisations"][0]["slug"], "acme");
    assert!(found["tickets"].as_array().unwrap().is_empty());

    // Malformed queries: a 400 that says what is wrong.
    for (q, says) in [
        ("status:bogus", "is no status"),
        ("\"unclosed phrase", "not closed"),
        ("team:nowhere", "names no team"),
        ("org:nowhere", "names no organisation"),
        ("created:>someday", "is not a date"),
        ("-vpn", "what to look for"),
    ] {
        let (status, body) = app.get(&path(q, ""), &tech).await;
        assert_eq!(status, 422, "{q:?}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(says)
                || body.to_string().contains(says),
            "{q:?}: {body}"
        );
    }
    let (status, _) = app.get(&path("vpn", "&in=everywhere"), &tech).await;
    assert_eq!(status, 422);
    let (status, _) = app.get(&path("vpn", "&page=51"), &tech).await;
    assert_eq!(status, 422);
    let (status, _) = app.call(Method::GET, &path("vpn", ""), None, None).await;
    assert_eq!(status, 401);
    // Nothing asked, nothing found.
    assert!(subjects(app, &tech, "  ").await.is_empty());

    // A rebuild of the indexes finds the same, and only administrators may start one.
    let mut seen = Vec::new();
    let indexed = app
        .service
        .reindex_search(&steward_domain::Actor::system(), |done, total| {
            seen.push((done, total))
        })
        .await
        .unwrap();
    assert_eq!(indexed, 6);
    assert_eq!(seen.last(), Some(&(6, 6)));
    assert_eq!(
        subjects(app, &tech, "locked payroll").await,
        ["Account locked out"]
    );
    assert_eq!(
        subjects(app, &tech, "zebra").await,
        ["Printer out of toner"]
    );
    assert!(subjects(app, &ann, "zebra").await.is_empty());
    assert_eq!(
        search(app, &tech, "glob").await["organisations"][0]["name"],
        "Globex"
    );
    assert_eq!(
        search(app, &tech, "ann").await["people"][0]["email"],
        "ann@acme.example"
    );
    let tech_actor = app.service.token(&tech).await.unwrap().actor;
    assert!(app
        .service
        .reindex_search(&tech_actor, |_, _| {})
        .await
        .is_err());
}
on_both!(search_finds_what_each_person_may_see);

/// Pages of results, and a requester with access to their organisation's tickets.
async fn search_pages_and_organisation_access(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let acme = expect(
        app.post(
            "/api/v1/organisations",
            &admin,
            json!({"name": "Acme", "domains": ["acme.example"]}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let (_, ann) = app
        .person("ann@acme.example", Role::Requester, Some(acme), false)
        .await;
    let (_, boss) = app
        .person("boss@acme.example", Role::Requester, Some(acme), true)
        .await;
    for i in 0..25 {
        ticket(app, &ann, &format!("Laptop {i} is slow"), "It is slow.").await;
    }
    let first = search(app, &admin, "laptop").await;
    assert_eq!(first["tickets"].as_array().unwrap().len(), 20);
    assert_eq!(first["more_tickets"], true);
    let second = expect(app.get(&path("laptop", "&page=2"), &admin).await, 200);
    assert_eq!(second["tickets"].as_array().unwrap().len(), 5);
    assert_eq!(second["more_tickets"], false);
    // The organisation's manager sees its tickets; a colleague without that access does not.
    let (_, carl) = app
        .person("carl@acme.example", Role::Requester, Some(acme), false)
        .await;
    assert_eq!(
        search(app, &boss, "laptop").await["tickets"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    assert!(search(app, &carl, "laptop").await["tickets"]
        .as_array()
        .unwrap()
        .is_empty());
}
on_both!(search_pages_and_organisation_access);

/// The indexes name each ticket's status, organisation and requester beside its words (migration
/// 0016), so that a filter on them is answered inside the index. Those words follow the ticket
/// when it changes, survive a rebuild, and are never found by what someone types.
async fn search_scope_follows_the_ticket(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, tech) = app
        .person("tech@msp.example", Role::Technician, None, false)
        .await;
    let mut orgs = Vec::new();
    for name in ["Acme", "Globex"] {
        let id = expect(
            app.post(
                "/api/v1/organisations",
                &admin,
                json!({"name": name, "domains": [format!("{}.example", name.to_lowercase())]}),
            )
            .await,
            201,
        )["id"]
            .as_i64()
            .unwrap();
        orgs.push(id);
    }
    let (ann_id, ann) = app
        .person("ann@acme.example", Role::Requester, Some(orgs[0]), false)
        .await;
    let (_, boss) = app
        .person("boss@acme.example", Role::Requester, Some(orgs[0]), true)
        .await;
    let (bob_id, bob) = app
        .person("bob@globex.example", Role::Requester, Some(orgs[1]), false)
        .await;
    let (scanner, _) = ticket(app, &ann, "Scanner jams", "The scanner jams on every page.").await;
    // The requester's own reply leaves the ticket new.
    message(app, &ann, scanner, "public", "It is the office model.").await;
    let _ = ticket(
        app,
        &bob,
        "Scanner driver",
        "The scanner driver will not install.",
    )
    .await;

    assert_eq!(
        subjects(app, &tech, "status:new scanner").await.len(),
        2,
        "both tickets are new"
    );
    assert!(subjects(app, &tech, "status:open scanner").await.is_empty());
    // A status change moves the ticket's words (the subject's and every message's).
    update(app, &tech, scanner, json!({"status": "open"})).await;
    assert_eq!(
        subjects(app, &tech, "status:open scanner").await,
        ["Scanner jams"]
    );
    assert_eq!(
        subjects(app, &tech, "status:open model").await,
        ["Scanner jams"]
    );
    assert_eq!(
        subjects(app, &tech, "status:unresolved jams").await,
        ["Scanner jams"]
    );
    assert_eq!(
        subjects(app, &tech, "status:new scanner").await,
        ["Scanner driver"]
    );
    assert_eq!(
        subjects(app, &tech, "-status:new scanner").await,
        ["Scanner jams"]
    );
    assert_eq!(
        subjects(app, &tech, "status:new status:open scanner")
            .await
            .len(),
        2
    );
    // Organisation and requester filters, and requesters' own scope.
    assert_eq!(
        subjects(app, &tech, "org:globex scanner").await,
        ["Scanner driver"]
    );
    assert_eq!(
        subjects(app, &tech, "requester:ann@acme.example scanner").await,
        ["Scanner jams"]
    );
    assert_eq!(subjects(app, &boss, "scanner").await, ["Scanner jams"]);
    assert_eq!(subjects(app, &bob, "scanner").await, ["Scanner driver"]);
    // Another requester (of another organisation): the ticket's words follow it.
    let moved = update(app, &tech, scanner, json!({"requester_id": bob_id})).await;
    assert_eq!(moved["organisation_id"], orgs[1], "{moved}");
    assert!(subjects(app, &boss, "scanner").await.is_empty());
    assert!(subjects(app, &ann, "model").await.is_empty());
    assert_eq!(subjects(app, &bob, "model").await, ["Scanner jams"]);
    assert_eq!(subjects(app, &tech, "org:globex scanner").await.len(), 2);
    // A new subject rewrites the words and keeps the scope.
    update(
        app,
        &tech,
        scanner,
        json!({"subject": "Flatbed scanner jams"}),
    )
    .await;
    assert_eq!(
        subjects(app, &tech, "status:open flatbed").await,
        ["Flatbed scanner jams"]
    );
    assert_eq!(
        subjects(app, &bob, "flatbed model").await,
        ["Flatbed scanner jams"]
    );

    // A rebuild keeps them too.
    app.service
        .reindex_search(&steward_domain::Actor::system(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        subjects(app, &tech, "status:open model").await,
        ["Flatbed scanner jams"]
    );
    assert_eq!(subjects(app, &bob, "scanner").await.len(), 2);
    assert!(subjects(app, &ann, "scanner").await.is_empty());

    // The scope words are not words anyone can find.
    for q in [
        "xsopen",
        "xsnew",
        &format!("xo{}", orgs[1]),
        &format!("xr{ann_id}"),
        "s open",
        &format!("\"o {}\"", orgs[1]),
    ] {
        assert!(subjects(app, &tech, q).await.is_empty(), "{q:?}");
    }
}
on_both!(search_scope_follows_the_ticket);
