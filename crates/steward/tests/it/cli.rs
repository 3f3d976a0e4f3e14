//! The binary's command line, run as a user would.

use std::io::Write;
use std::process::{Command, Stdio};

fn steward(data_dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_steward"));
    c.arg("--data-dir").arg(data_dir);
    for v in [
        "STEWARD_DATABASE_URL",
        "STEWARD_CONFIG",
        "STEWARD_DATA_DIR",
        "STEWARD_LISTEN",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn version_help_and_config_example() {
    let dir = std::env::temp_dir().join(format!("steward-cli-a-{}", std::process::id()));
    let out = steward(&dir).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("steward "));
    let out = steward(&dir).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "serve", "migrate", "config", "user", "org", "token", "mail", "search", "backup",
        "restore", "export", "import",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from --help");
    }
    let out = steward(&dir).args(["config", "example"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("listen = \"127.0.0.1:8080\""));
    let out = steward(&dir)
        .args(["--database-url", "mysql://x@y/z", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognised database URL"));
}

#[test]
fn administration_commands() {
    let dir = std::env::temp_dir().join(format!("steward-cli-b-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = steward(&dir).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("steward.db").exists());

    let out = steward(&dir)
        .args([
            "org",
            "create",
            "--name",
            "Acme Corp",
            "--domain",
            "acme.example",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("slug acme-corp"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = steward(&dir)
        .args([
            "user",
            "create",
            "--email",
            "ann@acme.example",
            "--name",
            "Ann",
            "--role",
            "requester",
            "--org",
            "acme-corp",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ann's very long password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = steward(&dir)
        .args([
            "user",
            "create",
            "--email",
            "bob@x.example",
            "--name",
            "Bob",
            "--role",
            "wizard",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected one of"));
    let out = steward(&dir)
        .args([
            "user",
            "create",
            "--email",
            "ann@acme.example",
            "--name",
            "Ann",
            "--role",
            "requester",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));

    let out = steward(&dir)
        .args([
            "token",
            "create",
            "--email",
            "ann@acme.example",
            "--label",
            "scripts",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    assert!(
        token.trim().starts_with("stw_") && token.lines().count() == 1,
        "stdout is only the token: {token:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `steward serve` as a new user runs it: it creates the data directory and an administrator,
/// prints the one-time secret and the address, answers, and stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_starts_prints_the_secret_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("steward-cli-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = steward(&dir)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-email",
            "root@example.com",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read lines until the address appears (bounded by the process: it prints it once ready).
    let lines = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Steward is listening on ");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    });
    let lines = tokio::time::timeout(std::time::Duration::from_secs(60), lines)
        .await
        .expect("serve did not become ready within 60 s")
        .unwrap();
    let secret = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("One-time sign-in secret: "))
        .expect("the secret is printed")
        .to_string();
    let addr = lines
        .last()
        .and_then(|l| l.strip_prefix("Steward is listening on "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(dir.join("steward.db").exists());

    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{addr}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = http
        .post(format!("{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "root@example.com", "password": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped"));

    // A second start creates no second administrator and prints no secret.
    let mut again = steward(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = again.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map(|l| l.unwrap())
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
    })
    .await
    .unwrap();
    assert!(first.starts_with("Steward is listening on "), "{first}");
    let pid = again.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(again.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `steward mail ingest`: one message from an MTA's pipe, or a batch from a folder, a Maildir or
/// an mbox file, with a summary; exit codes an MTA understands.
#[test]
fn mail_ingest_from_a_pipe_and_in_batches() {
    let dir = std::env::temp_dir().join(format!("steward-cli-mail-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let msg = |id: &str, subject: &str| {
        format!("From: Ann <ann@acme.example>\r\nTo: help@msp.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\r\nHello.\r\n")
    };
    let ingest = |input: &str, args: &[&str]| {
        let mut child = steward(&dir.join("data"))
            .args(["mail", "ingest"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, out) = ingest(
        &msg("one@acme.example", "Printer"),
        &["--mailbox", "help@msp.example"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("new ticket #1"), "{out}");
    let (code, out) = ingest(&msg("one@acme.example", "Printer"), &[]);
    assert_eq!(
        (code, out.contains("already stored")),
        (Some(0), true),
        "{out}"
    );
    // Garbage is kept, not refused: the MTA must not bounce or retry it forever.
    let (code, out) = ingest("", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("quarantined"), "{out}");

    // A folder of .eml files, a Maildir and an mbox file.
    let folder = dir.join("eml");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.eml"), msg("two@acme.example", "VPN")).unwrap();
    std::fs::write(
        folder.join("b.eml"),
        msg("three@acme.example", "Re: [#2] VPN"),
    )
    .unwrap();
    std::fs::write(folder.join("c.eml"), "not mail at all").unwrap();
    std::fs::write(
        folder.join("notes.txt"),
        msg("x@acme.example", "ignored: not .eml"),
    )
    .unwrap();
    let (code, out) = ingest("", &["--batch", folder.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("1 tickets created, 1 messages threaded onto tickets, 0 skipped (already stored or Steward's own), 1 quarantined"), "{out}");
    let maildir = dir.join("Maildir");
    std::fs::create_dir_all(maildir.join("cur")).unwrap();
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    std::fs::write(
        maildir.join("new").join("1700000000.M1.host"),
        msg("four@acme.example", "Monitor"),
    )
    .unwrap();
    std::fs::write(
        maildir.join("cur").join("1700000001.M2.host:2,S"),
        msg("two@acme.example", "VPN"),
    )
    .unwrap();
    let (code, out) = ingest("", &["--batch", maildir.to_str().unwrap()]);
    assert!(
        out.contains("1 tickets created, 0 messages threaded onto tickets, 1 skipped"),
        "{code:?} {out}"
    );
    let mbox = dir.join("inbox.mbox");
    std::fs::write(&mbox, format!("From ann@acme.example Mon Mar  2 09:00:00 2026\n{}\nFrom ann@acme.example Mon Mar  2 09:01:00 2026\n{}\n", msg("five@acme.example", "Keyboard").replace("\r\n", "\n"), msg("six@acme.example", "Mouse").replace("\r\n", "\n"))).unwrap();
    let (code, out) = ingest("", &["--batch", mbox.to_str().unwrap()]);
    assert!(out.contains("2 tickets created"), "{code:?} {out}");
    let (code, out) = ingest("", &["--batch", dir.join("absent").to_str().unwrap()]);
    assert_eq!(code, Some(66), "{out}");

    let out = steward(&dir.join("data"))
        .args(["mail", "quarantine"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listing.lines().count(), 2, "{listing}");

    // The mail taken in is found again after a rebuild of the search indexes.
    let out = steward(&dir.join("data"))
        .args(["search", "reindex"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("search indexes rebuilt: 6 messages"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn demo_data_fills_a_database_and_adds_to_it() {
    let dir = std::env::temp_dir().join(format!("steward-cli-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let out = steward(&dir).arg("demo").args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["--tickets", "300"]);
    assert!(ok, "{err}");
    assert!(out.contains("300 tickets (#1 to #300)"), "{out}");
    assert!(out.contains("12 help articles"), "{out}");
    // A second run adds to the first, with people of its own (no clash of addresses), and leaves
    // the articles and the policy alone.
    let (ok, out, err) = run(&["--tickets", "200", "--seed", "2", "--open-percent", "100"]);
    assert!(ok, "{err}");
    assert!(out.contains("200 tickets (#301 to #500)"), "{out}");
    assert!(out.contains("(200 still open"), "{out}");
    assert!(out.contains("0 help articles"), "{out}");
    let (ok, _, err) = run(&["--open-percent", "101"]);
    assert!(!ok);
    assert!(err.contains("--open-percent"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
