//! The inbound mail path without the database: whatever bytes arrive, parsing, the automatic-mail
//! check, threading keys, subject tags, sanitising the HTML, folding quotes and rendering an
//! answer must neither panic nor hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = steward_mail::parse(data) else {
        return;
    };
    let _ = m.thread_keys();
    let _ = m.reply_address();
    let _ = m.automatic.may_answer();
    let _ = steward_mail::ticket_number_in_subject(&m.subject, "");
    let _ = steward_mail::ticket_number_in_subject(&m.subject, "Ticket");
    let subject = steward_mail::reply_subject(&m.subject, 1234, "");
    let _ = steward_mail::fold(&m.text);
    if let Some(html) = &m.html {
        let clean = steward_mail::sanitize_html(html);
        assert!(!clean.to_ascii_lowercase().contains("<script"));
    }
    if let Some(from) = &m.from {
        let _ = steward_mail::render(&steward_mail::Outgoing {
            from: "help@msp.example",
            to: &from.email,
            cc: &[],
            subject: &subject,
            body: &m.text,
            message_id: "fuzz@msp.example",
            in_reply_to: m.message_id.as_deref(),
            references: &m.references.join(" "),
            automatic: true,
            ticket_number: Some(1234),
        });
    }
});
