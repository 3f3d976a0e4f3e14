/// What can go wrong in the store. `NotFound` is kept apart from every other failure so that an
/// outage never looks like a missing record.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (an e-mail, a slug, a name already taken).
    #[error("already exists: {0}")]
    Conflict(String),
    /// A reference points at nothing (caught by a foreign key).
    #[error("refers to something that does not exist: {0}")]
    BrokenReference(String),
    /// The database URL is not one Steward knows.
    #[error("{0}")]
    BadUrl(String),
    /// The database was written by a newer Steward.
    #[error("the database schema is at version {found}, newer than this Steward knows ({known}); upgrade Steward instead")]
    SchemaTooNew { found: i64, known: i64 },
    /// A stored value makes no sense (for example an unknown status): the database was edited by hand
    /// or is damaged.
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// The database is down, overloaded or unreachable (as opposed to a bug or a bad request):
    /// worth a 503 and a retry.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed
            )
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::BrokenReference(db.constraint().unwrap_or(db.message()).to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl From<steward_domain::DomainError> for StoreError {
    fn from(e: steward_domain::DomainError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
