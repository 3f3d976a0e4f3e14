//! Opening a database from its URL, and the pools behind [`Store`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::reader::Readers;
use crate::writer::Writer;
use crate::{Conn, Result, StoreError};

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How to size and tune the pools.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the PostgreSQL pool, or SQLite readers (SQLite always has one writer).
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the schema to use (tests use one schema each). `None` uses the default.
    pub pg_schema: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        StoreOptions {
            // Enough to keep every core busy while some connections wait on I/O.
            max_connections: (cores * 2 + 2).max(4),
            acquire_timeout: Duration::from_secs(10),
            pg_schema: None,
        }
    }
}

#[derive(Clone)]
enum Pools {
    /// SQLite allows one writer at a time: one connection writes ([`Writer`]), and write
    /// transactions queue for it in the process instead of failing with "database is locked".
    Sqlite {
        read: Arc<Readers>,
        write: Arc<Writer>,
    },
    Postgres(PgPool),
}

/// Use of one connection pool, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// The database: hands out connections for reads and transactions for writes. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
}

impl Store {
    /// The URL of the embedded database inside a data directory.
    pub fn sqlite_url_for_dir(dir: &std::path::Path) -> String {
        format!("sqlite:{}", dir.join("steward.db").display())
    }

    /// Opens the database at `url`: `sqlite:PATH` (created if missing) or `postgres://…`. Any other
    /// URL is refused rather than guessed at. Does not migrate; call [`Store::migrate`].
    pub async fn open(url: &str, opts: &StoreOptions) -> Result<Store> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Self::open_sqlite(path, opts).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url, opts).await
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(StoreError::BadUrl(format!(
                "unrecognised database URL (scheme {scheme:?}): use sqlite:PATH or postgres://USER@HOST/DB"
            )))
        }
    }

    async fn open_sqlite(path: &str, opts: &StoreOptions) -> Result<Store> {
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") {
            return Err(StoreError::BadUrl(
                "an in-memory SQLite database would lose everything on exit: give a file path (sqlite:PATH)".into(),
            ));
        }
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() && !parent.exists() {
                return Err(StoreError::BadUrl(format!(
                    "the directory {} does not exist",
                    parent.display()
                )));
            }
        }
        // The writer connects first, so the file exists and WAL mode is set before readers arrive
        // (they connect as they are needed).
        let write = Arc::new(Writer::open(
            path,
            opts.acquire_timeout.max(Duration::from_secs(30)),
        )?);
        let read = Arc::new(Readers::new(
            path,
            opts.max_connections,
            opts.acquire_timeout,
        ));
        Ok(Store {
            pools: Pools::Sqlite { read, write },
        })
    }

    async fn open_postgres(url: &str, opts: &StoreOptions) -> Result<Store> {
        let mut o = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(format!("invalid PostgreSQL URL: {e}")))?;
        o = o.application_name("steward");
        if let Some(schema) = &opts.pg_schema {
            o = o.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(o)
            .await?;
        Ok(Store {
            pools: Pools::Postgres(pool),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection for reading (no transaction).
    pub async fn read(&self) -> Result<Conn> {
        Ok(match &self.pools {
            Pools::Sqlite { read, .. } => Conn::sqlite_read(read.acquire().await?),
            Pools::Postgres(p) => Conn::pg_conn(p.acquire().await?),
        })
    }

    /// A transaction for writing; commit it with [`Conn::commit`], or drop it to roll back.
    pub async fn write(&self) -> Result<Conn> {
        // On PostgreSQL, beginning runs in a task of its own, so that a caller dropped half-way
        // (a client that hung up, a worker stopped) cannot leave the connection inside a
        // transaction that nothing will end; if nobody takes its transaction, dropping it rolls
        // back. (SQLite's writer begins without an await point after its BEGIN.)
        // The task only fails if the runtime is shutting down: the database is not reachable.
        let began = |_: tokio::task::JoinError| StoreError::Database(sqlx::Error::WorkerCrashed);
        Ok(match &self.pools {
            Pools::Sqlite { write, .. } => Conn::sqlite_write(write.begin().await?),
            Pools::Postgres(p) => {
                let pool = p.clone();
                let tx = tokio::spawn(async move { pool.begin().await })
                    .await
                    .map_err(began)??;
                Conn::pg_tx(tx)
            }
        })
    }

    /// A read-only transaction that sees the database as it is now for as long as it is held,
    /// whatever is written meanwhile (for exports and backups while Steward serves).
    pub async fn snapshot(&self) -> Result<Conn> {
        // On PostgreSQL begun in a task of its own, as in `write` (and so that the future is
        // `Send`).
        let began = |_: tokio::task::JoinError| StoreError::Database(sqlx::Error::WorkerCrashed);
        Ok(match &self.pools {
            // A deferred transaction on a WAL database keeps the snapshot of its first read.
            Pools::Sqlite { read, .. } => {
                let mut r = read.acquire().await?;
                r.begin()?;
                Conn::sqlite_read(r)
            }
            Pools::Postgres(p) => {
                let pool = p.clone();
                let tx = tokio::spawn(async move { pool.begin().await })
                    .await
                    .map_err(began)??;
                let mut c = Conn::pg_tx(tx);
                c.execute(crate::query::q(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                ))
                .await?;
                c
            }
        })
    }

    #[cfg(test)]
    pub(crate) fn sqlite_writer(&self) -> Option<&Arc<Writer>> {
        match &self.pools {
            Pools::Sqlite { write, .. } => Some(write),
            Pools::Postgres(_) => None,
        }
    }

    pub(crate) fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pools {
            Pools::Postgres(p) => Some(p),
            Pools::Sqlite { .. } => None,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut c = self.read().await?;
        // BIGINT on both: a bare 1 is a 32-bit integer on PostgreSQL.
        let _: (i64,) = c
            .fetch_one(crate::query::q("SELECT CAST(1 AS BIGINT)"))
            .await?;
        Ok(())
    }

    /// Use of each pool.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        fn stats<DB: sqlx::Database>(name: &'static str, p: &sqlx::Pool<DB>) -> PoolStats {
            PoolStats {
                name,
                size: p.size(),
                idle: p.num_idle() as u32,
                max: p.options().get_max_connections(),
            }
        }
        match &self.pools {
            Pools::Sqlite { read, write } => vec![
                {
                    let (size, idle, max) = read.stats();
                    PoolStats {
                        name: "sqlite_read",
                        size,
                        idle,
                        max,
                    }
                },
                PoolStats {
                    name: "sqlite_write",
                    size: 1,
                    idle: write.idle(),
                    max: 1,
                },
            ],
            Pools::Postgres(p) => vec![stats("postgres", p)],
        }
    }

    /// Refreshes the planner's statistics (after a bulk import: the search and queue queries
    /// choose their plans by how common values are). PostgreSQL's autovacuum does this by itself
    /// in time; SQLite's `PRAGMA optimize` only where it helps.
    pub async fn analyze(&self) -> crate::Result<()> {
        let mut c = self.write().await?;
        match self.backend() {
            Backend::Sqlite => c.execute_script("PRAGMA optimize = 0x10002").await?,
            Backend::Postgres => c.execute_script("ANALYZE").await?,
        }
        c.commit().await
    }

    /// Closes every connection, waiting for those in use to come back.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close();
                write.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A writer dropped at any point while it begins (a client that hung up) must not leave the
    /// one SQLite write connection inside a transaction: every later write would fail.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_dropped_half_way_leaves_no_transaction_behind() {
        let dir = std::env::temp_dir().join(format!("steward-store-cancel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&Store::sqlite_url_for_dir(&dir), &StoreOptions::default())
            .await
            .unwrap();
        for i in 0..3000u64 {
            let _ = tokio::time::timeout(Duration::from_micros(i % 120), store.write()).await;
        }
        for _ in 0..3 {
            let c = tokio::time::timeout(Duration::from_secs(10), store.write())
                .await
                .expect("a write begins")
                .expect("a write begins without error");
            c.commit().await.unwrap();
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
