//! A real Dovecot IMAP server on loopback for one test: its own configuration, users, mail and
//! certificates in a temporary directory; plain IMAP on one port, IMAPS (with a certificate from
//! a test CA) on another. Needs Debian's `dovecot-imapd` and `openssl`; without them the test
//! says it was skipped (and `.ci/run`, which installs them, fails on that).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::net::TcpStream;

pub const PASSWORD: &str = "secret";

pub struct Dovecot {
    pub port: u16,
    pub tls_port: u16,
    /// The test CA's certificate (PEM), which signed the server's certificate for `localhost`.
    pub ca_file: PathBuf,
    dir: PathBuf,
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a certificate for localhost signed by it.
fn certificates(dir: &Path) {
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    run(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Steward test CA",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
    ]));
    run(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &p("server.key"),
        "-out",
        &p("server.csr"),
    ]));
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(Command::new("openssl").args([
        "x509",
        "-req",
        "-in",
        &p("server.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("ext.cnf"),
        "-out",
        &p("server.pem"),
    ]));
}

fn which(cmd: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin"]
        .iter()
        .map(|d| Path::new(d).join(cmd))
        .find(|p| p.is_file())
}

impl Dovecot {
    /// Starts Dovecot with these users (all with [`PASSWORD`]). `None`, after saying so, when
    /// Dovecot is not installed.
    pub async fn start(users: &[&str]) -> Option<Dovecot> {
        let Some(binary) = which("dovecot") else {
            use std::io::Write;
            let test = std::thread::current()
                .name()
                .unwrap_or("a test")
                .to_string();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED without Dovecot: {test} (apt-get install dovecot-imapd)"
            );
            return None;
        };
        // Short: Dovecot's socket paths must fit in 108 bytes.
        let dir = PathBuf::from(format!("/tmp/sd{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        certificates(&dir);
        let root = is_root();
        if root {
            // The mail is written as the dovecot user.
            run(Command::new("chmod").args(["777", &dir.join("mail").to_string_lossy()]));
        }
        let passwd: String = users
            .iter()
            .map(|u| format!("{u}:{{PLAIN}}{PASSWORD}\n"))
            .collect();
        std::fs::write(dir.join("users"), passwd).unwrap();
        let (port, tls_port) = (free_port(), free_port());
        let me = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let (login_user, internal_user, mail_user) = if root {
            (
                "dovenull".to_string(),
                "dovecot".to_string(),
                "dovecot".to_string(),
            )
        } else {
            (me.clone(), me.clone(), me)
        };
        let d = dir.display();
        let conf = format!(
            r#"base_dir = {d}/run
state_dir = {d}/state
instance_name = steward-{port}
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/server.pem
ssl_key = <{d}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{d}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"#
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let child = Command::new(binary)
            .args(["-F", "-c"])
            .arg(dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Dovecot {
            port,
            tls_port,
            ca_file: dir.join("ca.pem"),
            dir,
            child,
        };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok()
                && TcpStream::connect(("127.0.0.1", tls_port)).await.is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "Dovecot did not start: {}",
            std::fs::read_to_string(server.dir.join("dovecot.log")).unwrap_or_default()
        );
    }

    /// A session as `user`, over plain IMAP (the test's own client, to put mail in and look).
    pub async fn session(&self, user: &str) -> async_imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        client
            .login(user, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    /// Puts a message into a folder of `user` (as a mail server's delivery would).
    pub async fn deliver(&self, user: &str, folder: &str, raw: &[u8]) {
        let mut s = self.session(user).await;
        s.append(folder, None, None, raw).await.unwrap();
        s.logout().await.unwrap();
    }

    /// How many messages a folder of `user` holds (0 when it does not exist).
    pub async fn count(&self, user: &str, folder: &str) -> u32 {
        let mut s = self.session(user).await;
        let n = match s.select(folder).await {
            Ok(m) => m.exists,
            Err(_) => 0,
        };
        s.logout().await.unwrap();
        n
    }

    /// The flags of every message in a folder of `user`.
    pub async fn flags(&self, user: &str, folder: &str) -> Vec<Vec<String>> {
        let mut s = self.session(user).await;
        if s.select(folder).await.unwrap().exists == 0 {
            return Vec::new();
        }
        let fetched: Vec<_> = s
            .fetch("1:*", "FLAGS")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let out = fetched
            .iter()
            .map(|f| f.flags().map(|fl| format!("{fl:?}")).collect())
            .collect();
        s.logout().await.unwrap();
        out
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
