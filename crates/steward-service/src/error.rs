use steward_domain::policy::Denied;
use steward_domain::DomainError;
use steward_store::StoreError;

/// Why a use case did not happen. Every variant but `Unavailable` and `Internal` is the caller's
/// doing, and its message is written for them.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Nothing by that id that the caller may see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A field's value is wrong.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The request contradicts the state of things (a taken e-mail, a closed ticket).
    #[error("{0}")]
    Conflict(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many attempts; try again later.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// The database cannot be reached or is overloaded.
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] StoreError),
    /// A bug or a damaged database. The message is for the log, not the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden(message.into())
    }

    /// Maps a policy refusal about `what`.
    pub fn denied(d: Denied, what: &'static str) -> Self {
        match d {
            Denied::NotFound => ServiceError::NotFound(what),
            Denied::Forbidden => {
                ServiceError::Forbidden(format!("you may not do this to this {what}"))
            }
        }
    }
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => ServiceError::Invalid { field, message },
            e @ (DomainError::InvalidTransition { .. } | DomainError::TicketClosed) => {
                ServiceError::Conflict(e.to_string())
            }
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound("record"),
            // The constraint's name is for the log, not for the caller.
            StoreError::Conflict(what) => {
                tracing::debug!(constraint = %what, "uniqueness conflict");
                ServiceError::Conflict("this conflicts with something that already exists".into())
            }
            StoreError::BrokenReference(what) => {
                tracing::debug!(constraint = %what, "broken reference");
                ServiceError::invalid("reference", "refers to something that does not exist")
            }
            e if e.is_unavailable() => ServiceError::Unavailable(e),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

/// Store lookups where "not found" should name the thing.
pub(crate) trait NotFoundAs<T> {
    fn not_found_as(self, what: &'static str) -> Result<T, ServiceError>;
}

impl<T> NotFoundAs<T> for Result<T, StoreError> {
    fn not_found_as(self, what: &'static str) -> Result<T, ServiceError> {
        self.map_err(|e| match e {
            StoreError::NotFound => ServiceError::NotFound(what),
            other => other.into(),
        })
    }
}
