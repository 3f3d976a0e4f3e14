//! SQLite's readers: a pool of read-only connections, opened as needed up to a limit, each used
//! by one task at a time. In WAL mode readers never wait for the writer nor it for them.
//!
//! Statements run on the asking task's thread ([`crate::raw`]); what may read many rows runs
//! inside [`crate::raw::blocking`], so other tasks move to another thread meanwhile.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Result, StoreError};

/// How long a reader waits for another process's lock (only while that process recovers or
/// checkpoints the log: in WAL mode readers do not wait for writers).
const BUSY: Duration = Duration::from_secs(10);
/// Prepared statements kept per reader.
const STATEMENT_CACHE: usize = 128;

/// The pool of readers of one database.
pub(crate) struct Readers {
    path: String,
    idle: StdMutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    max: u32,
    open: AtomicU32,
    closed: AtomicBool,
    acquire_timeout: Duration,
}

impl Readers {
    pub(crate) fn new(path: &str, max: u32, acquire_timeout: Duration) -> Readers {
        let max = max.max(1);
        Readers {
            path: path.to_string(),
            idle: StdMutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max as usize)),
            max,
            open: AtomicU32::new(0),
            closed: AtomicBool::new(false),
            acquire_timeout,
        }
    }

    fn connect(&self) -> Result<Connection> {
        use rusqlite::OpenFlags;
        let db = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        db.busy_timeout(BUSY)?;
        // A 2 MB page cache per reader, SQLite's default (the operating system's file cache
        // serves the rest): enough for the upper levels of the B-trees a request walks; a larger
        // one only held pages of long scans, 8 MB per reader for as long as the reader lived
        // (docs/benchmarks.md, memory).
        db.execute_batch("PRAGMA cache_size = -2000; PRAGMA temp_store = memory;")?;
        db.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        self.open.fetch_add(1, Ordering::AcqRel);
        Ok(db)
    }

    /// A reader, waiting for one to be free if all are in use.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<ReadConn> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Database(sqlx::Error::PoolClosed));
        }
        let permit =
            tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?
                .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let db = match idle {
            Some(db) => db,
            None => self.connect()?,
        };
        Ok(ReadConn {
            db: Some(db),
            readers: self.clone(),
            _permit: permit,
            in_tx: false,
        })
    }

    /// Closes the idle readers; those in use close when they come back.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        self.open.fetch_sub(idle.len() as u32, Ordering::AcqRel);
    }

    /// (open, idle, most) for metrics.
    pub(crate) fn stats(&self) -> (u32, u32, u32) {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len() as u32;
        (self.open.load(Ordering::Acquire), idle, self.max)
    }
}

/// A reader taken from the pool, given back when dropped (a snapshot it holds is ended first).
pub(crate) struct ReadConn {
    db: Option<Connection>,
    readers: Arc<Readers>,
    _permit: OwnedSemaphorePermit,
    in_tx: bool,
}

impl ReadConn {
    fn db(&self) -> &Connection {
        // Taken only in `drop`.
        #[allow(clippy::expect_used)]
        self.db
            .as_ref()
            .expect("a reader holds its connection until dropped")
    }

    /// Starts a read transaction: everything read until [`ReadConn::end`] (or drop) sees the
    /// database as of its first read.
    pub(crate) fn begin(&mut self) -> Result<()> {
        self.db().execute_batch("BEGIN")?;
        self.in_tx = true;
        Ok(())
    }

    /// Ends a read transaction begun with [`ReadConn::begin`].
    pub(crate) fn end(&mut self) -> Result<()> {
        if std::mem::take(&mut self.in_tx) {
            self.db().execute_batch("COMMIT")?;
        }
        Ok(())
    }

    /// Runs `f` on the connection.
    pub(crate) fn run<R>(&mut self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        f(self.db())
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        let Some(db) = self.db.take() else {
            return;
        };
        if self.in_tx || !db.is_autocommit() {
            // Rolling back a read ends it; if even that fails, the connection is not reused.
            if db.execute_batch("ROLLBACK").is_err() {
                self.readers.open.fetch_sub(1, Ordering::AcqRel);
                return;
            }
        }
        if self.readers.closed.load(Ordering::Acquire) {
            self.readers.open.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        self.readers
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(db);
    }
}
