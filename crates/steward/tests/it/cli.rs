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
