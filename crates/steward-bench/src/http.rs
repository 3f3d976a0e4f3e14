//! The load generator: plain HTTP/1.1 over keep-alive connections on loopback, one connection per
//! concurrent client, each sending its next request as soon as the last one is answered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// A request to send.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Bytes>,
}

impl Req {
    pub fn get(path: impl Into<String>) -> Req {
        Req {
            method: Method::GET,
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn json(method: Method, path: impl Into<String>, body: &serde_json::Value) -> Req {
        Req {
            method,
            path: path.into(),
            headers: vec![("content-type", "application/json".into())],
            body: Some(Bytes::from(body.to_string())),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Req {
        self.headers.push((name, value.into()));
        self
    }
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "the answer ({}) is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    /// The body as JSON, or an error that shows what came back instead of `expected`.
    pub fn expect(self, expected: u16) -> anyhow::Result<serde_json::Value> {
        if self.status.as_u16() != expected {
            bail!(
                "expected {expected}, got {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            );
        }
        if self.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        self.json()
    }
}

/// One keep-alive connection.
pub struct Conn {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { addr, sender })
    }

    pub async fn send(&mut self, req: &Req) -> anyhow::Result<Answer> {
        if self.sender.is_closed() {
            *self = Conn::open(self.addr).await?;
        }
        self.sender.ready().await?;
        let mut b = Request::builder()
            .method(req.method.clone())
            .uri(&req.path)
            .header("host", self.addr.to_string());
        for (k, v) in &req.headers {
            b = b.header(*k, v);
        }
        let request = b.body(Full::new(req.body.clone().unwrap_or_default()))?;
        let res = self.sender.send_request(request).await?;
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// One request on a connection of its own.
pub async fn once(addr: SocketAddr, req: &Req) -> anyhow::Result<Answer> {
    Conn::open(addr).await?.send(req).await
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct Load {
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Every request's latency, sorted.
    pub latencies: Vec<Duration>,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency below which `p` per cent of requests were answered.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// Sends requests from `concurrency` clients for `duration` (and at least `min_requests` in
/// all); `make(i)` builds the i-th request. A request that is not answered with 2xx or 3xx counts
/// as an error.
pub async fn load(
    addr: SocketAddr,
    concurrency: usize,
    duration: Duration,
    min_requests: u64,
    make: Arc<dyn Fn(u64) -> Req + Send + Sync>,
) -> anyhow::Result<Load> {
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut first_error = None;
            loop {
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if Instant::now() >= deadline && i >= min_requests {
                    break;
                }
                let req = make(i);
                let t = Instant::now();
                let res = conn.send(&req).await;
                latencies.push(t.elapsed());
                match res {
                    Ok(a) if a.status.is_success() || a.status.is_redirection() => {}
                    Ok(a) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| {
                            format!(
                                "{} {} answered {}: {}",
                                req.method,
                                req.path,
                                a.status,
                                String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
                            )
                        });
                    }
                    Err(e) => {
                        errors += 1;
                        first_error
                            .get_or_insert_with(|| format!("{} {}: {e:#}", req.method, req.path));
                    }
                }
            }
            anyhow::Ok((latencies, errors, first_error))
        }));
    }
    let mut out = Load {
        requests: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for t in tasks {
        let (lat, errors, first) = t.await??;
        out.requests += lat.len() as u64;
        out.latencies.extend(lat);
        out.errors += errors;
        if out.first_error.is_none() {
            out.first_error = first;
        }
    }
    out.elapsed = started.elapsed();
    out.latencies.sort_unstable();
    Ok(out)
}
