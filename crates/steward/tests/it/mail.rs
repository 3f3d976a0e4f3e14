//! The e-mail channel, inbound: mail becomes tickets and messages, threads onto the right ticket,
//! is stored once, is never answered when automatic, and is quarantined rather than lost.

use steward_domain::{Actor, Named, PersonId, Status};
use steward_service::{Ingested, MailSettings, Mailbox, NewOrg, Service, TicketUpdate};

use crate::harness::TestApp;
use crate::on_both;

fn mail(from: &str, subject: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: help@msp.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn desk(app: &TestApp) -> (Service, Mailbox) {
    let mailbox = Mailbox {
        address: "help@msp.example".into(),
        team: None,
        ticket_type: steward_domain::TicketType::Incident,
        category: None,
    };
    let svc = app.service.clone().with_mail(MailSettings {
        mailboxes: vec![mailbox.clone()],
        send: true,
        ..Default::default()
    });
    (svc, mailbox)
}

/// A technician (without a password), created directly.
async fn technician(svc: &Service, email: &str, name: &str) -> steward_domain::Person {
    svc.create_person(
        &Actor::system(),
        steward_service::NewPersonInput {
            email: email.into(),
            name: name.into(),
            role: steward_domain::Role::Technician,
            organisation_id: None,
            org_access: false,
            password: None,
        },
    )
    .await
    .unwrap()
}

async fn outbox(app: &TestApp) -> Vec<steward_store::mail::OutboxEntry> {
    app.store
        .read()
        .await
        .unwrap()
        .list_outbox(100)
        .await
        .unwrap()
}

/// How many acknowledgements are in the outbox.
async fn acks(app: &TestApp) -> usize {
    outbox(app)
        .await
        .iter()
        .filter(|e| e.mail.kind == "acknowledgement")
        .count()
}

async fn new_mail_becomes_a_ticket_and_replies_thread_onto_it(app: &TestApp) {
    let (svc, mb) = desk(app);
    let system = Actor::system();
    let acme = svc
        .create_org(
            &system,
            NewOrg {
                name: "Acme".into(),
                domains: vec!["acme.example".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // A stranger of a known domain writes: a requester of that organisation and a ticket appear,
    // and an acknowledgement waits in the outbox.
    let first = mail(
        "Ann Smith <ann@acme.example>",
        "VPN drops",
        "m1@acme.example",
        "",
        "It drops every hour.",
    );
    let Ingested::Created { ticket, number } = svc.ingest_mail(&mb, &first).await.unwrap() else {
        panic!("expected a new ticket");
    };
    let t = svc.get_ticket(&system, ticket).await.unwrap();
    assert_eq!(
        (t.subject.as_str(), t.channel.as_str(), t.status),
        ("VPN drops", "email", Status::New)
    );
    let ann = svc.get_person(&system, t.requester_id).await.unwrap();
    assert_eq!(
        (ann.email.as_str(), ann.name.as_str(), ann.organisation_id),
        ("ann@acme.example", "Ann Smith", Some(acme.id))
    );
    let msgs = svc.messages(&system, ticket).await.unwrap();
    assert_eq!(msgs[0].body.trim(), "It drops every hour.");
    assert_eq!(msgs[0].author_id, Some(ann.id));
    let out = outbox(app).await;
    assert_eq!(out.len(), 1);
    let ack = &out[0].mail;
    assert_eq!(
        (ack.kind.as_str(), ack.to.as_str(), ack.from.as_str()),
        ("acknowledgement", "ann@acme.example", "help@msp.example")
    );
    assert_eq!(ack.subject, format!("[#{number}] VPN drops"));
    assert_eq!(ack.in_reply_to.as_deref(), Some("m1@acme.example"));
    assert!(ack.automatic);
    assert!(ack.message_id.ends_with("@msp.example"));

    // The same delivery again changes nothing.
    assert_eq!(
        svc.ingest_mail(&mb, &first).await.unwrap(),
        Ingested::Duplicate
    );
    assert_eq!(outbox(app).await.len(), 1);

    // Ann answers the acknowledgement (In-Reply-To its Message-ID, no tag in the subject).
    svc.update_ticket(
        &system,
        ticket,
        TicketUpdate {
            status: Some(Status::Resolved),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let reply = mail(
        "ann@acme.example",
        "Re: VPN drops",
        "m2@acme.example",
        &format!("In-Reply-To: <{}>\r\n", ack.message_id),
        "Still dropping.\r\n\r\nOn Monday the desk wrote:\r\n> We opened request",
    );
    assert_eq!(
        svc.ingest_mail(&mb, &reply).await.unwrap(),
        Ingested::Added { ticket, number }
    );
    let t = svc.get_ticket(&system, ticket).await.unwrap();
    assert_eq!(
        (t.status, t.reopen_count),
        (Status::Open, 1),
        "a reply reopens a resolved ticket"
    );
    assert_eq!(acks(app).await, 1, "no second acknowledgement");

    // By the tag in the subject: from the requester, it threads; from a stranger, it does not.
    let tagged = mail(
        "ann@acme.example",
        &format!("New info [#{number}]"),
        "m3@acme.example",
        "",
        "More.",
    );
    assert_eq!(
        svc.ingest_mail(&mb, &tagged).await.unwrap(),
        Ingested::Added { ticket, number }
    );
    let spoof = mail(
        "mallory@evil.example",
        &format!("[#{number}] hi"),
        "m4@evil.example",
        "",
        "Let me in.",
    );
    assert!(matches!(
        svc.ingest_mail(&mb, &spoof).await.unwrap(),
        Ingested::Created { .. }
    ));
    assert_eq!(svc.messages(&system, ticket).await.unwrap().len(), 3);

    // A mail to a closed ticket opens a follow-up.
    svc.update_ticket(
        &system,
        ticket,
        TicketUpdate {
            status: Some(Status::Closed),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let late = mail(
        "ann@acme.example",
        &format!("Re: [#{number}] VPN drops"),
        "m5@acme.example",
        "",
        "It is back.",
    );
    match svc.ingest_mail(&mb, &late).await.unwrap() {
        Ingested::FollowUp {
            of, ticket: new, ..
        } => {
            assert_eq!(of, number);
            assert_ne!(new, ticket);
        }
        other => panic!("expected a follow-up, got {other:?}"),
    }
}
on_both!(new_mail_becomes_a_ticket_and_replies_thread_onto_it);

async fn automatic_mail_is_never_answered_and_garbage_is_quarantined(app: &TestApp) {
    let (svc, mb) = desk(app);
    let system = Actor::system();
    let first = mail("bob@x.example", "Printer", "p1@x.example", "", "Jammed.");
    let Ingested::Created { ticket, .. } = svc.ingest_mail(&mb, &first).await.unwrap() else {
        panic!()
    };
    let ack_id = outbox(app).await[0].mail.message_id.clone();
    svc.update_ticket(
        &system,
        ticket,
        TicketUpdate {
            status: Some(Status::Resolved),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // An out-of-office answering the acknowledgement: stored on the ticket, reopens nothing.
    let ooo = mail(
        "bob@x.example",
        "Out of office",
        "p2@x.example",
        &format!("Auto-Submitted: auto-replied\r\nIn-Reply-To: <{ack_id}>\r\n"),
        "I am away.",
    );
    assert!(matches!(
        svc.ingest_mail(&mb, &ooo).await.unwrap(),
        Ingested::Added { .. }
    ));
    assert_eq!(
        svc.get_ticket(&system, ticket).await.unwrap().status,
        Status::Resolved
    );
    // A new auto-reply or a bounce opens a ticket but gets no acknowledgement.
    let bulk = mail(
        "news@shop.example",
        "Our offers",
        "n1@shop.example",
        "Precedence: bulk\r\n",
        "Buy.",
    );
    assert!(matches!(
        svc.ingest_mail(&mb, &bulk).await.unwrap(),
        Ingested::Created { .. }
    ));
    let bounce = mail(
        "MAILER-DAEMON@mx.example",
        "Undelivered Mail Returned to Sender",
        "b1@mx.example",
        "",
        "Delivery failed.",
    );
    assert!(matches!(
        svc.ingest_mail(&mb, &bounce).await.unwrap(),
        Ingested::Created { .. }
    ));
    assert_eq!(acks(app).await, 1, "only the person got an acknowledgement");
    assert!(outbox(app)
        .await
        .iter()
        .all(|e| e.mail.to == "bob@x.example"));
    // Steward's own mail coming back is ignored.
    let own = mail(
        "help@msp.example",
        "[#1] x",
        "o1@msp.example",
        "X-Steward-Ticket: 1\r\n",
        "x",
    );
    assert_eq!(svc.ingest_mail(&mb, &own).await.unwrap(), Ingested::Ignored);

    // What cannot be read, or has no usable sender, is kept with the reason.
    for (raw, reason) in [
        (b"".to_vec(), "empty"),
        (b"Subject: no sender\r\n\r\nbody".to_vec(), "sender"),
        (
            b"From: not an address\r\nSubject: x\r\n\r\nbody".to_vec(),
            "sender",
        ),
    ] {
        match svc.ingest_mail(&mb, &raw).await.unwrap() {
            Ingested::Quarantined { reason: got, .. } => assert!(got.contains(reason), "{got}"),
            other => panic!("expected quarantine, got {other:?}"),
        }
    }
    let q = app
        .store
        .read()
        .await
        .unwrap()
        .list_quarantine(false)
        .await
        .unwrap();
    assert_eq!(q.len(), 3);
    let (mailbox, raw) = app
        .store
        .read()
        .await
        .unwrap()
        .quarantined_raw(q[1].id)
        .await
        .unwrap();
    assert_eq!(
        (mailbox.as_str(), raw.as_slice()),
        (
            "help@msp.example",
            b"Subject: no sender\r\n\r\nbody".as_slice()
        )
    );
    let _ = PersonId(0);
}
on_both!(automatic_mail_is_never_answered_and_garbage_is_quarantined);

async fn attachments_are_stored_once(app: &TestApp) {
    let (svc, mb) = desk(app);
    let with_file = |id: &str| {
        format!("From: c@x.example\r\nSubject: files\r\nMessage-ID: <{id}>\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--B\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n").into_bytes()
    };
    let Ingested::Created { ticket, .. } = svc
        .ingest_mail(&mb, &with_file("f1@x.example"))
        .await
        .unwrap()
    else {
        panic!()
    };
    svc.ingest_mail(&mb, &with_file("f2@x.example"))
        .await
        .unwrap();
    let mut c = app.store.read().await.unwrap();
    let msgs = svc.messages(&Actor::system(), ticket).await.unwrap();
    let files = c.attachments_of(msgs[0].id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].0.as_deref(), files[0].1.as_str(), files[0].3),
        (Some("r.pdf"), "application/pdf", 9)
    );
    let (blobs,): (i64,) = (count_blobs(&mut c).await,);
    assert_eq!(blobs, 1, "the same file twice is stored once");
}
on_both!(attachments_are_stored_once);

async fn count_blobs(c: &mut steward_store::Conn) -> i64 {
    // Each attachment row points at a blob; two messages with the same file share one.
    let a = c
        .attachments_of(steward_domain::MessageId(1))
        .await
        .unwrap();
    let b = c
        .attachments_of(steward_domain::MessageId(2))
        .await
        .unwrap();
    let mut shas: Vec<String> = a.into_iter().chain(b).map(|x| x.2).collect();
    shas.dedup();
    shas.len() as i64
}

/// An SMTP server on loopback that accepts everything and keeps what it receives: the
/// recipients of each message (comma-separated) and its text.
pub(crate) struct Capture {
    addr: std::net::SocketAddr,
    received: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Capture {
    pub(crate) async fn start() -> Capture {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>> = Default::default();
        let store = received.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 capture ESMTP\r\n").await;
                    let mut rcpt = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250-capture\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            if !rcpt.is_empty() {
                                rcpt.push_str(", ");
                            }
                            rcpt.push_str(line[8..].trim().trim_matches(|c| c == '<' || c == '>'));
                            b"250 OK\r\n"
                        } else if upper == "DATA" {
                            let _ = w.write_all(b"354 go on\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                                data.push_str("\r\n");
                            }
                            store
                                .lock()
                                .unwrap()
                                .push((std::mem::take(&mut rcpt), data));
                            b"250 queued\r\n"
                        } else if upper.starts_with("MAIL FROM") || upper == "RSET" {
                            rcpt.clear();
                            b"250 OK\r\n"
                        } else if upper == "QUIT" {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        if w.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Capture {
            addr,
            received,
            task,
        }
    }

    pub(crate) fn sender(&self) -> steward_service::SmtpSender {
        steward_service::SmtpSender::new(&steward_service::SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.addr.port(),
            security: steward_service::SmtpSecurity::None,
            username: None,
            password: None,
        })
        .unwrap()
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    pub(crate) fn mails(&self) -> Vec<(String, String)> {
        self.received.lock().unwrap().clone()
    }
}

/// A header's value, unfolded.
pub(crate) fn header(mail: &str, name: &str) -> Option<String> {
    let mut unfolded: Vec<String> = Vec::new();
    for l in mail.lines().take_while(|l| !l.is_empty()) {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = unfolded.last_mut() {
                last.push(' ');
                last.push_str(l.trim());
            }
        } else {
            unfolded.push(l.to_string());
        }
    }
    let prefix = format!("{}:", name.to_ascii_lowercase());
    unfolded
        .into_iter()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[name.len() + 1..].trim().to_string())
}

async fn acknowledgements_and_replies_go_out_by_smtp(app: &TestApp) {
    let (svc, mb) = desk(app);
    let smtp = Capture::start().await;
    let sender = smtp.sender();
    let first = mail(
        "Ann <ann@acme.example>",
        "Laptop broken",
        "l1@acme.example",
        "",
        "It does not start.",
    );
    let Ingested::Created { ticket, number } = svc.ingest_mail(&mb, &first).await.unwrap() else {
        panic!()
    };
    let report = svc.deliver_mail(&sender, 10).await.unwrap();
    assert_eq!(report.sent, 1);
    let got = smtp.mails();
    assert_eq!(got.len(), 1);
    let (to, ack) = &got[0];
    assert_eq!(to, "ann@acme.example");
    assert_eq!(
        header(ack, "Subject"),
        Some(format!("[#{number}] Laptop broken"))
    );
    assert_eq!(
        header(ack, "In-Reply-To").as_deref(),
        Some("<l1@acme.example>")
    );
    assert_eq!(
        header(ack, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert!(header(ack, "X-Steward-Ticket").is_some());
    let ack_id = header(ack, "Message-ID")
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    // Nothing is sent twice.
    assert_eq!(svc.deliver_mail(&sender, 10).await.unwrap().sent, 0);

    // Ann answers the acknowledgement; it threads by its Message-ID.
    let answer = mail(
        "ann@acme.example",
        "Re: [#1] Laptop broken",
        "l2@acme.example",
        &format!("In-Reply-To: <{ack_id}>\r\nReferences: <l1@acme.example> <{ack_id}>\r\n"),
        "Also the screen is dark.",
    );
    assert_eq!(
        svc.ingest_mail(&mb, &answer).await.unwrap(),
        Ingested::Added { ticket, number }
    );

    // A technician replies (over the API): the requester gets it, threaded, from the mailbox.
    let tech = technician(&svc, "tom@msp.example", "Tom").await;
    svc.add_message(
        &tech.actor(),
        ticket,
        steward_service::MessageInput {
            kind: steward_domain::MessageKind::Public,
            body: "Bring it to room 4, please.".into(),
            status: None,
        },
    )
    .await
    .unwrap();
    // A note is not mailed.
    svc.add_message(
        &tech.actor(),
        ticket,
        steward_service::MessageInput {
            kind: steward_domain::MessageKind::Internal,
            body: "Battery?".into(),
            status: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(svc.deliver_mail(&sender, 10).await.unwrap().sent, 1);
    let got = smtp.mails();
    assert_eq!(got.len(), 2);
    let (to, reply) = &got[1];
    assert_eq!(to, "ann@acme.example");
    assert!(header(reply, "From").unwrap().contains("help@msp.example"));
    assert_eq!(
        header(reply, "In-Reply-To").as_deref(),
        Some("<l2@acme.example>")
    );
    let refs = header(reply, "References").unwrap();
    assert!(
        refs.contains("<l1@acme.example>")
            && refs.contains(&format!("<{ack_id}>"))
            && refs.contains("<l2@acme.example>"),
        "{refs}"
    );
    assert!(header(reply, "Auto-Submitted").is_none());
    assert!(reply.contains("Bring it to room 4"));
    assert!(!reply.contains("Battery"));
    // The reply's own Message-ID threads the next answer.
    let reply_id = header(reply, "Message-ID")
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    let again = mail(
        "ann@acme.example",
        "Re: Laptop",
        "l3@acme.example",
        &format!("In-Reply-To: <{reply_id}>\r\n"),
        "OK, on my way.",
    );
    assert_eq!(
        svc.ingest_mail(&mb, &again).await.unwrap(),
        Ingested::Added { ticket, number }
    );
    smtp.task.abort();
}
on_both!(acknowledgements_and_replies_go_out_by_smtp);

async fn an_unreachable_smtp_server_means_retry_later_not_loss(app: &TestApp) {
    let (svc, mb) = desk(app);
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = steward_service::SmtpSender::new(&steward_service::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: steward_service::SmtpSecurity::None,
        username: None,
        password: None,
    })
    .unwrap();
    svc.ingest_mail(&mb, &mail("z@x.example", "Hi", "z1@x.example", "", "Hello"))
        .await
        .unwrap();
    let report = svc.deliver_mail(&down, 10).await.unwrap();
    assert_eq!((report.sent, report.retrying), (0, 1));
    let out = outbox(app).await;
    assert_eq!((out[0].status.as_str(), out[0].attempts), ("pending", 1));
    assert!(out[0].last_error.is_some());
    // Not due yet: nothing is tried; once due, a working server gets it.
    assert_eq!(
        svc.deliver_mail(&down, 10).await.unwrap(),
        steward_service::Delivery::default()
    );
    app.clock.advance(jiff::SignedDuration::from_mins(2));
    let smtp = Capture::start().await;
    assert_eq!(svc.deliver_mail(&smtp.sender(), 10).await.unwrap().sent, 1);
    assert_eq!(smtp.mails().len(), 1);
    smtp.task.abort();
}
on_both!(an_unreachable_smtp_server_means_retry_later_not_loss);

async fn quoted_history_is_folded_on_the_pages(app: &TestApp) {
    let (svc, mb) = desk(app);
    let raw = mail(
        "ann@acme.example",
        "Folding",
        "q1@acme.example",
        "",
        "New words here.\r\n\r\nOn Monday the desk wrote:\r\n> old words there\r\n",
    );
    let Ingested::Created { number, .. } = svc.ingest_mail(&mb, &raw).await.unwrap() else {
        panic!()
    };
    app.person(
        "admin@msp.example",
        steward_domain::Role::Admin,
        None,
        false,
    )
    .await;
    svc.set_password(
        &Actor::system(),
        svc.get_person_by_email(&Actor::system(), "admin@msp.example")
            .await
            .unwrap()
            .id,
        "a long enough password",
    )
    .await
    .unwrap();
    let cookie = app
        .session_cookie(&app.base, "admin@msp.example", "a long enough password")
        .await;
    let html = app
        .http
        .get(format!("{}/agent/tickets/{number}", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let visible = html.find("New words here.").unwrap();
    let details = html
        .find("<details class=\"folded\">")
        .expect("the quote is folded");
    let quoted = html.find("old words there").unwrap();
    assert!(visible < details && details < quoted);
}
on_both!(quoted_history_is_folded_on_the_pages);

async fn lmtp_deliveries_are_stored_before_they_are_confirmed(app: &TestApp) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (svc, _) = desk(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = steward::lmtp::spawn(listener, svc.clone());
    let sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r).lines();
    macro_rules! expect {
        ($want:expr) => {{
            let got = r.next_line().await.unwrap().unwrap();
            assert!(got.starts_with($want), "expected {}, got {got:?}", $want);
        }};
    }
    expect!("220");
    w.write_all(b"LHLO mx.example\r\n").await.unwrap();
    for _ in 0..4 {
        expect!("250");
    }
    // One message for two of Steward's addresses: one ticket; both recipients confirmed.
    w.write_all(b"MAIL FROM:<ann@acme.example>\r\nRCPT TO:<help@msp.example>\r\nRCPT TO:<Other <it@msp.example>>\r\nDATA\r\n").await.unwrap();
    expect!("250");
    expect!("250");
    expect!("250");
    expect!("354");
    w.write_all(b"From: ann@acme.example\r\nSubject: Via LMTP\r\nMessage-ID: <lmtp1@acme.example>\r\n\r\nHello.\r\n..dot-stuffed line\r\n.\r\n").await.unwrap();
    expect!("250");
    expect!("250");
    let page = svc
        .list_tickets(
            &Actor::system(),
            &Default::default(),
            steward_store::tickets::PageRequest {
                sort: Default::default(),
                descending: true,
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let msgs = svc
        .messages(&Actor::system(), page.items[0].id)
        .await
        .unwrap();
    assert!(
        msgs[0].body.contains("\n.dot-stuffed line"),
        "{:?}",
        msgs[0].body
    );
    // Garbage is confirmed too: it is kept in quarantine, not bounced.
    w.write_all(b"MAIL FROM:<>\r\nRCPT TO:<help@msp.example>\r\nDATA\r\n\r\n.\r\n")
        .await
        .unwrap();
    expect!("250");
    expect!("250");
    expect!("354");
    expect!("250");
    assert_eq!(
        app.store
            .read()
            .await
            .unwrap()
            .list_quarantine(false)
            .await
            .unwrap()
            .len(),
        1
    );
    // A delivery with an empty envelope sender is a bounce: stored, not acknowledged.
    let before = outbox(app).await.len();
    w.write_all(b"MAIL FROM:<>\r\nRCPT TO:<help@msp.example>\r\nDATA\r\nFrom: notify@mx.example\r\nSubject: Delivery Status\r\nMessage-ID: <bounce1@mx.example>\r\n\r\nfailed\r\n.\r\n")
        .await
        .unwrap();
    expect!("250");
    expect!("250");
    expect!("354");
    expect!("250");
    assert_eq!(
        outbox(app).await.len(),
        before,
        "no acknowledgement for a bounce"
    );
    w.write_all(b"RCPT TO:<x@y.example>\r\nQUIT\r\n")
        .await
        .unwrap();
    expect!("503");
    expect!("221");
    task.abort();
}
on_both!(lmtp_deliveries_are_stored_before_they_are_confirmed);

async fn a_mail_loop_stops_being_answered(app: &TestApp) {
    let (svc, mb) = desk(app);
    let settings = MailSettings {
        max_mails_per_sender: 3,
        ..svc.mail_settings().clone()
    };
    let svc = svc.with_mail(settings);
    // A robot that answers every acknowledgement with a new mail (and no loop headers).
    for i in 0..6 {
        let raw = mail(
            "robot@loop.example",
            &format!("Ticket received {i}"),
            &format!("r{i}@loop.example"),
            "",
            "Thank you.",
        );
        svc.ingest_mail(&mb, &raw).await.unwrap();
    }
    let acks = outbox(app)
        .await
        .iter()
        .filter(|e| e.mail.to == "robot@loop.example")
        .count();
    assert_eq!(acks, 3, "answered until the guard stepped in");
    // Ten minutes later it is answered again.
    app.clock.advance(jiff::SignedDuration::from_mins(11));
    svc.ingest_mail(
        &mb,
        &mail("robot@loop.example", "Again", "r9@loop.example", "", "Hi"),
    )
    .await
    .unwrap();
    assert_eq!(outbox(app).await.len(), 4);
}
on_both!(a_mail_loop_stops_being_answered);

async fn quarantined_mail_can_be_retried_by_an_administrator(app: &TestApp) {
    let (svc, mb) = desk(app);
    let Ingested::Quarantined { id, .. } = svc
        .ingest_mail(&mb, b"Subject: who?\r\n\r\nno sender")
        .await
        .unwrap()
    else {
        panic!()
    };
    // A readable message quarantined for a cause since fixed (here: put there directly).
    let readable = mail("dan@x.example", "Fine", "ok1@x.example", "", "Readable.");
    let id2 = {
        let mut tx = app.store.write().await.unwrap();
        let id2 = tx
            .quarantine(
                "help@msp.example",
                "the disk was full",
                &readable,
                "readable-sha",
                app.clock_now(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id2
    };
    let tech = technician(&svc, "t@msp.example", "T").await;
    assert!(
        svc.quarantined(&tech.actor()).await.is_err(),
        "only administrators see quarantined mail"
    );
    let admin = Actor::system();
    assert_eq!(svc.quarantined(&admin).await.unwrap().len(), 2);
    assert!(matches!(
        svc.retry_quarantined(&admin, id2).await.unwrap(),
        Ingested::Created { .. }
    ));
    assert_eq!(svc.quarantined(&admin).await.unwrap().len(), 1);
    // Still unreadable: it stays, with its reason.
    match svc.retry_quarantined(&admin, id).await.unwrap() {
        Ingested::Quarantined { reason, .. } => assert!(reason.contains("sender")),
        other => panic!("{other:?}"),
    }
    assert_eq!(svc.quarantined(&admin).await.unwrap().len(), 1);
    svc.discard_quarantined(&admin, id).await.unwrap();
    assert!(svc.quarantined(&admin).await.unwrap().is_empty());
}
on_both!(quarantined_mail_can_be_retried_by_an_administrator);

async fn html_mail_is_shown_sanitised(app: &TestApp) {
    let (svc, mb) = desk(app);
    let raw = b"From: h@x.example\r\nSubject: HTML\r\nMessage-ID: <h1@x.example>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"x()\">Hello <b>bold</b></p><script>alert('pwned')</script><img src=\"https://tracker.example/p.gif\" alt=\"pixel\">";
    let Ingested::Created { number, .. } = svc.ingest_mail(&mb, raw).await.unwrap() else {
        panic!()
    };
    app.person(
        "admin@msp.example",
        steward_domain::Role::Admin,
        None,
        false,
    )
    .await;
    let admin_id = svc
        .get_person_by_email(&Actor::system(), "admin@msp.example")
        .await
        .unwrap()
        .id;
    svc.set_password(&Actor::system(), admin_id, "a long enough password")
        .await
        .unwrap();
    let cookie = app
        .session_cookie(&app.base, "admin@msp.example", "a long enough password")
        .await;
    let html = app
        .http
        .get(format!("{}/agent/tickets/{number}", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<b>bold</b>"),
        "the formatted version is shown"
    );
    assert!(
        !html.contains("alert('pwned')")
            && !html.contains("onclick")
            && !html.contains("tracker.example")
    );
    assert!(html.contains("Hello bold"), "and the text version");

    // Images inside a message (cid:) are shown from the stored files: raster images only, and
    // only as images; anything else is a download.
    let png: &[u8] = b"\x89PNG\r\n\x1a\n0000IHDR";
    let related = format!(
        "From: h@x.example\r\nSubject: With logo\r\nMessage-ID: <h2@x.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=\"r\"\r\n\r\n\
         --r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Our logo: <img src=\"cid:logo@x\" alt=\"logo\"> \
         and <img src=\"cid:vector@x\" alt=\"vector\"></p>\r\n\
         --r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --r\r\nContent-Type: image/svg+xml\r\nContent-ID: <vector@x>\r\nContent-Disposition: inline\r\n\r\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\r\n--r--\r\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, png)
    );
    let Ingested::Created { number, ticket } =
        svc.ingest_mail(&mb, related.as_bytes()).await.unwrap()
    else {
        panic!()
    };
    let page = app
        .http
        .get(format!("{}/agent/tickets/{number}", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let files = svc
        .ticket_attachments(&Actor::system(), ticket)
        .await
        .unwrap();
    let logo = files
        .iter()
        .find(|a| a.content_type == "image/png")
        .unwrap();
    let svg = files
        .iter()
        .find(|a| a.content_type == "image/svg+xml")
        .unwrap();
    let src = format!("src=\"/agent/tickets/{number}/files/{}?inline=1\"", logo.id);
    assert!(page.contains(&src), "{page}");
    assert!(!page.contains("cid:"), "{page}");
    assert!(!page.contains(&format!("files/{}?inline", svg.id)));
    let get = |id: i64| {
        let http = app.http.clone();
        let cookie = cookie.clone();
        let url = format!("{}/agent/tickets/{number}/files/{id}?inline=1", app.base);
        async move { http.get(url).header("cookie", cookie).send().await.unwrap() }
    };
    let res = get(logo.id).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["content-disposition"], "inline");
    assert_eq!(res.bytes().await.unwrap().as_ref(), png);
    let res = get(svg.id).await;
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
}
on_both!(html_mail_is_shown_sanitised);

async fn attachments_download_for_those_who_may_read_them(app: &TestApp) {
    let (svc, mb) = desk(app);
    let acme = svc
        .create_org(
            &Actor::system(),
            NewOrg {
                name: "Acme".into(),
                domains: vec!["acme.example".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let raw = b"From: ann@acme.example\r\nSubject: files\r\nMessage-ID: <att1@acme.example>\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--B\r\nContent-Type: text/html; name=\"evil.html\"\r\nContent-Disposition: attachment; filename=\"evil.html\"\r\n\r\n<script>alert(1)</script>\r\n--B--\r\n";
    let Ingested::Created { number, .. } = svc.ingest_mail(&mb, raw).await.unwrap() else {
        panic!()
    };
    let ann = svc
        .get_person_by_email(&Actor::system(), "ann@acme.example")
        .await
        .unwrap();
    svc.set_password(&Actor::system(), ann.id, "a long enough password")
        .await
        .unwrap();
    svc.create_person(
        &Actor::system(),
        steward_service::NewPersonInput {
            email: "eve@other.example".into(),
            name: "Eve".into(),
            role: steward_domain::Role::Requester,
            organisation_id: None,
            org_access: false,
            password: Some("a long enough password".into()),
        },
    )
    .await
    .unwrap();
    let _ = acme;
    let ann_cookie = app
        .session_cookie(&app.base, "ann@acme.example", "a long enough password")
        .await;
    let page = app
        .http
        .get(format!("{}/portal/tickets/{number}", app.base))
        .header("cookie", &ann_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page
        .find(&format!("/portal/tickets/{number}/files/"))
        .expect("a download link");
    let link: String = page[at..].chars().take_while(|c| *c != '"').collect();
    let res = app
        .http
        .get(format!("{}{link}", app.base))
        .header("cookie", &ann_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename*=UTF-8''evil.html"));
    assert!(res.bytes().await.unwrap().starts_with(b"<script>"));
    // Someone else gets nothing.
    let eve_cookie = app
        .session_cookie(&app.base, "eve@other.example", "a long enough password")
        .await;
    let res = app
        .http
        .get(format!("{}{link}", app.base))
        .header("cookie", &eve_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
on_both!(attachments_download_for_those_who_may_read_them);

async fn strangers_cannot_thread_by_known_message_ids_or_redirect_acknowledgements(app: &TestApp) {
    let (svc, mb) = desk(app);
    let first = mail(
        "ann@acme.example",
        "Salary question",
        "s1@acme.example",
        "",
        "Private.",
    );
    let Ingested::Created { ticket, .. } = svc.ingest_mail(&mb, &first).await.unwrap() else {
        panic!()
    };
    // Mallory knows Ann's Message-ID (she was on Cc): her mail does not join Ann's ticket.
    let mallory = mail(
        "mallory@evil.example",
        "Re: Salary question",
        "s2@evil.example",
        "In-Reply-To: <s1@acme.example>\r\n",
        "Let me in.",
    );
    match svc.ingest_mail(&mb, &mallory).await.unwrap() {
        Ingested::Created { ticket: other, .. } => assert_ne!(other, ticket),
        o => panic!("{o:?}"),
    }
    // Ann herself may answer her own message by its id.
    let ann = mail(
        "ann@acme.example",
        "Re: Salary question",
        "s3@acme.example",
        "In-Reply-To: <s1@acme.example>\r\n",
        "More.",
    );
    assert!(matches!(
        svc.ingest_mail(&mb, &ann).await.unwrap(),
        Ingested::Added { .. }
    ));
    // A Reply-To does not redirect the acknowledgement to someone else.
    let spam = mail(
        "spammer@evil.example",
        "Buy now",
        "s4@evil.example",
        "Reply-To: victim@innocent.example\r\n",
        "Spam",
    );
    svc.ingest_mail(&mb, &spam).await.unwrap();
    let out = outbox(app).await;
    assert!(
        out.iter().all(|e| e.mail.to != "victim@innocent.example"),
        "acknowledgements go to the requester"
    );
    // Mail to an address Steward does not serve is answered from a configured mailbox.
    let other = Mailbox {
        address: "ceo@msp.example".into(),
        team: None,
        ticket_type: steward_domain::TicketType::Incident,
        category: None,
    };
    svc.ingest_mail(
        &other,
        &mail("bob@x.example", "Hi", "s5@x.example", "", "Hello"),
    )
    .await
    .unwrap();
    let out = outbox(app).await;
    assert!(
        out.iter().all(|e| e.mail.from == "help@msp.example"),
        "{:?}",
        out.iter().map(|e| &e.mail.from).collect::<Vec<_>>()
    );
}
on_both!(strangers_cannot_thread_by_known_message_ids_or_redirect_acknowledgements);

async fn a_sender_that_lost_its_lease_cannot_undo_a_delivery(app: &TestApp) {
    let (svc, mb) = desk(app);
    svc.ingest_mail(&mb, &mail("k@x.example", "Lease", "k1@x.example", "", "Hi"))
        .await
        .unwrap();
    // Node A takes the acknowledgement and stalls past its lease.
    let now = app.clock_now();
    let mut tx = app.store.write().await.unwrap();
    let taken = tx
        .claim_due_mail(
            now,
            now.checked_add(jiff::SignedDuration::from_mins(5)).unwrap(),
            "node-a",
            10,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(taken.len(), 1);
    // While the lease holds, nobody else takes it.
    let mut tx = app.store.write().await.unwrap();
    assert!(tx
        .claim_due_mail(now, now, "node-b", 10)
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();
    // After it, node B sends it.
    app.clock.advance(jiff::SignedDuration::from_mins(6));
    let smtp = Capture::start().await;
    assert_eq!(svc.deliver_mail(&smtp.sender(), 10).await.unwrap().sent, 1);
    // Node A wakes up and reports a failure: ignored; the message stays sent, and is not sent again.
    let mut tx = app.store.write().await.unwrap();
    assert!(!tx
        .mark_mail_failed(taken[0].id, "node-a", "timeout", Some(app.clock_now()))
        .await
        .unwrap());
    tx.commit().await.unwrap();
    assert_eq!(outbox(app).await[0].status, "sent");
    assert_eq!(svc.deliver_mail(&smtp.sender(), 10).await.unwrap().sent, 0);
    assert_eq!(smtp.mails().len(), 1);
    smtp.task.abort();
}
on_both!(a_sender_that_lost_its_lease_cannot_undo_a_delivery);

async fn outbound_texts_come_from_templates(app: &TestApp) {
    let (svc, mb) = desk(app);
    let settings = MailSettings {
        templates: steward_service::Templates {
            acknowledgement: "Dear {requester}, we got {tag} about “{subject}”.".into(),
            reply: "{message}\n-- Desk ({number})".into(),
            ..Default::default()
        },
        ..svc.mail_settings().clone()
    };
    let svc = svc.with_mail(settings);
    let Ingested::Created { ticket, number } = svc
        .ingest_mail(
            &mb,
            &mail(
                "Ann Smith <ann@acme.example>",
                "Printer",
                "t1@acme.example",
                "",
                "x",
            ),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    let tech = technician(&svc, "tom@msp.example", "Tom").await;
    svc.add_message(
        &tech.actor(),
        ticket,
        steward_service::MessageInput {
            kind: steward_domain::MessageKind::Public,
            body: "Fixed it.".into(),
            status: None,
        },
    )
    .await
    .unwrap();
    let out = outbox(app).await;
    let ack = out
        .iter()
        .find(|e| e.mail.kind == "acknowledgement")
        .unwrap();
    assert_eq!(
        ack.mail.body,
        format!("Dear Ann Smith, we got [#{number}] about “Printer”.")
    );
    let reply = out.iter().find(|e| e.mail.kind == "reply").unwrap();
    assert_eq!(reply.mail.body, format!("Fixed it.\n-- Desk ({number})"));
}
on_both!(outbound_texts_come_from_templates);

async fn watchers_are_copied_and_managed_by_staff(app: &TestApp) {
    use reqwest::Method;
    use serde_json::json;
    let (svc, mb) = desk(app);
    let (tech_id, tech) = app
        .person(
            "tech@msp.example",
            steward_domain::Role::Technician,
            None,
            false,
        )
        .await;
    // Cc'd colleagues become watchers; the desk's own address and the sender do not.
    let first = mail(
        "ann@acme.example",
        "Shared drive full",
        "w1@acme.example",
        "Cc: Carl <carl@acme.example>, help@msp.example, ann@acme.example\r\n",
        "The S: drive is full.",
    );
    let Ingested::Created { ticket, number } = svc.ingest_mail(&mb, &first).await.unwrap() else {
        panic!("expected a new ticket");
    };
    let id = ticket.0;
    let w = crate::harness::expect(
        app.get(&format!("/api/v1/tickets/{id}/watchers"), &tech)
            .await,
        200,
    );
    assert_eq!(w.as_array().unwrap().len(), 1, "{w}");
    assert_eq!(w[0]["email"], "carl@acme.example");
    assert_eq!(w[0]["name"], "Carl");

    // Staff add and remove watchers over the API; bad addresses and the requester are refused.
    let dora = crate::harness::expect(
        app.post(
            &format!("/api/v1/tickets/{id}/watchers"),
            &tech,
            json!({"email": "Dora@Acme.example"}),
        )
        .await,
        201,
    );
    assert_eq!(dora["email"], "dora@acme.example");
    for bad in ["not an address", "ann@acme.example"] {
        crate::harness::expect(
            app.post(
                &format!("/api/v1/tickets/{id}/watchers"),
                &tech,
                json!({"email": bad}),
            )
            .await,
            422,
        );
    }
    let carl = w[0]["person_id"].as_i64().unwrap();
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tickets/{id}/watchers/{carl}"),
            Some(&tech),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tickets/{id}/watchers/{carl}"),
            Some(&tech),
            None,
        )
        .await;
    assert_eq!(status, 404);

    // A public reply goes to the requester with the watchers copied.
    svc.add_message(
        &Actor {
            person_id: Some(PersonId(tech_id)),
            role: steward_domain::Role::Technician,
            organisation_id: None,
            org_access: false,
        },
        ticket,
        steward_service::MessageInput {
            kind: steward_domain::MessageKind::Public,
            body: "Cleaned up.".into(),
            status: None,
        },
    )
    .await
    .unwrap();
    let out = outbox(app).await;
    let reply = out.iter().find(|e| e.mail.kind == "reply").unwrap();
    assert_eq!(reply.mail.to, "ann@acme.example");
    assert_eq!(reply.mail.cc, ["dora@acme.example"]);

    // The history says who was added and removed; the page lists the watchers.
    let history = svc.history(&Actor::system(), ticket).await.unwrap();
    let watcher_changes = history
        .iter()
        .filter(|h| {
            h.change
                .as_ref()
                .is_some_and(|c| c.field == steward_domain::Field::Watchers)
        })
        .count();
    assert_eq!(watcher_changes, 3);
    assert!(number > 0);
}
on_both!(watchers_are_copied_and_managed_by_staff);

async fn staff_are_told_about_their_work_but_not_their_own_doing(app: &TestApp) {
    let (svc, mb) = desk(app);
    let system = Actor::system();
    let team = svc
        .create_team(
            &system,
            steward_service::NewTeam {
                name: "Desk".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let tina = technician(&svc, "tina@msp.example", "Tina").await;
    let tom = technician(&svc, "tom@msp.example", "Tom").await;
    for p in [&tina, &tom] {
        svc.set_team_member(&system, team.id, p.id, false)
            .await
            .unwrap();
    }
    let as_person = |p: &steward_domain::Person| Actor {
        person_id: Some(p.id),
        role: p.role,
        organisation_id: None,
        org_access: false,
    };
    let kinds = |out: &[steward_store::mail::OutboxEntry], to: &str| -> Vec<String> {
        let mut k: Vec<String> = out
            .iter()
            .filter(|e| e.mail.to == to)
            .map(|e| e.mail.kind.clone())
            .collect();
        k.sort();
        k
    };

    // Tom files a ticket for the team: Tina is told, Tom (who did it) is not.
    let ann = svc
        .create_person(
            &system,
            steward_service::NewPersonInput {
                email: "ann@acme.example".into(),
                name: "Ann".into(),
                role: steward_domain::Role::Requester,
                organisation_id: None,
                org_access: false,
                password: None,
            },
        )
        .await
        .unwrap();
    let t = svc
        .create_ticket(
            &as_person(&tom),
            steward_service::CreateTicket {
                subject: "Laptop broken".into(),
                body: Some("The screen flickers.".into()),
                requester_id: Some(ann.id),
                team_id: Some(team.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let out = outbox(app).await;
    assert_eq!(kinds(&out, "tina@msp.example"), ["new_in_queue"]);
    assert!(kinds(&out, "tom@msp.example").is_empty());
    let note = out.iter().find(|e| e.mail.kind == "new_in_queue").unwrap();
    assert!(note.mail.automatic);
    assert!(note
        .mail
        .subject
        .starts_with(&format!("[#{}] New request", t.number)));
    assert!(note.mail.body.contains("The screen flickers."));
    assert!(note
        .mail
        .body
        .contains(&format!("/agent/tickets/{}", t.number)));

    // Tom assigns it to Tina: she is told. Assigning oneself tells nobody.
    svc.update_ticket(
        &as_person(&tom),
        t.id,
        TicketUpdate {
            assignee_id: Some(Some(tina.id)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let out = outbox(app).await;
    assert_eq!(
        kinds(&out, "tina@msp.example"),
        ["assigned", "new_in_queue"]
    );
    svc.update_ticket(
        &as_person(&tom),
        t.id,
        TicketUpdate {
            assignee_id: Some(Some(tom.id)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(kinds(&outbox(app).await, "tom@msp.example").is_empty());

    // The requester answers by mail: the assignee (Tom) is told, not the whole team.
    let ack_free = mail(
        "ann@acme.example",
        &format!("Re: [#{}] Laptop broken", t.number),
        "r1@acme.example",
        "",
        "It also beeps.",
    );
    assert!(matches!(
        svc.ingest_mail(&mb, &ack_free).await.unwrap(),
        Ingested::Added { .. }
    ));
    let out = outbox(app).await;
    assert_eq!(kinds(&out, "tom@msp.example"), ["requester_replied"]);
    assert_eq!(
        kinds(&out, "tina@msp.example"),
        ["assigned", "new_in_queue"]
    );
    let replied = out
        .iter()
        .find(|e| e.mail.kind == "requester_replied")
        .unwrap();
    assert!(replied.mail.body.contains("It also beeps."));
    // Notes to staff are not part of the thread the requester sees.
    let thread = app
        .store
        .read()
        .await
        .unwrap()
        .mail_ids_of(t.id)
        .await
        .unwrap();
    assert!(!thread.contains(&replied.mail.message_id));

    // Switched off, nobody is told.
    let quiet = svc.clone().with_mail(MailSettings {
        notify_staff: false,
        ..svc.mail_settings().clone()
    });
    let before = outbox(app).await.len();
    quiet
        .update_ticket(
            &as_person(&tom),
            t.id,
            TicketUpdate {
                assignee_id: Some(Some(tina.id)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(outbox(app).await.len(), before);
}
on_both!(staff_are_told_about_their_work_but_not_their_own_doing);

async fn requesters_hear_of_resolution_and_waiting_unless_a_reply_says_so(app: &TestApp) {
    let (svc, mb) = desk(app);
    let system = Actor::system();
    let hardware = svc
        .create_category(&system, "Hardware", None)
        .await
        .unwrap();
    let settings = MailSettings {
        mailboxes: vec![Mailbox {
            category: Some(hardware.id),
            ..mb.clone()
        }],
        ..svc.mail_settings().clone()
    };
    let svc = svc.with_mail(settings);
    let mb = svc.mail_settings().mailbox("help@msp.example");
    let tina = technician(&svc, "tina@msp.example", "Tina").await;
    let tina = Actor {
        person_id: Some(tina.id),
        role: tina.role,
        organisation_id: None,
        org_access: false,
    };
    let Ingested::Created { ticket, number } = svc
        .ingest_mail(
            &mb,
            &mail(
                "ann@acme.example",
                "Mouse dead",
                "s1@acme.example",
                "",
                "It is dead.",
            ),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    // The mailbox's category is the new ticket's.
    let t = svc.get_ticket(&system, ticket).await.unwrap();
    assert_eq!(t.category_id, Some(hardware.id));
    let kinds = |out: Vec<steward_store::mail::OutboxEntry>| -> Vec<String> {
        out.into_iter().rev().map(|e| e.mail.kind).collect()
    };
    assert_eq!(kinds(outbox(app).await), ["acknowledgement"]);

    // Waiting for the requester, said with a reply: the reply is the only mail.
    svc.add_message(
        &tina,
        ticket,
        steward_service::MessageInput {
            kind: steward_domain::MessageKind::Public,
            body: "Which model is it?".into(),
            status: Some(Status::PendingRequester),
        },
    )
    .await
    .unwrap();
    assert_eq!(kinds(outbox(app).await), ["acknowledgement", "reply"]);

    // Resolved from the side panel (no reply): the requester is told, with the tag in the subject.
    svc.update_ticket(
        &tina,
        ticket,
        TicketUpdate {
            status: Some(Status::Resolved),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let out = outbox(app).await;
    assert_eq!(kinds(out.clone()), ["acknowledgement", "reply", "resolved"]);
    let resolved = &out[0].mail;
    assert_eq!(resolved.to, "ann@acme.example");
    assert_eq!(resolved.subject, format!("[#{number}] Mouse dead"));
    assert!(resolved.automatic && resolved.body.contains("resolved"));
    assert!(!resolved.body.contains("{survey}"));

    // The requester reopens by mail and then resolves it herself: nobody mails her about that.
    svc.ingest_mail(
        &mb,
        &mail(
            "ann@acme.example",
            &format!("Re: [#{number}] Mouse dead"),
            "s2@acme.example",
            "",
            "Still dead.",
        ),
    )
    .await
    .unwrap();
    let ann = svc
        .get_person_by_email(&system, "ann@acme.example")
        .await
        .unwrap();
    svc.mark_resolved(
        &Actor {
            person_id: Some(ann.id),
            role: ann.role,
            organisation_id: ann.organisation_id,
            org_access: false,
        },
        ticket,
    )
    .await
    .unwrap();
    assert_eq!(
        kinds(outbox(app).await),
        ["acknowledgement", "reply", "resolved"]
    );
}
on_both!(requesters_hear_of_resolution_and_waiting_unless_a_reply_says_so);

async fn only_those_who_may_answer_thread_by_tag_and_choose_watchers(app: &TestApp) {
    let (svc, mb) = desk(app);
    let system = Actor::system();
    svc.create_org(
        &system,
        NewOrg {
            name: "Acme".into(),
            domains: vec!["acme.example".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let Ingested::Created { ticket, number } = svc
        .ingest_mail(
            &mb,
            &mail(
                "ann@acme.example",
                "Salary file locked",
                "o1@acme.example",
                "Cc: carl@acme.example\r\n",
                "Please unlock it.",
            ),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    // A colleague of the same organisation, without organisation access, cannot write into
    // Ann's ticket by its tag: their mail opens a ticket of their own.
    let colleague = svc
        .ingest_mail(
            &mb,
            &mail(
                "bob@acme.example",
                &format!("Re: [#{number}] Salary file locked"),
                "o2@acme.example",
                "",
                "Me too.",
            ),
        )
        .await
        .unwrap();
    assert!(
        matches!(colleague, Ingested::Created { .. }),
        "{colleague:?}"
    );
    // The watcher Carl may answer, but his Cc does not add more watchers.
    let carl = svc
        .ingest_mail(
            &mb,
            &mail(
                "carl@acme.example",
                &format!("Re: [#{number}] Salary file locked"),
                "o3@acme.example",
                "Cc: mallory@elsewhere.example\r\n",
                "Thanks.",
            ),
        )
        .await
        .unwrap();
    assert_eq!(carl, Ingested::Added { ticket, number });
    let watchers = svc.watchers(&system, ticket).await.unwrap();
    let emails: Vec<&str> = watchers.iter().map(|w| w.email.as_str()).collect();
    assert_eq!(emails, ["carl@acme.example"]);
}
on_both!(only_those_who_may_answer_thread_by_tag_and_choose_watchers);
