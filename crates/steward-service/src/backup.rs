//! Backups while Steward serves, and backups on a schedule with a number kept.
//!
//! On SQLite a backup is a copy of the database file taken from one snapshot (`VACUUM INTO`),
//! checked by opening it before it gets its final name; attachments are inside it. On PostgreSQL
//! it is the logical export ([`steward_store::transfer`]). Either is restored with
//! `steward restore`.

use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use steward_domain::audit::AuditAction;
use steward_store::transfer::{self, TransferReport};
use steward_store::Backend;

use crate::{Result, Service, ServiceError};

/// The scheduler's job that takes a backup.
pub(crate) const BACKUP: &str = "backup";
const BACKUP_KEY: &str = "backup:scheduled";

/// Backups on a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub every: SignedDuration,
    /// How many of the newest scheduled backups are kept.
    pub keep: usize,
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupMade {
    pub path: PathBuf,
    /// `sqlite` (a database file) or `export` (JSON lines).
    pub kind: &'static str,
    pub bytes: u64,
    pub schema_version: i64,
    pub tickets: i64,
    pub messages: i64,
}

/// The file name extension of a backup of `backend`.
pub fn backup_extension(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "db",
        Backend::Postgres => "jsonl",
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("{what}: {e}"))
}

impl Service {
    /// Takes a consistent backup into `path` (which must not exist) while Steward keeps serving.
    /// The file appears under its name only once it is complete and checked. `progress` hears
    /// of each table of a logical export.
    pub async fn backup_to(
        &self,
        path: &Path,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
    ) -> Result<BackupMade> {
        if path.exists() {
            return Err(ServiceError::Conflict(format!(
                "{} exists already: a backup never overwrites a file",
                path.display()
            )));
        }
        let partial = path.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let made = match self.store.backend() {
            Backend::Sqlite => {
                self.store.sqlite_copy_to(&partial).await?;
                let check = match transfer::check_sqlite_file(&partial).await {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = std::fs::remove_file(&partial);
                        return Err(e.into());
                    }
                };
                BackupMade {
                    path: path.to_path_buf(),
                    kind: "sqlite",
                    bytes: 0,
                    schema_version: check.schema_version,
                    tickets: check.tickets,
                    messages: check.messages,
                }
            }
            Backend::Postgres => {
                let file = std::fs::File::create(&partial)
                    .map_err(|e| failed(&format!("cannot create {}", partial.display()), e))?;
                let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
                let report =
                    transfer::export(&self.store, &mut out, &self.now().to_string(), progress)
                        .await;
                let report: TransferReport = match report {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = std::fs::remove_file(&partial);
                        return Err(e.into());
                    }
                };
                out.into_inner()
                    .map_err(|e| failed("cannot write the backup", e.error()))?
                    .sync_all()
                    .map_err(|e| failed("cannot write the backup", e))?;
                let rows = |t: &str| {
                    report
                        .per_table
                        .iter()
                        .find(|(n, _)| n == t)
                        .map_or(0, |(_, r)| *r as i64)
                };
                BackupMade {
                    path: path.to_path_buf(),
                    kind: "export",
                    bytes: 0,
                    schema_version: report.schema_version,
                    tickets: rows("tickets"),
                    messages: rows("messages"),
                }
            }
        };
        std::fs::rename(&partial, path)
            .map_err(|e| failed(&format!("cannot name the backup {}", path.display()), e))?;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let made = BackupMade { bytes, ..made };
        self.audit_operation(
            AuditAction::Backup,
            serde_json::json!({
                "path": path.display().to_string(), "kind": made.kind, "bytes": bytes,
                "tickets": made.tickets,
            }),
        )
        .await?;
        Ok(made)
    }

    /// The same service taking backups on `schedule` (`None`: never).
    pub fn with_backups(mut self, schedule: Option<BackupSchedule>) -> Self {
        self.backups = schedule.map(std::sync::Arc::new);
        self
    }

    /// Makes sure the next scheduled backup is planned (at start-up), or that none is when
    /// backups are off.
    pub async fn schedule_backups(&self) -> Result<()> {
        let mut tx = self.store.write().await?;
        match &self.backups {
            None => tx.cancel_job(BACKUP_KEY).await?,
            Some(s) => {
                if tx.pending_job(BACKUP_KEY).await?.is_none() {
                    let now = self.now();
                    let at = now.checked_add(s.every).unwrap_or(now);
                    tx.schedule_job(BACKUP, None, "", Some(BACKUP_KEY), at, now)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The scheduler's job: plans the next backup and takes this one in a task of its own (a
    /// large database takes minutes, which must not hold up the jobs behind it). A failure is
    /// logged as an error.
    pub(crate) async fn scheduled_backup(&self) -> Result<()> {
        let Some(s) = self.backups.clone() else {
            return Ok(());
        };
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.schedule_job(
            BACKUP,
            None,
            "",
            Some(BACKUP_KEY),
            now.checked_add(s.every).unwrap_or(now),
            now,
        )
        .await?;
        tx.commit().await?;
        let svc = self.clone();
        tokio::spawn(async move {
            match svc.take_scheduled_backup(&s).await {
                Ok(made) => {
                    tracing::info!(file = %made.path.display(), bytes = made.bytes, "backup taken")
                }
                Err(e) => {
                    tracing::error!(error = %e, dir = %s.dir.display(), "the scheduled backup failed")
                }
            }
        });
        Ok(())
    }

    /// A scheduled backup: a new file in the directory, and the oldest beyond the number kept
    /// deleted.
    pub async fn take_scheduled_backup(&self, s: &BackupSchedule) -> Result<BackupMade> {
        std::fs::create_dir_all(&s.dir)
            .map_err(|e| failed(&format!("cannot create {}", s.dir.display()), e))?;
        let ext = backup_extension(self.store.backend());
        let name = format!(
            "steward-backup-{}.{ext}",
            self.now().strftime("%Y%m%dT%H%M%SZ")
        );
        let made = self.backup_to(&s.dir.join(name), &mut |_, _, _| {}).await?;
        // Only files this schedule made are ever deleted.
        let mut ours: Vec<PathBuf> = std::fs::read_dir(&s.dir)
            .map_err(|e| failed(&format!("cannot read {}", s.dir.display()), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with("steward-backup-") && n.ends_with(&format!(".{ext}"))
                })
            })
            .collect();
        // The names sort by time.
        ours.sort();
        let surplus = ours.len().saturating_sub(s.keep.max(1));
        for old in &ours[..surplus] {
            if let Err(e) = std::fs::remove_file(old) {
                tracing::warn!(file = %old.display(), error = %e, "cannot delete an old backup");
            }
        }
        Ok(made)
    }
}
