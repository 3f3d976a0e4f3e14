//! The measurements, in order: baselines, then for each backend and size a fresh database filled
//! by `steward demo` and a running Steward measured over HTTP and LMTP, then a large backlog for
//! the service-level clocks and the scheduler.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hyper::Method;
use serde_json::json;

use crate::http::{self, Req};
use crate::report::{self, latency, ms, thousands, throughput, Report};
use crate::steward::{free_port, Install};
use crate::{baseline, mail, Args, Backend};

const PASSWORD: &str = "bench password that is long enough";
const ADMIN: &str = "bench@bench.example";
const REQUESTER: &str = "requester@bench.example";

/// Typical searches of a service desk: common and rare words, a phrase, a prefix, filters.
const QUERIES: &[&str] = &[
    "printer",
    "vpn disconnects",
    "\"access denied\"",
    "outlook password",
    "toner",
    "invoice posting",
    "docking station monitors",
    "certif*",
    "status:open printer",
    "priority:high vpn",
    "created:>2026-06-01 laptop",
    "tag:vip",
];

pub async fn all(args: Args) -> anyhow::Result<()> {
    let bin = match &args.steward {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|d| d.join("steward"))
            .unwrap_or_else(|| PathBuf::from("steward")),
    };
    if !bin.exists() {
        bail!(
            "the steward binary is not at {} — build it first (cargo build --release -p steward -p steward-bench) or pass --steward PATH",
            bin.display()
        );
    }
    let work = match &args.work_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("steward-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work)?;
    eprintln!(
        "steward-bench: {} against {}, data in {}",
        if args.quick { "smoke run" } else { "measuring" },
        bin.display(),
        work.display()
    );
    let mut report = Report::default();
    let result = measure(&args, &bin, &work, &mut report).await;
    let table = report.markdown();
    println!("{table}");
    if let Some(out) = &args.out {
        std::fs::write(out, &table).with_context(|| format!("cannot write {}", out.display()))?;
    }
    if args.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

async fn measure(args: &Args, bin: &Path, work: &Path, report: &mut Report) -> anyhow::Result<()> {
    let load_time = args.load_time();
    eprintln!("baselines");
    let minimal = minimal_handler(load_time).await?;
    report.add(
        "minimal axum handler, concurrency 8 (baseline)",
        "",
        None,
        throughput(&minimal),
        "",
        "",
    );
    for backend in &args.backend {
        let inserts = match backend {
            Backend::Sqlite => baseline::sqlite_inserts(&work.join("baseline"), load_time).await?,
            Backend::Postgres => baseline::postgres_inserts(&args.postgres_url, 8, load_time)
                .await
                .context("the PostgreSQL baseline (is the server at --postgres-url running?)")?,
        };
        let what = match backend {
            Backend::Sqlite => "single-row committed inserts, WAL, synchronous=NORMAL (baseline)",
            Backend::Postgres => "single-row committed inserts, 8 connections (baseline)",
        };
        report.add(
            what,
            backend.name(),
            None,
            format!("{}/s", thousands(inserts.round() as u64)),
            "",
            "",
        );
        for &size in &args.tickets {
            eprintln!("{} with {} tickets", backend.name(), thousands(size));
            let ctx = Ctx::fresh(args, bin, work, *backend, size, report).await?;
            sizes(args, &ctx, size, inserts, &minimal, report).await?;
        }
        if args.sla_tickets > 0 {
            eprintln!(
                "{} with {} open tickets",
                backend.name(),
                thousands(args.sla_tickets)
            );
            let ctx = Ctx::fresh(args, bin, work, *backend, args.sla_tickets, report).await?;
            backlog(args, &ctx, report).await?;
        }
    }
    Ok(())
}

/// One fresh installation.
struct Ctx {
    install: Install,
    backend: Backend,
}

impl Ctx {
    async fn fresh(
        args: &Args,
        bin: &Path,
        work: &Path,
        backend: Backend,
        size: u64,
        report: &mut Report,
    ) -> anyhow::Result<Ctx> {
        let dir = work.join(format!(
            "{}-{size}",
            match backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            }
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres(&args.postgres_url, report).await?),
        };
        let install = Install::new(bin, &dir, url.as_deref(), free_port()?, free_port()?)?;
        Ok(Ctx { install, backend })
    }

    fn name(&self) -> &'static str {
        self.backend.name()
    }
}

/// Drops and creates the database `steward_bench` on the server of `url`; returns its URL.
async fn fresh_postgres(url: &str, report: &mut Report) -> anyhow::Result<String> {
    use sqlx::{Connection, Executor};
    let mut c = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {url}"))?;
    let (version, autovacuum): (String, String) =
        sqlx::query_as("SELECT current_setting('server_version'), current_setting('autovacuum')")
            .fetch_one(&mut c)
            .await?;
    report.note(format!("PostgreSQL {version}, autovacuum {autovacuum}."));
    if autovacuum != "on" {
        report.note(
            "**PostgreSQL's autovacuum is off on this server**: statistics of tables that grow \
             during the run (escalations, notifications, jobs) are never refreshed, so plans made \
             when they were small stay in use. Installations keep the default (on); figures of \
             long runs here are pessimistic."
                .into(),
        );
    }
    c.execute("DROP DATABASE IF EXISTS steward_bench WITH (FORCE)")
        .await?;
    c.execute("CREATE DATABASE steward_bench").await?;
    c.close().await?;
    let (base, _) = url
        .rsplit_once('/')
        .context("the PostgreSQL URL has no database name")?;
    let base = if base.ends_with('/') || base.ends_with(':') {
        url.to_string()
    } else {
        base.to_string()
    };
    Ok(format!("{base}/steward_bench"))
}

/// Fills the database and adds the benchmark's own administrator, requester and API token.
fn fill(ctx: &Ctx, size: u64, extra: &[&str]) -> anyhow::Result<(Duration, String)> {
    let i = &ctx.install;
    let started = Instant::now();
    let mut demo = vec!["demo", "--tickets"];
    let size_text = size.to_string();
    demo.push(&size_text);
    demo.extend_from_slice(extra);
    let out = i.run(&demo, None)?;
    let took = started.elapsed();
    eprintln!("  {}", out.trim());
    i.run(
        &[
            "user",
            "create",
            "--email",
            ADMIN,
            "--name",
            "Bench Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )?;
    let token = i
        .run(
            &["token", "create", "--email", ADMIN, "--label", "bench"],
            None,
        )?
        .trim()
        .to_string();
    Ok((took, token))
}

/// Signs in and returns the session cookie.
/// How long one request takes (it must succeed).
async fn first_request(addr: SocketAddr, req: &Req) -> anyhow::Result<Duration> {
    let started = std::time::Instant::now();
    let answer = http::once(addr, req).await?;
    let took = started.elapsed();
    if !answer.status.is_success() {
        bail!("{} answered {}", req.path, answer.status);
    }
    Ok(took)
}

async fn sign_in(addr: SocketAddr, email: &str) -> anyhow::Result<String> {
    let a = http::once(
        addr,
        &Req::json(
            Method::POST,
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        ),
    )
    .await?;
    let cookie = a
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("steward_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    match cookie {
        Some(c) => Ok(c),
        None => bail!(
            "signing in as {email} failed ({}): {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        ),
    }
}

/// Waits until the scheduler has no due jobs left; returns how many there were at first and how
/// long they took.
async fn drain_jobs(addr: SocketAddr, limit: Duration) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let mut first = None;
    loop {
        let due = due_jobs(addr).await?;
        first.get_or_insert(due);
        if due == 0 {
            return Ok((first.unwrap_or(0), started.elapsed()));
        }
        if started.elapsed() > limit {
            bail!(
                "the scheduler still had {due} due jobs after {} s",
                limit.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn due_jobs(addr: SocketAddr) -> anyhow::Result<u64> {
    let a = http::once(addr, &Req::get("/metrics")).await?;
    let text = String::from_utf8_lossy(&a.body);
    let line = text
        .lines()
        .find(|l| l.starts_with("steward_jobs{state=\"due\"}"))
        .context("/metrics has no steward_jobs{state=\"due\"}")?;
    Ok(line
        .split_whitespace()
        .last()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0) as u64)
}

/// The minimal axum handler, in a process of its own, at concurrency 8.
async fn minimal_handler(load_time: Duration) -> anyhow::Result<http::Load> {
    let addr = free_port()?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["baseline-server", "--listen", &addr.to_string()])
        .stdin(std::process::Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while http::once(addr, &Req::get("/")).await.is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("the baseline server did not start");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let result = http::load(addr, 8, load_time, 1, Arc::new(|_| Req::get("/"))).await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn sizes(
    args: &Args,
    ctx: &Ctx,
    size: u64,
    inserts: f64,
    minimal: &http::Load,
    report: &mut Report,
) -> anyhow::Result<()> {
    let name = ctx.name();
    let (took, token) = fill(ctx, size, &[])?;
    report.add(
        "generate demo data (`steward demo`, about 5 messages per ticket)",
        name,
        Some(size),
        format!(
            "{:.1} s ({}/s)",
            took.as_secs_f64(),
            thousands((size as f64 / took.as_secs_f64()).round() as u64)
        ),
        "",
        "minutes for 1,000,000",
    );
    let i = &ctx.install;
    i.run(
        &[
            "user",
            "create",
            "--email",
            REQUESTER,
            "--name",
            "Bench Requester",
            "--role",
            "requester",
            "--org",
            "acme-logistics",
            "--org-access",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )?;

    let (server, first_start) = i.start().await?;
    let addr = i.http;
    report.add(
        "start-up to ready (first start: migrations checked, administrator created)",
        name,
        Some(size),
        ms(first_start),
        "",
        "",
    );
    report.memory_of = Some(server.pid());
    let result = measure_running(args, ctx, size, &token, inserts, minimal, report).await;
    report.memory_of = None;
    let peak = server.peak_memory();
    server.stop().await;
    result?;
    if let Some(bytes) = peak {
        report.add(
            "peak resident memory of steward serve during the measurements",
            name,
            Some(size),
            report::megabytes(bytes),
            "",
            "< 200 MB",
        );
    }
    let (server, again) = i.start().await?;
    let _ = http::once(addr, &Req::get("/readyz")).await?;
    server.stop().await;
    report.add(
        "start-up to ready on the existing database",
        name,
        Some(size),
        ms(again),
        "",
        "< 1 s at 1,000,000",
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn measure_running(
    args: &Args,
    ctx: &Ctx,
    size: u64,
    token: &str,
    inserts: f64,
    minimal: &http::Load,
    report: &mut Report,
) -> anyhow::Result<()> {
    let name = ctx.name();
    let addr = ctx.install.http;
    let load_time = args.load_time();
    let bearer = format!("Bearer {token}");

    // Service-level checks that fell due while the data was written run first; they are
    // measured (below, with a large backlog) and must not disturb the rest.
    let (due, took) = drain_jobs(addr, Duration::from_secs(1800)).await?;
    if due > 0 {
        eprintln!(
            "  the scheduler ran {due} due jobs in {:.1} s",
            took.as_secs_f64()
        );
    }

    let healthz = http::load(addr, 8, load_time, 1, Arc::new(|_| Req::get("/healthz"))).await?;
    report.add(
        "`GET /healthz`, concurrency 8",
        name,
        Some(size),
        throughput(&healthz),
        format!(
            "{}/s minimal axum handler ({:.0} %)",
            thousands(minimal.per_second().round() as u64),
            100.0 * healthz.per_second() / minimal.per_second().max(1e-9)
        ),
        "",
    );

    let cookie = sign_in(addr, ADMIN).await?;
    let me = http::once(
        addr,
        &Req::get("/api/v1/me").header("authorization", bearer.clone()),
    )
    .await?
    .expect(200)?;
    let me_id = me["id"]
        .as_i64()
        .or_else(|| me["person"]["id"].as_i64())
        .context("/api/v1/me has no id")?;

    // A ticket with a 50-message thread.
    let t = http::once(
        addr,
        &Req::json(
            Method::POST,
            "/api/v1/tickets",
            &json!({"subject": "Laptop will not start after the docking station update",
                    "body": "The laptop shows a black screen after the logo.", "requester_id": me_id}),
        )
        .header("authorization", bearer.clone()),
    )
    .await?
    .expect(201)?;
    let (ticket_id, number) = (
        t["id"].as_i64().context("ticket id")?,
        t["number"].as_i64().context("ticket number")?,
    );
    let mut conn = http::Conn::open(addr).await?;
    for k in 1..50 {
        conn.send(
            &Req::json(
                Method::POST,
                format!("/api/v1/tickets/{ticket_id}/messages"),
                &json!({"kind": if k % 7 == 0 { "internal" } else { "public" },
                        "body": format!("Message {k}: we replaced the docking station firmware and checked the BIOS settings; please try again and tell us what you see on the screen.")}),
            )
            .header("authorization", bearer.clone()),
        )
        .await?
        .expect(201)?;
    }

    let page = |path: String, cookie: String| -> Arc<dyn Fn(u64) -> Req + Send + Sync> {
        Arc::new(move |_| Req::get(path.clone()).header("cookie", cookie.clone()))
    };
    let queue = http::load(
        addr,
        1,
        load_time,
        20,
        page("/agent".into(), cookie.clone()),
    )
    .await?;
    report.add(
        "queue page (`/agent`, HTML), concurrency 1",
        name,
        Some(size),
        latency(&queue),
        "",
        "p99 < 20 ms at 1,000,000",
    );
    let ticket_page = http::load(
        addr,
        1,
        load_time,
        20,
        page(format!("/agent/tickets/{number}"), cookie.clone()),
    )
    .await?;
    report.add(
        "ticket page with a 50-message thread (HTML), concurrency 1",
        name,
        Some(size),
        latency(&ticket_page),
        "",
        "p99 < 15 ms",
    );
    let list = http::load(
        addr,
        1,
        load_time,
        20,
        Arc::new({
            let bearer = bearer.clone();
            move |_| Req::get("/api/v1/tickets").header("authorization", bearer.clone())
        }),
    )
    .await?;
    report.add(
        "ticket list API (`GET /api/v1/tickets`, first page), concurrency 1",
        name,
        Some(size),
        latency(&list),
        "",
        "",
    );

    // Search: each typical query in turn, as staff; then as a requester of one organisation.
    let queries: Vec<String> = QUERIES
        .iter()
        .map(|q| format!("/api/v1/search?q={}", encode(q)))
        .collect();
    // The first request of each query after start-up reads what no cache holds yet: measured
    // once, reported on its own line, and left out of the figures of a server in use.
    let requester = sign_in(addr, REQUESTER).await?;
    let mut firsts = Vec::new();
    for path in &queries {
        firsts.push(
            first_request(
                addr,
                &Req::get(path.clone()).header("authorization", bearer.clone()),
            )
            .await?,
        );
    }
    for path in queries.iter().take(8) {
        firsts.push(
            first_request(
                addr,
                &Req::get(path.clone()).header("cookie", requester.clone()),
            )
            .await?,
        );
    }
    firsts.sort_unstable();
    report.add(
        "search, the first request of each query after start-up (12 as staff, 8 as the requester; not in the figures below)",
        name,
        Some(size),
        format!(
            "median {}, slowest {}",
            ms(firsts[firsts.len() / 2]),
            ms(firsts[firsts.len() - 1])
        ),
        "",
        "",
    );
    let mut all = Vec::new();
    let mut slowest: Option<(String, Duration)> = None;
    let per_query = load_time / QUERIES.len() as u32 * 2;
    for (q, path) in QUERIES.iter().zip(&queries) {
        let path = path.clone();
        let l = http::load(
            addr,
            1,
            per_query,
            5,
            Arc::new({
                let bearer = bearer.clone();
                move |_| Req::get(path.clone()).header("authorization", bearer.clone())
            }),
        )
        .await?;
        if l.errors > 0 {
            bail!("search {q:?} failed: {:?}", l.first_error);
        }
        let p99 = l.percentile(99.0);
        if slowest.as_ref().is_none_or(|(_, d)| p99 > *d) {
            slowest = Some(((*q).to_string(), p99));
        }
        all.push(l.latencies);
    }
    // Each query weighs the same: as many of each as the one with fewest (a fixed time per
    // query gives quick queries many more samples, which would hide the slow ones).
    let fewest = all.iter().map(Vec::len).min().unwrap_or(0);
    let mut all: Vec<Duration> = all
        .into_iter()
        .flat_map(|l| l.into_iter().take(fewest))
        .collect();
    all.sort_unstable();
    let search = http::Load {
        requests: all.len() as u64,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies: all,
    };
    report.add(
        format!(
            "search as staff, {} typical queries, concurrency 1",
            QUERIES.len()
        ),
        name,
        Some(size),
        format!(
            "{}; slowest query `{}` p99 {}",
            latency(&search),
            slowest.as_ref().map(|s| s.0.as_str()).unwrap_or(""),
            slowest.as_ref().map(|s| ms(s.1)).unwrap_or_default()
        ),
        "",
        "p99 < 50 ms at 1,000,000",
    );
    let rq = http::load(
        addr,
        1,
        load_time,
        5,
        Arc::new({
            let requester = requester.clone();
            let queries = queries.clone();
            move |i| Req::get(queries[i as usize % 8].clone()).header("cookie", requester.clone())
        }),
    )
    .await?;
    report.add(
        "search as a requester who sees their organisation's tickets (the largest organisation, about a tenth of all tickets), concurrency 1",
        name,
        Some(size),
        latency(&rq),
        "",
        "p99 < 50 ms at 1,000,000",
    );
    let words = [
        "pr", "pri", "prin", "print", "printer", "vp", "vpn", "pass", "outl",
    ];
    let suggest = http::load(
        addr,
        1,
        load_time,
        5,
        Arc::new(move |i| {
            Req::get(format!(
                "/portal/kb/suggest?q={}",
                words[i as usize % words.len()]
            ))
            .header("cookie", requester.clone())
        }),
    )
    .await?;
    report.add(
        "search-as-you-type suggestions (`/portal/kb/suggest`), concurrency 1",
        name,
        Some(size),
        latency(&suggest),
        "",
        "p99 < 20 ms",
    );

    // The reports dashboard: the last 30 days (the default), and a whole year.
    let month = http::once(
        addr,
        &Req::get("/api/v1/reports/kpis").header("authorization", bearer.clone()),
    )
    .await?
    .expect(200)?;
    let to: jiff::civil::Date = month["to"]
        .as_str()
        .context("the report has no end")?
        .parse()
        .context("the report's end is not a day")?;
    let from = to
        .checked_sub(jiff::Span::new().days(364))
        .context("a year before the report's end")?;
    for (label, path) in [
        ("the last 30 days", "/agent/reports".to_string()),
        ("a year", format!("/agent/reports?from={from}&to={to}")),
    ] {
        let first = first_request(
            addr,
            &Req::get(path.clone()).header("cookie", cookie.clone()),
        )
        .await?;
        report.add(
            format!("reports dashboard, {label}: the first request after start-up (not in the figures below)"),
            name,
            Some(size),
            ms(first),
            "",
            "",
        );
        let l = http::load(addr, 1, load_time, 3, page(path, cookie.clone())).await?;
        if l.errors > 0 {
            bail!("the dashboard failed: {:?}", l.first_error);
        }
        report.add(
            format!("reports dashboard, {label}, with the period before (`/agent/reports`, HTML), concurrency 1"),
            name,
            Some(size),
            latency(&l),
            "",
            "a year < 1 s at 1,000,000",
        );
    }

    // Ticket creation over the API.
    for concurrency in [1usize, 8, 64] {
        let bearer = bearer.clone();
        let l = http::load(
            addr,
            concurrency,
            load_time,
            concurrency as u64,
            Arc::new(move |i| {
                Req::json(
                    Method::POST,
                    "/api/v1/tickets",
                    &json!({"subject": format!("Printer on floor {} not printing", i % 9 + 1),
                            "body": "When I send a document to the printer the job stays in the queue with the status error - printing. Thanks, Anna",
                            "requester_id": me_id, "tags": ["bench"]}),
                )
                .header("authorization", bearer.clone())
            }),
        )
        .await?;
        let target = if concurrency == 8 && ctx.backend == Backend::Sqlite {
            "≥ 5,000/s, p99 < 10 ms"
        } else {
            ""
        };
        report.add(
            format!("API ticket creation, concurrency {concurrency}"),
            name,
            Some(size),
            throughput(&l),
            format!(
                "{}/s single-row inserts ({:.0} %)",
                thousands(inserts.round() as u64),
                100.0 * l.per_second() / inserts.max(1e-9)
            ),
            target,
        );
    }

    // Mail: the batch import, then LMTP.
    let run = format!("{}-{size}", ctx.name());
    let batch_mail = mail::messages(&format!("{run}-batch"), args.mail_messages);
    let dir = ctx
        .install
        .config
        .parent()
        .map(|d| d.join("mail-batch"))
        .context("no working directory")?;
    mail::write_eml(&dir, &batch_mail)?;
    let started = Instant::now();
    let dir_text = dir.display().to_string();
    ctx.install.run(
        &[
            "mail",
            "ingest",
            "--mailbox",
            "help@bench.example",
            "--batch",
            &dir_text,
        ],
        None,
    )?;
    let took = started.elapsed();
    report.add(
        "e-mail ingestion, batch (`steward mail ingest --batch`, a folder of .eml)",
        name,
        Some(size),
        format!(
            "{}/s ({} messages in {:.1} s)",
            thousands((batch_mail.len() as f64 / took.as_secs_f64()).round() as u64),
            batch_mail.len(),
            took.as_secs_f64()
        ),
        "",
        "≥ 500/s",
    );
    let lmtp_mail = mail::messages(&format!("{run}-lmtp"), args.mail_messages);
    let started = Instant::now();
    mail::lmtp_deliver(ctx.install.lmtp, &lmtp_mail).await?;
    let took = started.elapsed();
    report.add(
        "e-mail ingestion, LMTP (one connection, each message acknowledged)",
        name,
        Some(size),
        format!(
            "{}/s ({} messages in {:.1} s)",
            thousands((lmtp_mail.len() as f64 / took.as_secs_f64()).round() as u64),
            lmtp_mail.len(),
            took.as_secs_f64()
        ),
        "",
        "",
    );
    Ok(())
}

/// A large backlog of open tickets: the service-level clocks of all of them are recomputed when
/// the policy changes, and the scheduler runs the checks that fall due.
async fn backlog(args: &Args, ctx: &Ctx, report: &mut Report) -> anyhow::Result<()> {
    let name = ctx.name();
    let (_, token) = fill(ctx, args.sla_tickets, &["--open-percent", "100"])?;
    let bearer = format!("Bearer {token}");
    let (server, _) = ctx.install.start().await?;
    let addr = ctx.install.http;
    let result = async {
        // The checks of clocks that ran out while the data was written: every open ticket of the
        // past year has missed its targets, so each check fires a warning and a breach (history
        // and notifications).
        let (due, took) = drain_jobs(addr, Duration::from_secs(3600)).await?;
        report.add(
            "scheduler: due SLA checks run (each fires a warning and a breach)",
            name,
            Some(args.sla_tickets),
            format!(
                "{}/min ({} jobs in {:.1} s)",
                thousands((due as f64 / took.as_secs_f64().max(1e-9) * 60.0).round() as u64),
                thousands(due),
                took.as_secs_f64()
            ),
            "",
            "≥ 10,000/min",
        );
        let policies = http::once(
            addr,
            &Req::get("/api/v1/sla-policies").header("authorization", bearer.clone()),
        )
        .await?
        .expect(200)?;
        let p = policies
            .as_array()
            .and_then(|a| a.first())
            .context("the demo data has no SLA policy")?
            .clone();
        let id = p["id"].as_i64().context("policy id")?;
        let mut targets = p["targets"].clone();
        for level in ["critical", "high", "medium", "low"] {
            if let Some(m) = targets[level]["resolution_minutes"].as_i64() {
                targets[level]["resolution_minutes"] = json!(m * 2);
            }
        }
        let body = json!({
            "name": p["name"], "position": p["position"], "calendar_id": p["calendar_id"],
            "applies": p["applies"], "targets": targets, "pause_in": p["pause_in"],
            "warn_percent": p["warn_percent"], "escalation": p["escalation"],
            "is_default": p["is_default"],
        });
        let started = Instant::now();
        http::once(
            addr,
            &Req::json(Method::PUT, format!("/api/v1/sla-policies/{id}"), &body)
                .header("authorization", bearer.clone()),
        )
        .await?
        .expect(200)?;
        let took = started.elapsed();
        report.add(
            "SLA recomputation of all open tickets (a policy changed over the API)",
            name,
            Some(args.sla_tickets),
            format!("{:.2} s", took.as_secs_f64()),
            "",
            "< 2 s at 100,000",
        );
        anyhow::Ok(())
    }
    .await;
    server.stop().await;
    result
}

/// Percent-encodes a query for a URL.
fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
