//! Live updates for the agent workspace: a server-sent event stream of ticket changes. Each event
//! names only the ticket's number; the page then fetches what it shows through the usual handlers
//! (and so through the access policy).

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::StaffCaller;
use crate::AppState;

/// `GET /agent/events`.
pub async fn events(
    State(s): State<AppState>,
    StaffCaller(_caller): StaffCaller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.service.subscribe();
    let closing = s.closing.subscribe();
    let stream = futures_util::stream::unfold((rx, closing), |(mut rx, mut closing)| async move {
        if *closing.borrow() {
            return None;
        }
        tokio::select! {
            r = rx.recv() => match r {
                Ok(n) => Some((
                    Ok(Event::default().event(n.kind.as_str()).data(n.number.to_string())),
                    (rx, closing),
                )),
                // Fell behind: the page reloads what it shows.
                Err(RecvError::Lagged(_)) => Some((Ok(Event::default().event("resync").data("")), (rx, closing))),
                Err(RecvError::Closed) => None,
            },
            _ = closing.changed() => None,
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
