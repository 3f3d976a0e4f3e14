//! Mail for the ingestion measurements: messages written as a mail client would (a fifth of them
//! answers to earlier ones, so threading has work), delivered as .eml files to the batch import
//! and over LMTP.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// `n` messages; `run` keeps Message-IDs of different runs apart.
pub fn messages(run: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let sender = i % 97;
            let reply = i >= 10 && i % 5 == 0;
            let subject = if reply {
                format!("Re: Laptop {} will not start after the update", i - 10)
            } else {
                format!("Laptop {i} will not start after the update")
            };
            let threading = if reply {
                format!(
                    "In-Reply-To: <bench-{run}-{}@mail.example>\r\nReferences: <bench-{run}-{}@mail.example>\r\n",
                    i - 10,
                    i - 10
                )
            } else {
                String::new()
            };
            format!(
                "From: Person {sender} <person{sender}@customer.example>\r\n\
                 To: help@bench.example\r\n\
                 Subject: {subject}\r\n\
                 Date: Tue, 24 Nov 2026 09:{:02}:{:02} +0100\r\n\
                 Message-ID: <bench-{run}-{i}@mail.example>\r\n\
                 {threading}\
                 MIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\
                 \r\n\
                 Hello,\r\n\r\nsince this morning my laptop shows a black screen after the logo. \
                 The power light is on and the fan runs. I already tried to restart it twice and \
                 removed the docking station.\r\n\r\nCould someone have a look? I am in room 3.{:02} \
                 until 17:00.\r\n\r\nThanks,\r\nPerson {sender}\r\n",
                (i / 60) % 60,
                i % 60,
                i % 40
            )
        })
        .collect()
}

/// Writes messages as .eml files into `dir`.
pub fn write_eml(dir: &Path, messages: &[String]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (i, m) in messages.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:07}.eml")), m)?;
    }
    Ok(())
}

/// Delivers messages over one LMTP connection, each acknowledged before the next is sent.
pub async fn lmtp_deliver(addr: SocketAddr, messages: &[String]) -> anyhow::Result<()> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot connect to LMTP at {addr}"))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, "220").await?;
    write.write_all(b"LHLO bench.example\r\n").await?;
    expect(&mut read, "250").await?;
    for m in messages {
        write
            .write_all(
                b"MAIL FROM:<sender@customer.example>\r\nRCPT TO:<help@bench.example>\r\nDATA\r\n",
            )
            .await?;
        expect(&mut read, "250").await?;
        expect(&mut read, "250").await?;
        expect(&mut read, "354").await?;
        let mut data = String::with_capacity(m.len() + 8);
        for line in m.split("\r\n") {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
            data.push_str("\r\n");
        }
        data.push_str(".\r\n");
        write.write_all(data.as_bytes()).await?;
        expect(&mut read, "250").await?;
    }
    write.write_all(b"QUIT\r\n").await?;
    Ok(())
}

/// Reads one reply (all its lines) and checks its code.
async fn expect<R: tokio::io::AsyncBufRead + Unpin>(
    read: &mut R,
    code: &str,
) -> anyhow::Result<()> {
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            bail!("the LMTP server closed the connection (expected {code})");
        }
        if !line.starts_with(code) {
            bail!(
                "expected {code} from the LMTP server, got {}",
                line.trim_end()
            );
        }
        // "250-" continues, "250 " ends.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}
