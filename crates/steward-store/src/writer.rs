//! The SQLite writer: the one connection that writes, and the write transactions
//! ([`WriteTx`]) that take turns on it, several of them committed together.
//!
//! SQLite lets one connection write at a time, so every write transaction of the process waits
//! its turn for this connection. It is opened with rusqlite, not sqlx: sqlx runs an SQLite
//! connection on a thread of its own and every statement is a round trip to it, which on a
//! ticket creation of twenty statements cost more than SQLite's own work (the kernel switching
//! threads took 60 % of the time under load). Here a transaction runs its statements on the
//! asking task's thread, one after another, each prepared once per connection and kept.
//!
//! **Group commit.** A transaction that commits while others wait for their turn does not
//! commit alone: it releases its savepoint, hands the connection to the next, and waits for the
//! group's `COMMIT`, which the last of the group (the one that finds nobody waiting, or the
//! group full) runs for all. A transaction joining an open group runs inside a savepoint, so its
//! failure undoes only its own statements. Nobody is told their transaction committed before
//! the `COMMIT` that holds it did; if that `COMMIT` fails, every member is told so. Readers
//! see a group's writes when it commits, as they would see each transaction's.
//!
//! **Checkpoints off the writer.** SQLite copies its write-ahead log back into the database file
//! (a checkpoint, with an `fsync`) on the connection whose commit passes 1,000 pages of log: the
//! writer, holding up every transaction behind it. Here the writer never checkpoints; a thread
//! of its own with a connection of its own does, when the writer has changed enough rows since
//! the last one, at most four times a second (and once more when the store closes), while
//! transactions go on.
//!
//! **Other processes.** SQLite's lock has no queue: a `steward` command run beside a busy server
//! (a `token create` while the scheduler works through its due jobs) asked for it between two
//! of the server's transactions, found it taken each time, and gave up after ten seconds. A
//! process that finds the lock taken now says so in a file beside the database
//! (`steward.db-writer-waiting`, refreshed while it waits, removed once it has the lock), and a
//! writer that sees a fresh one before its next transaction leaves the lock free until the other
//! has taken it (at most a fifth of a second).
//!
//! Whoever leaves a group open relies on someone to close it: each member waiting for the
//! `COMMIT` also queues for the connection and closes its own group if it is still open when
//! its turn comes; a waiter or member that gives up (a dropped request) closes the group if the
//! connection is free.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard as StdGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

use crate::raw::blocking;
use crate::{Result, StoreError};

/// At most this many transactions commit together.
const MAX_MEMBERS: usize = 64;
/// A group open this long commits at the next chance, however many wait.
const MAX_AGE: Duration = Duration::from_millis(20);
/// How long a statement inside a transaction waits for another process's lock (rare: in WAL mode
/// only the start of a write transaction waits for other writers).
const IN_TX_BUSY: Duration = Duration::from_secs(1);
/// How long the start of a transaction waits, asynchronously, for another process to finish
/// writing (a `steward` command run beside the server).
const BEGIN_BUSY: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;
/// Rows the writer changes between checkpoints (a ticket creation changes about fifteen).
const CHECKPOINT_EVERY_ROWS: u64 = 2_000;
/// The least time between two checkpoints.
const CHECKPOINT_GAP: Duration = Duration::from_millis(250);

/// How long a writer leaves the lock to another process that waits for it (see the module
/// documentation).
const LEAVE_TO_OTHERS: Duration = Duration::from_millis(200);
/// A waiting process's file older than this is left over (the process is gone).
const WAITING_FRESH: Duration = Duration::from_secs(1);
/// How often a waiting process refreshes its file, and the longest pause between its attempts
/// once it has written it.
const WAITING_REFRESH: Duration = Duration::from_millis(250);
const WAITING_PAUSE: Duration = Duration::from_millis(4);

/// What a group's `COMMIT` came to, as told to its members.
type Outcome = std::result::Result<(), (i64, String)>;

/// The writer of one SQLite database.
pub(crate) struct Writer {
    state: Arc<Mutex<State>>,
    /// Transactions waiting for their turn (members waiting for their group's commit are not
    /// counted: a group is left open only for someone who will add to it).
    waiting: AtomicUsize,
    acquire_timeout: Duration,
    /// The file by which a process waiting for SQLite's lock says so.
    waiting_file: Option<std::path::PathBuf>,
}

/// This process waits for SQLite's lock: its file says so to other processes until dropped.
struct WaitingFile<'a> {
    path: &'a std::path::Path,
    written: Option<Instant>,
}

impl WaitingFile<'_> {
    /// Writes (or refreshes) the file.
    fn refresh(&mut self) {
        if self
            .written
            .is_none_or(|at| at.elapsed() >= WAITING_REFRESH)
        {
            // Best effort: without it this process only waits as it did before.
            if std::fs::write(self.path, std::process::id().to_string()).is_ok() {
                self.written = Some(Instant::now());
            }
        }
    }
}

impl Drop for WaitingFile<'_> {
    fn drop(&mut self) {
        if self.written.is_some() {
            let _ = std::fs::remove_file(self.path);
        }
    }
}

/// Whether another process has said (recently) that it waits for the lock.
fn another_waits(path: &std::path::Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|at| at.elapsed().map_or(true, |age| age < WAITING_FRESH))
}

struct State {
    /// `None` once the store is closed. (A mutex only so that the state may be shared between
    /// threads: whoever holds the state's lock is the only one to touch it.)
    db: StdMutex<Option<Connection>>,
    /// The transaction open on the connection, with the members waiting for its commit.
    group: Option<Group>,
    groups: u64,
    /// Tells the checkpoint thread to run; `None` once closed.
    checkpoint: Option<Checkpointer>,
    /// The writer's count of changed rows at the last checkpoint asked for.
    changes_at_checkpoint: u64,
}

struct Group {
    seq: u64,
    /// Transactions that have committed into it and wait for its `COMMIT`.
    members: usize,
    opened: Instant,
    done: watch::Sender<Option<Outcome>>,
}

fn closed() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

/// What a transaction that SQLite rolled back after an error answers from then on.
fn lost() -> StoreError {
    StoreError::Sqlite {
        code: 1,
        message: "the transaction was rolled back after an earlier error".into(),
    }
}

impl State {
    fn db(&self) -> StdGuard<'_, Option<Connection>> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with_db<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let db = self.db();
        f(db.as_ref().ok_or_else(closed)?)
    }

    /// Whether SQLite has no transaction open (it rolls one back by itself on some errors).
    fn autocommit(&self) -> bool {
        self.db().as_ref().is_none_or(Connection::is_autocommit)
    }

    /// Commits the open group, if any, and tells its members.
    fn finish(&mut self) -> Result<()> {
        let Some(g) = self.group.take() else {
            return Ok(());
        };
        let r = self.with_db(|db| Ok(db.execute_batch("COMMIT")?));
        if r.is_err() && !self.autocommit() {
            let _ = self.with_db(|db| Ok(db.execute_batch("ROLLBACK")?));
        }
        g.done.send_replace(Some(outcome(&r)));
        self.maybe_checkpoint();
        r
    }

    /// Asks the checkpoint thread to run if enough was written since it last was (without
    /// waiting for it: if it is still busy with the last request, nothing more is needed).
    fn maybe_checkpoint(&mut self) {
        let changes = self.db().as_ref().map_or(0, Connection::total_changes);
        if changes.saturating_sub(self.changes_at_checkpoint) >= CHECKPOINT_EVERY_ROWS {
            self.changes_at_checkpoint = changes;
            if let Some(c) = &self.checkpoint {
                let _ = c.ask.try_send(());
            }
        }
    }

    /// The open transaction was lost (SQLite rolled it back after an error): its members are
    /// told their commit failed.
    fn lose_group(&mut self, why: &StoreError) {
        if let Some(g) = self.group.take() {
            g.done.send_replace(Some(Err(code_and_message(why))));
        }
        if !self.autocommit() {
            let _ = self.with_db(|db| Ok(db.execute_batch("ROLLBACK")?));
        }
    }
}

fn code_and_message(e: &StoreError) -> (i64, String) {
    match e {
        StoreError::Sqlite { code, message } => (*code, message.clone()),
        other => (1, other.to_string()),
    }
}

fn outcome(r: &Result<()>) -> Outcome {
    r.as_ref().map(|_| ()).map_err(code_and_message)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy)
}

impl Writer {
    /// Opens (creating if missing) the database file for writing, in WAL mode.
    pub(crate) fn open(path: &str, acquire_timeout: Duration) -> Result<Writer> {
        use rusqlite::OpenFlags;
        let db = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        db.busy_timeout(BEGIN_BUSY)?;
        // The page cache: 32 MB for the writer (each reader has 2 MB, see `reader.rs`).
        db.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = memory; PRAGMA cache_size = -32000;",
        )?;
        db.busy_timeout(IN_TX_BUSY)?;
        db.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Checkpoints are the checkpoint thread's (see the module documentation).
        db.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
        let checkpoint = checkpoint_thread(path)?;
        Ok(Writer {
            state: Arc::new(Mutex::new(State {
                db: StdMutex::new(Some(db)),
                group: None,
                groups: 0,
                checkpoint: Some(checkpoint),
                changes_at_checkpoint: 0,
            })),
            waiting: AtomicUsize::new(0),
            acquire_timeout,
            waiting_file: Some(std::path::PathBuf::from(format!("{path}-writer-waiting"))),
        })
    }

    /// Waits for the connection and begins a transaction (or joins the open group's).
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<WriteTx> {
        let waiter = Waiter::new(self);
        let guard =
            match tokio::time::timeout(self.acquire_timeout, self.state.clone().lock_owned()).await
            {
                Ok(g) => g,
                Err(_) => return Err(StoreError::Database(sqlx::Error::PoolTimedOut)),
            };
        waiter.served();
        let mut tx = WriteTx {
            guard: Some(guard),
            writer: self.clone(),
            savepoint: false,
            lost: false,
        };
        tx.start().await?;
        Ok(tx)
    }

    /// Waits for the `COMMIT` of group `seq`, closing it when this member's turn comes first.
    async fn wait_for_group(
        self: &Arc<Self>,
        seq: u64,
        done: watch::Receiver<Option<Outcome>>,
    ) -> Result<()> {
        let mut told = done.clone();
        let mut leaving = Leaving {
            writer: self,
            seq,
            armed: true,
        };
        let decided = tokio::select! {
            biased;
            r = told.wait_for(Option::is_some) => r.map(|o| o.clone()).ok().flatten(),
            mut g = self.state.clone().lock_owned() => {
                if g.group.as_ref().is_some_and(|g| g.seq == seq) {
                    leaving.armed = false;
                    return g.finish();
                }
                drop(g);
                // Finished by someone else, who told the group before letting go.
                done.borrow().clone()
            }
        };
        leaving.armed = false;
        match decided {
            Some(Ok(())) => Ok(()),
            Some(Err((code, message))) => Err(StoreError::Sqlite { code, message }),
            None => Err(closed()),
        }
    }

    /// Commits any open group and closes the connection; later writes fail.
    pub(crate) async fn close(&self) {
        let mut g = self.state.lock().await;
        let _ = g.finish();
        // The checkpoint thread runs a last checkpoint and ends; waiting for it lets the last
        // connection to close remove the log, so the next start has none to read.
        if let Some(c) = g.checkpoint.take() {
            drop(c.ask);
            let _ = blocking(|| c.thread.join());
        }
        g.db().take();
    }

    /// 1 if the connection is free, 0 if a transaction holds it.
    pub(crate) fn idle(&self) -> u32 {
        u32::from(self.state.try_lock().is_ok())
    }

    /// Commits an open group if nobody holds or waits for the connection (called by whoever gives
    /// up waiting, so that no group is left open with nobody to close it).
    fn close_if_idle(&self, seq: Option<u64>) {
        if let Ok(mut g) = self.state.try_lock() {
            let open = g.group.as_ref().map(|g| g.seq);
            if open.is_some() && (seq.is_none() || seq == open) {
                let _ = g.finish();
            }
        }
    }
}

/// The thread that checkpoints the database whenever `ask` is sent to, and once more when `ask`
/// is dropped.
struct Checkpointer {
    ask: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<()>,
}

fn checkpoint_thread(path: &str) -> Result<Checkpointer> {
    use rusqlite::OpenFlags;
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    db.busy_timeout(BEGIN_BUSY)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
    let run = move || {
        // PASSIVE: copies what no reader still needs, waiting for nobody. A failure (the disk
        // full) is tried again at the next request; the log keeps everything meanwhile.
        if let Err(e) = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed; will try again");
        }
    };
    let thread = std::thread::Builder::new()
        .name("steward-sqlite-checkpoint".into())
        .spawn(move || {
            // At most one checkpoint per `CHECKPOINT_GAP`: requests meanwhile wait for the
            // gap's end, so a long burst of writes (a recompute of every clock) is copied in a
            // few large checkpoints, each with one `fsync`, rather than many small ones.
            let mut asked = rx.recv().is_ok();
            while asked {
                run();
                let until = Instant::now() + CHECKPOINT_GAP;
                asked = false;
                loop {
                    let left = until.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(left) {
                        Ok(()) => asked = true,
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                            run();
                            return;
                        }
                    }
                }
                if !asked {
                    asked = rx.recv().is_ok();
                }
            }
            run();
        })
        .map_err(|e| StoreError::Sqlite {
            code: 1,
            message: format!("cannot start the checkpoint thread: {e}"),
        })?;
    Ok(Checkpointer { ask: tx, thread })
}

/// Counts a transaction waiting for its turn; if it gives up, closes a group left open for it.
struct Waiter<'a> {
    writer: &'a Writer,
    served: bool,
}

impl<'a> Waiter<'a> {
    fn new(writer: &'a Writer) -> Self {
        writer.waiting.fetch_add(1, Ordering::AcqRel);
        Waiter {
            writer,
            served: false,
        }
    }
    fn served(mut self) {
        self.served = true;
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.writer.waiting.fetch_sub(1, Ordering::AcqRel);
        if !self.served {
            self.writer.close_if_idle(None);
        }
    }
}

/// A member that stops waiting for its group's commit (a dropped request) closes the group if
/// the connection is free.
struct Leaving<'a> {
    writer: &'a Writer,
    seq: u64,
    armed: bool,
}

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.writer.close_if_idle(Some(self.seq));
        }
    }
}

/// A write transaction on SQLite: holds the writer's connection from [`Writer::begin`] until it
/// commits or is dropped (which rolls back its own statements).
pub(crate) struct WriteTx {
    /// `None` once committed.
    guard: Option<OwnedMutexGuard<State>>,
    writer: Arc<Writer>,
    /// Inside a savepoint: joined a group others had committed into.
    savepoint: bool,
    /// SQLite rolled the transaction back after an error: nothing more may run in it.
    lost: bool,
}

impl WriteTx {
    fn state(&mut self) -> &mut State {
        // Held from `begin` until `commit` takes it, and `commit` consumes `self`.
        #[allow(clippy::expect_used)]
        self.guard
            .as_mut()
            .expect("a write transaction holds the writer")
    }

    /// Begins SQLite's transaction, or joins the open group inside a savepoint.
    async fn start(&mut self) -> Result<()> {
        let st = self.state();
        if let Some(g) = &st.group {
            let join = g.members > 0;
            if join {
                st.with_db(|db| Ok(db.execute_batch("SAVEPOINT steward_member")?))?;
            }
            self.savepoint = join;
            return Ok(());
        }
        if !st.autocommit() {
            // Left inside a transaction by a failure nothing noticed: start clean.
            tracing::warn!("rolling back a transaction left open on the SQLite writer");
            st.with_db(|db| Ok(db.execute_batch("ROLLBACK")?))?;
        }
        // BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads before it
        // writes cannot fail half-way because another process wrote in between. While another
        // process holds the lock, wait without holding up the thread.
        let writer = self.writer.clone();
        if let Some(file) = &writer.waiting_file {
            // Another process waits for the lock: leave it free until that one has it.
            let until = Instant::now() + LEAVE_TO_OTHERS;
            while another_waits(file) && Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let st = self.state();
        let deadline = Instant::now() + BEGIN_BUSY;
        let mut pause = Duration::from_millis(1);
        let mut waiting = writer.waiting_file.as_deref().map(|path| WaitingFile {
            path,
            written: None,
        });
        loop {
            let r = st.with_db(|db| {
                db.busy_timeout(Duration::ZERO)?;
                let r = db.execute_batch("BEGIN IMMEDIATE");
                db.busy_timeout(IN_TX_BUSY)?;
                Ok(r)
            })?;
            match r {
                Ok(()) => break,
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    // Say so, and try often: the holder leaves the lock free for a moment.
                    let max = match &mut waiting {
                        Some(w) => {
                            w.refresh();
                            WAITING_PAUSE
                        }
                        None => Duration::from_millis(50),
                    };
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(max);
                }
                Err(e) => return Err(e.into()),
            }
        }
        st.groups += 1;
        st.group = Some(Group {
            seq: st.groups,
            members: 0,
            opened: Instant::now(),
            done: watch::channel(None).0,
        });
        Ok(())
    }

    /// Runs `f` on the connection. If SQLite rolled the whole transaction back on the way (a full
    /// disk, an I/O error), the transaction and its group are lost and nothing more runs in it.
    pub(crate) fn run<R>(&mut self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        if self.lost {
            return Err(lost());
        }
        let st = self.state();
        let r = st.with_db(f);
        if let Err(e) = &r {
            if st.group.is_some() && st.autocommit() {
                st.lose_group(e);
                self.lost = true;
            }
        }
        r
    }

    /// Commits: at once if nobody waits for the writer, else into the group, returning when the
    /// group's `COMMIT` has run.
    pub(crate) async fn commit(mut self) -> Result<()> {
        if self.lost {
            return Err(lost());
        }
        if self.savepoint {
            self.run(|db| Ok(db.execute_batch("RELEASE steward_member")?))?;
            self.savepoint = false;
        }
        let writer = self.writer.clone();
        let Some(mut guard) = self.guard.take() else {
            return Ok(());
        };
        let Some(g) = guard.group.as_mut() else {
            return Err(closed());
        };
        g.members += 1;
        let full = g.members >= MAX_MEMBERS || g.opened.elapsed() >= MAX_AGE;
        if !full && writer.waiting.load(Ordering::Acquire) > 0 {
            let (seq, done) = (g.seq, g.done.subscribe());
            drop(guard);
            return writer.wait_for_group(seq, done).await;
        }
        guard.finish()
    }
}

impl Drop for WriteTx {
    /// Rolls back what this transaction did (only that: other members' work in its group stays).
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let st = &mut *guard;
        if self.lost || st.group.is_none() {
            return;
        }
        if self.savepoint {
            let undone = st.with_db(|db| {
                Ok(db.execute_batch("ROLLBACK TO steward_member; RELEASE steward_member")?)
            });
            if let Err(e) = undone {
                st.lose_group(&e);
                return;
            }
            if self.writer.waiting.load(Ordering::Acquire) == 0 {
                let _ = st.finish();
            }
        } else {
            // The first of its group: nobody else's work is in the transaction.
            let _ = st.with_db(|db| Ok(db.execute_batch("ROLLBACK")?));
            st.group = None;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::query::{q, Arg};
    use crate::{Store, StoreOptions};

    async fn store(name: &str) -> (Store, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("steward-writer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&Store::sqlite_url_for_dir(&dir), &StoreOptions::default())
            .await
            .unwrap();
        let mut c = store.write().await.unwrap();
        c.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
            .await
            .unwrap();
        c.commit().await.unwrap();
        (store, dir)
    }

    async fn values(store: &Store) -> Vec<String> {
        let mut c = store.read().await.unwrap();
        let rows: Vec<(String,)> = c.fetch_all(q("SELECT v FROM t ORDER BY v")).await.unwrap();
        rows.into_iter().map(|r| r.0).collect()
    }

    async fn until_waiting(w: &Writer, n: usize) {
        for _ in 0..5000 {
            if w.waiting.load(Ordering::Acquire) == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("never {n} waiting");
    }

    async fn transactions(w: &Writer) -> u64 {
        w.state.lock().await.groups
    }

    /// A transaction that commits while another waits joins a group: readers do not see it, and
    /// its commit does not return, until the group's COMMIT; the next member's failure undoes only
    /// that member's statements.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_commit_waits_for_its_group_and_a_failed_member_undoes_only_itself() {
        let (store, dir) = store("group").await;
        let w = store.sqlite_writer().unwrap().clone();
        let before = transactions(&w).await;

        let mut first = store.write().await.unwrap();
        first
            .execute(q("INSERT INTO t (v) VALUES ('first')"))
            .await
            .unwrap();
        let (inside_tx, inside) = tokio::sync::oneshot::channel();
        let (go, go_rx) = tokio::sync::oneshot::channel::<()>();
        let s2 = store.clone();
        let second = tokio::spawn(async move {
            let mut c = s2.write().await.unwrap();
            c.execute(q("INSERT INTO t (v) VALUES ('second')"))
                .await
                .unwrap();
            inside_tx.send(()).unwrap();
            go_rx.await.unwrap();
            let again = c.execute(q("INSERT INTO t (v) VALUES ('first')")).await;
            assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
            // Dropped: rolls back its own insert.
        });
        until_waiting(&w, 1).await;
        let committing = tokio::spawn(first.commit());
        inside.await.unwrap();
        assert!(
            values(&store).await.is_empty(),
            "seen before the group committed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !committing.is_finished(),
            "told committed before the group was"
        );
        go.send(()).unwrap();
        committing.await.unwrap().unwrap();
        second.await.unwrap();
        assert_eq!(values(&store).await, ["first"]);
        assert_eq!(
            transactions(&w).await,
            before + 1,
            "one transaction for both"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A member that stops waiting for its group (its request dropped) is still committed, by
    /// the next member.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_member_that_stops_waiting_is_still_committed() {
        let (store, dir) = store("leave").await;
        let w = store.sqlite_writer().unwrap().clone();
        let mut first = store.write().await.unwrap();
        first
            .execute(q("INSERT INTO t (v) VALUES ('first')"))
            .await
            .unwrap();
        let s2 = store.clone();
        let second = tokio::spawn(async move {
            let mut c = s2.write().await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            c.execute(q("INSERT INTO t (v) VALUES ('second')"))
                .await
                .unwrap();
            c.commit().await.unwrap();
        });
        until_waiting(&w, 1).await;
        // Gives up at once: it has committed into the group, which is still open.
        let gave_up = tokio::time::timeout(Duration::from_millis(1), first.commit()).await;
        assert!(gave_up.is_err());
        second.await.unwrap();
        assert_eq!(values(&store).await, ["first", "second"]);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The writer never checkpoints; the checkpoint thread copies the log into the database file
    /// once enough was written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checkpoint_thread_copies_the_log_into_the_file() {
        let (store, dir) = store("checkpoint").await;
        let file = dir.join("steward.db");
        let before = std::fs::metadata(&file).unwrap().len();
        for batch in 0..3 {
            let mut c = store.write().await.unwrap();
            let rows = (0..1000)
                .map(|i| vec![Arg::from(format!("{batch}-{i:04}-{}", "x".repeat(200)))])
                .collect();
            c.execute_each("INSERT INTO t (v) VALUES ($1)", rows)
                .await
                .unwrap();
            c.commit().await.unwrap();
        }
        let mut grown = 0;
        for _ in 0..500 {
            grown = std::fs::metadata(&file).unwrap().len();
            if grown > before + 500_000 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(grown > before + 500_000, "file {before} -> {grown} bytes");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Another process (here: another store on the same file) gets its turn while this one
    /// writes without pause: it says it waits, and the busy writer leaves it the lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_process_gets_its_turn_beside_a_busy_writer() {
        let (store, dir) = store("turns").await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // A hundred writers without pause, as the scheduler working through its due jobs: the
        // groups follow each other with next to no gap.
        let mut busy = tokio::task::JoinSet::new();
        for k in 0..100 {
            let (store, stop) = (store.clone(), stop.clone());
            busy.spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Acquire) {
                    let mut c = store.write().await.unwrap();
                    c.execute(q("INSERT INTO t (v) VALUES ($1)").bind(format!("busy{k}-{n}")))
                        .await
                        .unwrap();
                    c.commit().await.unwrap();
                    n += 1;
                }
                n
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The other process: this test binary again, running only `other_process_writes`.
        let exe = std::env::current_exe().unwrap();
        let out = tokio::task::spawn_blocking({
            let dir = dir.clone();
            move || {
                std::process::Command::new(exe)
                    .args([
                        "--exact",
                        "writer::tests::other_process_writes",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(OTHER_PROCESS_DIR, &dir)
                    .output()
            }
        })
        .await
        .unwrap()
        .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "the other process failed: {said}");
        assert!(said.contains("other process wrote 5"), "{said}");
        stop.store(true, Ordering::Release);
        let mut n = 0;
        while let Some(r) = busy.join_next().await {
            n += r.unwrap();
        }
        assert!(n > 10, "the busy writers wrote {n} times");
        assert!(!dir.join("steward.db-writer-waiting").exists());
        let got = values(&store).await;
        assert_eq!(got.iter().filter(|v| v.starts_with("other")).count(), 5);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Where `other_process_writes` finds the database (set only when
    /// `another_process_gets_its_turn_beside_a_busy_writer` runs it as a process of its own).
    const OTHER_PROCESS_DIR: &str = "STEWARD_TEST_OTHER_PROCESS_DIR";

    /// The other process of `another_process_gets_its_turn_beside_a_busy_writer`: five write
    /// transactions, each started within two seconds. Run alone (without the variable) it has
    /// nothing to do.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_process_writes() {
        let Some(dir) = std::env::var_os(OTHER_PROCESS_DIR) else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        let other = Store::open(&Store::sqlite_url_for_dir(&dir), &StoreOptions::default())
            .await
            .unwrap();
        for i in 0..5 {
            let started = Instant::now();
            let mut c = other.write().await.unwrap();
            c.execute(q("INSERT INTO t (v) VALUES ($1)").bind(format!("other{i}")))
                .await
                .unwrap();
            c.commit().await.unwrap();
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "the other process waited {:?}",
                started.elapsed()
            );
        }
        other.close().await;
        println!("other process wrote 5");
    }

    /// Many writers at once: every commit that returns is there, in fewer transactions than
    /// writers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_writers_commit_in_groups() {
        let (store, dir) = store("many").await;
        let w = store.sqlite_writer().unwrap().clone();
        let before = transactions(&w).await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..200 {
            let s = store.clone();
            tasks.spawn(async move {
                let mut c = s.write().await.unwrap();
                c.execute(q("INSERT INTO t (v) VALUES ($1)").bind(format!("v{i:03}")))
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
                c.commit().await.unwrap();
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let got = values(&store).await;
        assert_eq!(got.len(), 200);
        let used = transactions(&w).await - before;
        assert!(used < 200, "{used} transactions for 200 writers");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
