//! `steward mail …`: taking mail in from an MTA's pipe or from an existing mailbox.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use steward_service::{Ingested, Service, ServiceError, SystemClock};

use crate::config::Config;
use crate::server;

/// sysexits(3) codes an MTA understands.
pub mod exit {
    pub const OK: u8 = 0;
    pub const NOINPUT: u8 = 66;
    pub const IOERR: u8 = 74;
    /// Temporary: the MTA keeps the message and tries again later.
    pub const TEMPFAIL: u8 = 75;
}

/// A `steward mail` command.
pub enum MailCmd {
    Ingest {
        mailbox: Option<String>,
        batch: Option<PathBuf>,
    },
    Quarantine,
}

/// An error with the exit code to leave with.
#[derive(Debug)]
pub struct Exit(pub u8, pub String);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for Exit {}

/// The exit code for a failed ingest. Nothing was stored, and a permanent code would make the
/// mail server bounce a message Steward may well take after a retry (a busy or unreachable
/// database, two deliveries racing): every failure is temporary. Mail that Steward cannot read is
/// not a failure: it is quarantined and exits 0.
fn code_for(e: &ServiceError) -> u8 {
    let _ = e;
    exit::TEMPFAIL
}

async fn service(config: &Config) -> Result<Service, Exit> {
    let store = server::open_store(config)
        .await
        .map_err(|e| Exit(exit::TEMPFAIL, format!("{e:#}")))?;
    let svc = Service::new(store, Arc::new(SystemClock));
    let settings = server::mail_settings(config, &svc)
        .await
        .map_err(|e| Exit(78, format!("{e:#}")))?;
    Ok(svc.with_mail(settings))
}

pub async fn run(cmd: MailCmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        MailCmd::Ingest { mailbox, batch } => {
            let svc = service(&config).await?;
            let address = mailbox
                .or_else(|| config.mail.mailboxes.first().map(|m| m.address.clone()))
                .unwrap_or_else(|| "desk@localhost".into());
            let mb = svc.mail_settings().mailbox(&address);
            match batch {
                None => {
                    let mut raw = Vec::new();
                    std::io::stdin().read_to_end(&mut raw).map_err(|e| {
                        Exit(
                            exit::IOERR,
                            format!("cannot read the message from standard input: {e}"),
                        )
                    })?;
                    let outcome = svc
                        .ingest_mail(&mb, &raw)
                        .await
                        .map_err(|e| Exit(code_for(&e), e.to_string()))?;
                    eprintln!("{}", describe(&outcome));
                }
                Some(path) => batch_import(&svc, &mb, &path).await?,
            }
            svc.store().close().await;
            Ok(())
        }
        MailCmd::Quarantine => {
            let svc = service(&config).await?;
            let list = svc.quarantined(&steward_domain::Actor::system()).await?;
            if list.is_empty() {
                println!("nothing in quarantine");
            }
            for q in list {
                println!(
                    "{}\t{}\t{} bytes\t{}\t{}",
                    q.id, q.received_at, q.size, q.mailbox, q.reason
                );
            }
            Ok(())
        }
    }
}

fn describe(o: &Ingested) -> String {
    match o {
        Ingested::Created { number, .. } => format!("new ticket #{number}"),
        Ingested::Added { number, .. } => format!("added to ticket #{number}"),
        Ingested::FollowUp { number, of, .. } => {
            format!("new ticket #{number}, following up closed #{of}")
        }
        Ingested::Duplicate => "already stored; nothing changed".into(),
        Ingested::Ignored => "Steward's own mail; ignored".into(),
        Ingested::Quarantined { id, reason } => format!("quarantined as {id}: {reason}"),
    }
}

/// The messages under `path`: a Maildir (cur/ and new/), an mbox file, or a folder of .eml files.
fn batch_messages(path: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    if path.is_file() {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        for (i, m) in
            steward_mail::mailbox::mbox::MessageIterator::new(std::io::BufReader::new(file))
                .enumerate()
        {
            match m {
                Ok(m) => out.push((format!("{}#{}", path.display(), i + 1), m.unwrap_contents())),
                Err(_) => anyhow::bail!("{} is not an mbox file", path.display()),
            }
        }
        return Ok(out);
    }
    if !path.is_dir() {
        return Err(Exit(exit::NOINPUT, format!("{} does not exist", path.display())).into());
    }
    let is_maildir = path.join("cur").is_dir() || path.join("new").is_dir();
    let dirs: Vec<PathBuf> = if is_maildir {
        vec![path.join("cur"), path.join("new")]
    } else {
        vec![path.to_path_buf()]
    };
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let take = is_maildir || f.extension().is_some_and(|x| x.eq_ignore_ascii_case("eml"));
            if take {
                let raw =
                    std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
                out.push((f.display().to_string(), raw));
            }
        }
    }
    Ok(out)
}

async fn batch_import(
    svc: &Service,
    mb: &steward_service::Mailbox,
    path: &Path,
) -> anyhow::Result<()> {
    let messages = batch_messages(path)?;
    let bar = indicatif::ProgressBar::new(messages.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (mut created, mut threaded, mut skipped, mut quarantined) = (0, 0, 0, 0);
    for (label, raw) in messages {
        match svc.ingest_mail(mb, &raw).await {
            Ok(Ingested::Created { .. } | Ingested::FollowUp { .. }) => created += 1,
            Ok(Ingested::Added { .. }) => threaded += 1,
            Ok(Ingested::Duplicate | Ingested::Ignored) => skipped += 1,
            Ok(Ingested::Quarantined { reason, .. }) => {
                quarantined += 1;
                bar.println(format!("quarantined {label}: {reason}"));
            }
            Err(e) => {
                bar.abandon();
                return Err(Exit(code_for(&e), format!("{label}: {e}")).into());
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("{created} tickets created, {threaded} messages threaded onto tickets, {skipped} skipped (already stored or Steward's own), {quarantined} quarantined");
    Ok(())
}

/// The process exit code for an error from a `steward mail` command.
pub fn exit_code(e: &anyhow::Error) -> ExitCode {
    match e.downcast_ref::<Exit>() {
        Some(Exit(code, _)) => ExitCode::from(*code),
        None => ExitCode::FAILURE,
    }
}
