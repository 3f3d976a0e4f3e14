//! The audit log (who did what, from where; filters, exports, retention, append-only) and
//! sessions listed and ended by their owner and by administrators.

use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

const UA: &str = "AuditTest/1.0 (X11; Linux x86_64) Firefox/140.0";

/// Signs in with a browser-like user agent; returns the status and the cookie if one was set.
async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Option<String>) {
    let res = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("user-agent", UA)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string());
    (res.status().as_u16(), cookie)
}

async fn with_cookie(app: &TestApp, method: Method, path: &str, cookie: &str) -> (u16, Value) {
    let res = app
        .http
        .request(method, format!("{}{}", app.base, path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The audit entries matching a query string, newest first.
async fn audit(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let page = expect(app.get(&format!("/api/v1/audit{query}"), admin).await, 200);
    page["items"].as_array().unwrap().clone()
}

async fn the_audit_log_records_who_did_what(app: &TestApp) {
    let (admin_id, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, tech_token) = app
        .person("boss@msp.example", Role::Technician, None, false)
        .await;
    let tech = expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "tech@msp.example", "name": "Tech", "role": "technician", "password": "a good long password"}),
        )
        .await,
        201,
    );
    let tech_id = tech["id"].as_i64().unwrap();
    let created = audit(app, &admin, "?action=person_created").await;
    let e = created
        .iter()
        .find(|e| e["subject"] == format!("person:{tech_id}"))
        .expect("the creation is recorded");
    assert_eq!(e["actor_id"], admin_id);
    assert_eq!(e["actor_email"], "admin@msp.example");
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["detail"]["role"], "technician");
    assert_eq!(e["detail"]["password"], true);

    // Sign-ins: a wrong password, an unknown address, then the right one.
    assert_eq!(
        login(app, "tech@msp.example", "not the password").await.0,
        401
    );
    assert_eq!(
        login(app, "nobody@msp.example", "whatever it is").await.0,
        401
    );
    let (status, cookie) = login(app, "tech@msp.example", "a good long password").await;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap();
    let failed = audit(app, &admin, "?action=sign_in_failed").await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0]["actor_id"], Value::Null);
    assert_eq!(failed[0]["actor_email"], "nobody@msp.example");
    assert_eq!(failed[0]["detail"]["reason"], "unknown address");
    assert_eq!(failed[1]["actor_id"], tech_id);
    assert_eq!(failed[1]["detail"]["reason"], "wrong password");
    assert_eq!(failed[1]["user_agent"], UA);
    let signed_in = audit(app, &admin, &format!("?action=sign_in&actor_id={tech_id}")).await;
    assert_eq!(signed_in.len(), 1);

    // A role change, with what it was and what it became.
    expect(
        app.patch(
            &format!("/api/v1/people/{tech_id}"),
            &admin,
            json!({"role": "manager"}),
        )
        .await,
        200,
    );
    let changed = audit(
        app,
        &admin,
        &format!("?subject=person:{tech_id}&action=person_changed"),
    )
    .await;
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0]["detail"]["role"],
        json!({"from": "technician", "to": "manager"})
    );

    // Tokens made and revoked.
    let t = expect(
        app.post("/api/v1/tokens", &admin, json!({"label": "backup script"}))
            .await,
        201,
    );
    let tid = t["token"]["id"].as_i64().unwrap();
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/tokens/{tid}"),
            Some(&admin),
            None,
        )
        .await,
        200,
    );
    let tokens = audit(app, &admin, &format!("?subject=token:{tid}")).await;
    let actions: Vec<&str> = tokens
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token_revoked", "token_created"]);
    assert_eq!(tokens[1]["detail"]["label"], "backup script");

    // Settings.
    expect(
        app.post(
            "/api/v1/calendars",
            &admin,
            json!({"name": "Office", "time_zone": "Europe/Berlin",
                   "week": [[{"start": "09:00", "end": "17:00"}], [], [], [], [], [], []]}),
        )
        .await,
        201,
    );
    let settings = audit(app, &admin, "?action=settings_changed").await;
    assert_eq!(settings[0]["detail"]["setting"], "calendar");
    assert_eq!(settings[0]["detail"]["name"], "Office");

    // Only administrators read it; filters are checked.
    expect(app.get("/api/v1/audit", &tech_token).await, 403);
    let (status, _) = with_cookie(app, Method::GET, "/api/v1/audit", &cookie).await;
    assert_eq!(status, 403);
    expect(
        app.get("/api/v1/audit?action=drop_tables", &admin).await,
        422,
    );
    expect(app.get("/api/v1/audit?from=yesterday", &admin).await, 422);
    expect(app.get("/api/v1/audit?limit=501", &admin).await, 422);
    expect(app.get("/api/v1/audit?colour=red", &admin).await, 400);

    // Pages: newest first, each page older than the one before, nothing twice.
    let all = audit(app, &admin, "?limit=500").await;
    let mut paged = vec![];
    let mut cursor = String::new();
    loop {
        let page = expect(
            app.get(&format!("/api/v1/audit?limit=3{cursor}"), &admin)
                .await,
            200,
        );
        paged.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let ids: Vec<Value> = all.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(paged, ids);

    // Exports: oldest first, every entry, and the export itself recorded.
    let res = app
        .http
        .get(format!(
            "{}/api/v1/audit.csv?action=sign_in_failed",
            app.base
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("steward-audit-"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,actor_id,actor_email,action,subject,detail,ip,user_agent"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains("tech@msp.example") && lines[2].contains("nobody@msp.example"));
    let jsonl = app
        .http
        .get(format!("{}/api/v1/audit.jsonl", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let entries: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(entries
        .windows(2)
        .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()));
    let exports = audit(app, &admin, "?action=export").await;
    assert_eq!(exports.len(), 2);
    assert_eq!(
        exports[0]["detail"],
        json!({"what": "audit_log", "format": "jsonl"})
    );
    assert_eq!(
        entries.last().unwrap()["action"],
        "export",
        "the export is in what it exports"
    );

    // Nobody rewrites history, not even with SQL.
    let refused = app
        .raw_sql("UPDATE audit_log SET actor_email = 'someone@else.example'")
        .await;
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("append-only")),
        "{refused:?}"
    );

    // Retention: a day's sweep deletes what is older than the retention and says so.
    let kept_30_days = app.service.clone().with_audit_retention(30);
    kept_30_days.schedule_audit_prune().await.unwrap();
    app.clock.advance(SignedDuration::from_hours(24 * 31));
    expect(
        app.post("/api/v1/tokens", &admin, json!({"label": "new"}))
            .await,
        201,
    );
    kept_30_days.run_due_jobs(10).await.unwrap();
    let left = audit(app, &admin, "?limit=500").await;
    let actions: Vec<&str> = left.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["audit_pruned", "token_created"], "{left:?}");
    assert_eq!(
        left[0]["detail"]["deleted"].as_u64(),
        Some(all.len() as u64 + 2)
    );
}
on_both!(the_audit_log_records_who_did_what);

async fn sessions_are_listed_and_ended(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (_, other) = app
        .person("other@msp.example", Role::Technician, None, false)
        .await;
    let me = expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "me@msp.example", "name": "Me", "role": "technician", "password": "a good long password"}),
        )
        .await,
        201,
    );
    let me_id = me["id"].as_i64().unwrap();
    let a = login(app, "me@msp.example", "a good long password")
        .await
        .1
        .unwrap();
    let b = login(app, "me@msp.example", "a good long password")
        .await
        .1
        .unwrap();
    let c = login(app, "me@msp.example", "a good long password")
        .await
        .1
        .unwrap();

    let (status, list) = with_cookie(app, Method::GET, "/api/v1/sessions", &a).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(list
        .iter()
        .all(|s| s["user_agent"] == UA && s["ip"] == "127.0.0.1"));
    let ids: Vec<String> = list
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.iter().all(|id| id.len() == 16));

    // The session of cookie B, found from B itself, ended from A.
    let (_, from_b) = with_cookie(app, Method::GET, "/api/v1/sessions", &b).await;
    let b_id = from_b
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) =
        with_cookie(app, Method::DELETE, &format!("/api/v1/sessions/{b_id}"), &a).await;
    assert_eq!(status, 204);
    assert_eq!(with_cookie(app, Method::GET, "/api/v1/me", &b).await.0, 401);
    assert_eq!(with_cookie(app, Method::GET, "/api/v1/me", &a).await.0, 200);
    // Again, or a made-up one: not found.
    for id in [b_id.as_str(), "0123456789abcdef", "x"] {
        let (status, _) =
            with_cookie(app, Method::DELETE, &format!("/api/v1/sessions/{id}"), &a).await;
        assert_eq!(status, 404, "{id}");
    }

    // Someone else's: neither listed nor ended, unless by an administrator.
    let c_id = ids.iter().find(|id| **id != b_id).unwrap();
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/sessions?person_id={me_id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 403);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/sessions/{c_id}?person_id={me_id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 404);
    let listed = expect(
        app.get(&format!("/api/v1/sessions?person_id={me_id}"), &admin)
            .await,
        200,
    );
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let ended = audit(
        app,
        &admin,
        &format!("?action=session_ended&subject=person:{me_id}"),
    )
    .await;
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["detail"]["session"], b_id.as_str());

    // Signing out is recorded; an administrator signs the rest out everywhere from the page.
    assert_eq!(
        with_cookie(app, Method::POST, "/api/v1/auth/logout", &c)
            .await
            .0,
        204
    );
    let outs = audit(app, &admin, "?action=sign_out").await;
    assert_eq!(outs.len(), 1);
    assert_eq!(outs[0]["actor_id"], me_id);
    app.service
        .end_sessions_of(
            &steward_domain::Actor::system(),
            steward_domain::PersonId(me_id),
            None,
        )
        .await
        .unwrap();
    assert_eq!(with_cookie(app, Method::GET, "/api/v1/me", &a).await.0, 401);
}
on_both!(sessions_are_listed_and_ended);

async fn the_account_and_audit_pages(app: &TestApp) {
    use crate::pages::{with_password, Page};
    use reqwest::StatusCode;
    with_password(app, "ada@msp.example", Role::Admin, None).await;
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let admin = Page::sign_in(app, "ada@msp.example", "a long enough password").await;
    let one = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    let two = Page::sign_in(app, "tom@msp.example", "a long enough password").await;

    // Tom sees both browsers, this one marked, and signs the other out.
    let (status, html, _) = one.get("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Where you are signed in") && html.contains("This browser"));
    let at = html.find("/account/sessions/").expect("a sign-out form");
    let action = &html[at..at + html[at..].find('"').unwrap()];
    assert!(action.ends_with("/end") && action.len() == "/account/sessions/".len() + 16 + 4);
    let (status, _, location) = one.post(action, "/account", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/account?notice=session-ended"));
    let (status, _, location) = two.get("/agent").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/sign-in"));
    assert_eq!(one.get("/agent").await.0, StatusCode::OK);

    // The audit page: administrators only, filtered, with exports of the same filter.
    assert_eq!(one.get("/agent/admin/audit").await.0, StatusCode::FORBIDDEN);
    let (status, html, _) = admin
        .get("/agent/admin/audit?action=sign_in&actor=tom%40msp.example")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("<td>tom@msp.example</td>").count(),
        2,
        "{html}"
    );
    assert!(!html.contains("<td>ada@msp.example</td>"));
    let csv = &html[html.find("/api/v1/audit.csv").unwrap()..];
    assert!(
        csv.starts_with("/api/v1/audit.csv?action=sign_in&#38;actor_id="),
        "{}",
        &csv[..80]
    );
    let (status, html, _) = admin.get("/agent/admin/audit?action=session_ended").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("person:"), "{html}");
    let (status, _, _) = admin.get("/agent/admin/audit?action=nonsense").await;
    assert!(status.is_client_error(), "{status}");

    // An administrator signs Tom out everywhere.
    let tom = app
        .service
        .get_person_by_email(&steward_domain::Actor::system(), "tom@msp.example")
        .await
        .unwrap();
    let (status, _, _) = admin
        .post(
            &format!("/agent/admin/people/{}", tom.id),
            "/agent/admin/people",
            &[("sign_out", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(one.get("/agent").await.0, StatusCode::SEE_OTHER);
}
on_both!(the_account_and_audit_pages);

/// The part of a page between `start` and the next `end` (panics when missing).
fn region<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in the page"));
    let rest = &html[at + start.len()..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The hostile-HTML set (`steward_mail::hostile`) through mail and the knowledge base, to the
/// pages that show them: the formatted mail on the ticket page, search snippets, the article in
/// the agent workspace and the portal.
async fn hostile_html_never_reaches_a_page(app: &TestApp) {
    use crate::pages::{with_password, Page};
    use steward_mail::hostile::{findings, payloads};
    with_password(app, "tech@msp.example", Role::Technician, None).await;
    let (_, tech) = app
        .person("writer@msp.example", Role::Technician, None, false)
        .await;
    let all = payloads().join("\n");
    let mailbox = steward_service::Mailbox {
        address: "help@msp.example".into(),
        team: None,
        ticket_type: steward_domain::TicketType::Incident,
        category: None,
    };
    let desk = app
        .service
        .clone()
        .with_mail(steward_service::MailSettings {
            mailboxes: vec![mailbox.clone()],
            ..Default::default()
        });
    let raw = format!(
        "From: Mallory <mallory@evil.example>\r\nTo: help@msp.example\r\nSubject: kaleidoscope\r\nMessage-ID: <hostile@evil.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nkaleidoscope {all}\r\n--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>kaleidoscope</p>{all}\r\n--B--\r\n"
    );
    let number = match desk.ingest_mail(&mailbox, raw.as_bytes()).await.unwrap() {
        steward_service::Ingested::Created { number, .. } => number,
        other => panic!("{other:?}"),
    };
    let page = Page::sign_in(app, "tech@msp.example", "a long enough password").await;
    let (status, html, _) = page.get(&format!("/agent/tickets/{number}")).await;
    assert_eq!(status.as_u16(), 200);
    let shown = region(&html, "<div class=\"html-body\">", "</div></details>");
    assert!(shown.contains("a plain link, which must stay"), "{shown}");
    assert_eq!(findings(shown), Vec::<String>::new(), "the formatted mail");
    // The text version is shown as text: every payload escaped.
    let text = region(&html, "<div class=\"body\">", "</div>");
    assert!(
        text.contains("&#60;script&#62;") || text.contains("&lt;script&gt;"),
        "{text}"
    );
    assert_eq!(findings(text), Vec::<String>::new(), "the text version");
    let (_, html, _) = page.get("/agent/search?q=kaleidoscope").await;
    let snippet = region(&html, "<p class=\"snippet\">", "</p>");
    assert!(snippet.contains("<mark>"), "{snippet}");
    assert_eq!(findings(snippet), Vec::<String>::new(), "search snippets");

    // An article written with all of it, published for everyone.
    let article = expect(
        app.post(
            "/api/v1/articles",
            &tech,
            json!({"title": "Hostile", "body": format!("kaleidoscope\n\n{all}\n\n[x](javascript:alert(1))"),
                   "status": "published", "visibility": "public"}),
        )
        .await,
        201,
    );
    let id = article["id"].as_i64().unwrap();
    for path in [format!("/agent/kb/{id}"), format!("/portal/kb/{id}")] {
        let (status, html, _) = page.get(&path).await;
        assert_eq!(status.as_u16(), 200, "{path}");
        let body = region(&html, "<article class=\"kb-body\">", "</article>");
        assert!(
            body.contains("a plain link, which must stay"),
            "{path}: {body}"
        );
        assert_eq!(findings(body), Vec::<String>::new(), "{path}");
    }
}
on_both!(hostile_html_never_reaches_a_page);

/// Security headers on every response — pages, the API, errors, static files, health — and HSTS
/// only when Steward is reached over HTTPS.
async fn security_headers_on_every_response(app: &TestApp) {
    let (_, token) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let check = |res: &reqwest::Response, hsts: bool| {
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(
            h.get("strict-transport-security").is_some(),
            hsts,
            "{:?}",
            res.url()
        );
    };
    let get = |base: String, path: &'static str, token: Option<String>| async move {
        let mut req = reqwest::Client::new().get(format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    };
    for path in [
        "/sign-in",
        "/api/v1/tickets",
        "/api/v1/nothing-here",
        "/healthz",
        "/static/steward.css",
        "/agent",
    ] {
        let res = get(app.base.clone(), path, Some(token.clone())).await;
        check(&res, false);
    }
    let svc = app.service.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web = steward_web::WebConfig {
        secure_cookies: true,
        ..Default::default()
    };
    let server = steward::server::start(svc, web, listener).await.unwrap();
    let base = format!("http://{}", server.addr);
    for path in ["/sign-in", "/api/v1/tickets", "/healthz"] {
        let res = get(base.clone(), path, Some(token.clone())).await;
        check(&res, true);
        assert!(res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age="));
    }
    server.stop().await.unwrap();
}
on_both!(security_headers_on_every_response);
