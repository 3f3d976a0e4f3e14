//! `steward backup`, `restore`, `export` and `import`: the command line around
//! `steward_service::Service::backup_to` and `steward_store::transfer`.
//!
//! A backup of SQLite is a database file; of PostgreSQL, a logical export (JSON lines). `restore`
//! takes either into an empty database of either kind: a file onto SQLite is copied into place;
//! anything else goes row by row through the export format. `export`/`import` are that format
//! explicitly, for moving between SQLite and PostgreSQL.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use steward_domain::audit::AuditAction;
use steward_service::{Service, SystemClock};
use steward_store::transfer::{self, TransferReport};
use steward_store::{Store, StoreOptions, MIGRATIONS_KNOWN};

use crate::config::Config;
use crate::server;

/// What a file holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Sqlite,
    Export,
}

/// Tells an SQLite file from an export (or says it is neither).
pub fn file_kind(path: &Path) -> anyhow::Result<FileKind> {
    let mut head = [0u8; 32];
    let n = std::fs::File::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .read(&mut head)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let head = &head[..n];
    if head.starts_with(b"SQLite format 3\0") {
        Ok(FileKind::Sqlite)
    } else if head.starts_with(b"{") {
        Ok(FileKind::Export)
    } else {
        bail!(
            "{} is neither a Steward backup of SQLite nor an export (JSON lines)",
            path.display()
        )
    }
}

/// A progress bar per table, on standard error, hidden when that is not a terminal.
fn table_progress() -> (indicatif::ProgressBar, impl FnMut(&str, u64, u64) + Send) {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:<24} {bar:40} {pos}/{len} rows {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    let mut current = String::new();
    let f = move |table: &str, done: u64, total: u64| {
        if table != current {
            current = table.to_string();
            b.reset();
            b.set_message(current.clone());
        }
        b.set_length(total);
        b.set_position(done);
    };
    (bar, f)
}

fn summary(r: &TransferReport) -> String {
    let get = |t: &str| {
        r.per_table
            .iter()
            .find(|(n, _)| n == t)
            .map_or(0, |(_, v)| *v)
    };
    format!(
        "{} tables, {} rows ({} tickets, {} messages, {} people)",
        r.tables,
        r.rows,
        get("tickets"),
        get("messages"),
        get("people")
    )
}

/// `steward backup --to FILE`.
pub async fn backup(config: Config, to: PathBuf) -> anyhow::Result<()> {
    let store = server::open_store(&config).await?;
    let svc = Service::new(store.clone(), Arc::new(SystemClock));
    let (bar, mut progress) = table_progress();
    let started = std::time::Instant::now();
    let made = steward_service::with_origin(
        crate::cli::command_line(),
        svc.backup_to(&to, &mut progress),
    )
    .await;
    bar.finish_and_clear();
    store.close().await;
    let made = made?;
    println!(
        "backup written to {} ({}, {:.1} MB, schema version {}, {} tickets, {} messages) in {:.1} s",
        made.path.display(),
        if made.kind == "sqlite" {
            "an SQLite database file, checked"
        } else {
            "a logical export"
        },
        made.bytes as f64 / 1e6,
        made.schema_version,
        made.tickets,
        made.messages,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `steward export --to FILE`.
pub async fn export(config: Config, to: PathBuf) -> anyhow::Result<()> {
    if to.exists() {
        bail!(
            "{} exists already: an export never overwrites a file",
            to.display()
        );
    }
    let store = server::open_store(&config).await?;
    let partial = to.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let (bar, mut progress) = table_progress();
    let started = std::time::Instant::now();
    let now = steward_service::Clock::now(&SystemClock);
    let report = transfer::export(&store, &mut out, &now.to_string(), &mut progress).await;
    bar.finish_and_clear();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_file(&partial);
            store.close().await;
            return Err(e).context("the export failed");
        }
    };
    out.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", partial.display(), e.error()))?
        .sync_all()?;
    std::fs::rename(&partial, &to)?;
    let svc = Service::new(store.clone(), Arc::new(SystemClock));
    steward_service::with_origin(
        crate::cli::command_line(),
        svc.audit_operation(
            AuditAction::Export,
            serde_json::json!({ "what": "database", "path": to.display().to_string(), "rows": report.rows }),
        ),
    )
    .await?;
    store.close().await;
    println!(
        "exported {} to {} in {:.1} s",
        summary(&report),
        to.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where the configured database is: an SQLite file's path, or `None` for PostgreSQL.
fn sqlite_target(config: &Config) -> Option<PathBuf> {
    match &config.database_url {
        None => Some(config.data_dir.join("steward.db")),
        Some(url) => url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(|p| PathBuf::from(p.split('?').next().unwrap_or_default())),
    }
}

/// Makes sure the SQLite target holds nothing: it does not exist, or it is an empty Steward
/// database, which is removed (with its journal) to make room.
async fn clear_sqlite_target(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        return Ok(());
    }
    let url = format!("sqlite:{}", path.display());
    let store = Store::open(&url, &StoreOptions::default()).await?;
    let rows = if store.schema_version().await? == 0 {
        None
    } else {
        store.first_table_with_rows().await?
    };
    store.close().await;
    if let Some(t) = rows {
        bail!(
            "{} already holds data ({t} has rows): restore into an empty data directory \
             (move this one away, or give --data-dir a new directory)",
            path.display()
        );
    }
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    Ok(())
}

/// Loads an export file into the configured (empty) database.
async fn import_file(config: &Config, from: &Path) -> anyhow::Result<(Store, TransferReport)> {
    if let Some(path) = sqlite_target(config) {
        clear_sqlite_target(&path).await?;
    }
    let store = server::open_store(config).await?;
    let file =
        std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let input = BufReader::with_capacity(1 << 20, file);
    let (bar, mut progress) = table_progress();
    let report = transfer::import(&store, input, &mut progress).await;
    bar.finish_and_clear();
    match report {
        Ok(r) => Ok((store, r)),
        Err(e) => {
            store.close().await;
            Err(e).with_context(|| format!("cannot import {}; nothing was loaded", from.display()))
        }
    }
}

async fn record_import(store: &Store, from: &Path, how: &str, rows: u64) -> anyhow::Result<()> {
    let svc = Service::new(store.clone(), Arc::new(SystemClock));
    steward_service::with_origin(
        crate::cli::command_line(),
        svc.audit_operation(
            AuditAction::Import,
            serde_json::json!({ "from": from.display().to_string(), "how": how, "rows": rows }),
        ),
    )
    .await?;
    Ok(())
}

/// `steward import --from FILE`: an export into an empty database.
pub async fn import(config: Config, from: PathBuf) -> anyhow::Result<()> {
    if file_kind(&from)? != FileKind::Export {
        bail!(
            "{} is an SQLite database file, not an export: use steward restore --from {}",
            from.display(),
            from.display()
        );
    }
    let started = std::time::Instant::now();
    let (store, report) = import_file(&config, &from).await?;
    record_import(&store, &from, "import", report.rows).await?;
    store.close().await;
    println!(
        "imported {} in {:.1} s",
        summary(&report),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `steward restore --from FILE`: a backup (or an export) into an empty database, checked.
pub async fn restore(config: Config, from: PathBuf) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let kind = file_kind(&from)?;
    let target = sqlite_target(&config);
    let (store, how, rows) = match (kind, target) {
        (FileKind::Sqlite, Some(path)) => {
            let check = transfer::check_sqlite_file(&from)
                .await
                .with_context(|| format!("{} cannot be restored", from.display()))?;
            if check.schema_version > MIGRATIONS_KNOWN {
                bail!(
                    "the backup's schema is at version {}, newer than this Steward knows ({MIGRATIONS_KNOWN}): restore it with a newer Steward",
                    check.schema_version
                );
            }
            clear_sqlite_target(&path).await?;
            let partial = PathBuf::from(format!("{}.restoring", path.display()));
            std::fs::copy(&from, &partial).with_context(|| {
                format!("cannot copy {} to {}", from.display(), partial.display())
            })?;
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, &path)?;
            // Opening migrates an older backup to this version of Steward.
            let store = server::open_store(&config).await?;
            let found = transfer::check_sqlite_file(&path).await?;
            println!(
                "restored {} people, {} tickets and {} messages into {} (checked)",
                found.people,
                found.tickets,
                found.messages,
                path.display()
            );
            (store, "sqlite file", found.tickets as u64)
        }
        (FileKind::Sqlite, None) => {
            // An SQLite backup into PostgreSQL: through the export format, from a copy (opening
            // a database file changes it, and a backup stays as it was).
            let dir = std::env::temp_dir().join(format!("steward-restore-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let copy = dir.join("steward.db");
            std::fs::copy(&from, &copy)?;
            let result = async {
                let source =
                    Store::open(&Store::sqlite_url_for_dir(&dir), &StoreOptions::default()).await?;
                source.migrate().await?;
                let export = dir.join("export.jsonl");
                let mut out =
                    std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&export)?);
                let (bar, mut progress) = table_progress();
                let r = transfer::export(&source, &mut out, "", &mut progress).await;
                bar.finish_and_clear();
                source.close().await;
                r?;
                drop(out);
                import_file(&config, &export).await
            }
            .await;
            let _ = std::fs::remove_dir_all(&dir);
            let (store, report) = result?;
            println!("restored {}", summary(&report));
            (store, "sqlite file into postgres", report.rows)
        }
        (FileKind::Export, _) => {
            let (store, report) = import_file(&config, &from).await?;
            println!("restored {}", summary(&report));
            (store, "export", report.rows)
        }
    };
    record_import(&store, &from, how, rows).await?;
    store.close().await;
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
