//! Outbound mail, rendered with lettre: correct encodings, a Message-ID Steward stores for
//! threading, In-Reply-To and References, and markers that make Steward's own mail recognisable
//! (`X-Steward-Ticket`) and keep other systems from answering automatic mail (`Auto-Submitted`).

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::Message;

/// What an outbound message says, to whom.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub from: &'a str,
    pub to: &'a str,
    /// Copies (an address that cannot be parsed is left out, not the whole message).
    pub cc: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    /// Without angle brackets.
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    /// Space-separated, without angle brackets, oldest first.
    pub references: &'a str,
    pub automatic: bool,
    pub ticket_number: Option<i64>,
}

/// A rendered message: the envelope addresses and the RFC 5322 bytes.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub envelope: lettre::address::Envelope,
    pub bytes: Vec<u8>,
}

/// Why a message could not be rendered (a bad address, usually).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the message: {0}")]
pub struct RenderError(String);

#[derive(Clone)]
struct AutoSubmitted(String);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct StewardTicket(String);

impl Header for StewardTicket {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Steward-Ticket")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(StewardTicket(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

fn angle(ids: &str) -> String {
    ids.split_whitespace()
        .map(|id| format!("<{id}>"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders a message.
pub fn render(m: &Outgoing<'_>) -> Result<Rendered, RenderError> {
    let bad = |e: &dyn std::fmt::Display| RenderError(e.to_string());
    let from: Mailbox = m.from.parse().map_err(|e| bad(&e))?;
    let to: Mailbox = m.to.parse().map_err(|e| bad(&e))?;
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject)
        .message_id(Some(format!("<{}>", m.message_id)));
    for cc in m.cc {
        if let Ok(cc) = cc.parse::<Mailbox>() {
            b = b.cc(cc);
        }
    }
    if let Some(r) = m.in_reply_to {
        b = b.in_reply_to(format!("<{r}>"));
    }
    if !m.references.trim().is_empty() {
        b = b.references(angle(m.references));
    }
    if m.automatic {
        b = b.header(AutoSubmitted("auto-replied".into()));
    }
    if let Some(n) = m.ticket_number {
        b = b.header(StewardTicket(n.to_string()));
    }
    let message = b.body(m.body.to_string()).map_err(|e| bad(&e))?;
    Ok(Rendered {
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_mail_threads_and_is_recognisable() {
        let r = render(&Outgoing {
            from: "help@msp.example",
            to: "Ann Smith <ann@acme.example>",
            cc: &[],
            subject: "[#12] Drucker stört",
            body: "Hallo Ann,\nder Drucker läuft wieder.\n",
            message_id: "abc@msp.example",
            in_reply_to: Some("m1@acme.example"),
            references: "m0@acme.example m1@acme.example",
            automatic: true,
            ticket_number: Some(12),
        })
        .unwrap();
        let text = String::from_utf8(r.bytes.clone()).unwrap();
        assert!(text.contains("Message-ID: <abc@msp.example>"), "{text}");
        assert!(text.contains("In-Reply-To: <m1@acme.example>"));
        assert!(text.contains("References: <m0@acme.example> <m1@acme.example>"));
        assert!(text.contains("Auto-Submitted: auto-replied"));
        assert!(text.contains("X-Steward-Ticket: 12"));
        // It reads back as Steward's own, with the subject and text intact.
        let back = crate::parse(&r.bytes).unwrap();
        assert_eq!(back.subject, "[#12] Drucker stört");
        assert_eq!(back.automatic, crate::Automatic::Own);
        assert!(back.text.contains("der Drucker läuft wieder."));
        assert_eq!(r.envelope.to()[0].to_string(), "ann@acme.example");
        assert!(render(&Outgoing {
            to: "not an address",
            ..outgoing()
        })
        .is_err());
        // Copies go to every watcher; an unusable copy address is left out, not the message.
        let cc = [
            "Carl <carl@acme.example>".to_string(),
            "no address".to_string(),
        ];
        let r = render(&Outgoing {
            cc: &cc,
            ..outgoing()
        })
        .unwrap();
        let text = String::from_utf8(r.bytes.clone()).unwrap();
        assert!(text.contains("Cc: Carl <carl@acme.example>"), "{text}");
        let rcpt: Vec<String> = r.envelope.to().iter().map(|a| a.to_string()).collect();
        assert_eq!(rcpt, ["c@d.example", "carl@acme.example"]);
    }

    fn outgoing() -> Outgoing<'static> {
        Outgoing {
            from: "a@b.example",
            to: "c@d.example",
            cc: &[],
            subject: "s",
            body: "b",
            message_id: "x@b.example",
            in_reply_to: None,
            references: "",
            automatic: false,
            ticket_number: None,
        }
    }
}
