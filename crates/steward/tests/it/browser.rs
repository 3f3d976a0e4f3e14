//! Browser tests: the pages in real headless Chromium, driven over WebDriver (chromedriver).
//!
//! They need Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`, `/usr/bin/chromedriver`;
//! other paths via `STEWARD_CHROMIUM` and `STEWARD_CHROMEDRIVER`). Without them, each test prints
//! `SKIPPED in the browser` and passes; `.ci/run` installs them and fails on a skip. With
//! `STEWARD_SCREENSHOTS=DIR`, the screenshot test writes the main pages there as PNG.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use steward_domain::{Actor, OrgId, Role};
use steward_service::{CreateTicket, MessageInput, NewPersonInput};

use crate::harness::{Db, TestApp};

/// A chromedriver for one test, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium_path() -> String {
    std::env::var("STEWARD_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

async fn driver() -> Option<Driver> {
    let driver_path =
        std::env::var("STEWARD_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    if !std::path::Path::new(&driver_path).exists()
        || !std::path::Path::new(&chromium_path()).exists()
    {
        use std::io::Write;
        let test = std::thread::current()
            .name()
            .unwrap_or("a test")
            .to_string();
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED in the browser: {test} (install chromium and chromium-driver, or set STEWARD_CHROMIUM and STEWARD_CHROMEDRIVER)"
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{url}/status")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(Driver { child, url })
}

/// A new browser window (its own cookies).
async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium_path(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,900"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&d.url)
        .await
        .expect("a WebDriver session")
}

async fn person(app: &TestApp, email: &str, name: &str, role: Role, org: Option<i64>) -> i64 {
    app.service
        .create_person(
            &Actor::system(),
            NewPersonInput {
                email: email.into(),
                name: name.into(),
                role,
                organisation_id: org.map(OrgId),
                org_access: false,
                password: Some("a long enough password".into()),
            },
        )
        .await
        .unwrap()
        .id
        .0
}

/// A new organisation's id.
async fn org(app: &TestApp, name: &str) -> i64 {
    app.service
        .create_org(
            &Actor::system(),
            steward_service::NewOrg {
                name: name.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .0
}

async fn sign_in(app: &TestApp, c: &Client, email: &str, password: &str) {
    c.goto(&format!("{}/", app.base)).await.unwrap();
    c.wait().for_element(Locator::Id("email")).await.unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("form.stack button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Wait for the next page: signed in, the sign-in form again with its error, or the code page
    // of two-factor sign-in.
    c.wait()
        .for_element(Locator::Css(
            "#sign-in-error, form[action='/sign-out'], #code",
        ))
        .await
        .unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not found: {e}"))
        .text()
        .await
        .unwrap()
}

async fn page_text(c: &Client) -> String {
    text_of(c, "body").await
}

async fn ticket(app: &TestApp, requester: i64, subject: &str) -> i64 {
    app.service
        .create_ticket(
            &Actor::system(),
            CreateTicket {
                subject: subject.into(),
                body: Some(format!("Details about {subject}.")),
                requester_id: Some(steward_domain::PersonId(requester)),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .number
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_shows_a_clear_error_then_the_queue() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    person(&app, "tom@msp.example", "Tom Tech", Role::Technician, None).await;
    let c = browser(&d).await;
    sign_in(&app, &c, "tom@msp.example", "not the password").await;
    let err = text_of(&c, "#sign-in-error").await;
    assert!(err.contains("Wrong e-mail address or password"), "{err}");
    // The address stays filled in; the password does not.
    let email = c
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(email.as_deref(), Some("tom@msp.example"));
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("a long enough password")
        .await
        .unwrap();
    c.find(Locator::Css("form.stack button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = text_of(&c, "#queue-title").await;
    assert!(title.starts_with("My open tickets"), "{title}");
    // Signing out ends the session.
    c.find(Locator::Css("form[action='/sign-out'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("email")).await.unwrap();
    c.goto(&format!("{}/agent", app.base)).await.unwrap();
    c.wait().for_element(Locator::Id("email")).await.unwrap();
    c.close().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_reaches_the_portal_and_a_note_does_not() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let org = org(&app, "Acme").await;
    person(&app, "tom@msp.example", "Tom Tech", Role::Technician, None).await;
    let ann = person(
        &app,
        "ann@acme.example",
        "Ann Smith",
        Role::Requester,
        Some(org),
    )
    .await;
    let n = ticket(&app, ann, "VPN drops every hour").await;

    let tech = browser(&d).await;
    sign_in(&app, &tech, "tom@msp.example", "a long enough password").await;
    tech.goto(&format!("{}/agent/tickets/{n}", app.base))
        .await
        .unwrap();
    // An internal note, chosen with the keyboard (n), then a public reply (r) that waits on Ann.
    tech.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("n")
        .await
        .unwrap();
    tech.find(Locator::Id("body"))
        .await
        .unwrap()
        .send_keys("Secret: the firewall rule is wrong")
        .await
        .unwrap();
    tech.find(Locator::Css("#compose button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&tech, ".notice", "Internal note added").await;
    tech.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("r")
        .await
        .unwrap();
    tech.find(Locator::Id("body"))
        .await
        .unwrap()
        .send_keys("We changed a setting; does it still drop?")
        .await
        .unwrap();
    tech.find(Locator::Css("#compose select[name=status]"))
        .await
        .unwrap()
        .select_by_value("pending_requester")
        .await
        .unwrap();
    tech.find(Locator::Css("#compose button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&tech, ".notice", "Reply sent").await;
    let internal = text_of(&tech, ".message.internal").await;
    assert!(
        internal
            .to_lowercase()
            .contains("not visible to the requester"),
        "{internal}"
    );

    let ann_browser = browser(&d).await;
    sign_in(
        &app,
        &ann_browser,
        "ann@acme.example",
        "a long enough password",
    )
    .await;
    let list = text_of(&ann_browser, ".requests").await;
    assert!(
        list.contains("VPN drops every hour") && list.contains("Waiting for your reply"),
        "{list}"
    );
    ann_browser
        .goto(&format!("{}/portal/tickets/{n}", app.base))
        .await
        .unwrap();
    let page = text_of(&ann_browser, "#conversation").await;
    assert!(page.contains("does it still drop?"), "{page}");
    let whole = page_text(&ann_browser).await + &ann_browser.source().await.unwrap();
    assert!(
        !whole.contains("firewall rule"),
        "the internal note leaked to the portal"
    );
    // Ann answers; the ticket is open again and Tom sees her answer.
    ann_browser
        .find(Locator::Id("reply"))
        .await
        .unwrap()
        .send_keys("Yes, at 10:00 again.")
        .await
        .unwrap();
    ann_browser
        .find(Locator::Css("form.compose button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&ann_browser, ".notice", "Reply sent").await;
    tech.refresh().await.unwrap();
    assert!(text_of(&tech, "#conversation")
        .await
        .contains("at 10:00 again"));
    assert!(text_of(&tech, ".ticket-head .meta").await.contains("Open"));
    tech.close().await.unwrap();
    ann_browser.close().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_of_another_organisation_gets_404() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let mk = |name: &'static str| {
        let svc = app.service.clone();
        async move {
            svc.create_org(
                &Actor::system(),
                steward_service::NewOrg {
                    name: name.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id
            .0
        }
    };
    let (acme, globex) = (mk("Acme").await, mk("Globex").await);
    let ann = person(&app, "ann@acme.example", "Ann", Role::Requester, Some(acme)).await;
    person(
        &app,
        "eve@globex.example",
        "Eve",
        Role::Requester,
        Some(globex),
    )
    .await;
    let n = ticket(&app, ann, "Payroll export").await;
    let eve = browser(&d).await;
    sign_in(&app, &eve, "eve@globex.example", "a long enough password").await;
    text_of(&eve, ".portal").await;
    eve.goto(&format!("{}/portal/tickets/{n}", app.base))
        .await
        .unwrap();
    assert_eq!(text_of(&eve, "main h1").await, "Not found");
    assert!(!page_text(&eve).await.contains("Payroll"));
    // The agent pages send a requester to the portal.
    eve.goto(&format!("{}/agent/tickets/{n}", app.base))
        .await
        .unwrap();
    text_of(&eve, ".portal").await;
    assert!(eve
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/portal"));
    eve.close().await.unwrap();
    app.stop().await;
}

/// The knowledge base's scripts in a real browser: suggestions appear while a request's summary
/// is typed and lead to the article; staff add an image to an article with the file picker,
/// insert it into the text, and the saved article shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_articles_are_suggested_and_carry_images() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    person(&app, "ann@acme.example", "Ann", Role::Requester, None).await;
    person(&app, "tom@msp.example", "Tom Tech", Role::Technician, None).await;
    let a = app
        .service
        .create_article(
            &Actor::system(),
            steward_service::ArticleInput {
                title: "Printer shows paper jam".into(),
                body: "Open tray 2 and remove the paper.".into(),
                visibility: Some(steward_domain::knowledge::Visibility::Public),
                status: Some(steward_domain::knowledge::ArticleStatus::Published),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ann = browser(&d).await;
    sign_in(&app, &ann, "ann@acme.example", "a long enough password").await;
    ann.goto(&format!("{}/portal/new", app.base)).await.unwrap();
    ann.find(Locator::Css("#subject"))
        .await
        .unwrap()
        .send_keys("The printer has a jam again")
        .await
        .unwrap();
    wait_for_text(&ann, "#suggestions", "Printer shows paper jam").await;
    ann.find(Locator::Css("#suggestions a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(&ann, "main h1").await, "Printer shows paper jam");
    ann.close().await.unwrap();
    let system = Actor::system();
    let hour_ago = app.clock_now();
    app.clock
        .advance(std::time::Duration::from_secs(2 * 3600).try_into().unwrap());
    assert_eq!(
        app.service
            .deflections(&system, hour_ago, app.clock_now())
            .await
            .unwrap(),
        1
    );

    // Staff: an image through the file picker, inserted into the text, shown once saved.
    let png = std::env::temp_dir().join(format!("steward-kb-{}.png", std::process::id()));
    // A 1×1 transparent PNG.
    std::fs::write(
        &png,
        [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
            0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78,
            0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00,
            0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ],
    )
    .unwrap();
    let tom = browser(&d).await;
    sign_in(&app, &tom, "tom@msp.example", "a long enough password").await;
    tom.goto(&format!("{}/agent/kb/{}", app.base, a.id.0))
        .await
        .unwrap();
    tom.find(Locator::Css("[data-upload]"))
        .await
        .unwrap()
        .send_keys(png.to_str().unwrap())
        .await
        .unwrap();
    wait_for_text(&tom, ".kb-files", "steward-kb-").await;
    tom.find(Locator::Css(".kb-files [data-insert]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    tom.find(Locator::Css(".kb-editor button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&tom, ".notice", "Saved").await;
    let loaded: bool = tom
        .execute(
            "var i = document.querySelector('.kb-body img'); return !!i && i.complete && i.naturalWidth === 1;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false);
    assert!(loaded, "{}", page_text(&tom).await);
    std::fs::remove_file(&png).ok();
    tom.close().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_works_with_the_keyboard() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    person(&app, "tom@msp.example", "Tom Tech", Role::Technician, None).await;
    let req = person(
        &app,
        "req@example.com",
        "Rae Quester",
        Role::Requester,
        None,
    )
    .await;
    let mut numbers = Vec::new();
    for i in 1..=3 {
        app.clock.advance(jiff::SignedDuration::from_mins(1));
        numbers.push(ticket(&app, req, &format!("Keyboard ticket {i}")).await);
    }
    let c = browser(&d).await;
    sign_in(&app, &c, "tom@msp.example", "a long enough password").await;
    c.goto(&format!("{}/agent?view=open", app.base))
        .await
        .unwrap();
    text_of(&c, "table.tickets").await;
    let body = c.find(Locator::Css("body")).await.unwrap();
    // Newest first: j selects ticket 3, j again ticket 2, k back to 3, j to 2; Enter opens it.
    for key in ["j", "j", "k", "j"] {
        body.send_keys(key).await.unwrap();
    }
    let selected = text_of(&c, "tr.selected .subject").await;
    assert!(selected.contains("Keyboard ticket 2"), "{selected}");
    c.active_element()
        .await
        .unwrap()
        .send_keys("\u{e007}")
        .await
        .unwrap();
    let h1 = text_of(&c, ".ticket-head h1").await;
    assert!(h1.contains("Keyboard ticket 2"), "{h1}");
    // a assigns it to me.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("a")
        .await
        .unwrap();
    wait_for_text(&c, ".notice", "Assigned to you").await;
    // ? shows the shortcuts.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("?")
        .await
        .unwrap();
    let dialog = c.find(Locator::Id("shortcuts")).await.unwrap();
    assert!(dialog.is_displayed().await.unwrap());
    assert!(dialog
        .text()
        .await
        .unwrap()
        .contains("Assign the ticket to me"));
    c.close().await.unwrap();
    app.stop().await;
}

/// Writes screenshots of the main pages, in both themes, to `STEWARD_SCREENSHOTS` (when set).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_main_pages() {
    let Ok(dir) = std::env::var("STEWARD_SCREENSHOTS") else {
        return;
    };
    let Some(d) = driver().await else { return };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let org = org(&app, "Acme Corp").await;
    let tom = person(&app, "tom@msp.example", "Tom Tech", Role::Manager, None).await;
    let ann = person(
        &app,
        "ann@acme.example",
        "Ann Smith",
        Role::Requester,
        Some(org),
    )
    .await;
    let team = app
        .service
        .create_team(
            &Actor::system(),
            steward_service::NewTeam {
                name: "Service Desk".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    // A service level, so that the queue and ticket show their clocks.
    let cal = app
        .service
        .create_calendar(&Actor::system(), "Office hours", {
            let mut def = steward_domain::calendar::CalendarDef::always();
            def.time_zone = "Europe/Berlin".into();
            for (i, day) in def.week.iter_mut().enumerate() {
                *day = if i < 5 {
                    vec![steward_domain::calendar::Hours {
                        start: "08:00".into(),
                        end: "18:00".into(),
                    }]
                } else {
                    Vec::new()
                };
            }
            def
        })
        .await
        .unwrap();
    let t = |first: u32, resolution: u32| steward_domain::sla::Targets {
        first_response_minutes: Some(first),
        next_response_minutes: Some(first * 2),
        resolution_minutes: Some(resolution),
    };
    app.service
        .create_sla_policy(
            &Actor::system(),
            steward_service::PolicyInput {
                name: "Standard".into(),
                position: 0,
                calendar_id: Some(cal.id),
                applies: Default::default(),
                targets: [t(30, 240), t(60, 480), t(240, 960), t(480, 2400)],
                pause_in: None,
                warn_percent: None,
                escalation: None,
                is_default: true,
            },
        )
        .await
        .unwrap();
    let subjects = [
        "Printer on floor 2 jams every second page",
        "VPN drops every hour since Monday",
        "New laptop for Maria (starts 1 April)",
        "Outlook asks for the password again and again",
        "Access to the finance share",
        "Monitor flickers",
    ];
    let mut numbers = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        app.clock.advance(jiff::SignedDuration::from_mins(17));
        let t = app
            .service
            .create_ticket(
                &Actor::system(),
                CreateTicket {
                    subject: (*s).into(),
                    body: Some("It started this morning. I restarted it twice already.".into()),
                    requester_id: Some(steward_domain::PersonId(ann)),
                    impact: Some(
                        [
                            steward_domain::Impact::High,
                            steward_domain::Impact::Medium,
                            steward_domain::Impact::Low,
                        ][i % 3],
                    ),
                    urgency: Some(
                        [
                            steward_domain::Urgency::High,
                            steward_domain::Urgency::Medium,
                        ][i % 2],
                    ),
                    team_id: Some(team.id),
                    assignee_id: (i % 2 == 0).then_some(steward_domain::PersonId(tom)),
                    tags: if i == 0 {
                        vec!["printer".into(), "floor-2".into()]
                    } else {
                        vec![]
                    },
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        numbers.push(t);
    }
    let tom_actor = app
        .service
        .get_person(&Actor::system(), steward_domain::PersonId(tom))
        .await
        .unwrap()
        .actor();
    app.service
        .add_message(
            &tom_actor,
            numbers[0].id,
            MessageInput {
                kind: steward_domain::MessageKind::Internal,
                body: "Fuser unit is probably worn; a spare is in the store room.".into(),
                status: None,
            },
        )
        .await
        .unwrap();
    app.service
        .add_message(&tom_actor, numbers[0].id, MessageInput { kind: steward_domain::MessageKind::Public, body: "Thanks Ann, I will replace a part this afternoon. Which tray do you print from?".into(), status: Some(steward_domain::Status::PendingRequester) })
        .await
        .unwrap();
    let n = numbers[0].number;

    let c = browser(&d).await;
    sign_in(&app, &c, "tom@msp.example", "a long enough password").await;
    let ann_c = browser(&d).await;
    sign_in(&app, &ann_c, "ann@acme.example", "a long enough password").await;
    for theme in ["light", "dark"] {
        for (client, path, name) in [
            (&c, "/agent?view=open".to_string(), "queue"),
            (&c, format!("/agent/tickets/{n}"), "ticket"),
            (&ann_c, "/portal".to_string(), "portal"),
            (&ann_c, format!("/portal/tickets/{n}"), "portal-ticket"),
        ] {
            client.goto(&format!("{}{path}", app.base)).await.unwrap();
            client
                .execute(
                    "localStorage.setItem('steward-theme', arguments[0]); document.documentElement.setAttribute('data-theme', arguments[0]);",
                    vec![json!(theme)],
                )
                .await
                .unwrap();
            let png = client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{theme}.png")), png).unwrap();
        }
    }
    // The portal on a phone.
    ann_c.set_window_size(390, 844).await.unwrap();
    ann_c
        .goto(&format!("{}/portal/tickets/{n}", app.base))
        .await
        .unwrap();
    ann_c.execute("localStorage.setItem('steward-theme', 'light'); document.documentElement.setAttribute('data-theme', 'light');", vec![]).await.unwrap();
    std::fs::write(
        dir.join("portal-phone.png"),
        ann_c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&format!("{}/agent/admin/sla", app.base))
        .await
        .unwrap();
    c.execute(
        "document.querySelector('details.policy').open = true;",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        dir.join("admin-sla-dark.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&format!("{}/agent/admin/people", app.base))
        .await
        .unwrap();
    std::fs::write(
        dir.join("admin-people-dark.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    let rule: steward_domain::rules::RuleDef = serde_json::from_value(json!({
        "triggers": ["time"],
        "conditions": {"all": [{"field": "status", "op": "is", "value": "pending_requester"},
                               {"field": "idle_hours", "op": "more_than", "value": "72"}]},
        "actions": [{"do": "email_requester", "subject": "Still a problem?", "body": "We are waiting for your answer."},
                    {"do": "add_tag", "tag": "chased"}]}))
    .unwrap();
    app.service
        .create_rule(
            &Actor::system(),
            steward_service::RuleInput {
                name: "Chase quiet requesters".into(),
                position: 10,
                enabled: true,
                def: rule,
            },
        )
        .await
        .unwrap();
    c.goto(&format!("{}/agent/admin/automation", app.base))
        .await
        .unwrap();
    c.execute(
        "document.querySelector('details.policy').open = true;",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        dir.join("admin-automation-dark.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&format!("{}/agent/notifications", app.base))
        .await
        .unwrap();
    std::fs::write(
        dir.join("notifications-dark.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // The knowledge base and search.
    let network = app
        .service
        .create_kb_category(&Actor::system(), None, "Network", 0)
        .await
        .unwrap();
    let vpn = app
        .service
        .create_article(
            &Actor::system(),
            steward_service::ArticleInput {
                title: "Connect to the VPN from home".into(),
                body: "Use the **AnyConnect** client on your laptop.\n\n1. Open AnyConnect.\n2. Type `vpn.acme.example` and press *Connect*.\n3. Sign in with your usual password and approve the prompt on your phone.\n\n| Problem | Fix |\n| --- | --- |\n| Drops every hour | Update AnyConnect to 5.1 |\n| Certificate error | Restart the laptop |\n".into(),
                category_id: Some(network.id),
                visibility: Some(steward_domain::knowledge::Visibility::Public),
                status: Some(steward_domain::knowledge::ArticleStatus::Published),
                tags: vec!["vpn".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    ann_c
        .goto(&format!("{}/portal/kb/{}", app.base, vpn.id.0))
        .await
        .unwrap();
    std::fs::write(
        dir.join("portal-article-light.png"),
        ann_c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&format!("{}/agent/search?q=vpn", app.base))
        .await
        .unwrap();
    std::fs::write(dir.join("search-dark.png"), c.screenshot().await.unwrap()).unwrap();
    // The reports, over a year of demo data.
    steward_demo::generate(
        &app.service,
        &app.store,
        &steward_demo::DemoOptions {
            tickets: 4000,
            seed: 3,
            now: app.clock_now(),
            open_share: None,
        },
        &|_, _, _| {},
    )
    .await
    .unwrap();
    let to = app.clock_now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let from = to.checked_sub(jiff::Span::new().days(89)).unwrap();
    c.goto(&format!("{}/agent/reports?from={from}&to={to}", app.base))
        .await
        .unwrap();
    c.execute("localStorage.setItem('steward-theme', 'light'); document.documentElement.setAttribute('data-theme', 'light');", vec![]).await.unwrap();
    std::fs::write(dir.join("reports-light.png"), c.screenshot().await.unwrap()).unwrap();
    c.close().await.unwrap();
    ann_c.close().await.unwrap();
    app.stop().await;
}

/// Waits until `css` contains `text` (live updates arrive asynchronously).
async fn wait_for_text(c: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if e.text().await.unwrap_or_default().contains(text) {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{text:?} did not appear in {css} within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_technicians_reply_appears_live() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    person(&app, "tom@msp.example", "Tom Tech", Role::Technician, None).await;
    person(&app, "tia@msp.example", "Tia Tech", Role::Technician, None).await;
    let req = person(
        &app,
        "req@example.com",
        "Rae Quester",
        Role::Requester,
        None,
    )
    .await;
    let n = ticket(&app, req, "Shared drive is read-only").await;

    let tom = browser(&d).await;
    sign_in(&app, &tom, "tom@msp.example", "a long enough password").await;
    tom.goto(&format!("{}/agent/tickets/{n}", app.base))
        .await
        .unwrap();
    let tia = browser(&d).await;
    sign_in(&app, &tia, "tia@msp.example", "a long enough password").await;
    tia.goto(&format!("{}/agent/tickets/{n}", app.base))
        .await
        .unwrap();
    // Wait until Tia's page listens, and mark it, to prove it is not reloaded.
    tia.wait()
        .for_element(Locator::Css("html[data-live='connected']"))
        .await
        .unwrap();
    tia.execute("window.stewardMarker = 'still here';", vec![])
        .await
        .unwrap();
    tia.find(Locator::Id("body"))
        .await
        .unwrap()
        .send_keys("Draft Tia is typing")
        .await
        .unwrap();

    tom.find(Locator::Id("body"))
        .await
        .unwrap()
        .send_keys("I reset the share permissions.")
        .await
        .unwrap();
    tom.find(Locator::Css("#compose button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(
        &tia,
        "#conversation .messages",
        "reset the share permissions",
    )
    .await;
    wait_for_text(&tia, ".history", "Tom Tech").await;
    let marker = tia
        .execute("return window.stewardMarker;", vec![])
        .await
        .unwrap();
    assert_eq!(marker, json!("still here"), "the page was reloaded");
    let draft = tia
        .find(Locator::Id("body"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        draft.as_deref(),
        Some("Draft Tia is typing"),
        "the draft survived"
    );

    // A new ticket appears in an open queue.
    tia.goto(&format!("{}/agent?view=open", app.base))
        .await
        .unwrap();
    tia.wait()
        .for_element(Locator::Css("html[data-live='connected']"))
        .await
        .unwrap();
    ticket(&app, req, "Brand-new ticket while watching").await;
    wait_for_text(&tia, "table.tickets", "Brand-new ticket while watching").await;
    wait_for_text(&tia, ".queue-head .total", "2").await;
    tom.close().await.unwrap();
    tia.close().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_rates_and_the_manager_reads_the_client_report() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let org = org(&app, "Acme").await;
    let tom = person(&app, "tom@msp.example", "Tom Tech", Role::Manager, None).await;
    let ann = person(
        &app,
        "ann@acme.example",
        "Ann Smith",
        Role::Requester,
        Some(org),
    )
    .await;
    let number = ticket(&app, ann, "Monitor flickers").await;
    // Tom answers and resolves; the survey starts at once.
    let desk = app
        .service
        .clone()
        .with_surveys(Some(jiff::SignedDuration::ZERO));
    let tom_actor = Actor {
        person_id: Some(steward_domain::PersonId(tom)),
        role: Role::Manager,
        organisation_id: None,
        org_access: false,
    };
    let t = desk.get_ticket_by_number(&tom_actor, number).await.unwrap();
    desk.add_message(
        &tom_actor,
        t.id,
        MessageInput {
            kind: steward_domain::MessageKind::Public,
            body: "A new cable fixed it.".into(),
            status: Some(steward_domain::Status::Resolved),
        },
    )
    .await
    .unwrap();
    desk.run_due_jobs(10).await.unwrap();

    // Ann rates in the portal with one click.
    let c = browser(&d).await;
    sign_in(&app, &c, "ann@acme.example", "a long enough password").await;
    c.goto(&format!("{}/portal/tickets/{number}", app.base))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("button[name=rating][value='4']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "#rating", "4/5").await;
    let rating = text_of(&c, "#rating").await;
    assert!(rating.contains("Satisfied"), "{rating}");
    c.close().await.unwrap();

    // Tom reads the reports, narrows them to Acme with the form, and sees the rating counted.
    let c = browser(&d).await;
    sign_in(&app, &c, "tom@msp.example", "a long enough password").await;
    c.goto(&format!("{}/agent/reports", app.base))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("svg.chart.daily[role=img]"))
        .await
        .unwrap();
    c.find(Locator::Css("select[name=organisation]"))
        .await
        .unwrap()
        .select_by_label("Acme")
        .await
        .unwrap();
    c.find(Locator::Css(".report-filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Service report: Acme").await;
    let body = page_text(&c).await;
    assert!(body.contains("4 – Satisfied 1"), "{body}");
    assert!(body.contains("100.0 %"), "{body}");
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains(&format!("organisation={org}")));
    c.close().await.unwrap();
    app.stop().await;
}

/// Setting up two-factor sign-in in the browser (the QR code drawn, the key typed into an
/// authenticator, recovery codes shown once), signing in with a code using the keyboard, and the
/// administrator reading it in the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_is_set_up_and_used_in_the_browser() {
    let Some(d) = driver().await else { return };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    person(&app, "tom@msp.example", "Tom Tech", Role::Technician, None).await;
    person(&app, "ada@msp.example", "Ada Admin", Role::Admin, None).await;
    let c = browser(&d).await;
    sign_in(&app, &c, "tom@msp.example", "a long enough password").await;
    c.goto(&format!("{}/account", app.base)).await.unwrap();
    c.wait()
        .for_element(Locator::Css("a[href='/account/two-factor']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let key = text_of(&c, "#totp-secret").await;
    let qr = c.find(Locator::Css(".qr svg")).await.unwrap();
    let (_, _, w, h) = qr.rectangle().await.unwrap();
    assert!(w >= 150.0 && h >= 150.0, "the QR code is drawn: {w}×{h}");
    if let Ok(dir) = std::env::var("STEWARD_SCREENSHOTS") {
        std::fs::write(
            std::path::Path::new(&dir).join("two-factor-light.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
    }
    let code = steward_service::totp_code(&key, app.clock_now()).unwrap();
    c.find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(&format!("{code}\u{E007}"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#recovery-codes"))
        .await
        .unwrap();
    let codes = c
        .find_all(Locator::Css("#recovery-codes li"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    c.find(Locator::Css("form[action='/sign-out'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Signing in again: the password, then the code, typed and sent with Enter.
    sign_in(&app, &c, "tom@msp.example", "a long enough password").await;
    let body = text_of(&c, "h1").await;
    assert_eq!(body, "Two-factor sign-in");
    app.clock.advance(jiff::SignedDuration::from_secs(30));
    let code = steward_service::totp_code(&key, app.clock_now()).unwrap();
    c.find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(&format!("{code}\u{E007}"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form[action='/sign-out']"))
        .await
        .unwrap();
    c.close().await.unwrap();

    let c = browser(&d).await;
    sign_in(&app, &c, "ada@msp.example", "a long enough password").await;
    c.goto(&format!(
        "{}/agent/admin/audit?action=two_factor_enabled",
        app.base
    ))
    .await
    .unwrap();
    let table = text_of(&c, "#audit").await;
    assert!(
        table.contains("tom@msp.example") && table.contains("two_factor_enabled"),
        "{table}"
    );
    c.close().await.unwrap();
    app.stop().await;
}
