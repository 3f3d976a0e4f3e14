//! A full disk under a running Steward: clear `503`s (and temporary LMTP failures, so the sender
//! retries), never a `500`, reads go on, nothing is corrupted, and writes work again as soon as
//! space returns, without a restart. A read-only database (PostgreSQL that became a read-only
//! replica) likewise answers `503`.
//!
//! The disk is a small tmpfs, which needs root (or CAP_SYS_ADMIN); without that the test says it
//! was skipped.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Unmounts when dropped, whatever happened.
struct Mounted<'a>(&'a Path);
impl Drop for Mounted<'_> {
    fn drop(&mut self) {
        let _ = sh(&["umount", "-l", self.0.to_str().unwrap_or_default()]);
    }
}

/// Fills the file system holding `dir` until writing fails.
fn fill(dir: &Path) {
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).and_then(|_| f.flush()).is_ok() {}
    let _ = f.sync_all();
}

/// One LMTP delivery; returns the server's answer to the message.
async fn lmtp(port: u16, i: usize) -> String {
    let sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (r, mut w) = sock.into_split();
    let mut r = tokio::io::BufReader::new(r);
    let mut last = String::new();
    let read = async |r: &mut tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>| loop {
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap();
        if line.as_bytes().get(3) != Some(&b'-') {
            return line;
        }
    };
    read(&mut r).await;
    for cmd in [
        "LHLO t\r\n",
        "MAIL FROM:<ann@acme.example>\r\n",
        "RCPT TO:<help@msp.example>\r\n",
        "DATA\r\n",
    ] {
        w.write_all(cmd.as_bytes()).await.unwrap();
        last = read(&mut r).await;
    }
    assert!(last.starts_with("354"), "{last}");
    let msg = format!("From: ann@acme.example\r\nSubject: disk {i}\r\nMessage-ID: <disk-{i}@acme.example>\r\n\r\n{}\r\n.\r\n", "words ".repeat(2000));
    w.write_all(msg.as_bytes()).await.unwrap();
    read(&mut r).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_means_503_and_recovery() {
    let mnt = std::env::temp_dir().join(format!("steward-disk-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&mnt);
    if !sh(&[
        "mount",
        "-t",
        "tmpfs",
        "-o",
        "size=24m",
        "tmpfs",
        mnt.to_str().unwrap(),
    ]) {
        crate::harness::skipped(
            "without a tmpfs: a_full_disk_means_503_and_recovery (mounting one needs root)",
        );
        return;
    }
    let _mounted = Mounted(&mnt);
    let data = mnt.join("data");
    let lmtp_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = std::env::temp_dir().join(format!("steward-disk-{}.toml", std::process::id()));
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n[backup]\nevery_hours = 0\n[mail]\nlmtp_listen = \"127.0.0.1:{lmtp_port}\"\n[[mail.mailboxes]]\naddress = \"help@msp.example\"\n",
            data.display()
        ),
    )
    .unwrap();
    let token = crate::harness::cli_admin_token(config.to_str().unwrap());
    let (mut child, base) = crate::harness::serve_binary(&config).await;
    let http = reqwest::Client::new();
    let body = "a long description ".repeat(5000);
    let create = |n: usize| {
        let (http, base, token, body) = (http.clone(), base.clone(), token.clone(), body.clone());
        async move {
            let res = http
                .post(format!("{base}/api/v1/tickets"))
                .bearer_auth(&token)
                .json(
                    &json!({"subject": format!("disk test {n}"), "body": body, "requester_id": 1}),
                )
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let list = || {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        async move {
            http.get(format!("{base}/api/v1/tickets?limit=5"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut stored = 0;
    assert_eq!(create(0).await.0, 201);
    stored += 1;

    // The disk fills up.
    fill(&mnt);
    let mut refused = None;
    for n in 1..200 {
        let (status, body) = create(n).await;
        assert_ne!(status, 500, "a full disk is not an internal error: {body}");
        if status == 201 {
            stored += 1;
            continue;
        }
        assert_eq!(status, 503, "{body}");
        refused = Some(body);
        break;
    }
    let refused = refused.expect("writes are refused on a full disk");
    assert_eq!(refused["error"]["code"], "storage_unavailable", "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("disk is full"));
    assert_eq!(list().await, 200, "reads go on");
    let answer = lmtp(lmtp_port, 1).await;
    assert!(
        answer.starts_with("452 4.3.1"),
        "mail is deferred, not refused: {answer}"
    );

    // Space returns: writes work again, at once.
    std::fs::remove_file(mnt.join("filler")).unwrap();
    assert_eq!(create(1000).await.0, 201);
    stored += 1;
    assert!(
        lmtp(lmtp_port, 1).await.starts_with("250"),
        "the deferred mail is taken now"
    );

    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(child.0.wait().unwrap().success(), "stops cleanly");
    let check = steward_store::transfer::check_sqlite_file(&data.join("steward.db"))
        .await
        .expect("the database is sound");
    // The tickets answered 201, and the one mail ticket.
    assert_eq!(check.tickets, stored + 1, "{check:?}");
    let _ = std::fs::remove_file(&config);
}

/// A PostgreSQL that only reads (a primary turned replica, a database set read-only): writes
/// are a clear `503`, reads go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_means_503() {
    use std::sync::Arc;
    let Some((pg, schema)) = crate::harness::new_pg_schema().await else {
        crate::harness::skipped(
            "on PostgreSQL: a_read_only_database_means_503 (set STEWARD_TEST_POSTGRES_URL)",
        );
        return;
    };
    let url = crate::harness::pg_url_in_schema(&pg, &schema);
    let opts = steward_store::StoreOptions::default();
    let store = steward_store::Store::open(&url, &opts).await.unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(steward_service::ManualClock::new(
        crate::harness::start_instant(),
    ));
    let svc = steward_service::Service::new(store.clone(), clock.clone());
    let admin = svc
        .create_person(
            &steward_domain::Actor::system(),
            steward_service::NewPersonInput {
                email: "admin@msp.example".into(),
                name: "Admin".into(),
                role: steward_domain::Role::Admin,
                organisation_id: None,
                org_access: false,
                password: None,
            },
        )
        .await
        .unwrap();
    let token = svc
        .create_token(&steward_domain::Actor::system(), admin.id, "t", None)
        .await
        .unwrap()
        .secret;
    store.close().await;
    let read_only = format!("{url}%20-cdefault_transaction_read_only%3Don");
    let store = steward_store::Store::open(&read_only, &opts).await.unwrap();
    let svc = steward_service::Service::new(store.clone(), clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = steward::server::start(svc, steward_web::WebConfig::default(), listener)
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(&token)
        .json(&json!({"subject": "on a replica", "requester_id": admin.id.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "30");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "storage_unavailable", "{body}");
    let res = http
        .get(format!("{base}/api/v1/tickets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "reads go on");
    server.stop().await.unwrap();
    store.close().await;
    crate::harness::drop_pg_schema(&pg, &schema).await;
}
