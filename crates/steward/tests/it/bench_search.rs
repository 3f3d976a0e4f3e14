//! A measurement, not a test (ignored by default; no timing assertions): search over
//! `BENCH_TICKETS` tickets (default 100,000) with five messages each, written from a vocabulary
//! with a Zipf-like spread (a few words in many messages, most in few), as staff and as a
//! requester, on SQLite and (with `STEWARD_TEST_POSTGRES_URL`) PostgreSQL. Until the benchmark
//! suite of issue 8 exists, run it with
//! `STEWARD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo test --release -p steward --test it bench_search -- --ignored --nocapture --test-threads 1`.
use steward_domain::{
    Actor, Channel, Impact, MessageKind, PersonId, Priority, Role, Status, TicketType, Urgency,
};
use steward_service::{SearchRequest, SearchScope};
use steward_store::tickets::NewTicket;

use crate::harness::{Db, TestApp};

const WORDS: &[&str] = &[
    "printer",
    "vpn",
    "password",
    "outlook",
    "laptop",
    "email",
    "network",
    "server",
    "access",
    "error",
    "screen",
    "keyboard",
    "monitor",
    "install",
    "update",
    "license",
    "account",
    "locked",
    "reset",
    "slow",
    "crash",
    "freeze",
    "wifi",
    "connection",
    "drive",
    "backup",
    "restore",
    "folder",
    "permission",
    "denied",
    "invoice",
    "payroll",
    "teams",
    "meeting",
    "calendar",
    "phone",
    "headset",
    "camera",
    "microphone",
    "browser",
    "chrome",
    "firefox",
    "certificate",
    "expired",
    "token",
    "login",
    "sharepoint",
    "onedrive",
    "sync",
    "excel",
    "word",
    "macro",
    "database",
    "timeout",
    "firewall",
    "port",
    "dns",
    "dhcp",
    "address",
    "router",
    "switch",
    "cable",
    "battery",
    "charger",
    "docking",
    "station",
    "display",
    "projector",
    "toner",
    "paper",
    "jam",
    "scanner",
    "badge",
    "door",
    "building",
    "floor",
    "desk",
    "chair",
    "software",
    "hardware",
    "request",
    "new",
    "starter",
    "leaver",
    "mailbox",
    "shared",
    "group",
    "distribution",
    "list",
    "quota",
    "storage",
    "full",
    "disk",
    "memory",
    "cpu",
    "virtual",
    "machine",
    "citrix",
];

/// A deterministic pseudo-random number generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A word, the first ones far more often (Zipf-like: rank r with weight 1/r).
    fn word(&mut self) -> &'static str {
        let n = WORDS.len() as f64;
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        let r = (n.powf(u) as usize).saturating_sub(1).min(WORDS.len() - 1);
        WORDS[r]
    }
    fn sentence(&mut self, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.word());
            if self.next().is_multiple_of(9) {
                s.push_str(" the");
            }
        }
        s
    }
}

/// Runs of each query (the 99th percentile of 50 runs is the second slowest).
const ROUNDS: usize = 50;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(db: Db) {
    let Some(app) = TestApp::start(db).await else {
        return;
    };
    let n: usize = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let (bob, _) = app
        .person("bob@acme.example", Role::Requester, None, false)
        .await;
    let mut rng = Rng(0x5eed_1234_abcd);
    let started = std::time::Instant::now();
    let now = app.clock_now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(2_000) {
        let mut tx = app.store.write().await.unwrap();
        for i in chunk {
            // One ticket in a hundred is Bob's: the requester's search.
            let requester = if i % 100 == 0 { bob } else { ann };
            let t = tx
                .insert_ticket(
                    &NewTicket {
                        ticket_type: TicketType::Incident,
                        subject: rng.sentence(5),
                        status: [Status::New, Status::Open, Status::Resolved, Status::Closed]
                            [i % 4],
                        impact: Impact::Medium,
                        urgency: Urgency::Medium,
                        priority: Priority::Medium,
                        category_id: None,
                        requester_id: PersonId(requester),
                        organisation_id: None,
                        team_id: None,
                        assignee_id: None,
                        channel: Channel::Api,
                        tags: vec![],
                    },
                    now,
                )
                .await
                .unwrap();
            for m in 0..5 {
                let words = 20 + (rng.next() % 60) as usize;
                tx.insert_message(
                    t.id,
                    Some(PersonId(requester)),
                    if m == 3 {
                        MessageKind::Internal
                    } else {
                        MessageKind::Public
                    },
                    &rng.sentence(words),
                    now,
                )
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    eprintln!(
        "{db:?}: {n} tickets with {} messages written (indexed as they were) in {:?}",
        n * 5,
        started.elapsed()
    );
    // As autovacuum would after an import: the plans depend on how common words are.
    let started = std::time::Instant::now();
    app.store.analyze().await.unwrap();
    eprintln!("{db:?}: statistics refreshed in {:?}", started.elapsed());
    let staff = Actor::system();
    let bob_actor = Actor {
        person_id: Some(PersonId(bob)),
        role: Role::Requester,
        organisation_id: None,
        org_access: false,
    };
    let queries = [
        "printer",
        "vpn password",
        "outlook crash*",
        "\"access denied\"",
        "citrix virtual machine",
        "status:open printer",
        "toner -jam",
        "updated:<7d network",
    ];
    eprintln!("| database | asker | query | p50 ms | p99 ms |");
    eprintln!("| --- | --- | --- | --- | --- |");
    for (who, actor) in [("staff", &staff), ("requester", &bob_actor)] {
        for q in queries {
            let mut times = Vec::new();
            for _ in 0..ROUNDS {
                let t0 = std::time::Instant::now();
                app.service
                    .search(
                        actor,
                        &SearchRequest {
                            q: q.to_string(),
                            scope: SearchScope::Tickets,
                            page: 1,
                            time_zone: None,
                        },
                    )
                    .await
                    .unwrap();
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            eprintln!(
                "| {db:?} | {who} | `{q}` | {:.1} | {:.1} |",
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            );
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_search_sqlite() {
    run(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_search_postgres() {
    run(Db::Postgres).await;
}
