//! Signing in: passwords, cookies, the first administrator's one-time secret, rate limits, and
//! tokens and sessions that end.

use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

/// Signs in; returns status, body and the session cookie (name=value) if one was set.
async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value, Option<String>) {
    let res = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().to_string());
    if let Some(c) = &cookie {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(res.headers().get("retry-after").is_none());
    }
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let mut body: Value = res.json().await.unwrap();
    if let Some(r) = retry {
        body["retry_after"] = json!(r);
    }
    (
        status,
        body,
        cookie.map(|c| c.split(';').next().unwrap().to_string()),
    )
}

async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<Value>,
    origin: Option<&str>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method, format!("{}{}", app.base, path))
        .header("cookie", cookie);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn password_sign_in_and_sessions(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let p = expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "tech@msp.example", "name": "Tech", "role": "technician", "password": "a good long password"}),
        )
        .await,
        201,
    );
    let (status, body, cookie) = login(app, "tech@msp.example", "wrong password").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    assert!(cookie.is_none());
    let (status, _, _) = login(app, "nobody@msp.example", "a good long password").await;
    assert_eq!(status, 401);

    let (status, body, cookie) = login(app, "TECH@msp.example", "a good long password").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["person"]["id"], p["id"]);
    assert_eq!(body["password_change_required"], false);
    let cookie = cookie.unwrap();
    let (status, _) = with_cookie(app, Method::GET, "/api/v1/tickets", &cookie, None, None).await;
    assert_eq!(status, 200);
    // A state-changing request from another site is refused; from our own origin it is not.
    let new = json!({"subject": "x", "requester_id": p["id"]});
    let (status, body) = with_cookie(
        app,
        Method::POST,
        "/api/v1/tickets",
        &cookie,
        Some(new.clone()),
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let own = app.base.clone();
    let (status, _) = with_cookie(
        app,
        Method::POST,
        "/api/v1/tickets",
        &cookie,
        Some(new),
        Some(&own),
    )
    .await;
    assert_eq!(status, 201);

    // Sign out ends the session.
    let (status, _) = with_cookie(
        app,
        Method::POST,
        "/api/v1/auth/logout",
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = with_cookie(app, Method::GET, "/api/v1/tickets", &cookie, None, None).await;
    assert_eq!(status, 401);

    // Sessions end after their lifetime, and when the person is deactivated.
    let (_, _, cookie) = login(app, "tech@msp.example", "a good long password").await;
    let cookie = cookie.unwrap();
    app.clock.advance(SignedDuration::from_hours(15 * 24));
    let (status, _) = with_cookie(app, Method::GET, "/api/v1/me", &cookie, None, None).await;
    assert_eq!(status, 401);
    let (_, _, cookie) = login(app, "tech@msp.example", "a good long password").await;
    let cookie = cookie.unwrap();
    expect(
        app.patch(
            &format!("/api/v1/people/{}", p["id"]),
            &admin,
            json!({"active": false}),
        )
        .await,
        200,
    );
    let (status, _) = with_cookie(app, Method::GET, "/api/v1/me", &cookie, None, None).await;
    assert_eq!(status, 401);
    let (status, _, _) = login(app, "tech@msp.example", "a good long password").await;
    assert_eq!(status, 401, "a deactivated person cannot sign in");
}
on_both!(password_sign_in_and_sessions);

async fn repeated_failures_are_rate_limited(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "target@msp.example", "name": "T", "role": "technician", "password": "the right password"}),
        )
        .await,
        201,
    );
    for _ in 0..10 {
        assert_eq!(login(app, "target@msp.example", "guess").await.0, 401);
    }
    let (status, body, _) = login(app, "target@msp.example", "the right password").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["retry_after"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    app.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(
        login(app, "target@msp.example", "the right password")
            .await
            .0,
        200
    );
}
on_both!(repeated_failures_are_rate_limited);

async fn first_administrator_uses_a_one_time_secret(app: &TestApp) {
    let (admin, secret) = app
        .service
        .bootstrap_admin("root@msp.example")
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.service
            .bootstrap_admin("root@msp.example")
            .await
            .unwrap()
            .is_none(),
        "only once"
    );
    let (status, body, cookie) = login(app, "root@msp.example", &secret).await;
    assert_eq!(status, 200);
    assert_eq!(body["password_change_required"], true);
    let cookie = cookie.unwrap();
    let (status, body) =
        with_cookie(app, Method::GET, "/api/v1/tickets", &cookie, None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let (status, body) = with_cookie(app, Method::GET, "/api/v1/me", &cookie, None, None).await;
    assert_eq!(
        (status, body["person"]["id"].as_i64()),
        (200, Some(admin.id.0))
    );
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (status, _) = with_cookie(
        app,
        Method::POST,
        "/api/v1/me/password",
        &cookie,
        Some(change("wrong", "a brand new password")),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = with_cookie(
        app,
        Method::POST,
        "/api/v1/me/password",
        &cookie,
        Some(change(&secret, "short")),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("password"))
    );
    let (status, _) = with_cookie(
        app,
        Method::POST,
        "/api/v1/me/password",
        &cookie,
        Some(change(&secret, "a brand new password")),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = with_cookie(app, Method::GET, "/api/v1/tickets", &cookie, None, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        login(app, "root@msp.example", &secret).await.0,
        401,
        "the secret no longer works"
    );
    assert_eq!(
        login(app, "root@msp.example", "a brand new password")
            .await
            .0,
        200
    );
}
on_both!(first_administrator_uses_a_one_time_secret);

async fn tokens_expire_and_revoke(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let t = expect(
        app.post(
            "/api/v1/tokens",
            &admin,
            json!({"label": "ci", "expires_in_days": 1}),
        )
        .await,
        201,
    );
    let secret = t["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("stw_"));
    assert_eq!(t["token"]["prefix"], secret[4..12]);
    expect(app.get("/api/v1/me", &secret).await, 200);
    app.clock.advance(SignedDuration::from_hours(25));
    let body = expect(app.get("/api/v1/me", &secret).await, 401);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let listed = expect(app.get("/api/v1/tokens", &admin).await, 200);
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["last_used_at"].is_string()));
    expect(
        app.post(
            "/api/v1/tokens",
            &admin,
            json!({"label": "x", "expires_in_days": 0}),
        )
        .await,
        422,
    );
    let (status, body) = app
        .call(Method::GET, "/api/v1/me", Some("stw_0000"), None)
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}
on_both!(tokens_expire_and_revoke);
