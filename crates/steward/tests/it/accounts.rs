//! Two-factor sign-in (TOTP with recovery codes; enforced per role), password reset by a mailed
//! link, sign-in links for requesters.

use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{json, Value};
use steward_domain::Role;
use steward_service::{totp_code, MailSettings, Mailbox, Service};

use crate::harness::{expect, TestApp};
use crate::mail::Capture;
use crate::on_both;

/// A client that keeps its session cookie, against `base`.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: std::sync::Mutex<String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.into(),
            cookie: Default::default(),
        }
    }

    fn keep(&self, res: &reqwest::Response) {
        if let Some(c) = res
            .headers()
            .get("set-cookie")
            .and_then(|c| c.to_str().ok())
        {
            if let Some(v) = c
                .split(';')
                .next()
                .filter(|v| v.starts_with("steward_session="))
            {
                *self.cookie.lock().unwrap() = v.to_string();
            }
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Response {
        let cookie = self.cookie.lock().unwrap().clone();
        let res = req.header("cookie", cookie).send().await.unwrap();
        self.keep(&res);
        res
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = self.send(req).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn page(&self, path: &str) -> reqwest::Response {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }
}

async fn person_with_password(app: &TestApp, admin: &str, email: &str, role: &str) -> i64 {
    expect(
        app.post(
            "/api/v1/people",
            admin,
            json!({"email": email, "name": "Someone", "role": role, "password": "a good long password"}),
        )
        .await,
        201,
    )["id"]
        .as_i64()
        .unwrap()
}

async fn audit(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    expect(app.get(&format!("/api/v1/audit{query}"), admin).await, 200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn two_factor_sign_in(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let id = person_with_password(app, &admin, "tom@msp.example", "technician").await;
    let creds = json!({"email": "tom@msp.example", "password": "a good long password"});
    let tom = Browser::new(&app.base);
    assert_eq!(tom.post("/api/v1/auth/login", creds.clone()).await.0, 200);

    // Setting up: a secret, then the app's code turns it on and gives recovery codes.
    let (status, e) = tom.post("/api/v1/me/two-factor", json!({})).await;
    assert_eq!(status, 200, "{e}");
    let secret = e["secret"].as_str().unwrap().to_string();
    assert!(e["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Steward:tom%40msp.example?secret="));
    assert_eq!(
        tom.post("/api/v1/me/two-factor/confirm", json!({"code": "000000"}))
            .await
            .0,
        422
    );
    let code = |at| totp_code(&secret, at).unwrap();
    let (status, codes) = tom
        .post(
            "/api/v1/me/two-factor/confirm",
            json!({"code": code(app.clock_now())}),
        )
        .await;
    assert_eq!(status, 200, "{codes}");
    let recovery: Vec<String> = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(tom.post("/api/v1/me/two-factor", json!({})).await.0, 409);

    // Signing in now takes a code; the code just used does not work twice.
    let second = Browser::new(&app.base);
    let (status, c) = second.post("/api/v1/auth/login", creds.clone()).await;
    assert_eq!(status, 202, "{c}");
    let challenge = c["two_factor_challenge"].as_str().unwrap().to_string();
    assert_eq!(
        second.get("/api/v1/me").await.0,
        401,
        "no session before the code"
    );
    let step = |ch: &str, code: String| json!({"challenge": ch, "code": code});
    let (status, _) = second
        .post(
            "/api/v1/auth/login/two-factor",
            step(&challenge, code(app.clock_now())),
        )
        .await;
    assert_eq!(status, 401, "a code is accepted once");
    app.clock.advance(SignedDuration::from_secs(30));
    let (status, me) = second
        .post(
            "/api/v1/auth/login/two-factor",
            step(&challenge, code(app.clock_now())),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(second.get("/api/v1/me").await.0, 200);
    // The challenge is gone once used.
    assert_eq!(
        second
            .post(
                "/api/v1/auth/login/two-factor",
                step(&challenge, code(app.clock_now()))
            )
            .await
            .0,
        401
    );

    // A recovery code works once.
    let third = Browser::new(&app.base);
    let ch = third.post("/api/v1/auth/login", creds.clone()).await.1["two_factor_challenge"]
        .as_str()
        .unwrap()
        .to_string();
    let loose = recovery[0].to_uppercase().replace('-', " ");
    assert_eq!(
        third
            .post("/api/v1/auth/login/two-factor", step(&ch, loose))
            .await
            .0,
        200
    );
    let ch = third.post("/api/v1/auth/login", creds.clone()).await.1["two_factor_challenge"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        third
            .post(
                "/api/v1/auth/login/two-factor",
                step(&ch, recovery[0].clone())
            )
            .await
            .0,
        401
    );
    // Five wrong codes end the challenge, even for a right one after.
    for _ in 0..4 {
        assert_eq!(
            third
                .post("/api/v1/auth/login/two-factor", step(&ch, "123456".into()))
                .await
                .0,
            401
        );
    }
    app.clock.advance(SignedDuration::from_secs(30));
    assert_eq!(
        third
            .post(
                "/api/v1/auth/login/two-factor",
                step(&ch, code(app.clock_now()))
            )
            .await
            .0,
        401
    );
    let (_, st) = tom.get("/api/v1/me/two-factor").await;
    assert_eq!(
        st,
        json!({"enabled": true, "required": false, "recovery_codes_left": 9})
    );

    // Recorded.
    let signed_in = audit(app, &admin, &format!("?action=sign_in&actor_id={id}")).await;
    let how: Vec<&Value> = signed_in
        .iter()
        .map(|e| &e["detail"]["second_factor"])
        .collect();
    assert_eq!(how, [&json!("recovery_code"), &json!("totp"), &Value::Null]);
    assert_eq!(
        audit(app, &admin, "?action=two_factor_enabled").await.len(),
        1
    );
    let failed = audit(
        app,
        &admin,
        &format!("?action=sign_in_failed&actor_id={id}"),
    )
    .await;
    assert!(failed.len() >= 6, "{failed:?}");

    // Off with the current password only; then a password alone signs in again.
    assert_eq!(
        tom.post(
            "/api/v1/me/two-factor/off",
            json!({"current_password": "wrong password here"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        tom.post(
            "/api/v1/me/two-factor/off",
            json!({"current_password": "a good long password"})
        )
        .await
        .0,
        204
    );
    assert_eq!(
        Browser::new(&app.base)
            .post("/api/v1/auth/login", creds.clone())
            .await
            .0,
        200
    );

    // An administrator turns it off for someone who lost their phone.
    let secret = tom.post("/api/v1/me/two-factor", json!({})).await.1["secret"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock.advance(SignedDuration::from_secs(30));
    let c = totp_code(&secret, app.clock_now()).unwrap();
    assert_eq!(
        tom.post("/api/v1/me/two-factor/confirm", json!({"code": c}))
            .await
            .0,
        200
    );
    expect(
        app.call(
            Method::DELETE,
            &format!("/api/v1/people/{id}/two-factor"),
            Some(&admin),
            None,
        )
        .await,
        204,
    );
    let off = audit(app, &admin, "?action=two_factor_disabled").await;
    assert_eq!(off[0]["detail"]["by_administrator"], true);
    assert_eq!(
        Browser::new(&app.base)
            .post("/api/v1/auth/login", creds)
            .await
            .0,
        200
    );
}
on_both!(two_factor_sign_in);

/// Starts another server on the same database with `svc`; returns its base URL.
async fn serve(svc: Service) -> (String, steward::server::Server) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = steward::server::start(svc, steward_web::WebConfig::default(), listener)
        .await
        .unwrap();
    (format!("http://{}", server.addr), server)
}

async fn two_factor_is_enforced_per_role(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    person_with_password(app, &admin, "max@msp.example", "manager").await;
    person_with_password(app, &admin, "tia@msp.example", "technician").await;
    let (base, server) = serve(
        app.service
            .clone()
            .with_two_factor_roles(vec![Role::Manager]),
    )
    .await;
    let max = Browser::new(&base);
    let login = |e: &str| json!({"email": e, "password": "a good long password"});
    assert_eq!(
        max.post("/api/v1/auth/login", login("max@msp.example"))
            .await
            .0,
        200
    );
    let (status, err) = max.get("/api/v1/tickets").await;
    assert_eq!(status, 403);
    assert_eq!(err["error"]["code"], "two_factor_required");
    let (_, me) = max.get("/api/v1/me").await;
    assert_eq!(me["two_factor_setup_required"], true);
    // The pages send them to set it up.
    let res = max.page("/agent").await;
    assert_eq!(res.headers()["location"], "/account/two-factor");
    let res = max.page("/account/two-factor").await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Your role signs in with a second factor") && html.contains("<svg"),
        "{html}"
    );
    let secret = html
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    let code = totp_code(&secret, app.clock_now()).unwrap();
    assert_eq!(
        max.post("/api/v1/me/two-factor/confirm", json!({"code": code}))
            .await
            .0,
        200
    );
    assert_eq!(max.get("/api/v1/tickets").await.0, 200);
    // Another role is not asked.
    let tia = Browser::new(&base);
    assert_eq!(
        tia.post("/api/v1/auth/login", login("tia@msp.example"))
            .await
            .0,
        200
    );
    assert_eq!(tia.get("/api/v1/tickets").await.0, 200);
    server.stop().await.unwrap();
}
on_both!(two_factor_is_enforced_per_role);

/// The links a mail holds that start with `base`.
fn link_in(mail: &str, base: &str) -> String {
    let unfolded = mail.replace("=\r\n", "").replace("=3D", "=");
    let at = unfolded.find(base).expect("a link in the mail");
    unfolded[at..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

async fn password_reset_and_sign_in_links(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    person_with_password(app, &admin, "tom@msp.example", "technician").await;
    person_with_password(app, &admin, "ann@acme.example", "requester").await;
    // Without mail set up, the desk says so (it is about the installation, not the address).
    let (status, err) = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(json!({"email": "tom@msp.example"})),
        )
        .await;
    assert_eq!(status.as_u16(), 409, "{err}");

    let smtp = Capture::start().await;
    let placeholder = "http://desk.example";
    let svc = app
        .service
        .clone()
        .with_mail(MailSettings {
            mailboxes: vec![Mailbox {
                address: "help@msp.example".into(),
                team: None,
                ticket_type: steward_domain::TicketType::Incident,
                category: None,
            }],
            send: true,
            link_base: Some(placeholder.into()),
            ..Default::default()
        })
        .with_sign_in_links(true);
    let (base, server) = serve(svc.clone()).await;
    let web = Browser::new(&base);
    for email in ["tom@msp.example", "nobody@msp.example", "not an address"] {
        let (status, _) = web
            .post("/api/v1/auth/password-reset", json!({"email": email}))
            .await;
        assert_eq!(status, 202, "the same answer for {email}");
    }
    svc.deliver_mail(&smtp.sender(), 10).await.unwrap();
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "only the real address gets mail");
    assert_eq!(mails[0].0, "tom@msp.example");
    let link = link_in(&mails[0].1, placeholder);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let who = svc
        .set_password_with_link(&token, "a brand new long password")
        .await
        .unwrap();
    assert_eq!(who.email, "tom@msp.example");
    assert!(
        svc.set_password_with_link(&token, "another long password")
            .await
            .is_err(),
        "once"
    );
    let login = |p: &str| json!({"email": "tom@msp.example", "password": p});
    assert_eq!(
        web.post("/api/v1/auth/login", login("a good long password"))
            .await
            .0,
        401
    );
    assert_eq!(
        Browser::new(&base)
            .post("/api/v1/auth/login", login("a brand new long password"))
            .await
            .0,
        200
    );
    assert_eq!(
        audit(app, &admin, "?action=password_reset_requested")
            .await
            .len(),
        1
    );

    // Sign-in links: requesters only; opening the link signs nobody in, its button does.
    for email in ["ann@acme.example", "tom@msp.example"] {
        assert_eq!(
            web.post("/api/v1/auth/sign-in-link", json!({"email": email}))
                .await
                .0,
            202
        );
    }
    svc.deliver_mail(&smtp.sender(), 10).await.unwrap();
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2, "staff get no sign-in links");
    assert_eq!(mails[1].0, "ann@acme.example");
    let link = link_in(&mails[1].1, placeholder).replace(placeholder, &base);
    let ann = Browser::new(&base);
    let res = ann.page(&link[base.len()..]).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("action=\"/sign-in/link/use\""), "{html}");
    let token = link.split("token=").nth(1).unwrap();
    let res = ann
        .send(
            ann.http
                .post(format!("{base}/sign-in/link/use"))
                .form(&[("token", token)]),
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/portal");
    let (_, me) = ann.get("/api/v1/me").await;
    assert_eq!(me["person"]["email"], "ann@acme.example");
    let again = Browser::new(&base);
    let res = again
        .http
        .post(format!("{base}/sign-in/link/use"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a link works once");
    let via = audit(app, &admin, "?action=sign_in").await;
    assert_eq!(via[0]["detail"]["by"], "sign-in link");
    // The sign-in page offers both ways back in.
    let html = reqwest::get(format!("{base}/sign-in"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("/forgot-password") && html.contains("/sign-in/link"));
    server.stop().await.unwrap();
}
on_both!(password_reset_and_sign_in_links);

/// The same in the browser's pages: the code page after the password, and a wrong code.
async fn two_factor_in_the_pages(app: &TestApp) {
    use crate::pages::{sign_in_form, with_password};
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let tom = app
        .service
        .get_person_by_email(&steward_domain::Actor::system(), "tom@msp.example")
        .await
        .unwrap();
    // Set up directly.
    let who = steward_service::Authenticated {
        actor: tom.actor(),
        person: tom.clone(),
        token_id: None,
        session_hash: None,
        two_factor_missing: false,
    };
    let e = app.service.begin_two_factor(&who).await.unwrap();
    let code = totp_code(&e.secret, app.clock_now()).unwrap();
    app.service.confirm_two_factor(&who, &code).await.unwrap();
    app.clock.advance(SignedDuration::from_secs(30));

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (form_cookie, csrf) = sign_in_form(&http, &app.base).await;
    let res = http
        .post(format!("{}/sign-in", app.base))
        .header("cookie", &form_cookie)
        .form(&[
            ("email", "tom@msp.example"),
            ("password", "a long enough password"),
            ("csrf", &csrf),
            ("next", "/agent"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none(), "no session yet");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("The six-digit code from your authenticator app"),
        "{html}"
    );
    let challenge = html
        .split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let post_code = |code: String| {
        http.post(format!("{}/sign-in/two-factor", app.base))
            .header("cookie", &form_cookie)
            .form(&[
                ("csrf", csrf.clone()),
                ("challenge", challenge.clone()),
                ("code", code),
                ("next", "/agent".into()),
            ])
            .send()
    };
    let res = post_code("111111".into()).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("That code is not right"));
    let res = post_code(totp_code(&e.secret, app.clock_now()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/agent");
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("steward_session="));

    // Administrators see who signs in with a second factor, and can turn it off.
    with_password(app, "ada@msp.example", Role::Admin, None).await;
    let ada = crate::pages::Page::sign_in(app, "ada@msp.example", "a long enough password").await;
    let (_, html, _) = ada.get("/agent/admin/people").await;
    let row = |html: &str, email: &str| {
        let at = html.find(&format!("<td>{email}</td>")).unwrap();
        html[at..at + html[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        row(&html, "tom@msp.example").contains("two-factor"),
        "{html}"
    );
    assert!(!row(&html, "ada@msp.example").contains(">two-factor<"));
    let (status, _, _) = ada
        .post(
            &format!("/agent/admin/people/{}", tom.id),
            "/agent/admin/people",
            &[("reset_two_factor", "1")],
        )
        .await;
    assert_eq!(status.as_u16(), 303);
    let (_, html, _) = ada.get("/agent/admin/people").await;
    assert!(!row(&html, "tom@msp.example").contains(">two-factor<"));
}
on_both!(two_factor_in_the_pages);

/// Someone who knows the password cannot guess codes challenge after challenge: wrong codes count
/// against the account like wrong passwords, and lock it out.
async fn codes_count_against_the_account(app: &TestApp) {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    person_with_password(app, &admin, "tom@msp.example", "technician").await;
    let creds = json!({"email": "tom@msp.example", "password": "a good long password"});
    let tom = Browser::new(&app.base);
    assert_eq!(tom.post("/api/v1/auth/login", creds.clone()).await.0, 200);
    let secret = tom.post("/api/v1/me/two-factor", json!({})).await.1["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let code = totp_code(&secret, app.clock_now()).unwrap();
    assert_eq!(
        tom.post("/api/v1/me/two-factor/confirm", json!({"code": code}))
            .await
            .0,
        200
    );

    let thief = Browser::new(&app.base);
    let mut locked = false;
    for _ in 0..12 {
        let (status, c) = thief.post("/api/v1/auth/login", creds.clone()).await;
        if status == 429 {
            locked = true;
            break;
        }
        assert_eq!(status, 202, "{c}");
        let ch = c["two_factor_challenge"].as_str().unwrap().to_string();
        let (status, _) = thief
            .post(
                "/api/v1/auth/login/two-factor",
                json!({"challenge": ch, "code": "000000"}),
            )
            .await;
        if status == 429 {
            locked = true;
            break;
        }
        assert_eq!(status, 401);
    }
    assert!(locked, "guessing codes locks the account out");
}
on_both!(codes_count_against_the_account);
