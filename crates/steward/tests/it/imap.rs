//! The e-mail channel end to end with real servers on loopback: Dovecot for IMAP (mail in) and
//! an SMTP server that captures what Steward sends (mail out), driven by the same background
//! workers `steward serve` runs.

use std::time::Duration;

use steward::imap::{After, ImapSource, Security};
use steward_domain::{Actor, MessageKind, Role, Status, TicketType};
use steward_service::{MailSettings, Mailbox, MessageInput, NewTeam, Service, TicketUpdate};
use steward_store::tickets::{PageRequest, TicketFilter};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::dovecot::{Dovecot, PASSWORD};
use crate::harness::TestApp;
use crate::mail::{header, Capture};
use crate::on_both;

const DESK: &str = "help@msp.example";

fn mail(from: &str, subject: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {DESK}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn source(svc: &Service, dove: &Dovecot, after: After) -> ImapSource {
    ImapSource {
        host: "127.0.0.1".into(),
        port: dove.port,
        security: Security::None,
        username: DESK.into(),
        password: PASSWORD.into(),
        folder: "INBOX".into(),
        after,
        poll: Duration::from_secs(1),
        ca_file: None,
        mailbox: svc.mail_settings().mailbox(DESK),
    }
}

/// The workers `steward serve` runs for mail, with a stop switch.
struct Workers {
    stop: watch::Sender<bool>,
    imap: JoinHandle<()>,
    delivery: Option<JoinHandle<()>>,
}

impl Workers {
    fn start(svc: &Service, source: ImapSource, smtp: Option<&Capture>) -> Workers {
        let (stop, stopped) = watch::channel(false);
        Workers {
            imap: steward::imap::spawn(svc.clone(), source, stopped.clone()),
            delivery: smtp.map(|smtp| {
                steward::server::spawn_mail_delivery(
                    svc.clone(),
                    smtp.sender(),
                    Duration::from_millis(100),
                    stopped,
                )
            }),
            stop,
        }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.imap.await.unwrap();
        if let Some(d) = self.delivery {
            d.await.unwrap();
        }
    }
}

/// Waits (up to 30 s) until `f` holds.
async fn until<F, Fut>(what: &str, f: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn ticket_count(svc: &Service) -> i64 {
    svc.count_tickets(&Actor::system(), &TicketFilter::default())
        .await
        .unwrap()
}

/// Mail captured for one recipient.
fn to(smtp: &Capture, rcpt: &str) -> Vec<String> {
    smtp.mails()
        .into_iter()
        .filter(|(r, _)| r.split(", ").any(|a| a == rcpt))
        .map(|(_, m)| m)
        .collect()
}

async fn outbox_settled(app: &TestApp) -> bool {
    let mut c = app.store.read().await.unwrap();
    c.list_outbox(500)
        .await
        .unwrap()
        .iter()
        .all(|e| e.status == "sent")
}

fn actor(p: &steward_domain::Person) -> Actor {
    Actor {
        person_id: Some(p.id),
        role: p.role,
        organisation_id: p.organisation_id,
        org_access: false,
    }
}

async fn mail_round_trip_through_dovecot(app: &TestApp) {
    let Some(dove) = Dovecot::start(&[DESK]).await else {
        return;
    };
    let smtp = Capture::start().await;
    let system = Actor::system();
    let team = app
        .service
        .create_team(
            &system,
            NewTeam {
                name: "Service Desk".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let tina = app
        .service
        .create_person(
            &system,
            steward_service::NewPersonInput {
                email: "tina@msp.example".into(),
                name: "Tina Tech".into(),
                role: Role::Technician,
                organisation_id: None,
                org_access: false,
                password: None,
            },
        )
        .await
        .unwrap();
    app.service
        .set_team_member(&system, team.id, tina.id, false)
        .await
        .unwrap();
    let svc = app.service.clone().with_mail(MailSettings {
        mailboxes: vec![Mailbox {
            address: DESK.into(),
            team: Some(team.id),
            ticket_type: TicketType::Incident,
            category: None,
        }],
        send: true,
        link_base: Some("https://desk.msp.example".into()),
        ..Default::default()
    });
    let workers = Workers::start(
        &svc,
        source(&svc, &dove, After::Move("Done".into())),
        Some(&smtp),
    );

    // A new mail (copying a colleague) becomes a ticket; the requester is acknowledged, the team
    // told, and the message moved out of the inbox once stored.
    dove.deliver(
        DESK,
        "INBOX",
        &mail(
            "Ann <ann@acme.example>",
            "Printer jams",
            "m1@acme.example",
            "Cc: Carl <carl@acme.example>\r\n",
            "The printer on floor 2 jams on every page.",
        ),
    )
    .await;
    until("the acknowledgement is sent", || async {
        !to(&smtp, "ann@acme.example").is_empty()
    })
    .await;
    let page = svc
        .list_tickets(
            &system,
            &TicketFilter::default(),
            PageRequest {
                sort: steward_store::tickets::TicketSort::Updated,
                descending: true,
                after: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let t = page.items[0].clone();
    assert_eq!(
        (t.subject.as_str(), t.team_id),
        ("Printer jams", Some(team.id))
    );
    let ack = to(&smtp, "ann@acme.example").remove(0);
    assert_eq!(
        header(&ack, "Subject").unwrap(),
        format!("[#{}] Printer jams", t.number)
    );
    assert_eq!(header(&ack, "In-Reply-To").unwrap(), "<m1@acme.example>");
    assert_eq!(header(&ack, "Auto-Submitted").unwrap(), "auto-replied");
    assert_eq!(header(&ack, "From").unwrap(), DESK);
    assert!(
        header(&ack, "Cc").is_none(),
        "acknowledgements go to the requester only"
    );
    let ack_id = header(&ack, "Message-ID").unwrap();
    until("the team is told", || async {
        !to(&smtp, "tina@msp.example").is_empty()
    })
    .await;
    let note = to(&smtp, "tina@msp.example").remove(0);
    assert!(header(&note, "Subject")
        .unwrap()
        .contains("New request: Printer jams"));
    assert!(note.contains(&format!(
        "https://desk.msp.example/agent/tickets/{}",
        t.number
    )));
    assert!(note.contains("jams on every page"));
    until("the message is moved", || async {
        dove.count(DESK, "INBOX").await == 0 && dove.count(DESK, "Done").await == 1
    })
    .await;

    // Ann answers the acknowledgement: the answer threads onto the same ticket, unanswered.
    dove.deliver(
        DESK,
        "INBOX",
        &mail(
            "ann@acme.example",
            "Re: [#1] Printer jams",
            "m2@acme.example",
            &format!("In-Reply-To: {ack_id}\r\nReferences: <m1@acme.example> {ack_id}\r\n"),
            "It is an HP LaserJet.",
        ),
    )
    .await;
    until("the answer is on the ticket", || async {
        svc.messages(&system, t.id).await.unwrap().len() == 2
    })
    .await;
    assert_eq!(ticket_count(&svc).await, 1);

    // Tina takes it and answers: the requester receives the reply from the desk's address,
    // threaded, with the watcher from the first mail's Cc copied.
    svc.update_ticket(
        &system,
        t.id,
        TicketUpdate {
            assignee_id: Some(Some(tina.id)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    svc.add_message(
        &actor(&tina),
        t.id,
        MessageInput {
            kind: MessageKind::Public,
            body: "Please open tray 2 and remove the torn sheet.".into(),
            status: Some(Status::PendingRequester),
        },
    )
    .await
    .unwrap();
    until("the reply is sent", || async {
        to(&smtp, "ann@acme.example").len() == 2
    })
    .await;
    let reply = to(&smtp, "ann@acme.example").remove(1);
    assert!(reply.contains("remove the torn sheet"));
    assert_eq!(header(&reply, "From").unwrap(), DESK);
    assert_eq!(
        header(&reply, "Subject").unwrap(),
        format!("[#{}] Printer jams", t.number)
    );
    assert_eq!(header(&reply, "In-Reply-To").unwrap(), "<m2@acme.example>");
    let refs = header(&reply, "References").unwrap();
    assert!(refs.contains("<m1@acme.example>") && refs.contains(&ack_id));
    assert!(header(&reply, "Auto-Submitted").is_none());
    assert!(header(&reply, "Cc").unwrap().contains("carl@acme.example"));
    assert_eq!(to(&smtp, "carl@acme.example").len(), 1);
    // Nothing the requester receives refers to mail only staff saw.
    let notes: Vec<String> = to(&smtp, "tina@msp.example")
        .iter()
        .filter_map(|m| header(m, "Message-ID"))
        .collect();
    assert!(!notes.is_empty());
    assert!(notes.iter().all(|id| !refs.contains(id.as_str())));

    // An out-of-office reply and a bounce are stored, never answered.
    let before = smtp.mails().len();
    dove.deliver(
        DESK,
        "INBOX",
        &mail(
            "Bob <bob@acme.example>",
            "Out of office",
            "ooo1@acme.example",
            "Auto-Submitted: auto-replied\r\n",
            "I am away until Monday.",
        ),
    )
    .await;
    dove.deliver(
        DESK,
        "INBOX",
        b"From: MAILER-DAEMON@mx.acme.example\r\nTo: help@msp.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx.acme.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\nFinal-Recipient: rfc822; nobody@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n",
    )
    .await;
    until("both are taken", || async {
        dove.count(DESK, "INBOX").await == 0 && dove.count(DESK, "Done").await == 4
    })
    .await;
    until("the outbox is settled", || outbox_settled(app)).await;
    let after: Vec<(String, String)> = smtp.mails().into_iter().skip(before).collect();
    assert!(
        after
            .iter()
            .all(|(r, _)| !r.contains("bob@") && !r.to_ascii_lowercase().contains("mailer-daemon")),
        "automatic mail was answered: {after:?}"
    );
    workers.stop().await;
}
on_both!(mail_round_trip_through_dovecot);

async fn imap_over_tls_flags_and_resumes(app: &TestApp) {
    let Some(dove) = Dovecot::start(&[DESK]).await else {
        return;
    };
    let svc = app.service.clone().with_mail(MailSettings {
        mailboxes: vec![Mailbox {
            address: DESK.into(),
            team: None,
            ticket_type: TicketType::ServiceRequest,
            category: None,
        }],
        ..Default::default()
    });
    // Mail read by a person before Steward was set up is history, not a request.
    let mut s = dove.session(DESK).await;
    s.append(
        "INBOX",
        Some("(\\Seen)"),
        None,
        mail(
            "old@acme.example",
            "Old",
            "old@acme.example",
            "",
            "Read long ago.",
        ),
    )
    .await
    .unwrap();
    s.logout().await.unwrap();
    for i in 1..=2 {
        dove.deliver(
            DESK,
            "INBOX",
            &mail(
                "ann@acme.example",
                &format!("Request {i}"),
                &format!("tls{i}@acme.example"),
                "",
                "Hello.",
            ),
        )
        .await;
    }
    let tls = ImapSource {
        host: "localhost".into(),
        port: dove.tls_port,
        security: Security::Tls,
        ca_file: None,
        ..source(&svc, &dove, After::Flag)
    };

    // A certificate nobody vouches for is refused: nothing is taken.
    let untrusted = Workers::start(&svc, tls.clone(), None);
    tokio::time::sleep(Duration::from_millis(700)).await;
    untrusted.stop().await;
    assert_eq!(ticket_count(&svc).await, 0);

    // With the CA that signed it, mail is taken over TLS, flagged as seen, and left in place.
    let trusted = ImapSource {
        ca_file: Some(dove.ca_file.clone()),
        ..tls
    };
    let w = Workers::start(&svc, trusted.clone(), None);
    until("both are taken", || async { ticket_count(&svc).await == 2 }).await;
    until("both are flagged", || async {
        dove.flags(DESK, "INBOX")
            .await
            .iter()
            .all(|f| f.iter().any(|x| x.contains("Seen")))
    })
    .await;
    w.stop().await;
    assert_eq!(dove.count(DESK, "INBOX").await, 3);

    // Started again, it resumes after the last message it took: only the new one is taken.
    dove.deliver(
        DESK,
        "INBOX",
        &mail(
            "ann@acme.example",
            "Request 3",
            "tls3@acme.example",
            "",
            "Hello.",
        ),
    )
    .await;
    let w = Workers::start(&svc, trusted, None);
    until("the new one is taken", || async {
        ticket_count(&svc).await == 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    w.stop().await;
    assert_eq!(ticket_count(&svc).await, 3);
    let t = svc
        .list_tickets(
            &Actor::system(),
            &TicketFilter::default(),
            PageRequest {
                sort: steward_store::tickets::TicketSort::Updated,
                descending: true,
                after: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert!(t
        .items
        .iter()
        .all(|t| t.ticket_type == TicketType::ServiceRequest));
    assert!(t.items.iter().all(|t| t.subject != "Old"));
}
on_both!(imap_over_tls_flags_and_resumes);

async fn a_crash_mid_queue_loses_and_duplicates_nothing(app: &TestApp) {
    const N: usize = 40;
    let Some(dove) = Dovecot::start(&[DESK]).await else {
        return;
    };
    let smtp = Capture::start().await;
    let settings = MailSettings {
        mailboxes: vec![Mailbox {
            address: DESK.into(),
            team: None,
            ticket_type: TicketType::Incident,
            category: None,
        }],
        send: true,
        ..Default::default()
    };
    for i in 0..N {
        dove.deliver(
            DESK,
            "INBOX",
            &mail(
                &format!("user{i}@acme.example"),
                &format!("Request {i}"),
                &format!("q{i}@acme.example"),
                "",
                "Please help.",
            ),
        )
        .await;
    }
    let svc = app.service.clone().with_mail(settings.clone());
    let first = Workers::start(
        &svc,
        source(&svc, &dove, After::Move("Done".into())),
        Some(&smtp),
    );
    until("some are taken", || async { ticket_count(&svc).await >= 5 }).await;
    // The poller dies abruptly (as in a crash: whatever it had in hand is cut off); the
    // sender is stopped as on shutdown.
    first.imap.abort();
    let _ = first.imap.await;
    first.stop.send(true).unwrap();
    if let Some(d) = first.delivery {
        d.await.unwrap();
    }
    let taken = ticket_count(&svc).await;
    assert!(
        (taken as usize) < N,
        "everything was taken before the crash"
    );

    // A new process on the same database carries on.
    let store = app.reopen().await;
    let svc = Service::new(store.clone(), app.clock.clone()).with_mail(settings);
    let second = Workers::start(
        &svc,
        source(&svc, &dove, After::Move("Done".into())),
        Some(&smtp),
    );
    until("all are taken", || async {
        ticket_count(&svc).await as usize >= N && dove.count(DESK, "INBOX").await == 0
    })
    .await;
    until("every acknowledgement is sent", || async {
        smtp.mails().len() >= N
    })
    .await;
    until("the outbox is settled", || outbox_settled(app)).await;
    second.stop().await;

    assert_eq!(ticket_count(&svc).await as usize, N);
    store.close().await;
    assert_eq!(dove.count(DESK, "Done").await as usize, N);
    let mails = smtp.mails();
    assert_eq!(mails.len(), N, "each acknowledgement once");
    let mut answered: Vec<String> = mails
        .iter()
        .map(|(_, m)| header(m, "In-Reply-To").unwrap())
        .collect();
    answered.sort();
    answered.dedup();
    assert_eq!(answered.len(), N);
}
on_both!(a_crash_mid_queue_loses_and_duplicates_nothing);
