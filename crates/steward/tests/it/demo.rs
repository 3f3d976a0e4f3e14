//! Demo data on both databases: what `steward demo` writes is a working desk — tickets numbered
//! in order, clocks on the open ones, found by search.
use steward_domain::{Actor, Role};
use steward_service::{SearchRequest, SearchScope};

use crate::harness::TestApp;
use crate::on_both;

async fn demo_data_is_a_working_desk(app: &TestApp) {
    let opts = steward_demo::DemoOptions {
        tickets: 600,
        seed: 7,
        now: app.clock_now(),
        open_share: None,
    };
    let phases = std::sync::Mutex::new(Vec::new());
    let report = steward_demo::generate(&app.service, &app.store, &opts, &|p, done, total| {
        phases.lock().unwrap().push((p, done, total));
    })
    .await
    .unwrap();
    assert_eq!(report.tickets, 600);
    assert_eq!(report.numbers, Some((1, 600)));
    assert!(report.messages > 600 * 3, "{report:?}");
    assert!(report.open_tickets > 0 && report.open_tickets < 600);
    assert_eq!(report.clocks_computed as u64, report.open_tickets);
    assert_eq!(
        phases.lock().unwrap().last().map(|p| p.0),
        Some(steward_demo::Phase::Statistics)
    );

    // Tickets are numbered in the order they came in.
    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let list = crate::harness::expect(app.get("/api/v1/tickets?limit=100", &admin).await, 200);
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty());
    let first = crate::harness::expect(app.get("/api/v1/tickets/number/1", &admin).await, 200);
    let last = crate::harness::expect(app.get("/api/v1/tickets/number/600", &admin).await, 200);
    assert!(first["created_at"].as_str().unwrap() <= last["created_at"].as_str().unwrap());

    // Search finds the generated words; an open ticket has its clocks.
    let found = app
        .service
        .search(
            &Actor::system(),
            &SearchRequest {
                q: "printer".into(),
                scope: SearchScope::Tickets,
                page: 1,
                time_zone: None,
            },
        )
        .await
        .unwrap();
    assert!(!found.tickets.is_empty());
    let open = crate::harness::expect(
        app.get("/api/v1/tickets?status=open&limit=1", &admin).await,
        200,
    );
    let id = open["items"][0]["id"].as_i64().unwrap();
    let sla = crate::harness::expect(
        app.get(&format!("/api/v1/tickets/{id}/sla"), &admin).await,
        200,
    );
    assert!(!sla["clocks"].as_array().unwrap().is_empty(), "{sla}");

    // The year has figures: times, first-contact resolution, ratings, SLA compliance.
    let to = app.clock_now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let from = to.checked_sub(jiff::Span::new().days(365)).unwrap();
    let r = crate::harness::expect(
        app.get(&format!("/api/v1/reports/kpis?from={from}&to={to}"), &admin)
            .await,
        200,
    );
    let k = &r["current"];
    assert_eq!(k["created"], 600);
    assert!(k["resolved"].as_u64().unwrap() > 300, "{}", k["resolved"]);
    assert!(k["resolution"]["business"]["median_ms"].as_i64().unwrap() > 0);
    assert!(
        k["resolution"]["business"]["median_ms"].as_i64().unwrap()
            <= k["resolution"]["calendar"]["median_ms"].as_i64().unwrap()
    );
    assert!(k["first_contact_resolution"]["part"].as_u64().unwrap() > 0);
    assert!(
        k["csat"]["satisfied"]["of"].as_u64().unwrap() > 20,
        "{}",
        k["csat"]
    );
    assert!(k["sla"]["resolution"]["of"].as_u64().unwrap() > 300);
    assert!(k["backlog"]["open"].as_u64().unwrap() > 0);
}
on_both!(demo_data_is_a_working_desk);
