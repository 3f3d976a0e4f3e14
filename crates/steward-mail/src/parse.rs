//! From raw bytes to an [`Inbound`] message, with a mature parser (mail-parser): any charset and
//! encoded words, multipart/alternative (text preferred, HTML kept), HTML-only mail turned into
//! text, attachments and inline images, forwarded messages kept as attachments.

use mail_parser::{
    Address as MpAddress, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};

use crate::automatic::{classify, Automatic};

/// The largest message accepted (a larger one is refused with a clear reason).
pub const MAX_MESSAGE_BYTES: usize = 50 * 1024 * 1024;

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is {size} bytes; the limit is {max}")]
    TooLarge { size: usize, max: usize },
    #[error("no mail headers found: this is not an e-mail message")]
    NotMail,
}

/// An e-mail address and its display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// As written, trimmed. (Compare case-insensitively.)
    pub email: String,
    pub name: Option<String>,
}

/// A file sent with a message (or an inline image, or a forwarded message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: Option<String>,
    /// `type/subtype`, lower-case.
    pub content_type: String,
    /// For inline images referenced from HTML as `cid:…` (without angle brackets).
    pub content_id: Option<String>,
    pub inline: bool,
    pub data: Vec<u8>,
}

/// An inbound message, as Steward needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Address>,
    pub reply_to: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    /// Seconds since the Unix epoch, as the sender's clock said.
    pub date: Option<i64>,
    /// The text: the plain-text part, or the HTML turned into text.
    pub text: String,
    /// The HTML part as sent (not yet sanitised: never show it unsanitised).
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub automatic: Automatic,
    /// The size of the raw message.
    pub size: usize,
}

impl Inbound {
    /// Who to answer: Reply-To, else From.
    pub fn reply_address(&self) -> Option<&Address> {
        self.reply_to.as_ref().or(self.from.as_ref())
    }

    /// Every Message-ID this message refers to, most specific first (In-Reply-To, then
    /// References from the newest).
    pub fn thread_keys(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.in_reply_to
            .iter()
            .chain(self.references.iter().rev())
            .map(String::as_str)
            .filter(|k| seen.insert(*k))
            .collect()
    }
}

fn addresses(a: Option<&MpAddress<'_>>) -> Vec<Address> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .filter_map(|addr| {
            let email = addr.address()?.trim();
            if email.is_empty() {
                return None;
            }
            Some(Address {
                email: clean(email),
                name: addr
                    .name()
                    .map(|n| clean(n.trim()))
                    .filter(|n| !n.is_empty()),
            })
        })
        .collect()
}

/// Message-IDs kept from In-Reply-To and References: the newest ones, without repeats. (A
/// References header can hold millions; threading needs the last few.)
pub const MAX_THREAD_IDS: usize = 50;

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<&str> = match v {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = ids
        .into_iter()
        .rev()
        .map(|s| clean(s.trim().trim_start_matches('<').trim_end_matches('>')))
        .filter(|s| !s.is_empty() && s.len() <= 998 && seen.insert(s.clone()))
        .take(MAX_THREAD_IDS)
        .collect();
    out.reverse();
    out
}

/// Text from outside without NUL and other control characters (tabs and newlines only where
/// text has lines): some databases cannot store them, and no header needs them.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

fn content_type_of(p: &mail_parser::MessagePart<'_>) -> String {
    match p.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => match &p.body {
            PartType::Text(_) => "text/plain".into(),
            PartType::Html(_) => "text/html".into(),
            PartType::Message(_) => "message/rfc822".into(),
            _ => "application/octet-stream".into(),
        },
    }
}

fn attachments(m: &Message<'_>) -> Vec<Attachment> {
    m.attachments()
        .map(|p| {
            let inline = p
                .content_disposition()
                .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"));
            let data = match &p.body {
                // A forwarded message is kept whole, as sent.
                PartType::Message(inner) => inner.raw_message().to_vec(),
                _ => p.contents().to_vec(),
            };
            Attachment {
                filename: p
                    .attachment_name()
                    .map(|n| clean(n.trim()).chars().take(255).collect::<String>())
                    .filter(|n| !n.is_empty()),
                content_type: content_type_of(p),
                content_id: p
                    .content_id()
                    .map(|c| clean(c.trim().trim_start_matches('<').trim_end_matches('>'))),
                inline,
                data,
            }
        })
        .collect()
}

/// Charsets the message declares anywhere (for headers sent as raw 8-bit text without encoded
/// words, which mail clients in some countries still do).
fn declared_charsets(m: &Message<'_>) -> Vec<String> {
    // Scanned in the raw text, so that charsets of nested (forwarded) messages count too.
    let raw = m.raw_message();
    let head = &raw[..raw.len().min(256 * 1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut out: Vec<String> = Vec::new();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"charset=") {
        let start = from + at + 8;
        let label: String = lower[start..]
            .iter()
            .skip_while(|b| **b == b'"' || **b == b'\'')
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
            .map(|b| *b as char)
            .collect();
        if !label.is_empty() && label.len() < 40 && !out.contains(&label) {
            out.push(label);
        }
        from = start;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A header's value decoded again from its raw bytes with a declared charset, when the parser's
/// UTF-8 reading of it failed (replacement characters).
fn redecode_header(m: &Message<'_>, name: &str, parsed: &str) -> String {
    // The parser reads the last header of a name; so does this.
    let Some(h) = m
        .headers()
        .iter()
        .rev()
        .find(|h| h.name().eq_ignore_ascii_case(name))
    else {
        return parsed.to_string();
    };
    let raw = m.raw_message();
    let (start, end) = (h.offset_start() as usize, h.offset_end() as usize);
    let Some(bytes) = raw.get(start..end.min(raw.len())) else {
        return parsed.to_string();
    };
    // Only raw 8-bit text that is not UTF-8 needs a second reading, and only a header of sane size.
    if bytes.len() > 16 * 1024 || bytes.is_ascii() || std::str::from_utf8(bytes).is_ok() {
        return parsed.to_string();
    }
    let mut encodings: Vec<&'static encoding_rs::Encoding> = Vec::new();
    for label in declared_charsets(m) {
        if let Some(enc) = encoding_rs::Encoding::for_label(label.as_bytes()) {
            let odd = enc == encoding_rs::UTF_16LE
                || enc == encoding_rs::UTF_16BE
                || enc == encoding_rs::REPLACEMENT;
            if !odd && !encodings.contains(&enc) {
                encodings.push(enc);
            }
        }
    }
    // Single-byte Western charsets decode any bytes at all, so they are tried last.
    encodings.sort_by_key(|e| *e == encoding_rs::WINDOWS_1252 || *e == encoding_rs::UTF_8);
    for enc in encodings {
        if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
            return text.split_whitespace().collect::<Vec<_>>().join(" ");
        }
    }
    parsed.to_string()
}

/// The sender: From, or when it is missing or has no address, Sender, Reply-To, Return-Path; a
/// From whose "name" is itself an address (`From: "ann@x.example"`) gives that address.
fn sender(m: &Message<'_>) -> Option<Address> {
    if let Some(a) = addresses(m.from()).into_iter().next() {
        return Some(a);
    }
    if let Some(name) = m
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .map(|n| n.trim().trim_matches('"').trim())
        .filter(|n| n.contains('@') && !n.contains(char::is_whitespace))
    {
        return Some(Address {
            email: name.to_string(),
            name: None,
        });
    }
    addresses(m.sender())
        .into_iter()
        .chain(addresses(m.reply_to()))
        .next()
        .or_else(|| {
            m.return_address()
                .map(|r| {
                    r.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
                .filter(|r| r.contains('@'))
                .map(|email| Address { email, name: None })
        })
}

/// Parses a raw message. Never panics; refuses what is empty, too large, or not mail at all.
pub fn parse(raw: &[u8]) -> Result<Inbound, ParseError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge {
            size: raw.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    let m = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotMail)?;
    if m.headers().is_empty() {
        return Err(ParseError::NotMail);
    }
    let text = match m.body_text(0) {
        Some(t) => t.into_owned(),
        None => String::new(),
    };
    let html = if m.html_body_count() > 0 && m.html_part(0).is_some_and(|p| p.is_text_html()) {
        m.body_html(0).map(|h| h.into_owned())
    } else {
        None
    };
    Ok(Inbound {
        message_id: m
            .message_id()
            .map(|id| clean(id.trim().trim_start_matches('<').trim_end_matches('>')))
            .filter(|id| !id.is_empty() && id.len() <= 998),
        in_reply_to: id_list(m.in_reply_to()),
        references: id_list(m.references()),
        from: sender(&m),
        reply_to: addresses(m.reply_to()).into_iter().next(),
        to: addresses(m.to()),
        cc: addresses(m.cc()),
        subject: clean(redecode_header(&m, "Subject", m.subject().unwrap_or_default()).trim())
            .chars()
            .take(2000)
            .collect(),
        date: m.date().map(|d| d.to_timestamp()),
        text: clean_text(&text.replace("\r\n", "\n")),
        html: html.map(|h| clean_text(&h)),
        attachments: attachments(&m),
        automatic: classify(&m),
        size: raw.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &[u8] = b"From: Ann Smith <Ann@Acme.example>\r\nTo: desk@msp.example\r\nCc: Bob <bob@acme.example>\r\nSubject: =?UTF-8?Q?Drucker_st=C3=B6rt?=\r\nMessage-ID: <abc@acme.example>\r\nIn-Reply-To: <out-1@steward>\r\nReferences: <root@x> <out-1@steward>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo,\r\nder Drucker st\xc3\xb6rt.\r\n";

    #[test]
    fn a_plain_message() {
        let m = parse(PLAIN).unwrap();
        assert_eq!(m.subject, "Drucker stört");
        let from = m.from.clone().unwrap();
        assert_eq!(
            (from.email.as_str(), from.name.as_deref()),
            ("Ann@Acme.example", Some("Ann Smith"))
        );
        assert_eq!(m.cc[0].email, "bob@acme.example");
        assert_eq!(m.message_id.as_deref(), Some("abc@acme.example"));
        assert_eq!(m.thread_keys(), vec!["out-1@steward", "root@x"]);
        assert_eq!(m.text, "Hallo,\nder Drucker stört.\n");
        assert_eq!(m.date, Some(1_772_438_400));
        assert_eq!(m.automatic, Automatic::No);
        assert!(m.attachments.is_empty());
    }

    #[test]
    fn html_only_mail_becomes_text_and_keeps_its_html() {
        let raw = b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>world</b></p><script>alert(1)</script>";
        let m = parse(raw).unwrap();
        assert!(m.text.contains("Hello world"), "{:?}", m.text);
        assert!(m.html.unwrap().contains("<b>world</b>"));
    }

    #[test]
    fn attachments_and_inline_images() {
        let raw = b"From: a@b.example\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--XX\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--XX--\r\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.text.trim(), "See attached.");
        assert_eq!(m.attachments.len(), 2);
        let pdf = &m.attachments[0];
        assert_eq!(
            (
                pdf.filename.as_deref(),
                pdf.content_type.as_str(),
                pdf.data.as_slice()
            ),
            (
                Some("report.pdf"),
                "application/pdf",
                b"%PDF-1.4\n".as_slice()
            )
        );
        let png = &m.attachments[1];
        assert!(png.inline);
        assert_eq!(png.content_id.as_deref(), Some("logo@x"));
    }

    #[test]
    fn automatic_mail_is_recognised() {
        let with = |headers: &str| {
            let raw = format!("From: someone@x.example\r\n{headers}Subject: s\r\n\r\nbody");
            parse(raw.as_bytes()).unwrap().automatic
        };
        assert_eq!(with(""), Automatic::No);
        assert_eq!(with("Auto-Submitted: no\r\n"), Automatic::No);
        assert_eq!(
            with("Auto-Submitted: auto-replied\r\n"),
            Automatic::AutoReply
        );
        assert_eq!(with("X-Autoreply: yes\r\n"), Automatic::AutoReply);
        assert_eq!(
            with("X-Auto-Response-Suppress: All\r\n"),
            Automatic::AutoReply
        );
        assert_eq!(with("Precedence: bulk\r\n"), Automatic::Bulk);
        assert_eq!(with("List-Id: <users.lists.example>\r\n"), Automatic::Bulk);
        assert_eq!(with("Return-Path: <>\r\n"), Automatic::Bounce);
        assert_eq!(with("X-Steward-Ticket: 12\r\n"), Automatic::Own);
        let daemon =
            parse(b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nx").unwrap();
        assert_eq!(daemon.automatic, Automatic::Bounce);
        assert!(!daemon.automatic.may_answer());
    }

    #[test]
    fn hostile_headers_stay_cheap_and_clean() {
        // A References header with 200,000 ids keeps the newest 50, quickly.
        let mut refs = String::new();
        for i in 0..200_000 {
            refs.push_str(&format!("<{i}@x> "));
        }
        let raw = format!("From: a@b.example\r\nSubject: x\u{0}y\r\nReferences: {refs}\r\nIn-Reply-To: <199999@x>\r\n\r\nbody");
        let m = parse(raw.as_bytes()).unwrap();
        assert_eq!(m.references.len(), MAX_THREAD_IDS);
        assert_eq!(m.references.last().map(String::as_str), Some("199999@x"));
        assert_eq!(m.thread_keys().len(), MAX_THREAD_IDS);
        assert!(!m.subject.contains('\u{0}'));
        // A body of 100,000 quoted lines folds in one pass.
        let body = format!("{}\nanswer", "> q\n".repeat(100_000));
        let f = crate::fold(&body);
        assert_eq!(f.folded, None);
    }

    #[test]
    fn bad_input_is_refused_not_panicked_on() {
        assert_eq!(parse(b""), Err(ParseError::Empty));
        assert_eq!(parse(b" \r\n "), Err(ParseError::Empty));
        assert!(parse(&vec![b'a'; MAX_MESSAGE_BYTES + 1]).is_err());
        for junk in [
            &b"\x00\xff\xfe garbage"[..],
            b"no headers here",
            b"::::\r\n\r\n",
            b"Subject",
        ] {
            let _ = parse(junk);
        }
    }
}
