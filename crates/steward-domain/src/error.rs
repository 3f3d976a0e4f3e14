use crate::{ticket::Status, Named};

/// A rule of the domain was broken by the input. Every variant is the caller's fault (a 4xx), never
/// an internal error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field's value is not acceptable (too long, empty, wrong shape).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The ticket cannot move from one status to the other.
    #[error("a ticket cannot go from {} to {}", from.as_str(), to.as_str())]
    InvalidTransition { from: Status, to: Status },
    /// The ticket is closed; it no longer changes and nothing can be added to it.
    #[error("the ticket is closed; open a new ticket instead")]
    TicketClosed,
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }
}
