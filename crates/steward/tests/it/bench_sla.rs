//! A measurement, not a test (ignored by default; no timing assertions): recompute every SLA clock
//! of `BENCH_TICKETS` (default 100,000) open tickets after a policy is created and changed, then run
//! 10,000 due SLA checks. Until the benchmark suite of issue 8 exists, run it with
//! `STEWARD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo test --release -p steward --test it bench_sla -- --ignored --nocapture`.
use serde_json::json;
use steward_domain::{Channel, Impact, PersonId, Priority, Role, Status, TicketType, Urgency};
use steward_store::tickets::NewTicket;

use crate::harness::{expect, Db, TestApp};

async fn run(db: Db) {
    let Some(app) = TestApp::start(db).await else {
        return;
    };
    let n: usize = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    let started = std::time::Instant::now();
    let now = app.clock_now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let mut tx = app.store.write().await.unwrap();
        for i in chunk {
            let t = tx
                .insert_ticket(
                    &NewTicket {
                        ticket_type: TicketType::Incident,
                        subject: format!("Ticket {i}"),
                        status: Status::New,
                        impact: Impact::Medium,
                        urgency: Urgency::Medium,
                        priority: [
                            Priority::Critical,
                            Priority::High,
                            Priority::Medium,
                            Priority::Low,
                        ][i % 4],
                        category_id: None,
                        requester_id: PersonId(ann),
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
            tx.record_history(t.id, None, now, steward_domain::EventAction::Created, &[])
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    eprintln!("{db:?}: {n} tickets inserted in {:?}", started.elapsed());
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    let cal = expect(app.post("/api/v1/calendars", &admin, json!({"name": "Office", "time_zone": "Europe/Berlin", "week": [day, day, day, day, day, [], []]})).await, 201)["id"].as_i64().unwrap();
    let targets = |f: i64, r: i64| json!({"first_response_minutes": f, "next_response_minutes": f, "resolution_minutes": r});
    let started = std::time::Instant::now();
    expect(app.post("/api/v1/sla-policies", &admin, json!({"name": "Standard", "is_default": true, "calendar_id": cal,
        "targets": {"critical": targets(15, 120), "high": targets(30, 240), "medium": targets(60, 480), "low": targets(240, 2400)}})).await, 201);
    eprintln!(
        "{db:?}: first recompute of {n} open tickets (policy created): {:?}",
        started.elapsed()
    );
    let id = expect(app.get("/api/v1/sla-policies", &admin).await, 200)[0]["id"]
        .as_i64()
        .unwrap();
    let started = std::time::Instant::now();
    expect(app.call(reqwest::Method::PUT, &format!("/api/v1/sla-policies/{id}"), Some(&admin), Some(json!({"name": "Standard", "is_default": true, "calendar_id": cal,
        "targets": {"critical": targets(30, 240), "high": targets(60, 480), "medium": targets(120, 960), "low": targets(480, 4800)}}))).await, 200);
    eprintln!(
        "{db:?}: recompute of {n} open tickets (policy changed): {:?}",
        started.elapsed()
    );
    // Scheduler throughput: every ticket's SLA check is due a day later; run 10,000 of them.
    app.clock.advance(jiff::SignedDuration::from_hours(30));
    let started = std::time::Instant::now();
    let run = app.service.run_due_jobs(10_000).await.unwrap();
    let took = started.elapsed();
    eprintln!(
        "{db:?}: scheduler ran {} SLA checks in {took:?} = {:.0} jobs/min",
        run.done,
        run.done as f64 / took.as_secs_f64() * 60.0
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_sla_recompute_and_scheduler() {
    run(Db::Sqlite).await;
    run(Db::Postgres).await;
}
