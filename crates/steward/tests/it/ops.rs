//! The operations endpoints on both backends: readiness, and the metrics an operator alerts on.
use serde_json::json;
use steward_domain::Role;

use crate::harness::{expect, TestApp};
use crate::on_both;

async fn metric(app: &TestApp, line_start: &str) -> Option<f64> {
    let text = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
}

async fn readiness_and_metrics(app: &TestApp) {
    let ready = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());

    let (_, admin) = app
        .person("admin@msp.example", Role::Admin, None, false)
        .await;
    let (ann, _) = app
        .person("ann@acme.example", Role::Requester, None, false)
        .await;
    assert_eq!(metric(app, "steward_jobs{state=\"due\"}").await, Some(0.0));
    assert_eq!(
        metric(app, "steward_jobs{state=\"failed\"}").await,
        Some(0.0)
    );
    // A 24×7 policy with a 5-minute first response: its check falls due when time passes.
    let t = json!({"first_response_minutes": 5, "resolution_minutes": 60});
    expect(
        app.post(
            "/api/v1/sla-policies",
            &admin,
            json!({"name": "Fast", "is_default": true,
                   "targets": {"critical": t, "high": t, "medium": t, "low": t}}),
        )
        .await,
        201,
    );
    expect(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"subject": "Server down", "requester_id": ann}),
        )
        .await,
        201,
    );
    assert_eq!(metric(app, "steward_jobs{state=\"due\"}").await, Some(0.0));
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    assert_eq!(metric(app, "steward_jobs{state=\"due\"}").await, Some(1.0));
    app.service.run_due_jobs(10).await.unwrap();
    assert_eq!(metric(app, "steward_jobs{state=\"due\"}").await, Some(0.0));
    // Requests are counted under their route pattern.
    assert!(
        metric(
            app,
            "steward_http_requests_total{method=\"POST\",route=\"/api/v1/tickets\",status=\"201\"}"
        )
        .await
            >= Some(1.0)
    );
}
on_both!(readiness_and_metrics);
