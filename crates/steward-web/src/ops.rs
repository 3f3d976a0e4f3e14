//! Operations endpoints: liveness, readiness and metrics. Public, and cheap.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

use crate::AppState;

/// `/healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `/readyz`: the database answers within two seconds.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ping = tokio::time::timeout(Duration::from_secs(2), state.service.store().ping()).await;
    match ping {
        Ok(Ok(())) => (StatusCode::OK, "ready\n".to_string()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable\n".to_string(),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database timed out\n".to_string(),
        ),
    }
}

/// `/metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // The job counts are left out (not reported as zero) when the database does not answer.
    let jobs = tokio::time::timeout(Duration::from_secs(2), state.service.job_backlog())
        .await
        .ok()
        .and_then(|r| r.ok());
    let body = state
        .metrics
        .render(&state.service.store().pool_stats(), jobs);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
