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
    /// SQLite failed on a statement run on its handle directly (see the store's `raw` module),
    /// with its extended result code.
    #[error("database error: {message}")]
    Sqlite { code: i64, message: String },
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
        ) || self.is_storage_problem()
            || match self.database_code() {
                // Busy past the timeout; cannot open the file.
                Some(Code::Sqlite(n)) => matches!(n & 0xff, 5 | 14),
                // Shutting down, starting, no connection, too many connections.
                Some(Code::Postgres(c)) => {
                    matches!(c.as_str(), "57P01" | "57P02" | "57P03" | "53300")
                        || c.starts_with("08")
                }
                None => false,
            }
    }

    /// The database cannot store anything now: its disk is full, it is read-only, or writing
    /// failed (SQLite `FULL`, `READONLY`, `IOERR`; PostgreSQL `disk_full`, out of memory,
    /// `read_only_sql_transaction`). Nothing was changed; it passes when space or write access
    /// returns.
    pub fn is_storage_problem(&self) -> bool {
        match self.database_code() {
            // SQLite's extended codes keep the primary code in the low byte.
            Some(Code::Sqlite(n)) => matches!(n & 0xff, 8 | 10 | 13),
            Some(Code::Postgres(c)) => matches!(c.as_str(), "53100" | "53200" | "25006"),
            None => false,
        }
    }

    fn database_code(&self) -> Option<Code> {
        if let StoreError::Sqlite { code, .. } = self {
            return Some(Code::Sqlite(*code));
        }
        let StoreError::Database(sqlx::Error::Database(db)) = self else {
            return None;
        };
        let code = db.code()?.into_owned();
        if db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .is_some()
        {
            Some(Code::Postgres(code))
        } else {
            code.parse().ok().map(Code::Sqlite)
        }
    }
}

/// A database's own error code: SQLite's (extended) result code, or PostgreSQL's SQLSTATE.
enum Code {
    Sqlite(i64),
    Postgres(String),
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
