//! Schema migrations: numbered SQL files per backend, embedded in the binary, applied in order, each
//! in its own transaction. A database whose schema is newer than this binary knows is refused.

use crate::query::q;
use crate::{Backend, Result, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "workspace",
        sqlite: include_str!("../migrations/sqlite/0002_workspace.sql"),
        postgres: include_str!("../migrations/postgres/0002_workspace.sql"),
    },
    Migration {
        version: 3,
        name: "email",
        sqlite: include_str!("../migrations/sqlite/0003_email.sql"),
        postgres: include_str!("../migrations/postgres/0003_email.sql"),
    },
    Migration {
        version: 4,
        name: "mail_sources",
        sqlite: include_str!("../migrations/sqlite/0004_mail_sources.sql"),
        postgres: include_str!("../migrations/postgres/0004_mail_sources.sql"),
    },
    Migration {
        version: 5,
        name: "service_levels",
        sqlite: include_str!("../migrations/sqlite/0005_service_levels.sql"),
        postgres: include_str!("../migrations/postgres/0005_service_levels.sql"),
    },
    Migration {
        version: 6,
        name: "jobs",
        sqlite: include_str!("../migrations/sqlite/0006_jobs.sql"),
        postgres: include_str!("../migrations/postgres/0006_jobs.sql"),
    },
    Migration {
        version: 7,
        name: "assignment",
        sqlite: include_str!("../migrations/sqlite/0007_assignment.sql"),
        postgres: include_str!("../migrations/postgres/0007_assignment.sql"),
    },
    Migration {
        version: 8,
        name: "rules",
        sqlite: include_str!("../migrations/sqlite/0008_rules.sql"),
        postgres: include_str!("../migrations/postgres/0008_rules.sql"),
    },
    Migration {
        version: 9,
        name: "downtime",
        sqlite: include_str!("../migrations/sqlite/0009_downtime.sql"),
        postgres: include_str!("../migrations/postgres/0009_downtime.sql"),
    },
    Migration {
        version: 10,
        name: "automation",
        sqlite: include_str!("../migrations/sqlite/0010_automation.sql"),
        postgres: include_str!("../migrations/postgres/0010_automation.sql"),
    },
    Migration {
        version: 11,
        name: "search",
        sqlite: include_str!("../migrations/sqlite/0011_search.sql"),
        postgres: include_str!("../migrations/postgres/0011_search.sql"),
    },
    Migration {
        version: 12,
        name: "knowledge",
        sqlite: include_str!("../migrations/sqlite/0012_knowledge.sql"),
        postgres: include_str!("../migrations/postgres/0012_knowledge.sql"),
    },
    Migration {
        version: 13,
        name: "feedback_reports",
        sqlite: include_str!("../migrations/sqlite/0013_feedback_reports.sql"),
        postgres: include_str!("../migrations/postgres/0013_feedback_reports.sql"),
    },
    Migration {
        version: 14,
        name: "audit",
        sqlite: include_str!("../migrations/sqlite/0014_audit.sql"),
        postgres: include_str!("../migrations/postgres/0014_audit.sql"),
    },
    Migration {
        version: 15,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0015_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0015_accounts.sql"),
    },
    Migration {
        version: 16,
        name: "search_scope",
        sqlite: include_str!("../migrations/sqlite/0016_search_scope.sql"),
        postgres: include_str!("../migrations/postgres/0016_search_scope.sql"),
    },
];

/// The newest schema version this binary knows.
pub const MIGRATIONS_KNOWN: i64 = MIGRATIONS.len() as i64;

/// What [`Store::migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Schema version before.
    pub from: i64,
    /// Schema version now.
    pub to: i64,
}

impl Store {
    /// Brings the schema up to date. Safe to run from several processes at once.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        let mut tx = self.write().await?;
        if self.backend() == Backend::Postgres {
            // Serialise concurrent migrators (several nodes starting together).
            tx.execute(q("SELECT pg_advisory_xact_lock(7253017)"))
                .await?;
        }
        tx.execute_script(
            "CREATE TABLE IF NOT EXISTS steward_schema (
                version    BIGINT PRIMARY KEY,
                name       TEXT   NOT NULL,
                applied_at BIGINT NOT NULL
            )",
        )
        .await?;
        let (from,): (i64,) = tx
            .fetch_one(q("SELECT COALESCE(MAX(version), 0) FROM steward_schema"))
            .await?;
        if from > MIGRATIONS_KNOWN {
            return Err(StoreError::SchemaTooNew {
                found: from,
                known: MIGRATIONS_KNOWN,
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > from) {
            tracing::info!(version = m.version, name = m.name, "applying migration");
            let sql = match self.backend() {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            tx.execute_script(sql).await?;
            // The instant is informational only; the database's own clock is good enough for it.
            let now_sql = match self.backend() {
                Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
                Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT)",
            };
            tx.execute(
                q(&format!(
                    "INSERT INTO steward_schema (version, name, applied_at) VALUES ($1, $2, {now_sql})"
                ))
                .bind(m.version)
                .bind(m.name),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(MigrationReport {
            from,
            to: MIGRATIONS_KNOWN.max(from),
        })
    }

    /// The schema version of the database (0 if never migrated).
    pub async fn schema_version(&self) -> Result<i64> {
        let mut c = self.read().await?;
        let exists: Option<(String,)> = c
            .fetch_optional(q(match self.backend() {
                Backend::Sqlite => {
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'steward_schema'"
                }
                Backend::Postgres => {
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_name = 'steward_schema'"
                }
            }))
            .await?;
        if exists.is_none() {
            return Ok(0);
        }
        let (v,): (i64,) = c
            .fetch_one(q("SELECT COALESCE(MAX(version), 0) FROM steward_schema"))
            .await?;
        Ok(v)
    }

    /// Every table and its columns, sorted (for checking that both backends have the same schema).
    /// The full-text indexes differ by design and are left out: FTS5 tables (and their shadow
    /// tables) on SQLite, `search` tsvector columns on PostgreSQL.
    pub async fn describe_schema(&self) -> Result<Vec<(String, String)>> {
        let mut c = self.read().await?;
        let mut rows: Vec<(String, String)> = c
            .fetch_all(q(match self.backend() {
                Backend::Sqlite => {
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                       AND m.name NOT LIKE '%!_search' ESCAPE '!' AND m.name NOT LIKE '%!_search!_%' ESCAPE '!'
                     ORDER BY 1, 2"
                }
                Backend::Postgres => {
                    "SELECT table_name::text, column_name::text FROM information_schema.columns
                     WHERE table_schema = current_schema() AND column_name <> 'search' ORDER BY 1, 2"
                }
            }))
            .await?;
        rows.sort();
        Ok(rows)
    }
}
