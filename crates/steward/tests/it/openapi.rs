//! The OpenAPI document is served, and it matches the router: every documented operation exists,
//! and every API route is documented.

use reqwest::Method;
use serde_json::Value;

use crate::harness::{Db, TestApp};

#[tokio::test]
async fn the_document_matches_the_routes() {
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let (status, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Steward API");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let paths = doc["paths"].as_object().unwrap();

    // Every documented operation is routed: anonymously it answers 401 (or a public result),
    // never the router's 404 or 405.
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.push((
                    method.to_uppercase(),
                    path.replace("{id}", "1")
                        .replace("{number}", "1")
                        .replace("{person_id}", "1"),
                ));
            }
        }
    }
    assert!(
        operations.len() >= 25,
        "only {} operations documented",
        operations.len()
    );
    for (method, path) in &operations {
        let (status, body) = app
            .call(
                Method::from_bytes(method.as_bytes()).unwrap(),
                path,
                None,
                None,
            )
            .await;
        // The router's own 404 says "no such API endpoint"; a public endpoint's (a survey link
        // that does not exist) names what was not found.
        let code = body["error"]["code"].as_str().unwrap_or_default();
        let routers_404 = code == "not_found" && body["error"]["message"] == "no such API endpoint";
        assert!(
            !(routers_404 || code == "method_not_allowed") || status == 401,
            "{method} {path} is documented but not routed: {status} {body}"
        );
    }

    // Every API route is documented: the routes the crate registers are exactly these.
    let expected = [
        "/api/v1/article-files/{id}",
        "/api/v1/articles",
        "/api/v1/articles/{id}",
        "/api/v1/articles/{id}/feedback",
        "/api/v1/articles/{id}/files",
        "/api/v1/articles/{id}/versions",
        "/api/v1/articles/{id}/versions/{version}/restore",
        "/api/v1/audit",
        "/api/v1/audit.csv",
        "/api/v1/audit.jsonl",
        "/api/v1/auth/login",
        "/api/v1/auth/login/two-factor",
        "/api/v1/auth/logout",
        "/api/v1/auth/password-reset",
        "/api/v1/auth/sign-in-link",
        "/api/v1/calendars",
        "/api/v1/calendars/{id}",
        "/api/v1/calendars/{id}/holidays",
        "/api/v1/categories",
        "/api/v1/downtime-commitments",
        "/api/v1/downtimes",
        "/api/v1/downtimes/report",
        "/api/v1/downtimes/{id}/end",
        "/api/v1/jobs/failed",
        "/api/v1/kb/categories",
        "/api/v1/kb/categories/{id}",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/two-factor",
        "/api/v1/me/two-factor/confirm",
        "/api/v1/me/two-factor/off",
        "/api/v1/me/two-factor/recovery-codes",
        "/api/v1/notifications",
        "/api/v1/notifications/read",
        "/api/v1/notifications/{id}/read",
        "/api/v1/organisations",
        "/api/v1/organisations/{id}",
        "/api/v1/people",
        "/api/v1/people/{id}",
        "/api/v1/people/{id}/away",
        "/api/v1/people/{id}/two-factor",
        "/api/v1/recurring-tickets",
        "/api/v1/recurring-tickets/{id}",
        "/api/v1/reports/kpis",
        "/api/v1/reports/kpis.csv",
        "/api/v1/reports/schedules",
        "/api/v1/reports/schedules/{id}",
        "/api/v1/rules",
        "/api/v1/rules/test",
        "/api/v1/rules/{id}",
        "/api/v1/search",
        "/api/v1/sessions",
        "/api/v1/sessions/{id}",
        "/api/v1/sla-policies",
        "/api/v1/sla-policies/{id}",
        "/api/v1/suggestions",
        "/api/v1/suggestions/{id}",
        "/api/v1/surveys/{token}",
        "/api/v1/surveys/{token}/comment",
        "/api/v1/teams",
        "/api/v1/teams/{id}",
        "/api/v1/teams/{id}/assignment",
        "/api/v1/teams/{id}/members/{person_id}",
        "/api/v1/tickets",
        "/api/v1/tickets/number/{number}",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/{id}/article-draft",
        "/api/v1/tickets/{id}/articles",
        "/api/v1/tickets/{id}/articles/{article_id}",
        "/api/v1/tickets/{id}/history",
        "/api/v1/tickets/{id}/messages",
        "/api/v1/tickets/{id}/ratings",
        "/api/v1/tickets/{id}/reminder",
        "/api/v1/tickets/{id}/sla",
        "/api/v1/tickets/{id}/watchers",
        "/api/v1/tickets/{id}/watchers/{person_id}",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
    ];
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort();
    assert_eq!(documented, expected);
    // Each operation declares its JSON error responses by schema.
    let ticket_get = &doc["paths"]["/api/v1/tickets/{id}"]["get"];
    assert_eq!(
        ticket_get["responses"]["404"]["content"]["application/json"]["schema"]["$ref"],
        Value::from("#/components/schemas/ErrorBody")
    );
    app.stop().await;
}
