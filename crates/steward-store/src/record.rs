//! [`Record`]: a row type that decodes the same from both ways the store reads rows — SQLite
//! through rusqlite ([`crate::raw`]) and PostgreSQL through sqlx.
//!
//! A struct becomes a record with [`record!`], which reads each field from the
//! column of the same name (a field whose type is itself a record reads its fields from the same
//! row, as sqlx's `flatten` did); a tuple of up to twelve values reads its columns by position.

use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::{Result, StoreError};

/// Where a value sits in a row: by position (tuples) or by name (structs).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col<'a> {
    At(usize),
    Named(&'a str),
}

/// A value of one column, read from either kind of row.
pub(crate) trait Column: Sized {
    fn from_pg(r: &PgRow, c: Col<'_>) -> Result<Self>;
    fn from_raw(r: &rusqlite::Row<'_>, c: Col<'_>) -> Result<Self>;
}

/// A row type that decodes from every backend: a struct declared with
/// [`record!`], or a tuple of [`Column`]s.
pub trait Record: Sized + Send + Unpin {
    #[doc(hidden)]
    fn from_pg(r: &PgRow) -> Result<Self>;
    #[doc(hidden)]
    fn from_raw(r: &rusqlite::Row<'_>) -> Result<Self>;
}

/// A record nested in another reads its own columns from the same row (its position is ignored).
impl<T: Record> Column for T {
    fn from_pg(r: &PgRow, _: Col<'_>) -> Result<Self> {
        T::from_pg(r)
    }
    fn from_raw(r: &rusqlite::Row<'_>, _: Col<'_>) -> Result<Self> {
        T::from_raw(r)
    }
}

fn sqlx_get<'r, R, T>(r: &'r R, c: Col<'_>) -> Result<T>
where
    R: Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
{
    Ok(match c {
        Col::At(i) => r.try_get(i)?,
        Col::Named(n) => r.try_get(n)?,
    })
}

fn raw_get<T: rusqlite::types::FromSql>(r: &rusqlite::Row<'_>, c: Col<'_>) -> Result<T> {
    let got = match c {
        Col::At(i) => r.get(i),
        Col::Named(n) => r.get(n),
    };
    got.map_err(|e| match e {
        rusqlite::Error::InvalidColumnType(i, name, ty) => StoreError::Corrupt(format!(
            "column {i} ({name}) holds {ty}, not what was expected"
        )),
        other => other.into(),
    })
}

/// A PostgreSQL integer of any width (a literal or a `CASE` of literals is 4 bytes), or a
/// boolean as 0 or 1.
pub(crate) fn pg_int(r: &PgRow, c: Col<'_>) -> Result<Option<i64>> {
    use sqlx::{Column as _, TypeInfo};
    let i = match c {
        Col::At(i) => i,
        Col::Named(n) => r.try_column(n).map_err(StoreError::from)?.ordinal(),
    };
    Ok(match r.column(i).type_info().name() {
        "INT2" => r.try_get::<Option<i16>, _>(i)?.map(i64::from),
        "INT4" => r.try_get::<Option<i32>, _>(i)?.map(i64::from),
        "BOOL" => r.try_get::<Option<bool>, _>(i)?.map(i64::from),
        _ => r.try_get::<Option<i64>, _>(i)?,
    })
}

fn null(c: Col<'_>) -> StoreError {
    StoreError::Corrupt(format!("unexpected NULL in column {c:?}"))
}

impl Column for Option<i64> {
    fn from_pg(r: &PgRow, c: Col<'_>) -> Result<Self> {
        pg_int(r, c)
    }
    fn from_raw(r: &rusqlite::Row<'_>, c: Col<'_>) -> Result<Self> {
        raw_get(r, c)
    }
}

/// Values whose column may be read as `Option<Self>` the same way on every backend.
macro_rules! plain_columns {
    ($($t:ty),*) => {$(
        impl Column for Option<$t> {
            fn from_pg(r: &PgRow, c: Col<'_>) -> Result<Self> {
                sqlx_get(r, c)
            }
            fn from_raw(r: &rusqlite::Row<'_>, c: Col<'_>) -> Result<Self> {
                raw_get(r, c)
            }
        }
    )*};
}
plain_columns!(String, bool, f64, Vec<u8>);

/// A value that may not be NULL: its `Option` read, and NULL refused.
macro_rules! required_columns {
    ($($t:ty),*) => {$(
        impl Column for $t {
            fn from_pg(r: &PgRow, c: Col<'_>) -> Result<Self> {
                Option::<$t>::from_pg(r, c)?.ok_or_else(|| null(c))
            }
            fn from_raw(r: &rusqlite::Row<'_>, c: Col<'_>) -> Result<Self> {
                Option::<$t>::from_raw(r, c)?.ok_or_else(|| null(c))
            }
        }
    )*};
}
required_columns!(i64, String, bool, f64, Vec<u8>);

/// Tuples read their columns by position.
macro_rules! tuple_records {
    ($( ($($t:ident $i:tt),+) )*) => {$(
        impl<$($t: Column + Send + Unpin),+> Record for ($($t,)+) {
            fn from_pg(r: &PgRow) -> Result<Self> {
                Ok(($($t::from_pg(r, Col::At($i))?,)+))
            }
            fn from_raw(r: &rusqlite::Row<'_>) -> Result<Self> {
                Ok(($($t::from_raw(r, Col::At($i))?,)+))
            }
        }
    )*};
}
tuple_records! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
}

/// Declares a struct whose fields are read from the columns of the same names (see the module
/// documentation): `record! { struct Row { id: i64, name: String } }`.
macro_rules! record {
    ($(#[$m:meta])* $vis:vis struct $name:ident {
        $($(#[$fm:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
    }) => {
        $(#[$m])* $vis struct $name { $($(#[$fm])* $fvis $field: $ty),* }
        impl $crate::record::Record for $name {
            fn from_pg(r: &::sqlx::postgres::PgRow) -> $crate::Result<Self> {
                Ok($name { $($field: <$ty as $crate::record::Column>::from_pg(
                    r, $crate::record::Col::Named(stringify!($field)))?),* })
            }
            fn from_raw(r: &::rusqlite::Row<'_>) -> $crate::Result<Self> {
                Ok($name { $($field: <$ty as $crate::record::Column>::from_raw(
                    r, $crate::record::Col::Named(stringify!($field)))?),* })
            }
        }
    };
}
pub(crate) use record;
