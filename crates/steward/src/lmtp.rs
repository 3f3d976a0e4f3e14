//! An LMTP listener (RFC 2033), for Postfix or Dovecot to deliver mail to Steward on a local port.
//! A message is answered "250" for a recipient only after it is committed; a database that cannot
//! be reached answers "451" (the mail server keeps the message and tries again).

use std::net::SocketAddr;

use steward_service::{Ingested, Service, ServiceError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The longest command line accepted.
const MAX_LINE: usize = 4096;
/// The longest line of message data read at once (longer lines are read in pieces).
const MAX_DATA_LINE: u64 = 1024 * 1024;
/// How long a client may stay silent before the session is closed.
const IDLE: std::time::Duration = std::time::Duration::from_secs(300);
/// Recipients per message.
const MAX_RECIPIENTS: usize = 100;
/// Sessions served at once (more wait for a free one).
const MAX_SESSIONS: usize = 32;

/// Serves LMTP on `listener` until the task is aborted.
pub fn spawn(listener: TcpListener, service: Service) -> JoinHandle<()> {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_SESSIONS));
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((sock, peer)) => {
                    let service = service.clone();
                    let slots = slots.clone();
                    tokio::spawn(async move {
                        let Ok(_slot) = slots.acquire_owned().await else {
                            return;
                        };
                        if let Err(e) = session(sock, peer, service).await {
                            tracing::debug!(%peer, error = %e, "LMTP session ended");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accepting an LMTP connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// Reads one line (without CRLF), refusing absurdly long ones.
async fn read_line<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    buf.clear();
    let n = (&mut *r)
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(buf).into_owned()))
}

fn angle_addr(arg: &str) -> String {
    let a = arg.trim();
    let inner = match (a.find('<'), a.rfind('>')) {
        (Some(s), Some(e)) if s < e => &a[s + 1..e],
        _ => a.split_whitespace().next().unwrap_or_default(),
    };
    inner.trim().to_string()
}

async fn session(sock: TcpStream, peer: SocketAddr, service: Service) -> std::io::Result<()> {
    // Replies are small and a client waits for each: without this, Nagle's algorithm and the
    // client's delayed acknowledgements hold every second reply for ~40 ms.
    sock.set_nodelay(true)?;
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    w.write_all(b"220 steward LMTP ready\r\n").await?;
    let mut recipients: Vec<String> = Vec::new();
    let mut have_sender = false;
    let mut return_path = String::new();
    loop {
        let cmd = match tokio::time::timeout(IDLE, read_line(&mut r, &mut line)).await {
            Ok(Ok(Some(cmd))) => cmd,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                w.write_all(b"421 4.4.2 idle too long\r\n").await?;
                break;
            }
        };
        let upper = cmd.to_ascii_uppercase();
        let verb = upper
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        match verb.as_str() {
            "LHLO" => {
                w.write_all(
                    b"250-steward\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n",
                )
                .await?
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                have_sender = true;
                recipients.clear();
                // The envelope sender, recorded as the Return-Path (an empty one marks a bounce).
                return_path = angle_addr(&cmd[10..])
                    .chars()
                    .filter(|c| !c.is_control() && *c != '<' && *c != '>')
                    .take(254)
                    .collect();
                w.write_all(b"250 2.1.0 OK\r\n").await?
            }
            "RCPT" if upper.starts_with("RCPT TO:") => {
                if !have_sender {
                    w.write_all(b"503 5.5.1 MAIL first\r\n").await?;
                    continue;
                }
                let addr = angle_addr(&cmd[8..]);
                if recipients.len() >= MAX_RECIPIENTS {
                    w.write_all(b"452 4.5.3 too many recipients\r\n").await?;
                } else if addr.is_empty() || addr.len() > 254 {
                    w.write_all(b"501 5.1.3 bad recipient address\r\n").await?;
                } else {
                    recipients.push(addr);
                    w.write_all(b"250 2.1.5 OK\r\n").await?;
                }
            }
            "DATA" => {
                if recipients.is_empty() {
                    w.write_all(b"503 5.5.1 RCPT first\r\n").await?;
                    continue;
                }
                w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let Ok(data) = tokio::time::timeout(IDLE * 2, read_data(&mut r)).await else {
                    w.write_all(b"421 4.4.2 data took too long\r\n").await?;
                    break;
                };
                let (body, too_large) = data?;
                let mut raw = format!("Return-Path: <{return_path}>\r\n").into_bytes();
                raw.extend_from_slice(&body);
                for rcpt in &recipients {
                    let reply: Vec<u8> = if too_large {
                        b"552 5.3.4 message too large\r\n".to_vec()
                    } else {
                        let mailbox = service.mail_settings().mailbox(rcpt);
                        match service.ingest_mail(&mailbox, &raw).await {
                            Ok(outcome) => {
                                let what: &Ingested = &outcome;
                                tracing::info!(%peer, recipient = %rcpt, outcome = ?what, "LMTP delivery");
                                b"250 2.0.0 stored\r\n".to_vec()
                            }
                            Err(ServiceError::Unavailable(e)) if e.is_storage_problem() => {
                                tracing::error!(error = %e, "LMTP: the database cannot store anything");
                                b"452 4.3.1 insufficient system storage; try again later\r\n"
                                    .to_vec()
                            }
                            Err(ServiceError::Unavailable(e)) => {
                                tracing::warn!(error = %e, "LMTP: database unavailable");
                                b"451 4.3.0 try again later\r\n".to_vec()
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "LMTP: storing a message failed");
                                b"451 4.3.0 local error; try again later\r\n".to_vec()
                            }
                        }
                    };
                    w.write_all(&reply).await?;
                }
                recipients.clear();
                have_sender = false;
            }
            "RSET" => {
                recipients.clear();
                have_sender = false;
                w.write_all(b"250 2.0.0 OK\r\n").await?
            }
            "NOOP" => w.write_all(b"250 2.0.0 OK\r\n").await?,
            "QUIT" => {
                w.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => w.write_all(b"500 5.5.2 unknown command\r\n").await?,
        }
    }
    Ok(())
}

/// Reads the message after DATA up to the lone ".", undoing dot-stuffing. Past the size limit the
/// rest is read and dropped, and `true` says so.
async fn read_data<R: AsyncBufReadExt + Unpin>(r: &mut R) -> std::io::Result<(Vec<u8>, bool)> {
    let mut raw = Vec::new();
    let mut too_large = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut *r)
            .take(MAX_DATA_LINE)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed in DATA",
            ));
        }
        // A piece of a very long line: keep it (or drop it, when the message is already too large).
        if !line.ends_with(b"\n") {
            if raw.len() + line.len() > steward_mail::MAX_MESSAGE_BYTES {
                too_large = true;
                raw.clear();
            } else if !too_large {
                raw.extend_from_slice(&line);
            }
            continue;
        }
        let content = line
            .strip_suffix(b"\r\n")
            .or_else(|| line.strip_suffix(b"\n"))
            .unwrap_or(&line);
        if content == b"." {
            return Ok((raw, too_large));
        }
        let content = content.strip_prefix(b".").unwrap_or(content);
        if raw.len() + content.len() + 2 > steward_mail::MAX_MESSAGE_BYTES {
            too_large = true;
            raw.clear();
            continue;
        }
        if !too_large {
            raw.extend_from_slice(content);
            raw.extend_from_slice(b"\r\n");
        }
    }
}
