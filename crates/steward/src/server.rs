//! Wiring: opening the store from the configuration, and running the HTTP server.

use std::net::SocketAddr;

use anyhow::Context;
use steward_service::Service;
use steward_store::{Store, StoreOptions};
use steward_web::{AppState, WebConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{redact_url, Config};

/// Opens (creating the data directory and the SQLite file if needed) and migrates the database.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let mut opts = StoreOptions::default();
    if let Some(n) = config.db_max_connections {
        opts.max_connections = n.max(1);
    }
    let url = match &config.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!(
                    "cannot create the data directory {}",
                    config.data_dir.display()
                )
            })?;
            Store::sqlite_url_for_dir(&config.data_dir)
        }
    };
    let store = Store::open(&url, &opts)
        .await
        .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
    let report = store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    if report.from != report.to {
        tracing::info!(
            from = report.from,
            to = report.to,
            "database schema migrated"
        );
    }
    Ok(store)
}

/// The web settings that follow from the configuration.
pub fn web_config(config: &Config) -> WebConfig {
    WebConfig {
        secure_cookies: config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
        trust_proxy: config.trust_proxy,
        public_url: config.public_url.clone(),
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    relay: Option<JoinHandle<()>>,
}

/// Starts serving `service` on `listener`.
pub async fn start(
    service: Service,
    web: WebConfig,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let addr = listener.local_addr()?;
    // On PostgreSQL, changes made on other nodes reach this one's live pages.
    let relay = service
        .start_relay()
        .await
        .context("cannot listen for change notices")?;
    let state = AppState::new(service, web).context("cannot set up metrics")?;
    let router = steward_web::app(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(steward_web::serve(listener, router, async move {
        let _ = rx.await;
        state.close();
    }));
    Ok(Server {
        addr,
        shutdown: Some(tx),
        task,
        relay,
    })
}

impl Server {
    /// Stops accepting connections and waits for requests in flight.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(relay) = self.relay.take() {
            relay.abort();
        }
        (&mut self.task).await.context("server task")??;
        Ok(())
    }

    /// Waits until the server ends by itself (it only does on an error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await.context("server task")??;
        Ok(())
    }
}

/// A future that resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called
/// (not when first polled), so a signal that arrives right after start-up is not lost.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = int.recv() => {},
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "cannot listen for signals; stop with SIGKILL");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The e-mail settings from the configuration, with team names resolved to teams.
pub async fn mail_settings(
    config: &Config,
    service: &Service,
) -> anyhow::Result<steward_service::MailSettings> {
    use steward_domain::Named;
    let system = steward_domain::Actor::system();
    let teams = service.list_teams(&system).await?;
    let categories = service.list_categories(&system).await?;
    let mut mailboxes = Vec::new();
    for m in &config.mail.mailboxes {
        let address = steward_domain::validate::email(&m.address)
            .map_err(|e| anyhow::anyhow!("[[mail.mailboxes]] {e}"))?;
        let team = match &m.team {
            Some(name) => Some(
                teams
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
                    .map(|t| t.id)
                    .with_context(|| {
                        format!("[[mail.mailboxes]] {address}: there is no team called {name:?}")
                    })?,
            ),
            None => None,
        };
        let ticket_type = match &m.ticket_type {
            Some(t) => steward_domain::TicketType::parse(t)
                .map_err(|e| anyhow::anyhow!("[[mail.mailboxes]] {address}: {e}"))?,
            None => steward_domain::TicketType::Incident,
        };
        let category = match &m.category {
            Some(name) => Some(
                categories
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(name))
                    .map(|c| c.id)
                    .with_context(|| {
                        format!(
                            "[[mail.mailboxes]] {address}: there is no category called {name:?}"
                        )
                    })?,
            ),
            None => None,
        };
        mailboxes.push(steward_service::Mailbox {
            address,
            team,
            ticket_type,
            category,
        });
    }
    Ok(steward_service::MailSettings {
        mailboxes,
        tag_prefix: config.mail.tag_prefix.clone(),
        max_attachment_bytes: config.mail.max_attachment_mb as usize * 1024 * 1024,
        acknowledge: config.mail.acknowledge,
        send: config.mail.smtp.is_some(),
        templates: {
            let d = steward_service::Templates::default();
            steward_service::Templates {
                acknowledgement: config
                    .mail
                    .templates
                    .acknowledgement
                    .clone()
                    .unwrap_or(d.acknowledgement),
                reply: config.mail.templates.reply.clone().unwrap_or(d.reply),
                new_in_queue: config
                    .mail
                    .templates
                    .new_in_queue
                    .clone()
                    .unwrap_or(d.new_in_queue),
                assigned: config.mail.templates.assigned.clone().unwrap_or(d.assigned),
                requester_replied: config
                    .mail
                    .templates
                    .requester_replied
                    .clone()
                    .unwrap_or(d.requester_replied),
                resolved: config.mail.templates.resolved.clone().unwrap_or(d.resolved),
                pending_requester: config
                    .mail
                    .templates
                    .pending_requester
                    .clone()
                    .unwrap_or(d.pending_requester),
                survey: config.mail.templates.survey.clone().unwrap_or(d.survey),
            }
        },
        cc_watchers: config.mail.cc_watchers,
        notify_staff: config.mail.notify_staff,
        link_base: config.public_url.clone(),
        ..Default::default()
    })
}

/// The SMTP sender from `[mail.smtp]`, if configured.
pub fn smtp_sender(config: &Config) -> anyhow::Result<Option<steward_service::SmtpSender>> {
    use steward_service::SmtpSecurity;
    let Some(s) = &config.mail.smtp else {
        return Ok(None);
    };
    let security = match s.security.as_deref().unwrap_or("starttls") {
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        "none" => SmtpSecurity::None,
        other => anyhow::bail!("[mail.smtp] security {other:?}: use starttls, tls or none"),
    };
    let port = s.port.unwrap_or(match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    });
    let password = match (&s.password, &s.password_file) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(f)) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the SMTP password from {}", f.display()))?
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    let sender = steward_service::SmtpSender::new(&steward_service::SmtpSettings {
        host: s.host.clone(),
        port,
        security,
        username: s.username.clone(),
        password,
    })
    .map_err(|e| anyhow::anyhow!("[mail.smtp]: {e}"))?;
    Ok(Some(sender))
}

/// The IMAP folders of `[[mail.mailboxes]]` that have an `imap` section.
pub fn imap_sources(
    config: &Config,
    settings: &steward_service::MailSettings,
) -> anyhow::Result<Vec<crate::imap::ImapSource>> {
    use crate::imap::{After, ImapSource, Security};
    let mut out = Vec::new();
    for m in &config.mail.mailboxes {
        let Some(i) = &m.imap else { continue };
        let what = format!("[mail.mailboxes.imap] of {}", m.address);
        let security = match i.security.as_deref().unwrap_or("tls") {
            "tls" => Security::Tls,
            "starttls" => Security::StartTls,
            "none" => Security::None,
            other => anyhow::bail!("{what}: security {other:?}: use tls, starttls or none"),
        };
        let port = i.port.unwrap_or(match security {
            Security::Tls => 993,
            Security::StartTls | Security::None => 143,
        });
        // A password in clear text crosses no network: "none" is for a server on this machine.
        let loopback = matches!(i.host.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
        if security == Security::None && !loopback {
            anyhow::bail!(
                "{what}: security \"none\" would send the password in clear text to {}; use tls or starttls (none is only for a server on this machine)",
                i.host
            );
        }
        let password = match (&i.password, &i.password_file) {
            (Some(p), _) => p.clone(),
            (None, Some(f)) => std::fs::read_to_string(f)
                .with_context(|| format!("{what}: cannot read the password from {}", f.display()))?
                .trim()
                .to_string(),
            (None, None) => anyhow::bail!("{what}: set password or password_file"),
        };
        let after = match i.after.as_deref().unwrap_or("move") {
            "move" => After::Move(
                i.processed_folder
                    .clone()
                    .unwrap_or_else(|| "Steward".into()),
            ),
            "flag" => After::Flag,
            other => anyhow::bail!("{what}: after {other:?}: use move or flag"),
        };
        if let Some(ca) = &i.ca_file {
            anyhow::ensure!(
                ca.is_file(),
                "{what}: ca_file {} is not a file",
                ca.display()
            );
        }
        out.push(ImapSource {
            host: i.host.clone(),
            port,
            security,
            username: i.username.clone(),
            password,
            folder: i.folder.clone().unwrap_or_else(|| "INBOX".into()),
            after,
            poll: std::time::Duration::from_secs(i.poll_seconds.unwrap_or(60).max(5)),
            ca_file: i.ca_file.clone(),
            mailbox: settings.mailbox(&m.address),
        });
    }
    Ok(out)
}

/// The background work of `steward serve`: the scheduler (SLA checks and other due jobs), the
/// LMTP listener, IMAP pollers and outbox delivery.
pub struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    /// Stopped by being told (they finish the message in hand).
    graceful: Vec<JoinHandle<()>>,
    /// Stopped by being aborted (a client that never heard "250" delivers again).
    abort: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts what `config` asks for.
    pub async fn start(config: &Config, service: &Service) -> anyhow::Result<Workers> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut workers = Workers {
            stop,
            graceful: Vec::new(),
            abort: Vec::new(),
        };
        workers.graceful.push(spawn_scheduler(
            service.clone(),
            std::time::Duration::from_secs(1),
            stopped.clone(),
        ));
        if let Some(addr) = &config.mail.lmtp_listen {
            let l = TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for LMTP on {addr}"))?;
            tracing::info!(%addr, "accepting LMTP deliveries");
            workers.abort.push(crate::lmtp::spawn(l, service.clone()));
        }
        for source in imap_sources(config, service.mail_settings())? {
            workers
                .graceful
                .push(crate::imap::spawn(service.clone(), source, stopped.clone()));
        }
        if let Some(sender) = smtp_sender(config)? {
            workers.graceful.push(spawn_mail_delivery(
                service.clone(),
                sender,
                std::time::Duration::from_secs(3),
                stopped,
            ));
        }
        Ok(workers)
    }

    /// Stops them: each finishes what it has in hand (for at most 20 seconds).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.abort {
            task.abort();
        }
        for task in self.graceful {
            let abort = task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(20), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

/// Runs `round` again and again until `stop` turns true: at once while it says there is more to
/// do, else after `every`. A round in hand is finished, never cut off.
fn spawn_rounds<F, Fut>(
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut round: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                return;
            }
            if round().await {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    })
}

/// Runs due jobs (SLA checks, auto-closing, …) until `stop` turns true.
pub fn spawn_scheduler(
    service: Service,
    every: std::time::Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    const BATCH: usize = 100;
    spawn_rounds(every, stop, move || {
        let service = service.clone();
        async move {
            match service.run_due_jobs(BATCH).await {
                Ok(r) => {
                    if r.retrying + r.failed > 0 {
                        tracing::warn!(
                            done = r.done,
                            retrying = r.retrying,
                            failed = r.failed,
                            "jobs"
                        );
                    }
                    r.done + r.retrying + r.failed >= BATCH
                }
                Err(e) => {
                    tracing::warn!(error = %e, "running due jobs");
                    false
                }
            }
        }
    })
}

/// Sends the outbox until `stop` turns true, in small batches so that a stop waits for little (a
/// message in hand is finished, never dropped half-sent, which could send it twice).
pub fn spawn_mail_delivery(
    service: Service,
    sender: steward_service::SmtpSender,
    every: std::time::Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    const BATCH: i64 = 10;
    let sender = std::sync::Arc::new(sender);
    spawn_rounds(every, stop, move || {
        let (service, sender) = (service.clone(), sender.clone());
        async move {
            match service.deliver_mail(&sender, BATCH).await {
                Ok(d) if d.sent + d.retrying + d.failed > 0 => {
                    tracing::info!(
                        sent = d.sent,
                        retrying = d.retrying,
                        failed = d.failed,
                        "outbox"
                    );
                    (d.sent + d.retrying + d.failed) as i64 >= BATCH
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "sending the outbox");
                    false
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{ImapConfig, MailboxConfig};

    fn with_imap(host: &str, security: &str, after: Option<&str>) -> Config {
        let mut c = Config::default();
        c.mail.mailboxes.push(MailboxConfig {
            address: "help@example.com".into(),
            team: None,
            ticket_type: None,
            category: None,
            imap: Some(ImapConfig {
                host: host.into(),
                port: None,
                security: Some(security.into()),
                username: "help@example.com".into(),
                password: Some("pw".into()),
                password_file: None,
                folder: None,
                after: after.map(str::to_string),
                processed_folder: None,
                poll_seconds: None,
                ca_file: None,
            }),
        });
        c
    }

    #[test]
    fn imap_sections_become_sources_and_mistakes_are_named() {
        let settings = steward_service::MailSettings::default();
        let s = imap_sources(&with_imap("imap.example.com", "tls", None), &settings).unwrap();
        assert_eq!((s[0].port, s[0].folder.as_str()), (993, "INBOX"));
        assert_eq!(s[0].after, crate::imap::After::Move("Steward".into()));
        let s = imap_sources(
            &with_imap("imap.example.com", "starttls", Some("flag")),
            &settings,
        )
        .unwrap();
        assert_eq!((s[0].port, &s[0].after), (143, &crate::imap::After::Flag));
        // No clear-text password over the network.
        let e = imap_sources(&with_imap("imap.example.com", "none", None), &settings)
            .unwrap_err()
            .to_string();
        assert!(e.contains("clear text"), "{e}");
        assert!(imap_sources(&with_imap("127.0.0.1", "none", None), &settings).is_ok());
        let e = imap_sources(&with_imap("imap.example.com", "ssl", None), &settings)
            .unwrap_err()
            .to_string();
        assert!(e.contains("use tls, starttls or none"), "{e}");
        let e = imap_sources(
            &with_imap("imap.example.com", "tls", Some("delete")),
            &settings,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("use move or flag"), "{e}");
    }
}
