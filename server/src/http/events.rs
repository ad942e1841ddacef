//! `GET /api/events`: the event log as Server-Sent Events. Resumes after
//! `Last-Event-ID` or `?after=`, through `Engine::follow`: catch-up from
//! SQLite in bounded pages, then live events, with no gap and no duplicate
//! at the seam; a connection that falls behind the broadcast reads the log
//! again rather than losing events. The socket's own backpressure bounds
//! what is queued per connection. A client that names the log it holds
//! (`?log=`, the id of its first event) and names another than this
//! server's gets one `log-changed` event instead: its sequence numbers
//! mean nothing here, so it must start again from a snapshot.

use crate::orchestration::{Engine, Follower};
use crate::persistence::EventStore;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use peon_app::api::stream;
use peon_app::contracts::{EventId, StoredEvent};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Events queued per connection before the writer waits for the socket.
const CONNECTION_BUFFER: usize = 256;

#[derive(Clone)]
pub struct EventsState {
    pub engine: Engine,
    pub heartbeat: Duration,
    pub events: EventStore,
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    after: Option<u64>,
    /// The log the client's sequence numbers belong to.
    log: Option<EventId>,
}

/// Whether a client holding log `theirs` up to `after` may resume here,
/// where the log is `ours` up to `last`. One that names no log is not
/// checked (a plain SSE client); one that saw nothing yet may, whatever it
/// names; one ahead of this log holds events it does not have (a backup
/// of the log restored) and starts again, as does one of another log.
fn same_log(theirs: Option<EventId>, after: u64, ours: Option<EventId>, last: u64) -> bool {
    theirs.is_none() || after == 0 || (theirs == ours && after <= last)
}

/// Where a client resumes: the `Last-Event-ID` header (set by the browser on
/// reconnect) wins over `?after=`; with neither, only new events are sent.
fn resume_point(headers: &HeaderMap, query: &EventsQuery, current: u64) -> u64 {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or(query.after)
        .unwrap_or(current)
}

pub async fn events(
    State(state): State<EventsState>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Response {
    // A log that cannot be read: the browser's stream closes on a 503 and
    // tries again later.
    let ours = match state.events.first_event_id().await {
        Ok(ours) => ours,
        Err(e) => {
            tracing::warn!("event stream cannot read the log: {e}");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let (tx, rx) = mpsc::channel(CONNECTION_BUFFER);
    let last = state.engine.last_sequence();
    let after = resume_point(&headers, &query, last);
    if same_log(query.log, after, ours, last) {
        tokio::spawn(feed(state.engine.follow(after), state.heartbeat, tx));
    } else {
        let changed = Event::default()
            .event(stream::LOG_CHANGED)
            .data(ours.map(|id| id.to_string()).unwrap_or_default());
        let _ = tx.try_send(Ok(changed));
    }
    Sse::new(ReceiverStream::new(rx)).into_response()
}

fn data_event(e: &StoredEvent) -> Option<Event> {
    Event::default()
        .event(stream::EVENT)
        .id(e.sequence.to_string())
        .json_data(e)
        .ok()
}

/// Sends the followed events, with a heartbeat between, until the client
/// goes away.
async fn feed(
    mut follower: Follower,
    heartbeat: Duration,
    tx: mpsc::Sender<Result<Event, Infallible>>,
) {
    let mut beat = tokio::time::interval(heartbeat);
    beat.tick().await;
    loop {
        tokio::select! {
            next = follower.next() => match next {
                Some(Ok(event)) => {
                    let Some(sse) = data_event(&event) else { continue };
                    if tx.send(Ok(sse)).await.is_err() {
                        return;
                    }
                }
                // The client reconnects and resumes from what it has.
                Some(Err(e)) => {
                    tracing::warn!("event stream cannot read the log: {e}");
                    return;
                }
                None => return,
            },
            _ = beat.tick() => {
                let beat = Event::default()
                    .event(stream::HEARTBEAT)
                    .data(format!("{{\"sequence\":{}}}", follower.last()));
                if tx.send(Ok(beat)).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_client_of_this_log_and_not_ahead_of_it_resumes() {
        let (a, b) = (EventId::from_u128(1), EventId::from_u128(2));
        assert!(same_log(Some(a), 5, Some(a), 5));
        assert!(same_log(Some(a), 3, Some(a), 5));
        assert!(!same_log(Some(a), 5, Some(b), 5), "another log");
        assert!(!same_log(Some(a), 5, None, 0), "a log emptied since");
        assert!(!same_log(Some(a), 6, Some(a), 5), "a backup restored");
        assert!(same_log(None, 5, Some(a), 5), "naming no log: not checked");
        assert!(same_log(None, 0, Some(a), 5) && same_log(Some(b), 0, Some(a), 5));
    }
}
