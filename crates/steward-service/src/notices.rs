//! Notices of changes to tickets, for pages that show them live. On PostgreSQL they travel through
//! the database (`NOTIFY`, sent in the same transaction as the change) so that every node hears
//! every change; on SQLite they stay in this process.

use steward_domain::TicketId;
use steward_store::{Backend, Conn};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::{Result, Service};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Created,
    Changed,
    Message,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Created => "created",
            NoticeKind::Changed => "changed",
            NoticeKind::Message => "message",
        }
    }
}

/// A ticket changed. Carries no content: a listener that wants to show the change fetches it,
/// through the access policy like any other read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub ticket_id: TicketId,
    pub number: i64,
}

impl Notice {
    pub(crate) fn new(kind: NoticeKind, t: &steward_domain::Ticket) -> Self {
        Notice {
            kind,
            ticket_id: t.id,
            number: t.number,
        }
    }

    fn encode(&self) -> String {
        format!(
            "{} {} {}",
            self.kind.as_str(),
            self.ticket_id.0,
            self.number
        )
    }

    fn decode(s: &str) -> Option<Notice> {
        let mut p = s.split(' ');
        let kind = match p.next()? {
            "created" => NoticeKind::Created,
            "changed" => NoticeKind::Changed,
            "message" => NoticeKind::Message,
            _ => return None,
        };
        Some(Notice {
            kind,
            ticket_id: TicketId(p.next()?.parse().ok()?),
            number: p.next()?.parse().ok()?,
        })
    }
}

/// How many notices a slow listener may fall behind before it misses some.
pub(crate) const CAPACITY: usize = 1024;

pub(crate) fn channel() -> broadcast::Sender<Notice> {
    broadcast::channel(CAPACITY).0
}

impl Service {
    /// Notices of every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    /// Commits `tx`, announcing `notice` to every listener once the change is durable.
    pub(crate) async fn commit_announcing(&self, mut tx: Conn, notice: Notice) -> Result<()> {
        tx.notify(&notice.encode()).await?;
        let backend = tx.backend();
        tx.commit().await?;
        self.counts.invalidate();
        if backend == Backend::Sqlite {
            let _ = self.notices.send(notice);
        }
        Ok(())
    }

    /// On PostgreSQL, starts relaying the database's notices (from every node) to this process's
    /// listeners; returns the task, to abort on shutdown. `None` on SQLite.
    pub async fn start_relay(&self) -> Result<Option<JoinHandle<()>>> {
        let Some(mut listener) = self.store.listen().await? else {
            return Ok(None);
        };
        let tx = self.notices.clone();
        let counts = self.counts.clone();
        Ok(Some(tokio::spawn(async move {
            loop {
                match listener.next().await {
                    Ok(payload) => {
                        // A change on any node makes this node's remembered counts stale.
                        counts.invalidate();
                        if let Some(n) = Notice::decode(&payload) {
                            let _ = tx.send(n);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for change notices; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip() {
        let n = Notice {
            kind: NoticeKind::Message,
            ticket_id: TicketId(42),
            number: 1042,
        };
        assert_eq!(Notice::decode(&n.encode()), Some(n));
        assert_eq!(Notice::decode("bogus 1 2"), None);
        assert_eq!(Notice::decode("created x 2"), None);
    }
}
