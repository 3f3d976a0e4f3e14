//! Crash safety: Steward is killed with SIGKILL while mail arrives over LMTP and API writes are
//! answered. After a restart, every message acknowledged to its sender is stored exactly once
//! (and one delivered again after the crash is recognised, not doubled), every API write that
//! was answered with success is there, and the outbox sends each notification once (the one
//! message a sender may have had in flight at the kill is sent again when its lease ends: at
//! least once, by design, with the same Message-ID).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use crate::harness::{cli_admin_token, serve_binary};
use crate::mail::{header, Capture};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn mail(i: usize) -> String {
    format!(
        "From: User {u} <user{u}@acme.example>\r\nTo: help@msp.example\r\nSubject: crash test {i}\r\nMessage-ID: <crash-{i}@acme.example>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nPlease help: crash-test-{i} is the token.\r\n",
        u = i % 20
    )
}

/// Delivers messages `from..to` over one LMTP connection, one after another, noting each that
/// was answered 250; stops at the first broken connection.
async fn deliver(port: u16, todo: Vec<usize>, acked: Arc<Mutex<Vec<usize>>>) {
    let Ok(sock) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return;
    };
    let (r, mut w) = sock.into_split();
    let mut r = tokio::io::BufReader::new(r);
    let mut line = String::new();
    // The greeting, then LHLO's lines.
    macro_rules! reply {
        () => {{
            loop {
                line.clear();
                match r.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line.as_bytes().get(3) != Some(&b'-') {
                    break line.clone();
                }
            }
        }};
    }
    reply!();
    if w.write_all(b"LHLO test\r\n").await.is_err() {
        return;
    }
    reply!();
    for i in todo {
        for cmd in [
            format!("MAIL FROM:<user{}@acme.example>\r\n", i % 20),
            "RCPT TO:<help@msp.example>\r\n".to_string(),
            "DATA\r\n".to_string(),
        ] {
            if w.write_all(cmd.as_bytes()).await.is_err() {
                return;
            }
            reply!();
        }
        if w.write_all(format!("{}.\r\n", mail(i)).as_bytes())
            .await
            .is_err()
        {
            return;
        }
        let answer = reply!();
        if answer.starts_with("250") {
            acked.lock().unwrap().push(i);
        }
    }
}

async fn wait_for<F: std::future::Future<Output = bool>>(what: &str, mut f: impl FnMut() -> F) {
    for _ in 0..600 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_or_doubled_by_a_kill() {
    let dir: PathBuf = std::env::temp_dir().join(format!("steward-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let smtp = Capture::start().await;
    let lmtp = free_port();
    let config = dir.join("steward.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n[backup]\nevery_hours = 0\n[mail]\nlmtp_listen = \"127.0.0.1:{lmtp}\"\n\
             [[mail.mailboxes]]\naddress = \"help@msp.example\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
            dir.join("data").display(),
            smtp.port()
        ),
    )
    .unwrap();
    let token = cli_admin_token(config.to_str().unwrap());

    let (mut child, base) = serve_binary(&config).await;
    const MAILS: usize = 6000;
    let acked: Arc<Mutex<Vec<usize>>> = Arc::default();
    // Two MTAs' connections at once.
    let mailers = [0, 1].map(|half| {
        tokio::spawn(deliver(
            lmtp,
            (0..MAILS).filter(|i| i % 2 == half).collect(),
            acked.clone(),
        ))
    });
    let written: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut writers = vec![];
    for w in 0..4 {
        let (base, token, written) = (base.clone(), token.clone(), written.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for k in 0.. {
                let Ok(res) = http
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"subject": format!("api write {w}-{k}"), "requester_id": 1}))
                    .send()
                    .await
                else {
                    return;
                };
                if res.status() != 201 {
                    return;
                }
                let Ok(t) = res.json::<serde_json::Value>().await else {
                    return;
                };
                written.lock().unwrap().push(t["id"].as_i64().unwrap());
            }
        }));
    }
    // Under load for a while, with some of everything done: then SIGKILL.
    wait_for("mail and API writes under way", || {
        let (a, w) = (acked.lock().unwrap().len(), written.lock().unwrap().len());
        async move { a >= 1000 && w >= 100 }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(Command::new("kill")
        .args(["-KILL", &child.0.id().to_string()])
        .status()
        .unwrap()
        .success());
    child.0.wait().unwrap();
    for m in mailers {
        m.await.unwrap();
    }
    for w in writers {
        w.await.unwrap();
    }
    let acked: BTreeSet<usize> = acked.lock().unwrap().iter().copied().collect();
    let written: Vec<i64> = written.lock().unwrap().clone();
    assert!(acked.len() < MAILS, "the kill came before all mail was in");

    // Restart; the sender delivers again what it did not hear "250" for, as an MTA would.
    let (mut child, base) = serve_binary(&config).await;
    let last = *acked.iter().max().unwrap() + 3;
    let again: Vec<usize> = (0..=last).filter(|i| !acked.contains(i)).collect();
    let acked_again: Arc<Mutex<Vec<usize>>> = Arc::default();
    deliver(lmtp, again.clone(), acked_again.clone()).await;
    assert_eq!(
        acked_again.lock().unwrap().len(),
        again.len(),
        "all delivered after the restart"
    );

    let db = dir.join("data").join("steward.db");
    // Every message stored exactly once.
    let bodies: Vec<(String,)> =
        query(&db, "SELECT body FROM messages WHERE channel = 'email'").await;
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for (b,) in &bodies {
        if let Some(rest) = b.split("crash-test-").nth(1) {
            let n: usize = rest.split_whitespace().next().unwrap().parse().unwrap();
            *seen.entry(n).or_default() += 1;
        }
    }
    for i in 0..=last {
        assert_eq!(seen.get(&i), Some(&1), "message {i} is stored exactly once");
    }
    // Every API write answered with success is there.
    let http = reqwest::Client::new();
    for id in &written {
        let res = http
            .get(format!("{base}/api/v1/tickets/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "ticket {id} was answered 201 before the kill"
        );
    }
    // The outbox: everything not held by a sender that died is sent, each once.
    // Steward's clock, the system's (the server runs on it).
    let now_us = || steward_service::Clock::now(&steward_service::SystemClock).as_microsecond();
    wait_for("the outbox to be sent", || {
        let (db, sql) = (
            db.clone(),
            format!(
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND COALESCE(lease_until, 0) < {}",
                now_us()
            ),
        );
        async move { query::<(i64,)>(&db, &sql).await[0].0 == 0 }
    })
    .await;
    // Stopped gracefully, the restarted Steward finishes what it is sending: what is still held
    // then is only what the killed one held.
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(child.0.wait().unwrap().success());
    let outbox: Vec<(String, String)> = query(&db, "SELECT message_id, status FROM outbox").await;
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    for (_, text) in smtp.mails() {
        let id = header(&text, "Message-ID").unwrap();
        *sent
            .entry(id.trim_matches(|c| c == '<' || c == '>').to_string())
            .or_default() += 1;
    }
    let mut held = 0;
    for (message_id, status) in &outbox {
        let n = sent.get(message_id).copied().unwrap_or(0);
        if status == "sent" {
            assert_eq!(n, 1, "{message_id} sent once");
        } else {
            // Taken by the sender that was killed: it may or may not have gone out, and goes out
            // (again) when the lease ends.
            assert_eq!(status, "pending");
            assert!(n <= 1);
            held += 1;
        }
    }
    assert!(
        held <= 1,
        "at most the one message in flight is held: {held}"
    );
    assert!(
        sent.keys().all(|k| outbox.iter().any(|(m, _)| m == k)),
        "nothing sent that is not in the outbox"
    );
    // (Acknowledgements to one sender are limited per hour, against mail loops: not every
    // request gets one.)
    assert!(
        outbox.len() >= 20,
        "requests are acknowledged by mail: {}",
        outbox.len()
    );
    eprintln!(
        "crash test: {} messages acknowledged before the kill, {} delivered again after it, {} API writes, {} mails in the outbox, {held} held by the killed sender",
        acked.len(),
        again.len(),
        written.len(),
        outbox.len()
    );

    let _ = std::fs::remove_dir_all(&dir);
}

/// A query on the database file, past Steward.
async fn query<T>(db: &Path, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    use sqlx::{ConnectOptions, Connection};
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .connect()
        .await
        .unwrap();
    let rows = sqlx::query_as::<_, T>(sql).fetch_all(&mut c).await.unwrap();
    c.close().await.unwrap();
    rows
}
