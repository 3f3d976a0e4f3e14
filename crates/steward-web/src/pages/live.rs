//! Live updates for the agent workspace: a server-sent event stream of ticket changes. Each event
//! names only the ticket's number; the page then fetches what it shows through the usual handlers
//! (and so through the access policy). The stream re-checks its session every half minute and ends
//! when the session has (sign-out, deactivation, expiry).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::StaffCaller;
use crate::AppState;

/// How often an open stream checks that its session is still live.
const RECHECK: Duration = Duration::from_secs(30);

struct Live {
    state: AppState,
    session_hash: Option<String>,
    notices: tokio::sync::broadcast::Receiver<steward_service::Notice>,
    closing: tokio::sync::watch::Receiver<bool>,
    recheck: tokio::time::Interval,
}

/// `GET /agent/events`.
pub async fn events(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.reset(); // the first check is one period from now
    let live = Live {
        notices: s.service.subscribe(),
        closing: s.closing.subscribe(),
        session_hash: caller.auth.session_hash.clone(),
        state: s,
        recheck,
    };
    let stream = futures_util::stream::unfold(live, |mut l| async move {
        loop {
            if *l.closing.borrow() {
                return None;
            }
            tokio::select! {
                r = l.notices.recv() => match r {
                    Ok(n) => {
                        let e = Event::default().event(n.kind.as_str()).data(n.number.to_string());
                        return Some((Ok(e), l));
                    }
                    // Fell behind: the page reloads what it shows.
                    Err(RecvError::Lagged(_)) => {
                        return Some((Ok(Event::default().event("resync").data("")), l));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = l.closing.changed() => return None,
                _ = l.recheck.tick() => {
                    let alive = match &l.session_hash {
                        Some(h) => l.state.service.session_alive(h).await.unwrap_or(true),
                        None => false,
                    };
                    if !alive {
                        return None;
                    }
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
