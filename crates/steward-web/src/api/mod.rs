//! The JSON API under `/api/v1`, one file per group of endpoints. Request types refuse unknown
//! fields; response types are built from domain values here, never by the domain itself.

pub mod audit;
pub mod automation;
pub mod categories;
pub mod downtime;
pub mod feedback;
pub mod knowledge;
pub mod organisations;
pub mod people;
pub mod reports;
pub mod search;
pub mod session;
pub mod sessions;
pub mod sla;
pub mod teams;
pub mod tickets;
pub mod tokens;
pub mod two_factor;
pub mod watchers;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// A page of a list, and the cursor of the next page (`null` at the end).
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

/// Paging for lists ordered by id.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IdPage {
    /// Items after this cursor.
    pub cursor: Option<String>,
    /// At most this many items (1–200, default 50).
    pub limit: Option<i64>,
}

impl IdPage {
    /// The id to continue after, and the limit.
    pub fn parts(&self) -> Result<(Option<i64>, i64), crate::error::ApiError> {
        let after = match &self.cursor {
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                crate::error::ApiError::bad_query("cursor: not a cursor from this list")
            })?),
            None => None,
        };
        Ok((after, limit(self.limit)?))
    }
}

/// The page size asked for: 1–200, default 50.
pub fn limit(asked: Option<i64>) -> Result<i64, crate::error::ApiError> {
    match asked {
        None => Ok(50),
        Some(n @ 1..=200) => Ok(n),
        Some(n) => Err(crate::error::ApiError::bad_query(format!(
            "limit: {n} is not between 1 and 200"
        ))),
    }
}

/// The cursor after the last item of a page of `limit`, if the page was full.
pub fn id_cursor(last: Option<i64>, len: usize, limit: i64) -> Option<String> {
    match last {
        Some(id) if len as i64 >= limit.clamp(1, 200) => Some(id.to_string()),
        _ => None,
    }
}

/// For optional fields that can be cleared: absent → `None`, `null` → `Some(None)`.
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
