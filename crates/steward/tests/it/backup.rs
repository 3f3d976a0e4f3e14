//! Backups taken while Steward serves, restored into empty databases; the logical export moving
//! an installation from SQLite to PostgreSQL and back, without losing or changing a row.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use steward_domain::Role;
use steward_service::{MailSettings, Mailbox, ManualClock, Service};
use steward_store::{transfer, Store, StoreOptions};

use crate::harness::{
    drop_pg_schema, expect, new_pg_schema, pg_url_in_schema, start_instant, Db, TestApp,
};

use crate::harness::steward_cli as steward;

/// Runs the binary; returns stdout, or panics with stderr.
fn run(args: &[&str]) -> String {
    let out = steward().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "steward {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the binary expecting it to fail; returns stderr.
fn refused(args: &[&str]) -> String {
    let out = steward().args(args).output().unwrap();
    assert!(!out.status.success(), "steward {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("steward-backup-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nbinary \x00\x01\x02 payload\n";

/// A desk with what a backup must keep: people, tokens, a category tree, tickets with threads
/// and history, an attachment (binary), articles, the audit log. Returns the admin's token.
async fn fill(app: &TestApp) -> String {
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let org = expect(
        app.post(
            "/api/v1/organisations",
            &admin,
            json!({"name": "Acme", "slug": "acme", "domains": ["acme.example"]}),
        )
        .await,
        201,
    );
    let req = expect(
        app.post(
            "/api/v1/people",
            &admin,
            json!({"email": "ann@acme.example", "name": "Ann", "role": "requester",
                   "organisation_id": org["id"]}),
        )
        .await,
        201,
    );
    let hw = expect(
        app.post("/api/v1/categories", &admin, json!({"name": "Hardware"}))
            .await,
        201,
    );
    let printers = expect(
        app.post(
            "/api/v1/categories",
            &admin,
            json!({"name": "Printers", "parent_id": hw["id"]}),
        )
        .await,
        201,
    );
    for i in 0..12 {
        let t = expect(
            app.post(
                "/api/v1/tickets",
                &admin,
                json!({"subject": format!("Printer {i} jams on every page"),
                       "body": "The toner smudges and the paper jams.",
                       "requester_id": req["id"], "category_id": printers["id"]}),
            )
            .await,
            201,
        );
        expect(
            app.post(
                &format!("/api/v1/tickets/{}/messages", t["id"]),
                &admin,
                json!({"body": "Have you tried the kaleidoscope tray?",
                       "kind": if i % 2 == 0 { "internal" } else { "public" }}),
            )
            .await,
            201,
        );
    }
    let mailbox = Mailbox {
        address: "help@msp.example".into(),
        team: None,
        ticket_type: steward_domain::TicketType::Incident,
        category: None,
    };
    let svc = app.service.clone().with_mail(MailSettings {
        mailboxes: vec![mailbox.clone()],
        ..Default::default()
    });
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, PDF);
    let raw = format!(
        "From: ann@acme.example\r\nTo: help@msp.example\r\nSubject: invoice attached\r\nMessage-ID: <inv-1@acme.example>\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--B\r\nContent-Type: application/pdf; name=\"i.pdf\"\r\nContent-Disposition: attachment; filename=\"i.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--B--\r\n"
    );
    svc.ingest_mail(&mailbox, raw.as_bytes()).await.unwrap();
    expect(
        app.post(
            "/api/v1/articles",
            &admin,
            json!({"title": "Clearing paper jams", "body": "Open the **kaleidoscope** tray.",
                   "status": "published", "visibility": "public"}),
        )
        .await,
        201,
    );
    admin
}

/// An export's tables, without its first line (which names the backend and the time).
async fn tables_of(store: &Store) -> Vec<String> {
    let mut out = vec![];
    transfer::export(store, &mut out, "", &mut |_, _, _| {})
        .await
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

async fn open(url: &str) -> Store {
    let s = Store::open(url, &StoreOptions::default()).await.unwrap();
    s.migrate().await.unwrap();
    s
}

/// Starts Steward on `store`; returns the base URL and the server.
async fn serve(store: Store) -> (String, steward::server::Server) {
    let svc = Service::new(store, Arc::new(ManualClock::new(start_instant())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = steward::server::start(svc, steward_web::WebConfig::default(), listener)
        .await
        .unwrap();
    (format!("http://{}", server.addr), server)
}

async fn get(base: &str, path: &str, token: &str) -> Value {
    let res = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

/// What a restored desk must still do: sign in with the old token, find by full text, serve the
/// attachment's bytes, and go on numbering.
async fn still_works(store: Store, token: &str) {
    let (base, server) = serve(store.clone()).await;
    let found = get(&base, "/api/v1/search?q=kaleidoscope", token).await;
    assert!(
        found["tickets"].as_array().is_some_and(|t| !t.is_empty()),
        "the search index is rebuilt: {found}"
    );
    let invoice = get(&base, "/api/v1/search?q=invoice", token).await;
    let id = invoice["tickets"][0]["ticket"]["id"]
        .as_i64()
        .expect("the invoice's ticket is found");
    let svc = Service::new(store, Arc::new(ManualClock::new(start_instant())));
    let system = steward_domain::Actor::system();
    let ticket = steward_domain::TicketId(id);
    let files = svc.ticket_attachments(&system, ticket).await.unwrap();
    assert_eq!(files.len(), 1);
    let (_, bytes) = svc.attachment(&system, ticket, files[0].id).await.unwrap();
    assert_eq!(bytes, PDF, "attachments are in the backup, byte for byte");
    let highest = get(&base, "/api/v1/tickets?limit=1", token).await["items"][0]["number"]
        .as_i64()
        .unwrap();
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(token)
        .json(&json!({"subject": "after the restore", "requester_id": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.unwrap();
    assert!(t["number"].as_i64().unwrap() > highest, "{t}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_whole() {
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let admin = fill(&app).await;
    let dir = temp("sqlite");

    // Writes go on while the backup is taken.
    let writer = {
        let (base, http, admin) = (app.base.clone(), app.http.clone(), admin.clone());
        tokio::spawn(async move {
            let mut n = 0;
            for i in 0..60 {
                let r = http
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&admin)
                    .json(&json!({"subject": format!("during the backup {i}"), "requester_id": 2}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                n += 1;
            }
            n
        })
    };
    let file = dir.join("during.db");
    let made = app
        .service
        .backup_to(&file, &mut |_, _, _| {})
        .await
        .unwrap();
    assert_eq!(writer.await.unwrap(), 60);
    assert_eq!(made.kind, "sqlite");
    assert!(made.tickets >= 13 && made.tickets <= 13 + 60, "{made:?}");
    let again = app.service.backup_to(&file, &mut |_, _, _| {}).await;
    assert!(again.is_err(), "a backup never overwrites a file");

    // Restored into an empty data directory with the command line: checked, and the same.
    let target = dir.join("restored");
    let said = run(&[
        "--data-dir",
        target.to_str().unwrap(),
        "restore",
        "--from",
        file.to_str().unwrap(),
    ]);
    assert!(
        said.contains(&format!("{} tickets", made.tickets)),
        "{said}"
    );
    let restored = open(&Store::sqlite_url_for_dir(&target)).await;
    let check = transfer::check_sqlite_file(&target.join("steward.db"))
        .await
        .unwrap();
    assert_eq!(check.tickets, made.tickets);

    // A quiet backup is exactly the database, row for row.
    let quiet = dir.join("quiet.db");
    app.service
        .backup_to(&quiet, &mut |_, _, _| {})
        .await
        .unwrap();
    let target2 = dir.join("restored2");
    run(&[
        "--data-dir",
        target2.to_str().unwrap(),
        "restore",
        "--from",
        quiet.to_str().unwrap(),
    ]);
    let restored2 = open(&Store::sqlite_url_for_dir(&target2)).await;
    // (The backups are in the original's audit log and the restore in the copy's.)
    same_rows(
        &no_audit(&tables_of(&app.store).await),
        &no_audit(&tables_of(&restored2).await),
    );
    still_works(restored2, &admin).await;

    // Never over data, never from something that is not a backup, never a cut-short export.
    let err = refused(&[
        "--data-dir",
        target.to_str().unwrap(),
        "restore",
        "--from",
        quiet.to_str().unwrap(),
    ]);
    assert!(err.contains("already holds data"), "{err}");
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, b"\x7fELF not a backup").unwrap();
    let err = refused(&[
        "--data-dir",
        dir.join("x").to_str().unwrap(),
        "restore",
        "--from",
        junk.to_str().unwrap(),
    ]);
    assert!(err.contains("neither a Steward backup"), "{err}");
    let export = dir.join("all.jsonl");
    run(&[
        "--database-url",
        &app.database_url(),
        "export",
        "--to",
        export.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&export).unwrap();
    let cut = dir.join("cut.jsonl");
    std::fs::write(&cut, &text[..text.len() * 2 / 3]).unwrap();
    let empty = dir.join("empty");
    let err = refused(&[
        "--data-dir",
        empty.to_str().unwrap(),
        "import",
        "--from",
        cut.to_str().unwrap(),
    ]);
    assert!(err.contains("nothing was loaded"), "{err}");
    let left = open(&Store::sqlite_url_for_dir(&empty)).await;
    assert_eq!(
        left.first_table_with_rows().await.unwrap(),
        None,
        "an import lands whole or not at all"
    );
    left.close().await;

    let audit = expect(app.get("/api/v1/audit?action=backup", &admin).await, 200);
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
    restored.close().await;
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// An export's lines without the audit log and the last line (whose counts include it).
fn no_audit(t: &[String]) -> Vec<String> {
    let mut out = vec![];
    let mut skip = false;
    for l in t {
        if l.starts_with("{\"table\"") || l.starts_with("{\"columns\"") {
            skip = l.contains("\"audit_log\"");
        }
        if l.contains("\"end\":true") {
            skip = true;
        }
        if !skip {
            out.push(l.clone());
        }
    }
    out
}

/// Checks that two exports hold the same rows, whichever backend wrote them.
fn same_rows(a: &[String], b: &[String]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let (x, y): (Value, Value) = (
                serde_json::from_str(x).unwrap(),
                serde_json::from_str(y).unwrap(),
            );
            assert_eq!(x, y);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_moves_a_desk_to_postgresql_and_back() {
    let Some((pg, schema)) = new_pg_schema().await else {
        crate::harness::skipped("on PostgreSQL: the_export_moves_a_desk_to_postgresql_and_back (set STEWARD_TEST_POSTGRES_URL)");
        return;
    };
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let admin = fill(&app).await;
    let dir = temp("move");
    let export = dir.join("desk.jsonl");
    let said = run(&[
        "--database-url",
        &app.database_url(),
        "export",
        "--to",
        export.to_str().unwrap(),
    ]);
    assert!(
        said.contains("exported") && said.contains("13 tickets"),
        "{said}"
    );

    // Into PostgreSQL: the same rows, and a desk that works.
    let pg_url = pg_url_in_schema(&pg, &schema);
    let said = run(&[
        "--database-url",
        &pg_url,
        "import",
        "--from",
        export.to_str().unwrap(),
    ]);
    assert!(said.contains("imported"), "{said}");
    let on_pg = open(&pg_url).await;
    let sqlite_rows = tables_of(&app.store).await;
    let pg_rows = tables_of(&on_pg).await;
    // The import is recorded on PostgreSQL, and the export on SQLite: audit logs differ.
    same_rows(&no_audit(&sqlite_rows), &no_audit(&pg_rows));
    let err = refused(&[
        "--database-url",
        &pg_url,
        "import",
        "--from",
        export.to_str().unwrap(),
    ]);
    assert!(err.contains("not empty"), "{err}");

    // A backup of PostgreSQL (a logical export) restores into SQLite: the same rows again.
    let pg_backup = dir.join("pg-backup.jsonl");
    let said = run(&[
        "--database-url",
        &pg_url,
        "backup",
        "--to",
        pg_backup.to_str().unwrap(),
    ]);
    assert!(said.contains("a logical export"), "{said}");
    let back = dir.join("back");
    run(&[
        "--data-dir",
        back.to_str().unwrap(),
        "restore",
        "--from",
        pg_backup.to_str().unwrap(),
    ]);
    let on_sqlite = open(&Store::sqlite_url_for_dir(&back)).await;
    same_rows(&no_audit(&pg_rows), &no_audit(&tables_of(&on_sqlite).await));
    on_sqlite.close().await;
    still_works(on_pg.clone(), &admin).await;

    // An SQLite backup file restores straight into PostgreSQL too.
    let file = dir.join("sqlite.db");
    app.service
        .backup_to(&file, &mut |_, _, _| {})
        .await
        .unwrap();
    let (pg2, schema2) = new_pg_schema().await.unwrap();
    let pg2_url = pg_url_in_schema(&pg2, &schema2);
    run(&[
        "--database-url",
        &pg2_url,
        "restore",
        "--from",
        file.to_str().unwrap(),
    ]);
    let on_pg2 = open(&pg2_url).await;
    same_rows(
        &no_audit(&sqlite_rows),
        &no_audit(&tables_of(&on_pg2).await),
    );
    on_pg2.close().await;
    drop_pg_schema(&pg2, &schema2).await;

    on_pg.close().await;
    drop_pg_schema(&pg, &schema).await;
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_keep_the_newest() {
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    fill(&app).await;
    let dir = temp("scheduled");
    std::fs::write(dir.join("notes.txt"), "not a backup: never deleted").unwrap();
    let schedule = steward_service::BackupSchedule {
        dir: dir.clone(),
        every: jiff::SignedDuration::from_hours(24),
        keep: 2,
    };
    let svc = app.service.clone().with_backups(Some(schedule));
    svc.schedule_backups().await.unwrap();
    let backups = || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("steward-backup-"))
            .collect();
        names.sort();
        names
    };
    for day in 1..=3 {
        // Nothing before its time.
        svc.run_due_jobs(10).await.unwrap();
        app.clock.advance(jiff::SignedDuration::from_hours(24));
        svc.run_due_jobs(10).await.unwrap();
        // The backup runs in a task of its own: wait for it (and for the oldest to go).
        let newest = format!("steward-backup-2026030{}T090000Z.db", 2 + day);
        let mut waited = 0;
        while !(backups().contains(&newest) && backups().len() == day.min(2)) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            waited += 1;
            assert!(waited < 200, "no {newest} after 10 s: {:?}", backups());
        }
    }
    let names = backups();
    assert_eq!(
        names,
        [
            "steward-backup-20260304T090000Z.db",
            "steward-backup-20260305T090000Z.db"
        ]
    );
    assert!(dir.join("notes.txt").exists());
    let check = transfer::check_sqlite_file(&dir.join(&names[1]))
        .await
        .unwrap();
    assert_eq!(check.tickets, 13);
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// An import file from outside: a real export, mangled a hundred ways (cut short, lines lost,
/// doubled or swapped, values of the wrong type, bytes changed). Each is refused or loaded, never
/// a panic, and a refused one leaves the database empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mangled_exports_are_refused_whole() {
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    fill(&app).await;
    let mut out = vec![];
    transfer::export(&app.store, &mut out, "", &mut |_, _, _| {})
        .await
        .unwrap();
    let good = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let dir = temp("mangled");
    let (mut refused, mut loaded) = (0, 0);
    for case in 0..100 {
        let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        let text = match case % 7 {
            0 => good[..next(good.len())].to_string(),
            1 => {
                l.remove(next(l.len()));
                l.join("\n")
            }
            2 => {
                let i = next(l.len());
                let dup = l[i].clone();
                l.insert(i, dup);
                l.join("\n")
            }
            3 => {
                let (a, b) = (next(l.len()), next(l.len()));
                l.swap(a, b);
                l.join("\n")
            }
            4 => {
                let i = next(l.len());
                if let Ok(Value::Array(mut row)) = serde_json::from_str::<Value>(&l[i]) {
                    if !row.is_empty() {
                        let j = next(row.len());
                        row[j] = match next(4) {
                            0 => json!("text"),
                            1 => json!(12345),
                            2 => json!(true),
                            _ => json!({"nested": [1]}),
                        };
                        l[i] = Value::Array(row).to_string();
                    }
                }
                l.join("\n")
            }
            5 => {
                let mut b = good.clone().into_bytes();
                for _ in 0..3 {
                    let at = next(b.len());
                    b[at] = b" {}[]\",:0aZ\\"[next(12)];
                }
                String::from_utf8_lossy(&b).into_owned()
            }
            _ => l[0].replace("\"version\":1", "\"version\":9") + "\n" + &l[1..].join("\n"),
        };
        let target = dir.join(format!("case{case}"));
        std::fs::create_dir_all(&target).unwrap();
        let store = open(&Store::sqlite_url_for_dir(&target)).await;
        match transfer::import(&store, text.as_bytes(), &mut |_, _, _| {}).await {
            Ok(_) => loaded += 1,
            Err(_) => {
                refused += 1;
                assert_eq!(
                    store.first_table_with_rows().await.unwrap(),
                    None,
                    "case {case}: a refused import leaves nothing behind"
                );
            }
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&target);
    }
    assert!(refused >= 80, "{refused} refused, {loaded} loaded");
    app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
