//! Steward's storage. One interface — [`Store`] hands out [`Conn`]s, whose query methods are the
//! same whichever database is behind them — and two backends: embedded SQLite and PostgreSQL.
//!
//! SQL is written once in the portable subset both accept (`$1` parameters, `RETURNING`, row-value
//! comparisons); only what differs (allocating ticket numbers, migrations) is written per backend.
//! Instants are stored as microseconds since the Unix epoch in 64-bit integers on both.

mod bulk;
mod conn;
mod copy;
mod error;
mod events;
mod migrate;
mod open;
mod query;
mod raw;
mod reader;
mod record;
mod rows;
mod writer;

pub mod accounts;
pub mod assign;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod directory;
pub mod downtime;
pub mod jobs;
pub mod knowledge;
pub mod load;
pub mod mail;
pub mod reports;
pub mod rules;
pub mod search;
pub mod sla;
pub mod tickets;
pub mod transfer;
pub mod workspace;

pub use conn::Conn;
pub use error::StoreError;
pub use events::{NoticeListener, CHANNEL};
pub use migrate::{MigrationReport, MIGRATIONS_KNOWN};
pub use open::{Backend, PoolStats, Store, StoreOptions};

/// Results of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
