//! Prometheus metrics: requests by route and status, their latency, database pool use, and the
//! scheduler's backlog.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};

use crate::AppState;

/// The metrics of one Steward process.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    jobs: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("steward".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method and route",
            )
            .buckets(vec![
                0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                5.0, 10.0,
            ]),
            &["method", "route"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections by pool and state",
            ),
            &["pool", "state"],
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new(
                "jobs",
                "Scheduled jobs by state: due (waiting to run now) and failed (for good)",
            ),
            &["state"],
        )?;
        let info = IntGaugeVec::new(Opts::new("build_info", "Steward version"), &["version"])?;
        info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(info))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool,
            jobs,
        })
    }

    /// The text exposition of every metric, with pool use read now.
    pub fn render(&self, pools: &[steward_store::PoolStats], jobs: Option<(i64, i64)>) -> String {
        if let Some((due, failed)) = jobs {
            self.jobs.with_label_values(&["due"]).set(due);
            self.jobs.with_label_values(&["failed"]).set(failed);
        }
        for p in pools {
            let in_use = i64::from(p.size.saturating_sub(p.idle));
            self.pool.with_label_values(&[p.name, "in_use"]).set(in_use);
            self.pool
                .with_label_values(&[p.name, "idle"])
                .set(i64::from(p.idle));
            self.pool
                .with_label_values(&[p.name, "max"])
                .set(i64::from(p.max));
        }
        let mut buf = Vec::new();
        if let Err(e) = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "encoding metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Middleware that counts and times every request under its route pattern (never the raw path,
/// which would make one series per ticket).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let res = next.run(req).await;
    let m = &state.metrics;
    m.latency
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[method.as_str(), route.as_str(), res.status().as_str()])
        .inc();
    res
}
