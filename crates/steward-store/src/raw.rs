//! Statements on SQLite through rusqlite, shared by the writer ([`crate::writer`]) and the readers
//! ([`crate::reader`]): binding `$1`-style arguments, decoding rows into [`Record`]s or cells, and
//! SQLite's errors as the store's.
//!
//! Every statement runs on the asking task's thread. (sqlx, which Steward used for SQLite before,
//! runs each connection on a thread of its own and makes every statement and every row a round
//! trip to it: for a ticket creation of twenty statements, or a report of a million rows, the
//! trips cost several times SQLite's own work.) What may read or write many rows runs through
//! [`blocking`], so that other tasks move to another thread meanwhile.

use rusqlite::Connection;
use serde_json::Value;

use crate::conn::{Cell, Cells, MAX_CELLS};
use crate::query::{Arg, Query};
use crate::record::Record;
use crate::transfer::Kind;
use crate::{Result, StoreError};

/// The rows of `q`, each decoded as `T`, to `each`.
pub(crate) fn fetch_each<T: Record>(
    db: &Connection,
    q: &Query,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let mut stmt = db.prepare_cached(&q.sql)?;
    bind(&mut stmt, &q.args)?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        each(T::from_raw(row)?)?;
    }
    Ok(())
}

/// All rows of `q`, each decoded as `T`.
pub(crate) fn fetch_all<T: Record>(db: &Connection, q: &Query) -> Result<Vec<T>> {
    let mut out = Vec::new();
    fetch_each(db, q, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// The first row of `q`, if any.
pub(crate) fn fetch_optional<T: Record>(db: &Connection, q: &Query) -> Result<Option<T>> {
    let mut stmt = db.prepare_cached(&q.sql)?;
    bind(&mut stmt, &q.args)?;
    let mut rows = stmt.raw_query();
    match rows.next()? {
        Some(row) => Ok(Some(T::from_raw(row)?)),
        None => Ok(None),
    }
}

/// Runs `q`; the rows it changed.
pub(crate) fn execute(db: &Connection, q: &Query) -> Result<u64> {
    let mut stmt = db.prepare_cached(&q.sql)?;
    bind(&mut stmt, &q.args)?;
    Ok(stmt.raw_execute()? as u64)
}

/// `sql` once per row of arguments, on one prepared statement; the rows changed.
pub(crate) fn execute_each(db: &Connection, sql: &str, rows: &[Vec<Arg>]) -> Result<u64> {
    let mut stmt = db.prepare_cached(sql)?;
    let mut changed = 0u64;
    for args in rows {
        bind(&mut stmt, args)?;
        changed += stmt.raw_execute()? as u64;
    }
    Ok(changed)
}

/// Rows of any shape as JSON values read by `kinds` (see [`crate::Conn::fetch_each_values`]).
pub(crate) fn fetch_each_values(
    db: &Connection,
    q: &Query,
    kinds: &[Kind],
    each: &mut (dyn FnMut(Vec<Value>) -> Result<()> + Send),
) -> Result<()> {
    use rusqlite::types::ValueRef;
    let mut stmt = db.prepare(&q.sql)?;
    bind(&mut stmt, &q.args)?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        let mut v = Vec::with_capacity(kinds.len());
        for (i, k) in kinds.iter().enumerate() {
            v.push(match (k, row.get_ref(i)?) {
                (_, ValueRef::Null) => Value::Null,
                (Kind::Bool, ValueRef::Integer(n)) => Value::Bool(n != 0),
                (Kind::Blob, ValueRef::Blob(b) | ValueRef::Text(b)) => {
                    crate::transfer::blob_value(b)
                }
                (_, ValueRef::Integer(n)) => Value::from(n),
                (_, ValueRef::Real(f)) => Value::from(f),
                (_, ValueRef::Text(t)) => Value::from(String::from_utf8_lossy(t)),
                (_, ValueRef::Blob(b)) => crate::transfer::blob_value(b),
            });
        }
        each(v)?;
    }
    Ok(())
}

/// Binds the parameters of `stmt` to `args`: `$1`-style parameters are named parameters to
/// SQLite, numbered by first appearance, so each one's argument is found by its name (as sqlx
/// does); an unnamed `?` takes the argument at its position.
pub(crate) fn bind(stmt: &mut rusqlite::Statement<'_>, args: &[Arg]) -> Result<()> {
    for at in 1..=stmt.parameter_count() {
        let n = match stmt.parameter_name(at) {
            Some(name) => name
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| StoreError::Sqlite {
                    code: 1,
                    message: format!("unsupported parameter {name}"),
                })?,
            None => at,
        };
        let a = n
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .ok_or_else(|| StoreError::Sqlite {
                code: 1,
                message: format!("no argument for parameter ${n}"),
            })?;
        match a {
            Arg::Int(v) => stmt.raw_bind_parameter(at, v)?,
            Arg::Text(v) => stmt.raw_bind_parameter(at, v)?,
            Arg::Bool(v) => stmt.raw_bind_parameter(at, v)?,
            Arg::Bytes(v) => stmt.raw_bind_parameter(at, v)?,
        }
    }
    Ok(())
}

/// Runs `q` and gives `each` every row as `columns` cells (see [`crate::Conn::fetch_each_row`]).
pub(crate) fn scan(
    db: &rusqlite::Connection,
    q: &Query,
    columns: usize,
    each: &mut (dyn FnMut(&Cells) -> Result<()> + Send),
) -> Result<()> {
    use rusqlite::types::ValueRef;
    let mut stmt = db.prepare(&q.sql)?;
    bind(&mut stmt, &q.args)?;
    let columns = columns.min(MAX_CELLS);
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        let mut cells = [Cell::Null; MAX_CELLS];
        for (i, cell) in cells[..columns].iter_mut().enumerate() {
            *cell =
                match row.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Int(n),
                    ValueRef::Text(t) => Cell::Text(std::str::from_utf8(t).map_err(|_| {
                        StoreError::Corrupt(format!("column {i} is not UTF-8 text"))
                    })?),
                    ValueRef::Real(_) | ValueRef::Blob(_) => {
                        return Err(StoreError::Corrupt(format!(
                            "column {i} holds neither an integer nor text"
                        )))
                    }
                };
        }
        each(&Cells(&cells[..columns]))?;
    }
    Ok(())
}

/// Runs `f`, which blocks, where it does not stall other tasks: on a multi-threaded runtime the
/// worker's other tasks move elsewhere first. (Tests on a one-thread runtime just run it.)
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(code, message) => {
                let message = message.unwrap_or_else(|| code.to_string());
                match code.extended_code {
                    // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
                    2067 | 1555 => StoreError::Conflict(message),
                    // SQLITE_CONSTRAINT_FOREIGNKEY
                    787 => StoreError::BrokenReference(message),
                    n => StoreError::Sqlite {
                        code: i64::from(n),
                        message,
                    },
                }
            }
            other => StoreError::Sqlite {
                code: 1,
                message: other.to_string(),
            },
        }
    }
}
