//! Bulk statements: many rows passed as one JSON argument (an array of arrays) and read back as a
//! table by the database (`json_each` on SQLite, `json_array_elements` on PostgreSQL). One
//! statement with one argument replaces a multi-row `VALUES` list with thousands of arguments: the
//! statement text is the same for every batch (prepared once), and SQLite is spared binding many
//! numbered parameters, whose cost grows with the square of their count.

use crate::query::{Arg, Query};
use crate::Backend;

/// The SQL type of a column of bulk rows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    Int,
    Text,
    /// JSON `true`/`false`/`null`.
    Bool,
}

/// Appends `(SELECT … AS c0, … AS cN FROM <rows>) AS alias`: the rows of `json` (an array of
/// arrays, one inner array per row, its items in the order of `cols`) as a table with columns
/// `c0`, `c1`, ….
pub(crate) fn push_rows(
    query: &mut Query,
    backend: Backend,
    json: String,
    cols: &[Col],
    alias: &str,
) {
    query.push("(SELECT ");
    for (i, col) in cols.iter().enumerate() {
        if i > 0 {
            query.push(", ");
        }
        let item = match (backend, col) {
            (Backend::Sqlite, _) => format!("value ->> {i}"),
            (Backend::Postgres, Col::Int) => format!("(e ->> {i})::bigint"),
            (Backend::Postgres, Col::Text) => format!("(e ->> {i})"),
            (Backend::Postgres, Col::Bool) => format!("(e ->> {i})::boolean"),
        };
        query.push(&item).push(&format!(" AS c{i}"));
    }
    match backend {
        Backend::Sqlite => {
            query.push(" FROM json_each(").param(json).push(")");
        }
        Backend::Postgres => {
            query
                .push(" FROM json_array_elements(")
                .param(json)
                .push("::json) AS e");
        }
    }
    query.push(") AS ").push(alias);
}

/// One row of arguments as a JSON array (for [`push_rows`]; no bulk statement writes bytes, which
/// would become text).
pub(crate) fn json_row(args: &[Arg]) -> serde_json::Value {
    use serde_json::Value;
    Value::Array(
        args.iter()
            .map(|a| match a {
                Arg::Int(v) => v.map_or(Value::Null, Value::from),
                Arg::Text(v) => v.as_deref().map_or(Value::Null, Value::from),
                Arg::Bool(v) => v.map_or(Value::Null, Value::from),
                Arg::Bytes(v) => v
                    .as_deref()
                    .map_or(Value::Null, |b| Value::from(String::from_utf8_lossy(b))),
            })
            .collect(),
    )
}

/// Appends ` AND column IN (…)` for a list of ids, as one JSON argument.
pub(crate) fn push_ids_in(query: &mut Query, backend: Backend, column: &str, ids: &[i64]) {
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    query.push(" AND ").push(column).push(" IN (");
    match backend {
        Backend::Sqlite => {
            query
                .push("SELECT value FROM json_each(")
                .param(json)
                .push(")");
        }
        Backend::Postgres => {
            query
                .push("SELECT (e #>> '{}')::bigint FROM json_array_elements(")
                .param(json)
                .push("::json) AS e");
        }
    }
    query.push(")");
}

/// Appends ` AND column IN (…)` for a list of texts, as one JSON argument.
pub(crate) fn push_texts_in(query: &mut Query, backend: Backend, column: &str, texts: &[&str]) {
    let json = serde_json::to_string(texts).unwrap_or_else(|_| "[]".into());
    query.push(" AND ").push(column).push(" IN (");
    match backend {
        Backend::Sqlite => {
            query
                .push("SELECT value FROM json_each(")
                .param(json)
                .push(")");
        }
        Backend::Postgres => {
            query
                .push("SELECT json_array_elements_text(")
                .param(json)
                .push("::json)");
        }
    }
    query.push(")");
}
