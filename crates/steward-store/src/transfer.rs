//! Copying a whole database, table by table, whatever its backend.
//!
//! This is the logical export: JSON lines that back up a PostgreSQL installation and move an
//! installation between SQLite and PostgreSQL (`steward export`, `steward import`, and
//! `steward restore` of such a file). The tables and their columns are read from the database
//! itself, so a new migration needs nothing here. The file:
//!
//! ```text
//! {"format":"steward-export","version":1,"schema_version":14,"backend":"sqlite","exported_at":"…"}
//! {"table":"organisations","columns":[["id","int"],["name","text"],…],"rows":2}
//! [1,"Acme",…]
//! [2,"Globex",…]
//! {"table":"people",…}
//! …
//! {"end":true,"tables":52,"rows":123456}
//! ```
//!
//! Tables come parents first (by their foreign keys), so an import checks every reference as it
//! goes; a column that refers to its own table (a category's parent) is filled in after its table.
//! Blobs are base64. The full-text indexes are not copied: they are rebuilt by the target as rows
//! arrive. An import happens in one transaction into an empty database: it lands whole or not at
//! all, and a file cut short (its row counts or its last line missing) is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

use base64::Engine;
use serde_json::{json, Value};

use crate::query::{q, Arg, Query};
use crate::{Backend, Conn, Result, Store, StoreError};

/// The format's name and version in the first line.
pub const FORMAT: &str = "steward-export";
pub const FORMAT_VERSION: i64 = 1;

/// How a column's values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Bool,
    Text,
    Blob,
}

impl Kind {
    fn of_declared(t: &str) -> Option<Kind> {
        let t = t.to_ascii_lowercase();
        Some(if t.contains("int") {
            Kind::Int
        } else if t.contains("bool") {
            Kind::Bool
        } else if t.contains("text") || t.contains("char") {
            Kind::Text
        } else if t.contains("blob") || t.contains("bytea") {
            Kind::Blob
        } else {
            return None;
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Bool => "bool",
            Kind::Text => "text",
            Kind::Blob => "blob",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [Kind::Int, Kind::Bool, Kind::Text, Kind::Blob]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A column to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Columns that refer to this same table.
    pub self_refs: Vec<String>,
}

/// A blob as JSON.
pub(crate) fn blob_value(b: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(b))
}

fn bad(m: impl Into<String>) -> StoreError {
    StoreError::Corrupt(m.into())
}

/// Identifiers come from the database's own catalogue; quoted all the same.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Parents before children; ties alphabetically (the same order on both backends).
fn parents_first(tables: Vec<Table>, refs: &BTreeMap<String, BTreeSet<String>>) -> Vec<Table> {
    let mut left: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left
            .keys()
            .find(|name| {
                refs.get(*name)
                    .is_none_or(|ps| ps.iter().all(|p| p == *name || !left.contains_key(p)))
            })
            .cloned()
            // A cycle between tables (there is none today): break it at the first table.
            .or_else(|| left.keys().next().cloned());
        let Some(name) = ready else { break };
        if let Some(t) = left.remove(&name) {
            out.push(t);
        }
    }
    out
}

impl Store {
    /// The tables an export copies, parents before children: every table of Steward's schema but
    /// the migrations' own and the full-text indexes (SQLite's FTS5 tables and their shadow
    /// tables; PostgreSQL's `search` columns, generated or kept by triggers).
    pub async fn tables(&self) -> Result<Vec<Table>> {
        let mut c = self.read().await?;
        let backend = self.backend();
        let names: Vec<(String,)> = c
            .fetch_all(q(match backend {
                Backend::Sqlite => {
                    "SELECT name FROM sqlite_master
                     WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'
                       AND name <> 'steward_schema' AND sql NOT LIKE 'CREATE VIRTUAL%'
                       AND name NOT LIKE '%!_search!_%' ESCAPE '!'
                     ORDER BY name"
                }
                Backend::Postgres => {
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                       AND table_name <> 'steward_schema'
                     ORDER BY 1"
                }
            }))
            .await?;
        let fks: Vec<(String, String, String)> = c
            .fetch_all(q(match backend {
                Backend::Sqlite => {
                    "SELECT m.name, f.\"table\", f.\"from\" FROM sqlite_master m,
                            pragma_foreign_key_list(m.name) f
                     WHERE m.type = 'table'"
                }
                Backend::Postgres => {
                    "SELECT cl.relname::text, rf.relname::text, a.attname::text
                     FROM pg_constraint co
                     JOIN pg_class cl ON cl.oid = co.conrelid
                     JOIN pg_class rf ON rf.oid = co.confrelid
                     JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = ANY (co.conkey)
                     WHERE co.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace"
                }
            }))
            .await?;
        let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut self_refs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (table, parent, column) in fks {
            if table == parent {
                self_refs.entry(table.clone()).or_default().push(column);
            }
            refs.entry(table).or_default().insert(parent);
        }
        let mut tables = Vec::with_capacity(names.len());
        for (name,) in names {
            let cols: Vec<(String, String)> = c
                .fetch_all(
                    q(match backend {
                        Backend::Sqlite => {
                            "SELECT name, type FROM pragma_table_info($1) ORDER BY cid"
                        }
                        Backend::Postgres => {
                            "SELECT column_name::text, data_type::text FROM information_schema.columns
                             WHERE table_schema = current_schema() AND table_name = $1
                               AND is_generated = 'NEVER' AND data_type <> 'tsvector'
                             ORDER BY ordinal_position"
                        }
                    })
                    .bind(name.as_str()),
                )
                .await?;
            let mut columns = Vec::with_capacity(cols.len());
            for (col, declared) in cols {
                let kind = Kind::of_declared(&declared).ok_or_else(|| {
                    bad(format!(
                        "{name}.{col} has a type ({declared}) an export cannot copy"
                    ))
                })?;
                columns.push(Column { name: col, kind });
            }
            let mut own = self_refs.remove(&name).unwrap_or_default();
            own.sort();
            own.dedup();
            tables.push(Table {
                name,
                columns,
                self_refs: own,
            });
        }
        Ok(parents_first(tables, &refs))
    }

    /// Takes a consistent copy of an SQLite database into a new file while it is in use
    /// (`VACUUM INTO`: a snapshot, compacted). PostgreSQL has no such file: use [`export`].
    pub async fn sqlite_copy_to(&self, path: &std::path::Path) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::BadUrl(
                "a file copy is for SQLite; PostgreSQL is backed up with a logical export".into(),
            ));
        }
        let path = path
            .to_str()
            .ok_or_else(|| StoreError::BadUrl("the backup's path is not UTF-8".into()))?;
        let mut c = self.read().await?;
        c.execute(q("VACUUM INTO $1").bind(path)).await?;
        Ok(())
    }

    /// The first table that holds rows, if any (an import goes only into an empty database).
    pub async fn first_table_with_rows(&self) -> Result<Option<String>> {
        let mut c = self.read().await?;
        for t in self.tables().await? {
            let any: Option<(i64,)> = c
                .fetch_optional(q(&format!(
                    "SELECT CAST(1 AS BIGINT) FROM {} LIMIT 1",
                    ident(&t.name)
                )))
                .await?;
            if any.is_some() {
                return Ok(Some(t.name));
            }
        }
        Ok(None)
    }
}

/// What a check of an SQLite file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub schema_version: i64,
    pub people: i64,
    pub tickets: i64,
    pub messages: i64,
}

/// Checks an SQLite database file without changing it: that SQLite finds it sound
/// (`PRAGMA quick_check`), that it is Steward's, and what it holds.
pub async fn check_sqlite_file(path: &std::path::Path) -> Result<FileCheck> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    let mut c = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .connect()
        .await?;
    let problems: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check")
        .fetch_all(&mut c)
        .await?;
    if problems.first().map(|p| p.0.as_str()) != Some("ok") {
        let list: Vec<String> = problems.into_iter().take(5).map(|p| p.0).collect();
        return Err(bad(format!("the file is damaged: {}", list.join("; "))));
    }
    let version: Option<(i64,)> =
        sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM steward_schema")
            .fetch_optional(&mut c)
            .await
            .map_err(|_| bad("this SQLite file is not a Steward database"))?;
    let count = |t: &'static str| format!("SELECT COUNT(*) FROM {t}");
    let mut n = [0i64; 3];
    for (i, t) in ["people", "tickets", "messages"].into_iter().enumerate() {
        let (v,): (i64,) = sqlx::query_as(&count(t)).fetch_one(&mut c).await?;
        n[i] = v;
    }
    c.close().await?;
    Ok(FileCheck {
        schema_version: version.map_or(0, |v| v.0),
        people: n[0],
        tickets: n[1],
        messages: n[2],
    })
}

/// What an export or import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferReport {
    pub schema_version: i64,
    pub tables: u64,
    pub rows: u64,
    /// Rows per table.
    pub per_table: Vec<(String, u64)>,
}

/// Writes the whole database to `out` in the export format, from one snapshot (writes going on
/// meanwhile are not in it, and do not tear it). `progress` is told each table's name, its rows
/// done so far and its rows in all.
pub async fn export(
    store: &Store,
    out: &mut (impl Write + Send),
    exported_at: &str,
    progress: &mut (dyn FnMut(&str, u64, u64) + Send),
) -> Result<TransferReport> {
    let io = |e: std::io::Error| bad(format!("cannot write the export: {e}"));
    let tables = store.tables().await?;
    let schema_version = store.schema_version().await?;
    let mut c = store.snapshot().await?;
    let header = json!({
        "format": FORMAT, "version": FORMAT_VERSION, "schema_version": schema_version,
        "backend": store.backend().as_str(), "exported_at": exported_at,
    });
    writeln!(out, "{header}").map_err(io)?;
    let mut report = TransferReport {
        schema_version,
        ..Default::default()
    };
    for t in &tables {
        let (n,): (i64,) = c
            .fetch_one(q(&format!("SELECT COUNT(*) FROM {}", ident(&t.name))))
            .await?;
        let n = n as u64;
        let cols: Vec<Value> = t
            .columns
            .iter()
            .map(|c| json!([c.name, c.kind.as_str()]))
            .collect();
        writeln!(
            out,
            "{}",
            json!({ "table": t.name, "columns": cols, "rows": n })
        )
        .map_err(io)?;
        let list: Vec<String> = t.columns.iter().map(|c| ident(&c.name)).collect();
        let kinds: Vec<Kind> = t.columns.iter().map(|c| c.kind).collect();
        // In the order of the first column (the id, where there is one): stable and cheap.
        let sql = format!(
            "SELECT {} FROM {} ORDER BY 1",
            list.join(", "),
            ident(&t.name)
        );
        let mut done = 0u64;
        progress(&t.name, 0, n);
        c.fetch_each_values(q(&sql), &kinds, &mut |row| {
            serde_json::to_writer(&mut *out, &row)
                .map_err(|e| bad(format!("cannot write the export: {e}")))?;
            out.write_all(b"\n").map_err(io)?;
            done += 1;
            if done.is_multiple_of(10_000) {
                progress(&t.name, done, n);
            }
            Ok(())
        })
        .await?;
        if done != n {
            return Err(bad(format!("{}: counted {n} rows but read {done}", t.name)));
        }
        progress(&t.name, done, n);
        report.tables += 1;
        report.rows += done;
        report.per_table.push((t.name.clone(), done));
    }
    writeln!(
        out,
        "{}",
        json!({ "end": true, "tables": report.tables, "rows": report.rows })
    )
    .map_err(io)?;
    out.flush().map_err(io)?;
    Ok(report)
}

/// Reads the first line of an export: its schema version (or why it is not an export).
pub fn read_header(line: &str) -> Result<i64> {
    let h: Value = serde_json::from_str(line)
        .map_err(|_| bad("this is not a Steward export (its first line is not JSON)"))?;
    if h["format"] != FORMAT {
        return Err(bad(
            "this is not a Steward export (no \"format\": \"steward-export\")",
        ));
    }
    if h["version"].as_i64() != Some(FORMAT_VERSION) {
        return Err(bad(format!(
            "this export is in version {} of the format; this Steward reads version {FORMAT_VERSION}",
            h["version"]
        )));
    }
    h["schema_version"]
        .as_i64()
        .ok_or_else(|| bad("the export does not say its schema version"))
}

/// Rows per INSERT: within both databases' limits on parameters.
fn batch_rows(columns: usize) -> usize {
    (8_000 / columns.max(1)).max(1)
}

/// One table being loaded.
struct Loading {
    table: String,
    /// The target's kind of each column of the file, in the file's order.
    kinds: Vec<Kind>,
    names: Vec<String>,
    /// Positions (in the file's order) of columns that refer to the table itself, and of `id`.
    self_refs: Vec<usize>,
    id_at: Option<usize>,
    expected: u64,
    done: u64,
    pending: Vec<Vec<Value>>,
    /// (id, column position, value) of self-references, set after the table.
    later: Vec<(i64, usize, i64)>,
}

fn arg(kind: Kind, v: &Value, what: &dyn Fn() -> String) -> Result<Arg> {
    let wrong = || bad(format!("{}: {v} is not a {} value", what(), kind.as_str()));
    Ok(match (kind, v) {
        (Kind::Int, Value::Null) => Arg::Int(None),
        (Kind::Int, Value::Number(n)) => Arg::Int(Some(n.as_i64().ok_or_else(wrong)?)),
        (Kind::Bool, Value::Null) => Arg::Bool(None),
        (Kind::Bool, Value::Bool(b)) => Arg::Bool(Some(*b)),
        (Kind::Text, Value::Null) => Arg::Text(None),
        (Kind::Text, Value::String(s)) => Arg::Text(Some(s.clone())),
        (Kind::Blob, Value::Null) => Arg::Bytes(None),
        (Kind::Blob, Value::String(s)) => Arg::Bytes(Some(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| wrong())?,
        )),
        _ => return Err(wrong()),
    })
}

impl Loading {
    async fn flush(&mut self, tx: &mut Conn) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut sql = Query::default();
        let cols: Vec<String> = self.names.iter().map(|n| ident(n)).collect();
        sql.push(&format!(
            "INSERT INTO {} ({}) VALUES ",
            ident(&self.table),
            cols.join(", ")
        ));
        let rows = std::mem::take(&mut self.pending);
        for (r, row) in rows.iter().enumerate() {
            sql.push(if r == 0 { "(" } else { ", (" });
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let table = &self.table;
                let name = &self.names[i];
                let v = if self.self_refs.contains(&i) && !v.is_null() {
                    // Filled in once the whole table is there.
                    let id = self
                        .id_at
                        .and_then(|at| row[at].as_i64())
                        .ok_or_else(|| bad(format!("{table}: a row without an id")))?;
                    let to = v
                        .as_i64()
                        .ok_or_else(|| bad(format!("{table}.{name}: {v} is not an id")))?;
                    self.later.push((id, i, to));
                    &Value::Null
                } else {
                    v
                };
                sql.param(arg(self.kinds[i], v, &|| format!("{table}.{name}"))?);
            }
            sql.push(")");
        }
        tx.execute(sql).await?;
        Ok(())
    }

    async fn finish(mut self, tx: &mut Conn) -> Result<u64> {
        self.flush(tx).await?;
        if self.done != self.expected {
            return Err(bad(format!(
                "{}: the export promised {} rows but holds {}: the file is cut short or damaged",
                self.table, self.expected, self.done
            )));
        }
        for (id, col, to) in std::mem::take(&mut self.later) {
            tx.execute(
                q(&format!(
                    "UPDATE {} SET {} = $1 WHERE id = $2",
                    ident(&self.table),
                    ident(&self.names[col])
                ))
                .bind(to)
                .bind(id),
            )
            .await?;
        }
        Ok(self.done)
    }
}

/// Loads an export into `store`, which must be migrated to the export's schema version and hold
/// no rows, in one transaction. Afterwards the next ids and ticket numbers follow the highest
/// loaded. `progress` is told each table's name, rows done and rows in all.
pub async fn import(
    store: &Store,
    mut input: impl BufRead + Send,
    progress: &mut (dyn FnMut(&str, u64, u64) + Send),
) -> Result<TransferReport> {
    let io = |e: std::io::Error| bad(format!("cannot read the export: {e}"));
    let mut line = String::new();
    input.read_line(&mut line).map_err(io)?;
    let schema_version = read_header(&line)?;
    let ours = store.schema_version().await?;
    if schema_version != ours {
        return Err(bad(format!(
            "the export is of schema version {schema_version} and this database is at {ours}: \
             import with the Steward version that made the export (or upgrade the source first)"
        )));
    }
    if let Some(t) = store.first_table_with_rows().await? {
        return Err(StoreError::Conflict(format!(
            "the target database is not empty ({t} has rows): import into a new database"
        )));
    }
    let targets: BTreeMap<String, Table> = store
        .tables()
        .await?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    let mut tx = store.write().await?;
    let mut report = TransferReport {
        schema_version,
        ..Default::default()
    };
    let mut current: Option<Loading> = None;
    let mut ended = false;
    let mut n = 1u64;
    loop {
        line.clear();
        if input.read_line(&mut line).map_err(io)? == 0 {
            break;
        }
        n += 1;
        if ended {
            return Err(bad(format!(
                "line {n}: something follows the end of the export"
            )));
        }
        let v: Value =
            serde_json::from_str(&line).map_err(|e| bad(format!("line {n} is not JSON: {e}")))?;
        match v {
            Value::Array(row) => {
                let t = current
                    .as_mut()
                    .ok_or_else(|| bad(format!("line {n}: a row before any table")))?;
                if row.len() != t.names.len() {
                    return Err(bad(format!(
                        "line {n}: {} values for {} columns of {}",
                        row.len(),
                        t.names.len(),
                        t.table
                    )));
                }
                t.pending.push(row);
                t.done += 1;
                if t.pending.len() >= batch_rows(t.names.len()) {
                    t.flush(&mut tx).await?;
                    progress(&t.table, t.done, t.expected);
                }
            }
            Value::Object(o) if o.contains_key("table") => {
                if let Some(t) = current.take() {
                    let name = t.table.clone();
                    let (expected, rows) = (t.expected, t.finish(&mut tx).await?);
                    progress(&name, rows, expected);
                    report.tables += 1;
                    report.rows += rows;
                    report.per_table.push((name, rows));
                }
                let name = o
                    .get("table")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let target = targets
                    .get(&name)
                    .ok_or_else(|| bad(format!("line {n}: this database has no table {name:?}")))?;
                let cols = o
                    .get("columns")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad(format!("line {n}: a table without columns")))?;
                let mut names = vec![];
                let mut kinds = vec![];
                for c in cols {
                    let (cname, ckind) = (c[0].as_str().unwrap_or_default(), c[1].as_str());
                    let col = target
                        .columns
                        .iter()
                        .find(|x| x.name == cname)
                        .ok_or_else(|| bad(format!("line {n}: {name} has no column {cname:?}")))?;
                    if ckind.and_then(Kind::parse) != Some(col.kind) {
                        return Err(bad(format!(
                            "line {n}: {name}.{cname} is {} here but {} in the export",
                            col.kind.as_str(),
                            ckind.unwrap_or("nothing")
                        )));
                    }
                    names.push(cname.to_string());
                    kinds.push(col.kind);
                }
                let self_refs = names
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| target.self_refs.contains(c))
                    .map(|(i, _)| i)
                    .collect();
                let id_at = names.iter().position(|c| c == "id");
                let expected = o
                    .get("rows")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad(format!("line {n}: {name} does not say its rows")))?;
                progress(&name, 0, expected);
                current = Some(Loading {
                    table: name,
                    kinds,
                    names,
                    self_refs,
                    id_at,
                    expected,
                    done: 0,
                    pending: vec![],
                    later: vec![],
                });
            }
            Value::Object(o) if o.get("end") == Some(&Value::Bool(true)) => {
                if let Some(t) = current.take() {
                    let name = t.table.clone();
                    let (expected, rows) = (t.expected, t.finish(&mut tx).await?);
                    progress(&name, rows, expected);
                    report.tables += 1;
                    report.rows += rows;
                    report.per_table.push((name, rows));
                }
                if o.get("rows").and_then(Value::as_u64) != Some(report.rows) {
                    return Err(bad(format!(
                        "the export's last line promises {} rows but it holds {}",
                        o.get("rows").unwrap_or(&Value::Null),
                        report.rows
                    )));
                }
                ended = true;
            }
            _ => return Err(bad(format!("line {n}: neither a row, a table nor the end"))),
        }
    }
    if !ended {
        return Err(bad(
            "the export ends without its last line: the file is cut short",
        ));
    }
    if store.backend() == Backend::Postgres {
        // Identity columns and the ticket numbers continue after the highest loaded.
        for t in targets.values() {
            if t.columns
                .iter()
                .any(|c| c.name == "id" && c.kind == Kind::Int)
            {
                tx.execute(q(&format!(
                    "SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {}",
                    ident(&t.name)
                )).bind(t.name.as_str()))
                .await?;
            }
        }
        tx.execute(q(
            "SELECT setval('ticket_number_seq', COALESCE(MAX(number), 0) + 1, false) FROM tickets",
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Backups run on the server's runtime: their futures must be `Send` (sqlx's futures lose that
/// easily, which only shows where they are spawned). Checked when the tests compile.
#[cfg(test)]
#[allow(dead_code)]
fn futures_are_send(store: &'static Store, p: &'static std::path::Path, out: &'static mut Vec<u8>) {
    fn is_send<T: Send>(_: T) {}
    is_send(check_sqlite_file(p));
    is_send(store.sqlite_copy_to(p));
    is_send(store.snapshot());
    is_send(export(store, out, "", &mut |_, _, _| {}));
    is_send(import(store, &b""[..], &mut |_, _, _| {}));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> Table {
        Table {
            name: name.into(),
            columns: vec![],
            self_refs: vec![],
        }
    }

    #[test]
    fn parents_come_first() {
        let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        refs.entry("tickets".into())
            .or_default()
            .extend(["people".into(), "tickets".into()]);
        refs.entry("people".into())
            .or_default()
            .insert("organisations".into());
        refs.entry("messages".into())
            .or_default()
            .insert("tickets".into());
        let order: Vec<String> = parents_first(
            vec![
                t("messages"),
                t("tickets"),
                t("people"),
                t("organisations"),
                t("blobs"),
            ],
            &refs,
        )
        .into_iter()
        .map(|t| t.name)
        .collect();
        assert_eq!(
            order,
            ["blobs", "organisations", "people", "tickets", "messages"]
        );
    }

    #[test]
    fn kinds_and_values() {
        assert_eq!(Kind::of_declared("BIGINT"), Some(Kind::Int));
        assert_eq!(Kind::of_declared("boolean"), Some(Kind::Bool));
        assert_eq!(Kind::of_declared("bytea"), Some(Kind::Blob));
        assert_eq!(Kind::of_declared("tsvector"), None);
        let what = || "t.c".to_string();
        assert!(matches!(
            arg(Kind::Int, &json!(5), &what),
            Ok(Arg::Int(Some(5)))
        ));
        assert!(arg(Kind::Int, &json!("5"), &what).is_err());
        assert!(arg(Kind::Int, &json!(1.5), &what).is_err());
        assert!(arg(Kind::Bool, &json!(1), &what).is_err());
        let b = blob_value(&[0, 255, 10]);
        assert!(matches!(arg(Kind::Blob, &b, &what), Ok(Arg::Bytes(Some(v))) if v == [0, 255, 10]));
        assert!(arg(Kind::Blob, &json!("not base64!"), &what).is_err());
    }

    #[test]
    fn headers_are_checked() {
        assert_eq!(
            read_header(r#"{"format":"steward-export","version":1,"schema_version":14}"#).ok(),
            Some(14)
        );
        assert!(read_header("SQLite format 3").is_err());
        assert!(
            read_header(r#"{"format":"steward-export","version":2,"schema_version":14}"#).is_err()
        );
        assert!(read_header(r#"{"format":"other","version":1}"#).is_err());
    }
}
