//! Reading many rows from PostgreSQL as `COPY (…) TO STDOUT (FORMAT binary)`, for
//! [`crate::Conn::fetch_each_row`].
//!
//! A report of a year reads a million rows; through sqlx's rows, each column of each row was
//! checked against its type and decoded on its own, which took more of Steward's time than adding
//! the rows up (the profile: `Row::try_get` and the type comparisons behind it, 35 %). `COPY`
//! sends the same rows as a plain binary stream, read here straight into [`Cell`]s.
//!
//! `COPY` takes no parameters, so the query's arguments are written into its text as literals
//! ([`inline`]): integers as digits, text as an escaped string constant (`E'…'`, with `\` and
//! `'` doubled), so no argument can end its literal.

use crate::conn::{Cell, CellKind, Cells, MAX_CELLS};
use crate::query::{Arg, Query};
use crate::{Result, StoreError};

/// The statement that copies `q`'s rows out in binary, its arguments written in.
pub(crate) fn copy_statement(q: &Query) -> Result<String> {
    Ok(format!(
        "COPY ({}) TO STDOUT (FORMAT binary)",
        inline(&q.sql, &q.args)?
    ))
}

/// `sql` with each `$N` outside quotes replaced by argument `N` as an SQL literal.
pub(crate) fn inline(sql: &str, args: &[Arg]) -> Result<String> {
    let mut out = String::with_capacity(sql.len() + args.len() * 8);
    let mut quoted = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
            out.push(c);
            continue;
        }
        if c != '$' || quoted {
            out.push(c);
            continue;
        }
        let mut n = 0usize;
        let mut digits = 0;
        while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            n = n
                .saturating_mul(10)
                .saturating_add(d as usize - '0' as usize);
            digits += 1;
            chars.next();
        }
        if digits == 0 {
            out.push(c);
            continue;
        }
        let arg = n
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("query without argument ${n}")))?;
        literal(&mut out, arg)?;
    }
    Ok(out)
}

fn literal(out: &mut String, arg: &Arg) -> Result<()> {
    match arg {
        Arg::Int(Some(v)) => out.push_str(&v.to_string()),
        Arg::Bool(Some(v)) => out.push_str(if *v { "TRUE" } else { "FALSE" }),
        Arg::Text(Some(s)) => {
            if s.contains('\0') {
                return Err(StoreError::Corrupt("text with a NUL character".into()));
            }
            out.push_str("E'");
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("''"),
                    c => out.push(c),
                }
            }
            out.push('\'');
        }
        Arg::Bytes(Some(b)) => {
            // Hex digits only, whatever the server's string settings.
            out.push_str("decode('");
            for byte in b {
                out.push_str(&format!("{byte:02x}"));
            }
            out.push_str("', 'hex')");
        }
        Arg::Int(None) | Arg::Bool(None) | Arg::Text(None) | Arg::Bytes(None) => {
            out.push_str("NULL")
        }
    }
    Ok(())
}

/// The binary `COPY` stream, cut into rows as its chunks arrive.
pub(crate) struct BinaryRows<'k> {
    kinds: &'k [CellKind],
    buf: Vec<u8>,
    header: bool,
    ended: bool,
}

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("PostgreSQL's binary copy: {what}"))
}

impl<'k> BinaryRows<'k> {
    pub(crate) fn new(kinds: &'k [CellKind]) -> Self {
        BinaryRows {
            kinds: &kinds[..kinds.len().min(MAX_CELLS)],
            buf: Vec::new(),
            header: false,
            ended: false,
        }
    }

    /// Takes the next chunk and gives `each` every row it completes.
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        each: &mut impl FnMut(&Cells) -> Result<()>,
    ) -> Result<()> {
        self.buf.extend_from_slice(chunk);
        let mut at = 0;
        if !self.header {
            // Signature, flags, and the header extension's length and bytes.
            if self.buf.len() < SIGNATURE.len() + 8 {
                return Ok(());
            }
            if &self.buf[..SIGNATURE.len()] != SIGNATURE {
                return Err(corrupt("no signature"));
            }
            let ext = be_u32(&self.buf[SIGNATURE.len() + 4..]) as usize;
            let len = SIGNATURE.len() + 8 + ext;
            if self.buf.len() < len {
                return Ok(());
            }
            at = len;
            self.header = true;
        }
        while !self.ended {
            match self.row(at, each)? {
                Some(next) => at = next,
                None => break,
            }
        }
        self.buf.drain(..at);
        Ok(())
    }

    /// Reads the row at `at` if it is whole: where the next begins.
    fn row(
        &mut self,
        at: usize,
        each: &mut impl FnMut(&Cells) -> Result<()>,
    ) -> Result<Option<usize>> {
        let buf = &self.buf;
        let Some(count) = buf.get(at..at + 2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        if count == -1 {
            self.ended = true;
            return Ok(Some(at + 2));
        }
        let count = usize::try_from(count).map_err(|_| corrupt("a negative column count"))?;
        let mut cells = [Cell::Null; MAX_CELLS];
        let mut pos = at + 2;
        for i in 0..count {
            let Some(len) = buf.get(pos..pos + 4) else {
                return Ok(None);
            };
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            pos += 4;
            if len < 0 {
                continue;
            }
            let len = len as usize;
            let Some(value) = buf.get(pos..pos + len) else {
                return Ok(None);
            };
            pos += len;
            let (Some(kind), Some(cell)) = (self.kinds.get(i), cells.get_mut(i)) else {
                continue;
            };
            *cell = match kind {
                CellKind::Int => Cell::Int(match value.len() {
                    1 => i64::from(value[0]),
                    2 => i64::from(i16::from_be_bytes([value[0], value[1]])),
                    4 => i64::from(i32::from_be_bytes([value[0], value[1], value[2], value[3]])),
                    8 => i64::from_be_bytes([
                        value[0], value[1], value[2], value[3], value[4], value[5], value[6],
                        value[7],
                    ]),
                    _ => return Err(corrupt(&format!("column {i} is not an integer"))),
                }),
                CellKind::Text => Cell::Text(
                    std::str::from_utf8(value)
                        .map_err(|_| corrupt(&format!("column {i} is not UTF-8")))?,
                ),
            };
        }
        each(&Cells(&cells[..self.kinds.len()]))?;
        Ok(Some(pos))
    }

    /// The stream ended: it must have ended with its trailer, nothing after.
    pub(crate) fn finish(self) -> Result<()> {
        if !self.ended || !self.buf.is_empty() {
            return Err(corrupt("the stream ended in the middle"));
        }
        Ok(())
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn arguments_become_literals_that_cannot_escape() {
        let sql = "SELECT '$1', x FROM t WHERE a = $1 AND b = $2 AND c = $10 AND d = $3 AND e = $";
        let mut args: Vec<Arg> = vec![
            Arg::Int(Some(-7)),
            Arg::Text(Some("it's a \\'; DROP TABLE t; --".into())),
            Arg::Text(None),
        ];
        args.extend((4..=10).map(|i| Arg::Int(Some(i))));
        let got = inline(sql, &args).unwrap();
        assert_eq!(
            got,
            "SELECT '$1', x FROM t WHERE a = -7 AND b = E'it''s a \\\\''; DROP TABLE t; --' \
             AND c = 10 AND d = NULL AND e = $"
        );
        assert_eq!(
            inline("SELECT $1", &[Arg::Bytes(Some(vec![0, 0xab, b'\'']))]).unwrap(),
            "SELECT decode('00ab27', 'hex')"
        );
        assert!(inline("SELECT $2", &[Arg::Int(Some(1))]).is_err());
        assert!(inline("SELECT $1", &[Arg::Text(Some("a\0b".into()))]).is_err());
    }

    fn stream(rows: &[&[Option<&[u8]>]]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(0u32.to_be_bytes());
        out.extend(0u32.to_be_bytes());
        for row in rows {
            out.extend((row.len() as i16).to_be_bytes());
            for v in *row {
                match v {
                    Some(v) => {
                        out.extend((v.len() as i32).to_be_bytes());
                        out.extend(*v);
                    }
                    None => out.extend((-1i32).to_be_bytes()),
                }
            }
        }
        out.extend((-1i16).to_be_bytes());
        out
    }

    /// Rows split anywhere across chunks read the same; a stream cut short is an error.
    #[test]
    fn rows_are_read_whatever_the_chunks() {
        let a = 1_764_025_602_000_000i64.to_be_bytes();
        let b = (-3i32).to_be_bytes();
        let data = stream(&[
            &[Some(&a), Some(b"open"), None],
            &[Some(&b), None, Some(&7i16.to_be_bytes())],
        ]);
        let kinds = [CellKind::Int, CellKind::Text, CellKind::Int];
        for size in [1, 2, 3, 7, 16, data.len()] {
            let mut rows = Vec::new();
            let mut r = BinaryRows::new(&kinds);
            for chunk in data.chunks(size) {
                r.feed(chunk, &mut |c: &Cells| {
                    rows.push((c.int(0), c.0[1], c.int(2)).to_owned_row());
                    Ok(())
                })
                .unwrap();
            }
            r.finish().unwrap();
            assert_eq!(
                rows,
                vec![
                    (Some(1_764_025_602_000_000), Some("open".to_string()), None),
                    (Some(-3), None, Some(7)),
                ],
                "chunks of {size}"
            );
        }
        let mut r = BinaryRows::new(&kinds);
        r.feed(&data[..data.len() - 5], &mut |_: &Cells| Ok(()))
            .unwrap();
        assert!(r.finish().is_err());
        let mut r = BinaryRows::new(&kinds);
        assert!(r
            .feed(b"NOTPGCOPY\n\0\0\0\0\0\0\0\0\0", &mut |_: &Cells| Ok(()))
            .is_err());
    }

    trait Owned {
        fn to_owned_row(self) -> (Option<i64>, Option<String>, Option<i64>);
    }

    impl Owned for (Option<i64>, Cell<'_>, Option<i64>) {
        fn to_owned_row(self) -> (Option<i64>, Option<String>, Option<i64>) {
            let text = match self.1 {
                Cell::Text(t) => Some(t.to_string()),
                _ => None,
            };
            (self.0, text, self.2)
        }
    }
}
