//! IMAP polling: takes the mail of a mailbox from an IMAP folder. Each message is acknowledged to
//! the server (moved to the processed folder, or flagged as seen) only after it is committed, and
//! the last UID taken is stored, so that a restart resumes where it stopped and a message is never
//! taken twice (the Message-ID check catches the one taken just before a crash). Waits with IDLE
//! where the server offers it, else polls.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::TryStreamExt;
use steward_service::{Ingested, Mailbox, Service};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 993).
    Tls,
    /// Plain, then STARTTLS before signing in (port 143).
    StartTls,
    /// No protection: only for a server on the same machine.
    None,
}

/// What happens on the server to a message once it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Moved to this folder (created if missing).
    Move(String),
    /// Flagged as seen, left in place.
    Flag,
}

/// One IMAP folder to take mail from.
#[derive(Clone)]
pub struct ImapSource {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub after: After,
    /// How often to look when the server offers no IDLE.
    pub poll: Duration,
    /// Certificate authorities to trust besides the public ones.
    pub ca_file: Option<PathBuf>,
    /// The Steward mailbox its mail is for.
    pub mailbox: Mailbox,
}

impl std::fmt::Debug for ImapSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSource")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("folder", &self.folder)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl ImapSource {
    /// The name its place is stored under.
    pub fn key(&self) -> String {
        format!(
            "imap:{}@{}:{}/{}",
            self.username, self.host, self.port, self.folder
        )
    }
}

/// How long one IDLE lasts before it is renewed (servers drop it after 30 minutes).
const IDLE_RENEW: Duration = Duration::from_secs(20 * 60);
/// The longest wait between attempts to reach a server that failed.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long connecting and signing in may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one command (a fetch of a large message included) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}
type Stream = Box<dyn Io>;
type Session = async_imap::Session<Stream>;

/// Takes mail from `source` until `stop` turns true; reconnects with back-off after errors.
pub fn spawn(service: Service, source: ImapSource, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut stop = stop;
        let mut backoff = Duration::from_secs(1);
        loop {
            if *stop.borrow() {
                return;
            }
            match run(&service, &source, &mut stop, &mut backoff).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(source = %source.key(), error = %format!("{e:#}"), retry_in = ?backoff, "IMAP");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

fn tls_config(source: &ImapSource) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &source.ca_file {
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
            .with_context(|| format!("cannot read ca_file {}", path.display()))?;
        for cert in certs {
            let cert = cert.with_context(|| format!("a certificate in {}", path.display()))?;
            roots
                .add(cert)
                .with_context(|| format!("a certificate in {}", path.display()))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn tls(source: &ImapSource, tcp: TcpStream) -> anyhow::Result<Stream> {
    let connector = tokio_rustls::TlsConnector::from(tls_config(source)?);
    let name = rustls_pki_types::ServerName::try_from(source.host.clone())
        .with_context(|| format!("{:?} is not a host name", source.host))?;
    let stream = connector
        .connect(name, tcp)
        .await
        .context("TLS handshake")?;
    Ok(Box::new(stream))
}

/// Connects and signs in.
async fn connect(source: &ImapSource) -> anyhow::Result<Session> {
    let tcp = TcpStream::connect((source.host.as_str(), source.port))
        .await
        .with_context(|| format!("cannot connect to {}:{}", source.host, source.port))?;
    // Commands and replies are small and alternate: do not let Nagle's algorithm hold them.
    tcp.set_nodelay(true)?;
    let client = match source.security {
        Security::Tls => {
            let mut c = async_imap::Client::new(tls(source, tcp).await?);
            c.read_response().await?.context("no greeting")?;
            c
        }
        Security::None => {
            let mut c = async_imap::Client::new(Box::new(tcp) as Stream);
            c.read_response().await?.context("no greeting")?;
            c
        }
        Security::StartTls => {
            let mut c = async_imap::Client::new(tcp);
            c.read_response().await?.context("no greeting")?;
            c.run_command_and_check_ok("STARTTLS", None)
                .await
                .context("STARTTLS")?;
            async_imap::Client::new(tls(source, c.into_inner()).await?)
        }
    };
    let session = client
        .login(&source.username, &source.password)
        .await
        .map_err(|(e, _)| e)
        .with_context(|| format!("signing in as {}", source.username))?;
    Ok(session)
}

async fn timed<T>(
    what: &str,
    f: impl std::future::Future<Output = async_imap::error::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(COMMAND_TIMEOUT, f).await {
        Ok(r) => r.with_context(|| what.to_string()),
        Err(_) => anyhow::bail!("{what}: no answer in {COMMAND_TIMEOUT:?}"),
    }
}

/// One connection: take what is new, then wait for more, until stopped or an error.
async fn run(
    service: &Service,
    source: &ImapSource,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Duration,
) -> anyhow::Result<()> {
    let mut session = tokio::time::timeout(CONNECT_TIMEOUT, connect(source))
        .await
        .map_err(|_| anyhow::anyhow!("no answer in {CONNECT_TIMEOUT:?}"))??;
    let caps = timed("CAPABILITY", session.capabilities()).await?;
    let idle = caps.has_str("IDLE");
    let has_move = caps.has_str("MOVE");
    let folder = timed("SELECT", session.select(&source.folder)).await?;
    let validity = i64::from(folder.uid_validity.unwrap_or(0));
    if let After::Move(to) = &source.after {
        // Fails harmlessly when the folder exists.
        let _ = timed("CREATE", session.create(to)).await;
    }
    tracing::info!(source = %source.key(), idle, "taking mail by IMAP");
    let key = source.key();
    let mut last = match service.mail_cursor(&key).await? {
        Some((v, uid)) if v == validity => uid,
        // A new folder (or one the server renumbered): start from its beginning; mail already
        // stored is recognised by its Message-ID.
        _ => 0,
    };
    loop {
        *backoff = Duration::from_secs(1);
        last = take_new(
            service,
            source,
            &mut session,
            validity,
            last,
            has_move,
            stop,
        )
        .await?;
        if *stop.borrow() {
            let _ = tokio::time::timeout(Duration::from_secs(2), session.logout()).await;
            return Ok(());
        }
        while session.unsolicited_responses.try_recv().is_ok() {}
        if idle {
            let mut handle = session.idle();
            timed("IDLE", handle.init()).await?;
            let stopped = {
                let (wait, _interrupt) = handle.wait_with_timeout(IDLE_RENEW);
                tokio::select! {
                    r = wait => { r.context("IDLE")?; false }
                    _ = stop.changed() => true,
                }
            };
            if stopped {
                return Ok(());
            }
            session = timed("DONE", handle.done()).await?;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(source.poll) => {}
                _ = stop.changed() => {
                    let _ = tokio::time::timeout(Duration::from_secs(2), session.logout()).await;
                    return Ok(());
                }
            }
        }
    }
}

/// Takes every message with a UID above `last`, oldest first; returns the new last UID.
async fn take_new(
    service: &Service,
    source: &ImapSource,
    session: &mut Session,
    validity: i64,
    mut last: i64,
    has_move: bool,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<i64> {
    // The first time, "flag" takes only unseen mail: what people read before is history.
    let query = if last == 0 && source.after == After::Flag {
        "UNSEEN".to_string()
    } else {
        format!("UID {}:*", last + 1)
    };
    let found = timed("UID SEARCH", session.uid_search(query)).await?;
    let mut uids: Vec<u32> = found.into_iter().filter(|u| i64::from(*u) > last).collect();
    uids.sort_unstable();
    for uid in uids {
        if *stop.borrow() {
            break;
        }
        let fetched: Vec<async_imap::types::Fetch> = timed("UID FETCH", async {
            session
                .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                .await?
                .try_collect()
                .await
        })
        .await?;
        let Some(raw) = fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
        else {
            // Expunged meanwhile by another client.
            last = i64::from(uid);
            continue;
        };
        // Stored (or quarantined) and committed before the server hears of it. An error here
        // (the database unreachable) ends the session: the message stays and is taken later.
        let outcome = service.ingest_mail(&source.mailbox, raw).await?;
        match &outcome {
            Ingested::Quarantined { id, reason } => {
                tracing::warn!(uid, quarantine = id, reason, "IMAP message quarantined");
            }
            other => tracing::debug!(uid, outcome = ?other, "IMAP message taken"),
        }
        acknowledge(session, &source.after, uid, has_move).await?;
        last = i64::from(uid);
        service
            .set_mail_cursor(&source.key(), validity, last)
            .await?;
    }
    Ok(last)
}

/// Tells the server a message is taken: moves it, or flags it as seen.
async fn acknowledge(
    session: &mut Session,
    after: &After,
    uid: u32,
    has_move: bool,
) -> anyhow::Result<()> {
    let set = uid.to_string();
    match after {
        After::Flag => {
            timed("UID STORE", async {
                session
                    .uid_store(&set, "+FLAGS.SILENT (\\Seen)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
        }
        After::Move(to) if has_move => timed("UID MOVE", session.uid_mv(&set, to)).await?,
        After::Move(to) => {
            timed("UID COPY", session.uid_copy(&set, to)).await?;
            timed("UID STORE", async {
                session
                    .uid_store(&set, "+FLAGS.SILENT (\\Seen \\Deleted)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            timed("EXPUNGE", async {
                session.expunge().await?.try_collect::<Vec<_>>().await
            })
            .await?;
        }
    }
    Ok(())
}
