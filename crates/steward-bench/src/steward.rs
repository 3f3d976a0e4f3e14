//! Steward as the benchmark runs it: its command line for setting up (demo data, a user, a
//! token, batch mail), and `steward serve` as a child process whose start-up and memory are
//! measured.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::http::{self, Req};

/// Where one measured installation lives.
#[derive(Debug, Clone)]
pub struct Install {
    pub bin: PathBuf,
    pub config: PathBuf,
    pub http: SocketAddr,
    pub lmtp: SocketAddr,
}

impl Install {
    /// Writes the configuration: its own data directory, database, ports and quiet logs.
    pub fn new(
        bin: &Path,
        dir: &Path,
        database_url: Option<&str>,
        http: SocketAddr,
        lmtp: SocketAddr,
    ) -> anyhow::Result<Install> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let config = dir.join("steward.toml");
        let mut text = format!(
            "listen = \"{http}\"\ndata_dir = {:?}\nlog_level = \"warn\"\nadmin_email = \"admin@bench.example\"\n",
            dir.join("data").display().to_string()
        );
        if let Some(url) = database_url {
            text.push_str(&format!("database_url = {url:?}\n"));
        }
        text.push_str(&format!(
            "\n[mail]\nlmtp_listen = \"{lmtp}\"\nacknowledge = true\nnotify_staff = false\n"
        ));
        std::fs::write(&config, text)?;
        Ok(Install {
            bin: bin.to_path_buf(),
            config,
            http,
            lmtp,
        })
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--config").arg(&self.config);
        // The environment of the person running the benchmark must not redirect it.
        for var in [
            "STEWARD_DATABASE_URL",
            "STEWARD_DATA_DIR",
            "STEWARD_LISTEN",
            "STEWARD_CONFIG",
        ] {
            c.env_remove(var);
        }
        c
    }

    /// Runs a command line to its end and returns its standard output.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        let mut c = self.command();
        c.args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            input.write_all(text.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "steward {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `steward serve` and waits until it is ready; returns it and how long that took.
    pub async fn start(&self) -> anyhow::Result<(Server, Duration)> {
        let started = Instant::now();
        let child = self
            .command()
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let mut server = Server { child };
        let deadline = started + Duration::from_secs(120);
        loop {
            if let Ok(a) = http::once(self.http, &Req::get("/readyz")).await {
                if a.status.is_success() {
                    return Ok((server, started.elapsed()));
                }
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("steward serve exited during start-up: {status}");
            }
            if Instant::now() > deadline {
                server.stop().await;
                bail!("steward serve was not ready within two minutes");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A running `steward serve`.
pub struct Server {
    child: Child,
}

/// The most memory process `pid` has held so far (its peak resident set), in bytes.
pub fn peak_memory_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

impl Server {
    /// The most memory the process has held so far (its peak resident set), in bytes.
    pub fn peak_memory(&self) -> Option<u64> {
        peak_memory_of(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it as an operator would (SIGTERM), and waits for it to end.
    pub async fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on loopback.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}
