//! Change notices between Steward processes. On PostgreSQL a notice is sent with `NOTIFY` inside
//! the writing transaction (so it is delivered exactly when the change commits, to every node,
//! including the sender); SQLite has a single process, which publishes in memory instead.

use sqlx::postgres::PgListener;

use crate::query::q;
use crate::{Backend, Conn, Result, Store};

/// The PostgreSQL channel Steward's notices travel on.
pub const CHANNEL: &str = "steward_events";

impl Conn {
    /// Queues a notice to be delivered when this transaction commits (PostgreSQL; a no-op on SQLite,
    /// where the caller publishes after commit).
    pub async fn notify(&mut self, payload: &str) -> Result<()> {
        if self.backend() == Backend::Postgres {
            self.execute(q("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload))
                .await?;
        }
        Ok(())
    }
}

/// Receives the notices of every node (PostgreSQL).
pub struct NoticeListener {
    inner: PgListener,
}

impl NoticeListener {
    /// The next notice's payload. Reconnects by itself after a lost connection (notices sent while
    /// disconnected are missed; pages catch up on their next refresh).
    pub async fn next(&mut self) -> Result<String> {
        let n = self.inner.recv().await?;
        Ok(n.payload().to_string())
    }
}

impl Store {
    /// A listener for notices, on PostgreSQL; `None` on SQLite.
    pub async fn listen(&self) -> Result<Option<NoticeListener>> {
        match self.pg_pool() {
            Some(pool) => {
                let mut inner = PgListener::connect_with(pool).await?;
                inner.listen(CHANNEL).await?;
                Ok(Some(NoticeListener { inner }))
            }
            None => Ok(None),
        }
    }
}
