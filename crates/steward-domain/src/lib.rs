//! Steward's domain: what a ticket, a person and an organisation are, which changes are allowed, and
//! who may do what. Everything here is pure: no I/O, no clock (callers pass `now`), no HTTP, no SQL.

pub mod assign;
pub mod audit;
pub mod calendar;
pub mod directory;
pub mod downtime;
pub mod error;
pub mod ids;
pub mod knowledge;
pub mod kpi;
pub mod named;
pub mod person;
pub mod policy;
pub mod recur;
pub mod rules;
pub mod search;
pub mod sla;
pub mod ticket;
pub mod validate;

pub use directory::{
    Category, EventAction, HistoryEntry, Message, Organisation, Person, Team, TeamMember,
};
pub use error::DomainError;
pub use ids::*;
pub use named::Named;
pub use person::{Actor, Role};
pub use ticket::{
    Change, Channel, Field, Impact, MessageKind, Priority, Status, Ticket, TicketPatch, TicketType,
    Urgency,
};

/// An instant in time (UTC). Stored as microseconds since the Unix epoch.
pub type Timestamp = jiff::Timestamp;
