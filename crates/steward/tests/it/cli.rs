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
    for cmd in ["serve", "migrate", "config", "user", "org", "token"] {
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
