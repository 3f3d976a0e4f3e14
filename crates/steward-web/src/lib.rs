//! Steward's HTTP face: the JSON API under `/api/v1` (with its OpenAPI document), health checks
//! and metrics. Handlers translate HTTP to use cases of `steward-service` and back; they hold no
//! business rules. [`app`] builds the router; [`serve`] runs it until a shutdown signal.

pub mod api;
pub mod audit_data;
pub mod error;
pub mod extract;
mod headers;
pub mod html;
pub mod markdown;
pub mod metrics;
mod ops;
pub mod pages;
pub mod report_data;
mod router;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use steward_service::Service;
use tokio::net::TcpListener;

pub use router::{app, openapi};

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when Steward is reached over HTTPS).
    pub secure_cookies: bool,
    /// Take the client's address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
    /// The URL people reach Steward at; cookie-authenticated changes must come from its origin.
    pub public_url: Option<String>,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub metrics: Arc<metrics::Metrics>,
    pub web: Arc<WebConfig>,
    /// Becomes `true` when the server shuts down, so that long-lived responses (live updates)
    /// end and the shutdown does not wait for them forever.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    pub fn new(service: Service, web: WebConfig) -> Result<Self, prometheus::Error> {
        Ok(AppState {
            service,
            metrics: Arc::new(metrics::Metrics::new()?),
            web: Arc::new(web),
            closing: Arc::new(tokio::sync::watch::channel(false).0),
        })
    }

    /// Ends the long-lived responses (call when shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
