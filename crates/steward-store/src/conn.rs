//! [`Conn`]: a database connection, or a transaction, on either backend. Every query method of the
//! store is defined once on it.

use sqlx::pool::PoolConnection;
use sqlx::{Database, Postgres, Transaction};

use crate::open::Backend;
use crate::query::{Arg, Query};
use crate::raw;
use crate::reader::ReadConn;
pub(crate) use crate::record::Record;
use crate::writer::WriteTx;
use crate::Result;

enum Hold<DB: Database> {
    Conn(PoolConnection<DB>),
    Tx(Transaction<'static, DB>),
}

impl<DB: Database> Hold<DB> {
    fn conn(&mut self) -> &mut DB::Connection {
        match self {
            Hold::Conn(c) => c,
            Hold::Tx(t) => t,
        }
    }

    async fn commit(self) -> Result<()> {
        if let Hold::Tx(t) = self {
            t.commit().await?;
        }
        Ok(())
    }
}

/// The most columns [`Conn::fetch_each_row`] reads.
pub(crate) const MAX_CELLS: usize = 24;

/// What a column read by [`Conn::fetch_each_row`] holds (an integer column may also be a
/// boolean: it is read as 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CellKind {
    Int,
    Text,
}

/// One value of a row read by [`Conn::fetch_each_row`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cell<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

/// A row of [`Cell`]s.
pub(crate) struct Cells<'r, 'a>(pub(crate) &'r [Cell<'a>]);

impl Cells<'_, '_> {
    /// Column `i` as an integer (`None` if null or not an integer).
    pub(crate) fn int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Cell::Int(n)) => Some(*n),
            _ => None,
        }
    }

    /// Column `i`, an integer that may not be null.
    pub(crate) fn need_int(&self, i: usize) -> Result<i64> {
        self.int(i)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("column {i} is not an integer")))
    }

    /// Column `i`, text that may not be null.
    pub(crate) fn need_text(&self, i: usize) -> Result<&str> {
        match self.0.get(i) {
            Some(Cell::Text(t)) => Ok(t),
            _ => Err(crate::StoreError::Corrupt(format!(
                "column {i} is not text"
            ))),
        }
    }
}

enum Inner {
    /// A reader, or a snapshot ([`crate::reader`]).
    SqliteRead(ReadConn),
    /// A write transaction on SQLite's one writer ([`crate::writer`]).
    SqliteWrite(WriteTx),
    Postgres(Hold<Postgres>),
}

/// The SQLite connection under a [`Conn`]: a reader's, or the writer's inside a transaction.
enum OnSqlite<'a> {
    Read(&'a mut ReadConn),
    Write(&'a mut WriteTx),
}

impl OnSqlite<'_> {
    /// Runs `f` on the connection, on this thread (quick statements).
    fn run<R>(self, f: impl FnOnce(&rusqlite::Connection) -> Result<R>) -> Result<R> {
        match self {
            OnSqlite::Read(r) => r.run(f),
            OnSqlite::Write(t) => t.run(f),
        }
    }

    /// Runs `f`, which may touch many rows, where it holds up no other task
    /// ([`crate::raw::blocking`]).
    fn run_many<R>(self, f: impl FnOnce(&rusqlite::Connection) -> Result<R>) -> Result<R> {
        crate::raw::blocking(|| self.run(f))
    }
}

/// Which backend a [`Conn`] is on, to run a statement there.
enum On<'a> {
    Sqlite(OnSqlite<'a>),
    Pg(&'a mut sqlx::PgConnection),
}

/// A connection for reads ([`crate::Store::read`]) or a transaction for writes
/// ([`crate::Store::write`]). A transaction that is dropped without [`Conn::commit`] rolls back.
pub struct Conn {
    inner: Inner,
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

impl Conn {
    pub(crate) fn sqlite_read(r: ReadConn) -> Self {
        Conn {
            inner: Inner::SqliteRead(r),
        }
    }
    pub(crate) fn sqlite_write(t: WriteTx) -> Self {
        Conn {
            inner: Inner::SqliteWrite(t),
        }
    }
    pub(crate) fn pg_conn(c: PoolConnection<Postgres>) -> Self {
        Conn {
            inner: Inner::Postgres(Hold::Conn(c)),
        }
    }
    pub(crate) fn pg_tx(t: Transaction<'static, Postgres>) -> Self {
        Conn {
            inner: Inner::Postgres(Hold::Tx(t)),
        }
    }

    fn on(&mut self) -> On<'_> {
        match &mut self.inner {
            Inner::SqliteRead(r) => On::Sqlite(OnSqlite::Read(r)),
            Inner::SqliteWrite(t) => On::Sqlite(OnSqlite::Write(t)),
            Inner::Postgres(h) => On::Pg(h.conn()),
        }
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::SqliteRead(_) | Inner::SqliteWrite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Makes a transaction's writes permanent (a no-op for a plain connection).
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            Inner::SqliteRead(mut r) => r.end(),
            Inner::SqliteWrite(t) => t.commit().await,
            Inner::Postgres(h) => h.commit().await,
        }
    }

    pub(crate) async fn fetch_all<T: Record>(&mut self, q: Query) -> Result<Vec<T>> {
        let h = match self.on() {
            On::Sqlite(s) => return s.run(|db| raw::fetch_all(db, &q)),
            On::Pg(h) => h,
        };
        let Query { sql, args } = q;
        bind_all!(sqlx::query::<Postgres>(&sql), args)
            .fetch_all(h)
            .await?
            .iter()
            .map(T::from_pg)
            .collect()
    }

    /// Rows one at a time, to `each`, without holding them all (a report over a million
    /// tickets). Stops at the first error `each` returns.
    pub(crate) async fn fetch_each<T: Record>(
        &mut self,
        q: Query,
        mut each: impl FnMut(T) -> Result<()> + Send,
    ) -> Result<()> {
        use futures_util::TryStreamExt;
        let h = match self.on() {
            On::Sqlite(s) => return s.run_many(|db| raw::fetch_each(db, &q, each)),
            On::Pg(h) => h,
        };
        let Query { sql, args } = q;
        let mut rows = bind_all!(sqlx::query::<Postgres>(&sql), args).fetch(h);
        while let Some(r) = rows.try_next().await? {
            each(T::from_pg(&r)?)?;
        }
        Ok(())
    }

    /// Rows of integers and text (`kinds`, one per column), one at a time, to `each`:
    /// the fastest way to read a million rows. On SQLite the rows never leave the thread that
    /// reads them ([`crate::raw`]); on both, text is lent, not copied.
    pub(crate) async fn fetch_each_row(
        &mut self,
        q: Query,
        kinds: &[CellKind],
        mut each: impl FnMut(&Cells) -> Result<()> + Send,
    ) -> Result<()> {
        use futures_util::TryStreamExt;
        let columns = kinds.len().min(MAX_CELLS);
        match self.on() {
            On::Sqlite(s) => s.run_many(|db| raw::scan(db, &q, columns, &mut each)),
            On::Pg(h) => {
                // As a binary COPY: sqlx's rows cost more than the reading (see `copy.rs`).
                let statement = crate::copy::copy_statement(&q)?;
                let mut stream = h.copy_out_raw(&statement).await?;
                let mut rows = crate::copy::BinaryRows::new(kinds);
                while let Some(chunk) = stream.try_next().await? {
                    rows.feed(&chunk, &mut each)?;
                }
                rows.finish()
            }
        }
    }

    /// Runs `sql` once for each row of arguments; returns the rows changed. On SQLite each run is
    /// a statement on the connection's own thread, with no trip between threads ([`crate::raw`]):
    /// the quickest way to write many rows there. (PostgreSQL is quicker with many rows in one
    /// statement, [`crate::bulk`]; here it runs them one by one.)
    pub(crate) async fn execute_each(&mut self, sql: &str, rows: Vec<Vec<Arg>>) -> Result<u64> {
        if let On::Sqlite(s) = self.on() {
            return s.run_many(|db| raw::execute_each(db, sql, &rows));
        }
        let mut changed = 0;
        for args in rows {
            changed += self
                .execute(Query {
                    sql: sql.to_string(),
                    args,
                })
                .await?;
        }
        Ok(changed)
    }

    /// Rows of any shape, one at a time, each as JSON values read by `kinds` (one per column of
    /// the result): for copying tables whatever their columns ([`crate::transfer`]).
    pub(crate) async fn fetch_each_values(
        &mut self,
        q: Query,
        kinds: &[crate::transfer::Kind],
        each: &mut (dyn FnMut(Vec<serde_json::Value>) -> Result<()> + Send),
    ) -> Result<()> {
        use crate::transfer::{blob_value, Kind};
        use futures_util::TryStreamExt;
        use serde_json::Value;
        use sqlx::Row;
        match self.on() {
            On::Sqlite(s) => s.run_many(|db| raw::fetch_each_values(db, &q, kinds, each))?,
            On::Pg(h) => {
                let Query { sql, args } = q;
                let mut rows = bind_all!(sqlx::query::<Postgres>(&sql), args).fetch(h);
                while let Some(r) = rows.try_next().await? {
                    let mut v = Vec::with_capacity(kinds.len());
                    for (i, k) in kinds.iter().enumerate() {
                        v.push(match k {
                            Kind::Int => r
                                .try_get::<Option<i64>, _>(i)?
                                .map_or(Value::Null, Value::from),
                            Kind::Bool => r
                                .try_get::<Option<bool>, _>(i)?
                                .map_or(Value::Null, Value::Bool),
                            Kind::Text => r
                                .try_get::<Option<String>, _>(i)?
                                .map_or(Value::Null, Value::from),
                            Kind::Blob => r
                                .try_get::<Option<Vec<u8>>, _>(i)?
                                .map_or(Value::Null, |b| blob_value(&b)),
                        });
                    }
                    each(v)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn fetch_optional<T: Record>(&mut self, q: Query) -> Result<Option<T>> {
        let h = match self.on() {
            On::Sqlite(s) => return s.run(|db| raw::fetch_optional(db, &q)),
            On::Pg(h) => h,
        };
        let Query { sql, args } = q;
        bind_all!(sqlx::query::<Postgres>(&sql), args)
            .fetch_optional(h)
            .await?
            .as_ref()
            .map(T::from_pg)
            .transpose()
    }

    /// One row, or [`crate::StoreError::NotFound`].
    pub(crate) async fn fetch_one<T: Record>(&mut self, q: Query) -> Result<T> {
        self.fetch_optional(q)
            .await?
            .ok_or(crate::StoreError::NotFound)
    }

    /// Runs a statement; returns the number of rows it touched.
    pub(crate) async fn execute(&mut self, q: Query) -> Result<u64> {
        let h = match self.on() {
            On::Sqlite(s) => return s.run(|db| raw::execute(db, &q)),
            On::Pg(h) => h,
        };
        let Query { sql, args } = q;
        Ok(bind_all!(sqlx::query::<Postgres>(&sql), args)
            .execute(h)
            .await?
            .rows_affected())
    }

    /// Runs several statements without arguments (migrations).
    pub(crate) async fn execute_script(&mut self, sql: &str) -> Result<()> {
        match self.on() {
            On::Sqlite(s) => s.run_many(|db| Ok(db.execute_batch(sql)?)),
            On::Pg(h) => {
                sqlx::raw_sql(sql).execute(h).await?;
                Ok(())
            }
        }
    }
}
