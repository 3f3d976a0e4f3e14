//! SQLite straight through rusqlite: the helpers the writer ([`crate::writer`]) runs its
//! statements with, and reading a reader's rows on the asking thread, for the few queries that
//! read a million rows (a year's report, every open ticket's clocks).
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every row to the asking task
//! through a channel: each value of each row is copied into a new allocation on that thread, freed
//! on another, and each hand-over may wake a thread. That costs several times what SQLite takes to
//! read the row (a year's report at a million tickets: 0.5 s in SQLite, 6 s through sqlx).
//! Here the asking task takes the reader's connection from sqlx's thread for the whole statement
//! ([`sqlx::sqlite::SqliteConnection::lock_handle`], made for this) and steps through it with
//! rusqlite on the same handle, so rows never cross threads.
//!
//! This is the one module of Steward with `unsafe` code: one call that wraps the handle sqlx opened.

#![allow(unsafe_code)]

use sqlx::sqlite::SqliteConnection;

use crate::conn::{Cell, Cells, MAX_CELLS};
use crate::query::{Arg, Query};
use crate::{Result, StoreError};

/// Runs `f` on the connection's SQLite handle, as a rusqlite connection, on this thread: the only
/// `unsafe` of Steward.
async fn with_handle<R>(
    conn: &mut SqliteConnection,
    f: impl FnOnce(&rusqlite::Connection) -> Result<R>,
) -> Result<R> {
    let mut locked = conn.lock_handle().await?;
    let handle = locked.as_raw_handle();
    let out = blocking(|| {
        // SAFETY: `locked` keeps sqlx's worker thread off this handle (no FFI call on it or on
        // its statements) until it is dropped, which is after `db`: the handle is valid and ours
        // alone for `db`'s life. `from_handle` does not close the handle when `db` is dropped;
        // the statements `f` prepares are finalized when they are dropped, inside `f`.
        let db = unsafe { rusqlite::Connection::from_handle(handle.as_ptr()) }?;
        f(&db)
    });
    drop(locked);
    out
}

/// Runs `q` and gives `each` every row as `columns` cells, in order.
pub(crate) async fn each_row(
    conn: &mut SqliteConnection,
    q: &Query,
    columns: usize,
    each: &mut (dyn FnMut(&Cells) -> Result<()> + Send),
) -> Result<()> {
    with_handle(conn, |db| scan(db, q, columns, each)).await
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

/// Runs `q` and gives `each` every row as `columns` cells.
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
