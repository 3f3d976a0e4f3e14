//! The HTML pages over plain HTTP (no browser): forms, CSRF, the policy behind every page, and the
//! administration flows. Runs on SQLite and PostgreSQL.

use reqwest::redirect::Policy;
use reqwest::StatusCode;
use steward_domain::Role;

use crate::harness::TestApp;
use crate::on_both;

/// A browser-like client: keeps its session cookie, does not follow redirects.
pub(crate) struct Page<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookie: String,
}

pub(crate) fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Opens the sign-in form: its cookie (`name=value`) and the form's token.
pub(crate) async fn sign_in_form(http: &reqwest::Client, base: &str) -> (String, String) {
    let form = http.get(format!("{base}/sign-in")).send().await.unwrap();
    let form_cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = form.text().await.unwrap();
    (form_cookie, csrf_in(&html))
}

impl<'a> Page<'a> {
    pub(crate) async fn sign_in(app: &'a TestApp, email: &str, password: &str) -> Page<'a> {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        let (form_cookie, csrf) = sign_in_form(&http, &app.base).await;
        let res = http
            .post(format!("{}/sign-in", app.base))
            .header("cookie", &form_cookie)
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in failed");
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .find(|c| c.starts_with("steward_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        Page { app, http, cookie }
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String, Option<String>) {
        let res = self
            .http
            .get(format!("{}{path}", self.app.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (status, res.text().await.unwrap(), location)
    }

    /// Posts a form with this session's token (taken from `token_from`'s page).
    pub(crate) async fn post(
        &self,
        path: &str,
        token_from: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let (_, html, _) = self.get(token_from).await;
        let csrf = csrf_in(&html);
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let res = self
            .http
            .post(format!("{}{path}", self.app.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (status, res.text().await.unwrap(), location)
    }
}

pub(crate) async fn with_password(app: &TestApp, email: &str, role: Role, org: Option<i64>) {
    app.service
        .create_person(
            &steward_domain::Actor::system(),
            steward_service::NewPersonInput {
                email: email.into(),
                name: email.split('@').next().unwrap().into(),
                role,
                organisation_id: org.map(steward_domain::OrgId),
                org_access: false,
                password: Some("a long enough password".into()),
            },
        )
        .await
        .unwrap();
}

async fn forms_need_the_session_token_and_pages_follow_the_policy(app: &TestApp) {
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let acme = app
        .service
        .create_org(
            &steward_domain::Actor::system(),
            steward_service::NewOrg {
                name: "Acme".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .0;
    with_password(app, "ann@acme.example", Role::Requester, Some(acme)).await;
    let tom = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    let (status, html, _) = tom.get("/agent/new").await;
    assert_eq!(status, 200);
    assert!(html.contains("New ticket"));
    // Without the token, or with another session's, a form is refused and changes nothing.
    let ann = Page::sign_in(app, "ann@acme.example", "a long enough password").await;
    let (_, ann_html, _) = ann.get("/portal/new").await;
    let (status, _, _) = tom
        .post_raw(
            "/agent/new",
            &[
                ("subject", "forged"),
                ("requester", "2"),
                ("csrf", &csrf_in(&ann_html)),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = tom
        .post_raw("/agent/new", &[("subject", "forged"), ("requester", "2")])
        .await;
    assert!(status.is_client_error());
    assert_eq!(
        app.service
            .count_tickets(&steward_domain::Actor::system(), &Default::default())
            .await
            .unwrap(),
        0
    );

    // Ann asks in the portal; her request shows, and escapes what she typed.
    let (status, _, location) = ann
        .post(
            "/portal/new",
            "/portal/new",
            &[
                ("subject", "<script>alert(1)</script> printer"),
                ("body", "It <b>jams</b>"),
                ("type", "incident"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let (_, html, _) = ann.get(&location).await;
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; printer"),
        "escaped subject"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains("It &#60;b&#62;jams&#60;/b&#62;"),
        "escaped body"
    );
    let number: i64 = location
        .trim_start_matches("/portal/tickets/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // Tom sees it; Ann cannot open the agent page (she is sent to the portal).
    let (status, html, _) = tom.get(&format!("/agent/tickets/{number}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("printer"));
    let (status, _, location) = ann.get(&format!("/agent/tickets/{number}")).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/portal"))
    );
    // A number that is not hers is "not found".
    let (status, html, _) = ann.get(&format!("/portal/tickets/{}", number + 1)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found"));
    // Security headers are on every page.
    let res = ann
        .http
        .get(format!("{}/portal", app.base))
        .header("cookie", &ann.cookie)
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");

    // Ann marks it solved; it is resolved, and her next message reopens it.
    let (status, _, _) = ann
        .post(
            &format!("/portal/tickets/{number}/resolve"),
            &format!("/portal/tickets/{number}"),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = ann.get(&format!("/portal/tickets/{number}")).await;
    assert!(html.contains("Resolved"));
    ann.post(
        &format!("/portal/tickets/{number}/reply"),
        &format!("/portal/tickets/{number}"),
        &[("body", "It is back")],
    )
    .await;
    let (_, html, _) = tom.get(&format!("/agent/tickets/{number}")).await;
    assert!(html.contains("status-open"));
}
on_both!(forms_need_the_session_token_and_pages_follow_the_policy);

async fn administration_invitations_views_and_canned_responses(app: &TestApp) {
    with_password(app, "root@msp.example", Role::Admin, None).await;
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let root = Page::sign_in(app, "root@msp.example", "a long enough password").await;
    let tom = Page::sign_in(app, "tom@msp.example", "a long enough password").await;

    // An administrator adds a person and gets an invitation link.
    let (status, html, _) = root
        .post(
            "/agent/admin/people",
            "/agent/admin/people",
            &[
                ("name", "Nina New"),
                ("email", "nina@msp.example"),
                ("role", "technician"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{html}");
    let at = html.find("/welcome?token=").expect("an invitation link");
    let link = html[at..].split('<').next().unwrap().to_string();
    let anon = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let res = anon
        .get(format!("{}{link}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token = link.trim_start_matches("/welcome?token=").to_string();
    let res = anon
        .post(format!("{}/welcome", app.base))
        .form(&[
            ("token", token.as_str()),
            ("new_password", "nina's new password"),
            ("confirm_password", "nina's new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    Page::sign_in(app, "nina@msp.example", "nina's new password").await;
    // The link works once.
    let res = anon
        .get(format!("{}{link}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (status, html, _) = root.get("/agent/admin/mail").await;
    assert_eq!(status, 200);
    assert!(html.contains("Nothing in quarantine"));

    // A technician may not manage people, even by posting the form directly.
    let (status, _, _) = tom.get("/agent/admin/people").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "administration is for managers and administrators"
    );
    let (status, _, _) = tom
        .post(
            "/agent/admin/people",
            "/agent",
            &[("name", "X"), ("email", "x@msp.example"), ("role", "admin")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Canned responses: written by the administrator, inserted by the technician.
    let (status, _, _) = root
        .post(
            "/agent/admin/canned",
            "/agent/admin/canned",
            &[
                ("title", "Restart"),
                (
                    "body",
                    "Hello {requester}, please restart and tell us about {ticket}.",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = tom
        .post(
            "/agent/admin/canned",
            "/agent",
            &[("title", "Mine"), ("body", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let req = app
        .person("rae@example.com", Role::Requester, None, false)
        .await
        .0;
    let t = app
        .service
        .create_ticket(
            &steward_domain::Actor::system(),
            steward_service::CreateTicket {
                subject: "Slow".into(),
                requester_id: Some(steward_domain::PersonId(req)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let canned = app
        .service
        .canned_responses(&steward_domain::Actor::system())
        .await
        .unwrap();
    let (status, text, _) = tom
        .get(&format!(
            "/agent/tickets/{}/canned/{}",
            t.number, canned[0].id
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        text,
        format!("Hello rae, please restart and tell us about #{}.", t.number)
    );
    let (_, html, _) = tom
        .get(&format!(
            "/agent/tickets/{}?canned={}",
            t.number, canned[0].id
        ))
        .await;
    assert!(
        html.contains("please restart and tell us about"),
        "the draft is filled in without JavaScript"
    );

    // Saved views are one's own.
    let (status, _, location) = tom
        .post(
            "/agent/views",
            "/agent",
            &[
                ("name", "Critical ones"),
                ("query", "view=open&priority=critical"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location
        .unwrap()
        .starts_with("/agent?view=open&priority=critical"));
    let (_, html, _) = tom.get("/agent").await;
    assert!(html.contains("Critical ones"));
    let (_, html, _) = root.get("/agent").await;
    assert!(!html.contains("Critical ones"));
    let views = app
        .service
        .saved_views(
            &app.service
                .get_person_by_email(&steward_domain::Actor::system(), "tom@msp.example")
                .await
                .unwrap()
                .actor(),
        )
        .await
        .unwrap();
    let (status, _, _) = root
        .post(
            &format!("/agent/views/{}/delete", views[0].id),
            "/agent",
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's view cannot be deleted"
    );

    // API tokens of one's own, from the account page; the secret is shown once.
    let (status, html, _) = tom
        .post("/account/tokens", "/account", &[("label", "scripts")])
        .await;
    assert_eq!(status, 200);
    let at = html.find("id=\"new-token\">").unwrap() + 15;
    let secret = &html[at..at + 68];
    assert!(secret.starts_with("stw_"));
    let (_, again, _) = tom.get("/account").await;
    assert!(!again.contains(secret));
    let api = app
        .call(reqwest::Method::GET, "/api/v1/me", Some(secret), None)
        .await;
    assert_eq!(api.0, 200);
}
on_both!(administration_invitations_views_and_canned_responses);

async fn new_tickets_on_behalf_and_bulk_changes(app: &TestApp) {
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let tom = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    let (req, _) = app
        .person("walter@example.com", Role::Requester, None, false)
        .await;
    // Find the requester by the start of their address, then open a ticket for them (a phone call).
    let (_, html, _) = tom.get("/agent/new?q=walt").await;
    assert!(html.contains("walter@example.com"));
    let req_s = req.to_string();
    let (status, _, location) = tom
        .post(
            "/agent/new",
            "/agent/new",
            &[
                ("requester", &req_s),
                ("subject", "Phone: printer offline"),
                ("body", "Caller says it beeps."),
                ("channel", "phone"),
                ("urgency", "high"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let (_, html, _) = tom.get(&location).await;
    assert!(
        html.contains("Phone: printer offline")
            && html.contains("via Phone")
            && html.contains("Caller says it beeps.")
    );
    // Without a requester, the form comes back with what was typed and says why.
    let (status, html, _) = tom
        .post("/agent/new", "/agent/new", &[("subject", "Orphan")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose the requester first") && html.contains("value=\"Orphan\""));

    // Two more tickets, then one bulk change to two of them.
    let mut numbers = vec![];
    for s in ["Bulk one", "Bulk two", "Left alone"] {
        let t = app
            .service
            .create_ticket(
                &steward_domain::Actor::system(),
                steward_service::CreateTicket {
                    subject: s.into(),
                    requester_id: Some(steward_domain::PersonId(req)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        numbers.push(t.number);
    }
    let (t1, t2) = (format!("t{}", numbers[0]), format!("t{}", numbers[1]));
    let (status, _, location) = tom
        .post(
            "/agent/bulk",
            "/agent?view=open",
            &[
                (t1.as_str(), "on"),
                (t2.as_str(), "on"),
                ("assignee", "me"),
                ("priority", "critical"),
                ("add_tag", "outage"),
                ("back", "/agent?view=open"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/agent?view=open&notice=bulk"));
    let system = steward_domain::Actor::system();
    for (n, changed) in [(numbers[0], true), (numbers[1], true), (numbers[2], false)] {
        let t = app.service.get_ticket_by_number(&system, n).await.unwrap();
        assert_eq!(t.assignee_id.is_some(), changed, "#{n}");
        assert_eq!(
            t.priority == steward_domain::Priority::Critical,
            changed,
            "#{n}"
        );
        assert_eq!(t.tags.contains(&"outage".to_string()), changed, "#{n}");
    }
    let (_, html, _) = tom.get("/agent?view=mine").await;
    assert!(html.contains("Bulk one") && html.contains("Bulk two") && !html.contains("Left alone"));
}
on_both!(new_tickets_on_behalf_and_bulk_changes);

async fn signing_in_replaces_an_existing_session(app: &TestApp) {
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let first = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    // Signing in again while holding a session ends the old one (no fixation).
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let (form_cookie, csrf) = sign_in_form(&http, &app.base).await;
    let res = http
        .post(format!("{}/sign-in", app.base))
        .header("cookie", format!("{form_cookie}; {}", first.cookie))
        .form(&[
            ("email", "tom@msp.example"),
            ("password", "a long enough password"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let new_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .find(|c| c.to_str().unwrap().starts_with("steward_session="))
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        !new_cookie.starts_with(&first.cookie),
        "a new session id is issued"
    );
    let (status, _, location) = first.get("/agent").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/sign-in"));
    // A sign-in form without its cookie is refused.
    let res = http
        .post(format!("{}/sign-in", app.base))
        .form(&[
            ("email", "tom@msp.example"),
            ("password", "a long enough password"),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
on_both!(signing_in_replaces_an_existing_session);

async fn a_stale_side_panel_does_not_undo_a_colleagues_change(app: &TestApp) {
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let tom = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    let (req, _) = app
        .person("rae@example.com", Role::Requester, None, false)
        .await;
    let system = steward_domain::Actor::system();
    let t = app
        .service
        .create_ticket(
            &system,
            steward_service::CreateTicket {
                subject: "Panel".into(),
                requester_id: Some(steward_domain::PersonId(req)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Tom's page shows priority medium; meanwhile a colleague raises it to critical.
    let page = format!("/agent/tickets/{}", t.number);
    let (_, html, _) = tom.get(&page).await;
    assert!(html.contains("name=\"orig_priority\" value=\"medium\""));
    app.service
        .update_ticket(
            &system,
            t.id,
            steward_service::TicketUpdate {
                priority: Some(steward_domain::Priority::Critical),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Tom changes only the status, from his stale panel (which still says medium).
    let fields: Vec<(&str, &str)> = vec![
        ("status", "open"),
        ("orig_status", "new"),
        ("priority", "medium"),
        ("orig_priority", "medium"),
        ("impact", "medium"),
        ("orig_impact", "medium"),
        ("urgency", "medium"),
        ("orig_urgency", "medium"),
        ("type", "incident"),
        ("orig_type", "incident"),
        ("team", ""),
        ("orig_team", ""),
        ("assignee", ""),
        ("orig_assignee", ""),
        ("category", ""),
        ("orig_category", ""),
        ("tags", ""),
        ("orig_tags", ""),
    ];
    let (status, _, _) = tom.post(&format!("{page}/fields"), &page, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = app.service.get_ticket(&system, t.id).await.unwrap();
    assert_eq!(after.status, steward_domain::Status::Open);
    assert_eq!(
        after.priority,
        steward_domain::Priority::Critical,
        "the colleague's change stays"
    );

    // Sign-in redirects stay on this site, whatever `next` says.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "https://evil.example",
        "/%0a",
    ] {
        let res = http
            .get(format!("{}/sign-in?next={next}", app.base))
            .send()
            .await
            .unwrap();
        let html = res.text().await.unwrap();
        assert!(
            html.contains("name=\"next\" value=\"/\""),
            "{next} was kept"
        );
    }
}
on_both!(a_stale_side_panel_does_not_undo_a_colleagues_change);

async fn watchers_are_managed_on_the_ticket_page(app: &TestApp) {
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let t = app
        .service
        .create_ticket(
            &steward_domain::Actor::system(),
            steward_service::CreateTicket {
                subject: "Shared drive full".into(),
                requester_id: Some(steward_domain::PersonId(ann)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let page = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    let at = format!("/agent/tickets/{}", t.number);
    let (_, html, _) = page.get(&at).await;
    assert!(html.contains("Nobody yet."));
    let (status, _, location) = page
        .post(
            &format!("{at}/watchers"),
            &at,
            &[("email", "carl@acme.example")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.unwrap().contains("notice=watcher-added"));
    let (_, html, _) = page.get(&at).await;
    assert!(html.contains("&lt;carl@acme.example&gt;"), "{html}");
    assert!(html.contains("added watcher carl"));
    // The requester is no watcher of their own ticket: a clear notice, nothing added.
    let (_, _, location) = page
        .post(
            &format!("{at}/watchers"),
            &at,
            &[("email", "ann@acme.example")],
        )
        .await;
    assert!(location.unwrap().contains("notice=watcher-invalid"));
    let carl = app
        .service
        .watchers(&steward_domain::Actor::system(), t.id)
        .await
        .unwrap()[0]
        .person;
    let (status, _, _) = page
        .post(&format!("{at}/watchers/{carl}/remove"), &at, &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = page.get(&at).await;
    assert!(html.contains("Nobody yet.") && html.contains("removed watcher carl"));
}
on_both!(watchers_are_managed_on_the_ticket_page);

async fn service_levels_are_kept_on_the_admin_pages(app: &TestApp) {
    with_password(app, "ada@msp.example", Role::Admin, None).await;
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    let admin = Page::sign_in(app, "ada@msp.example", "a long enough password").await;
    let (status, html, _) = admin.get("/agent/admin/sla").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No policies yet") && html.contains("Failed jobs"));

    // A calendar from the form: office hours, a holiday, and one imported from iCalendar.
    let week = [
        ("day0", "09:00-12:00, 13:00-17:00"),
        ("day1", "09:00-17:00"),
        ("day2", "09:00-17:00"),
        ("day3", "09:00-17:00"),
        ("day4", "09:00-15:00"),
        ("day5", ""),
        ("day6", ""),
    ];
    let mut fields: Vec<(&str, &str)> = vec![
        ("name", "Vienna office"),
        ("time_zone", "Europe/Vienna"),
        ("holidays", "yearly 12-25 Christmas"),
    ];
    fields.extend(week);
    let (status, _, location) = admin
        .post("/agent/admin/sla/calendars", "/agent/admin/sla", &fields)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");
    let system = steward_domain::Actor::system();
    let cal = app.service.calendars(&system).await.unwrap().pop().unwrap();
    assert_eq!(cal.def.week[0].len(), 2);
    assert_eq!(cal.def.holidays[0].yearly.as_deref(), Some("12-25"));
    let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:National Day\nDTSTART;VALUE=DATE:20261026\nRRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR\n";
    let holidays = "yearly 12-25 Christmas";
    let mut import: Vec<(&str, &str)> = vec![
        ("name", "Vienna office"),
        ("time_zone", "Europe/Vienna"),
        ("holidays", holidays),
        ("ical", ics),
        ("action", "import"),
    ];
    import.extend(week);
    admin
        .post(
            &format!("/agent/admin/sla/calendars/{}", cal.id),
            "/agent/admin/sla",
            &import,
        )
        .await;
    let cal = app.service.calendars(&system).await.unwrap().pop().unwrap();
    assert_eq!(cal.def.holidays.len(), 2, "{:?}", cal.def.holidays);
    // A mistake is named, and nothing is stored.
    let mut bad: Vec<(&str, &str)> = vec![("name", "Bad"), ("time_zone", "Nowhere/Land")];
    bad.extend(week);
    let (status, html, _) = admin
        .post("/agent/admin/sla/calendars", "/agent/admin/sla", &bad)
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(html.contains("time zone"), "{html}");
    assert_eq!(app.service.calendars(&system).await.unwrap().len(), 1);

    // A policy from the form: targets in minutes and hours:minutes, conditions, escalation.
    let cal_id = cal.id.to_string();
    let (status, _, _) = admin
        .post(
            "/agent/admin/sla/policies",
            "/agent/admin/sla",
            &[
                ("name", "Incidents"),
                ("position", "5"),
                ("calendar", &cal_id),
                ("warn_percent", "80"),
                ("is_default", "1"),
                ("critical_first", "15"),
                ("critical_resolution", "4:00"),
                ("medium_first", "1:00"),
                ("type_incident", "1"),
                ("pause_pending_requester", "1"),
                ("pause_pending_vendor", "1"),
                ("esc_assignee", "1"),
                ("esc_managers", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let p = app
        .service
        .sla_policies(&system)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (p.name.as_str(), p.position, p.calendar_id),
        ("Incidents", 5, Some(cal.id))
    );
    assert_eq!(p.rules.targets[0].resolution_minutes, Some(240));
    assert_eq!(p.rules.targets[2].first_response_minutes, Some(60));
    assert_eq!(p.rules.targets[3].first_response_minutes, None);
    assert_eq!(p.rules.warn_percent, 80);
    assert_eq!(p.rules.pause_in.len(), 2);
    assert_eq!(p.applies.types, [steward_domain::TicketType::Incident]);
    assert!(p.escalation.notify_managers && !p.escalation.notify_team_leads);
    assert!(p.is_default);
    let (_, html, _) = admin.get("/agent/admin/sla").await;
    assert!(html.contains("Incidents") && html.contains("default"));
    // The calendar in use cannot go.
    let (status, html, _) = admin
        .post(
            &format!("/agent/admin/sla/calendars/{}", cal.id),
            "/agent/admin/sla",
            &[("action", "delete")],
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(html.contains("a policy uses this calendar"), "{html}");
    assert_eq!(app.service.calendars(&system).await.unwrap().len(), 1);

    // Technicians do not administer service levels.
    let tom = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    let (status, _, _) = tom.get("/agent/admin/sla").await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}
on_both!(service_levels_are_kept_on_the_admin_pages);

async fn automation_is_kept_on_the_admin_page(app: &TestApp) {
    use steward_domain::{Actor, PersonId};
    with_password(app, "ada@msp.example", Role::Admin, None).await;
    with_password(app, "tom@msp.example", Role::Technician, None).await;
    with_password(app, "ann@acme.example", Role::Requester, None).await;
    let system = Actor::system();
    let team = app
        .service
        .create_team(
            &system,
            steward_service::NewTeam {
                name: "Network".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ann = app
        .service
        .get_person_by_email(&system, "ann@acme.example")
        .await
        .unwrap();
    let tom = app
        .service
        .get_person_by_email(&system, "tom@msp.example")
        .await
        .unwrap();
    let admin = Page::sign_in(app, "ada@msp.example", "a long enough password").await;
    let tech = Page::sign_in(app, "tom@msp.example", "a long enough password").await;
    let (status, html, _) = admin.get("/agent/admin/automation").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No rules yet") && html.contains("No schedules yet"));
    let (status, _, _) = tech.get("/agent/admin/automation").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let vpn = app
        .service
        .create_ticket(
            &system,
            steward_service::CreateTicket {
                subject: "VPN down".into(),
                requester_id: Some(ann.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // A rule written as lines, by name; test mode lists what it matches and changes nothing.
    let rule = [
        ("name", "VPN to network"),
        ("position", "10"),
        ("enabled", "1"),
        ("on_created", "1"),
        ("all", "subject contains vpn\n"),
        ("any", ""),
        (
            "actions",
            "set_team Network\nadd_tag network\nnotify team A VPN request arrived",
        ),
    ];
    let mut test = rule.to_vec();
    test.push(("action", "test"));
    let (status, html, _) = admin
        .post(
            "/agent/admin/automation/rules",
            "/agent/admin/automation",
            &test,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("1 open ticket match now") && html.contains("VPN down"),
        "{html}"
    );
    assert!(app.service.rules(&system).await.unwrap().is_empty());
    let mut save = rule.to_vec();
    save.push(("action", "save"));
    let (status, _, location) = admin
        .post(
            "/agent/admin/automation/rules",
            "/agent/admin/automation",
            &save,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");
    let stored = app.service.rules(&system).await.unwrap();
    assert_eq!(stored[0].def.actions.len(), 3);
    assert_eq!(
        stored[0].def.actions[0],
        steward_domain::rules::Action::SetTeam {
            team: Some(team.id)
        }
    );
    // Shown back by name; a mistake names its line and stores nothing.
    let (_, html, _) = admin.get("/agent/admin/automation").await;
    assert!(html.contains("set_team Network"), "{html}");
    let mut bad = rule.to_vec();
    bad[0] = ("name", "Broken");
    bad[6] = ("actions", "add_tag ok\nset_team Nowhere");
    let (status, html, _) = admin
        .post(
            "/agent/admin/automation/rules",
            "/agent/admin/automation",
            &bad,
        )
        .await;
    assert!(status.is_client_error());
    assert!(
        html.contains("line 2") && html.contains("Nowhere"),
        "{html}"
    );
    assert_eq!(app.service.rules(&system).await.unwrap().len(), 1);
    let id = stored[0].id.to_string();
    admin
        .post(
            &format!("/agent/admin/automation/rules/{id}"),
            "/agent/admin/automation",
            &[("action", "delete")],
        )
        .await;
    assert!(app.service.rules(&system).await.unwrap().is_empty());

    // A schedule from the form.
    let (status, _, location) = admin
        .post(
            "/agent/admin/automation/recurring",
            "/agent/admin/automation",
            &[
                ("name", "Backups"),
                ("rrule", "FREQ=WEEKLY;BYDAY=FR"),
                ("starts", "2026-03-06T16:00"),
                ("time_zone", "Europe/Vienna"),
                ("enabled", "1"),
                ("subject", "Check the backups"),
                ("requester", "ann@acme.example"),
                ("body", ""),
                ("type", "service_request"),
                ("priority", ""),
                ("team", &team.id.0.to_string()),
                ("assignee", &tom.id.0.to_string()),
                ("tags", "backup weekly"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");
    let (_, html, _) = admin.get("/agent/admin/automation").await;
    assert!(
        html.contains("2026-03-06 15:00 UTC") && html.contains("Friday"),
        "next runs shown: {html}"
    );
    let saved = app.service.recurring_tickets(&system).await.unwrap();
    assert_eq!(saved[0].template.requester_id, PersonId(ann.id.0));
    assert_eq!(saved[0].template.tags, ["backup", "weekly"]);

    // Downtime: an outage and a commitment, measured this month.
    let (status, _, _) = admin
        .post(
            "/agent/admin/automation/commitments",
            "/agent/admin/automation",
            &[
                ("service", "Mail"),
                ("organisation", ""),
                ("max_minutes", "30"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = admin
        .post(
            "/agent/admin/automation/downtimes",
            "/agent/admin/automation",
            &[
                ("service", "Mail"),
                ("organisation", ""),
                ("started", "2026-03-01T10:00"),
                ("ended", "2026-03-01T10:45"),
                ("note", "Disk full"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = admin.get("/agent/admin/automation?month=2026-03").await;
    assert!(
        html.contains("Disk full") && html.contains(">45<") && html.contains("broken"),
        "{html}"
    );

    // The technician's notifications page and bell; a reminder set on the ticket page.
    app.service
        .update_ticket(
            &system,
            vpn.id,
            steward_service::TicketUpdate {
                assignee_id: Some(Some(tom.id)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (_, html, _) = tech.get("/agent").await;
    assert!(
        html.contains("1<span class=\"visually-hidden\"> unread"),
        "bell: {html}"
    );
    let (status, html, _) = tech.get("/agent/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Assigned to you: VPN down"), "{html}");
    let nid = app
        .service
        .notifications(&tom.actor(), false, None, 10)
        .await
        .unwrap()[0]
        .id;
    let (status, _, location) = tech
        .post(
            &format!("/agent/notifications/{nid}/open"),
            "/agent/notifications",
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/agent/tickets/{}", vpn.number).as_str())
    );
    assert_eq!(
        app.service
            .unread_notifications(&tom.actor())
            .await
            .unwrap(),
        0
    );
    let page = format!("/agent/tickets/{}", vpn.number);
    let (status, _, location) = tech
        .post(
            &format!("{page}/reminder"),
            &page,
            &[("at", "2026-03-03T08:30"), ("note", "Ring the ISP")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");
    let (_, html, _) = tech.get(&page).await;
    assert!(
        html.contains("2026-03-03 08:30 UTC: Ring the ISP"),
        "{html}"
    );
}
on_both!(automation_is_kept_on_the_admin_page);

/// The search page: staff find tickets (internal notes too) with the matching words marked and
/// escaped, people, and jump with `#number`; requesters find only their own tickets' public
/// words; a malformed query is shown with what is wrong.
async fn the_search_page_finds_what_each_person_may_see(app: &TestApp) {
    with_password(app, "tech@msp.example", Role::Technician, None).await;
    with_password(app, "ann@acme.example", Role::Requester, None).await;
    with_password(app, "bob@globex.example", Role::Requester, None).await;
    let tech = Page::sign_in(app, "tech@msp.example", "a long enough password").await;
    let ann = Page::sign_in(app, "ann@acme.example", "a long enough password").await;
    let bob = Page::sign_in(app, "bob@globex.example", "a long enough password").await;
    let system = steward_domain::Actor::system();
    let ann_id = app
        .store
        .read()
        .await
        .unwrap()
        .get_person_by_email("ann@acme.example")
        .await
        .unwrap()
        .id;
    let t = app
        .service
        .create_ticket(
            &system,
            steward_service::CreateTicket {
                subject: "Scanner <b>jammed</b>".into(),
                body: Some("The scanner on floor 2 is jammed again.".into()),
                requester_id: Some(ann_id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let tech_actor = steward_domain::Actor {
        person_id: Some(
            app.store
                .read()
                .await
                .unwrap()
                .get_person_by_email("tech@msp.example")
                .await
                .unwrap()
                .id,
        ),
        role: Role::Technician,
        organisation_id: None,
        org_access: false,
    };
    app.service
        .add_message(
            &tech_actor,
            t.id,
            steward_service::MessageInput {
                kind: steward_domain::MessageKind::Internal,
                body: "Walrus firmware <script>alert(1)</script> needed".into(),
                status: None,
            },
        )
        .await
        .unwrap();

    let (status, html, _) = tech.get("/agent/search?q=jammed+scanners").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Scanner &#60;b&#62;jammed&#60;/b&#62;"),
        "{html}"
    );
    assert!(!html.contains("<b>jammed"), "{html}");
    assert!(html.contains("<mark>jammed</mark>"), "{html}");
    assert!(html.contains(&format!("/agent/tickets/{}", t.number)));
    // The search box in the top bar keeps the query.
    assert!(html.contains("value=\"jammed scanners\""), "{html}");
    let (_, html, _) = tech.get("/agent/search?q=walrus").await;
    assert!(
        html.contains("<mark>Walrus</mark> firmware &lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");
    let (_, html, _) = tech.get("/agent/search?q=ann").await;
    assert!(html.contains("ann@acme.example"), "{html}");
    let (status, _, location) = tech.get(&format!("/agent/search?q=%23{}", t.number)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/agent/tickets/{}", t.number).as_str())
    );
    let (status, html, _) = tech.get("/agent/search?q=status%3Abogus").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("is no status"), "{html}");

    // The requester: their ticket by its public words, never by the note; no people.
    let (_, html, _) = ann.get("/portal/search?q=jammed").await;
    assert!(
        html.contains(&format!("/portal/tickets/{}", t.number)),
        "{html}"
    );
    let (_, html, _) = ann.get("/portal/search?q=walrus").await;
    assert!(html.contains("No ticket matches"), "{html}");
    let (_, html, _) = ann.get("/portal/search?q=ann").await;
    assert!(!html.contains("ann@acme.example</span>"), "{html}");
    let (status, _, location) = ann.get(&format!("/portal/search?q=%23{}", t.number)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/portal/tickets/{}", t.number).as_str())
    );
    // Another requester: nothing of Ann's, not even by number.
    let (_, html, _) = bob.get("/portal/search?q=jammed").await;
    assert!(html.contains("No ticket matches"), "{html}");
    let (status, _, _) = bob.get(&format!("/portal/search?q=%23{}", t.number)).await;
    assert_eq!(status, StatusCode::OK);
}
on_both!(the_search_page_finds_what_each_person_may_see);

/// The knowledge base in the browser's forms: writing, versions and what changed, restoring,
/// the portal's articles and feedback, suggestions while a request is typed (and deflection
/// counted only when no request follows), and articles on the ticket page.
async fn the_knowledge_base_pages(app: &TestApp) {
    with_password(app, "boss@msp.example", Role::Manager, None).await;
    with_password(app, "ann@acme.example", Role::Requester, None).await;
    with_password(app, "bob@acme.example", Role::Requester, None).await;
    let boss = Page::sign_in(app, "boss@msp.example", "a long enough password").await;
    let ann = Page::sign_in(app, "ann@acme.example", "a long enough password").await;
    let bob = Page::sign_in(app, "bob@acme.example", "a long enough password").await;

    // A category, then an article written in the form.
    let (status, _, _) = boss
        .post(
            "/agent/kb/categories",
            "/agent/kb",
            &[("name", "Network"), ("parent", "")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = boss.get("/agent/kb").await;
    assert!(html.contains("Network"), "{html}");
    let category = app
        .service
        .kb_categories(&steward_domain::Actor::system())
        .await
        .unwrap()[0]
        .id
        .0
        .to_string();
    let (status, _, location) = boss
        .post(
            "/agent/kb/new",
            "/agent/kb/new",
            &[
                ("title", "Connect to the VPN"),
                (
                    "body",
                    "Open **AnyConnect**.\nType vpn.acme.example.\nSign in.",
                ),
                ("status", "published"),
                ("visibility", "public"),
                ("organisations", ""),
                ("category", &category),
                ("tags", "vpn remote"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");
    let page = location.unwrap().split('?').next().unwrap().to_string();
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let (_, html, _) = boss.get(&page).await;
    assert!(html.contains("<strong>AnyConnect</strong>"), "{html}");
    // A second version, then what it changed, then restoring the first.
    let (status, _, _) = boss
        .post(
            &page,
            &page,
            &[
                ("title", "Connect to the VPN"),
                (
                    "body",
                    "Open **AnyConnect**.\nType vpn2.acme.example.\nSign in.",
                ),
                ("status", "published"),
                ("visibility", "public"),
                ("organisations", ""),
                ("category", &category),
                ("tags", "vpn"),
                ("version", "1"),
                ("note", "New server"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = boss.get(&format!("{page}/versions/2")).await;
    assert!(html.contains("class=\"diff-removed\""), "{html}");
    assert!(html.contains("Type vpn.acme.example."), "{html}");
    assert!(html.contains("Type vpn2.acme.example."), "{html}");
    // Saving from a stale form says so and keeps what was typed.
    let (status, html, _) = boss
        .post(
            &page,
            &page,
            &[
                ("title", "Stale edit"),
                ("body", "typed"),
                ("status", "published"),
                ("visibility", "public"),
                ("organisations", ""),
                ("category", ""),
                ("tags", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("changed by someone else"), "{html}");
    assert!(html.contains("Stale edit"), "{html}");
    let (status, _, _) = boss
        .post(
            &format!("{page}/versions/1/restore"),
            &format!("{page}/versions/1"),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = boss.get(&page).await;
    assert!(html.contains("Restored version 1"), "{html}");
    assert!(html.contains("vpn.acme.example"), "{html}");

    // The portal: the article by topic, read (counted), and feedback.
    let (_, html, _) = ann.get("/portal/kb").await;
    assert!(html.contains("Connect to the VPN"), "{html}");
    let (_, html, _) = ann.get(&format!("/portal/kb/{id}")).await;
    assert!(
        html.contains("<strong>AnyConnect</strong>") && html.contains("Was this helpful?"),
        "{html}"
    );
    let (status, _, location) = ann
        .post(
            &format!("/portal/kb/{id}/feedback"),
            &format!("/portal/kb/{id}"),
            &[("helpful", "no"), ("comment", "Which password?")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");
    let (_, html, _) = boss.get(&page).await;
    assert!(html.contains("Which password?"), "{html}");
    assert!(html.contains("2 views"), "{html}");
    // A draft is nowhere in the portal.
    let draft = app
        .service
        .create_article(
            &steward_domain::Actor::system(),
            steward_service::ArticleInput {
                title: "VPN secrets".into(),
                body: "internal".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (status, _, _) = ann.get(&format!("/portal/kb/{}", draft.id.0)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html, _) = ann.get("/portal/kb").await;
    assert!(!html.contains("VPN secrets"), "{html}");

    // Suggestions while typing a request; opening one and leaving is a deflected request.
    let (_, json, _) = ann.get("/portal/kb/suggest?q=the%20vpn%20drops").await;
    assert!(
        json.contains("Connect to the VPN") && !json.contains("VPN secrets"),
        "{json}"
    );
    assert!(json.contains("from=new-request"), "{json}");
    ann.get(&format!("/portal/kb/{id}?from=new-request")).await;
    bob.get(&format!("/portal/kb/{id}?from=new-request")).await;
    // Bob opens a request anyway: his visit was not a deflection.
    let (status, _, _) = bob
        .post(
            "/portal/new",
            "/portal/new",
            &[
                ("subject", "VPN still drops"),
                ("body", "It drops."),
                ("type", "incident"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let system = steward_domain::Actor::system();
    let from = app
        .clock_now()
        .checked_sub(jiff::SignedDuration::from_hours(2))
        .unwrap();
    app.clock.advance(jiff::SignedDuration::from_mins(61));
    assert_eq!(
        app.service
            .deflections(&system, from, app.clock_now())
            .await
            .unwrap(),
        1
    );
    let (_, html, _) = boss.get("/agent/kb").await;
    assert!(html.contains("1 requests deflected"), "{html}");

    // The ticket page: suggested and linked articles, and an article from the solved ticket.
    let bobs = app
        .service
        .search(
            &system,
            &steward_service::SearchRequest {
                q: "drops".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .tickets[0]
        .ticket
        .number;
    let ticket_page = format!("/agent/tickets/{bobs}");
    let (_, html, _) = boss.get(&ticket_page).await;
    assert!(
        html.contains("Maybe:") && html.contains("Connect to the VPN"),
        "{html}"
    );
    let (status, _, _) = boss
        .post(
            &format!("{ticket_page}/articles"),
            &ticket_page,
            &[("article", &id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = boss.get(&ticket_page).await;
    assert!(
        html.contains("data-insert=\"/portal/kb/") || html.contains(&format!("/portal/kb/{id}\"")),
        "{html}"
    );
    assert!(html.contains("Insert text"), "{html}");
    let (_, html, _) = bob.get(&format!("/portal/tickets/{bobs}")).await;
    assert!(html.contains("Help articles for this request"), "{html}");
    let (status, _, _) = boss
        .post(
            &format!("{ticket_page}/messages"),
            &ticket_page,
            &[
                ("kind", "public"),
                ("body", "Reinstall AnyConnect."),
                ("status", "resolved"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, location) = boss
        .post(&format!("{ticket_page}/article-draft"), &ticket_page, &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = boss.get(location.as_deref().unwrap()).await;
    assert!(
        html.contains("Reinstall AnyConnect.") && html.contains("## Problem"),
        "{html}"
    );
}
on_both!(the_knowledge_base_pages);
