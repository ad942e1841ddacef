//! `GET /api/events`: the event log as Server-Sent Events. Resumes after
//! `Last-Event-ID` or `?after=`, through `Engine::follow`: catch-up from
//! SQLite in bounded pages, then live events, with no gap and no duplicate
//! at the seam; a connection that falls behind the broadcast reads the log
//! again rather than losing events. The socket's own backpressure bounds
//! what is queued per connection.

use crate::orchestration::{Engine, Follower};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures::Stream;
use peon_app::contracts::StoredEvent;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Events queued per connection before the writer waits for the socket.
const CONNECTION_BUFFER: usize = 256;
/// SSE event names; the client matches on them.
pub const EVENT_NAME: &str = "event";
pub const HEARTBEAT_NAME: &str = "heartbeat";

#[derive(Clone)]
pub struct EventsState {
    pub engine: Engine,
    pub heartbeat: Duration,
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    after: Option<u64>,
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
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let after = resume_point(&headers, &query, state.engine.last_sequence());
    let follower = state.engine.follow(after);
    let (tx, rx) = mpsc::channel(CONNECTION_BUFFER);
    tokio::spawn(feed(follower, state.heartbeat, tx));
    Sse::new(ReceiverStream::new(rx))
}

fn data_event(e: &StoredEvent) -> Option<Event> {
    Event::default()
        .event(EVENT_NAME)
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
                    .event(HEARTBEAT_NAME)
                    .data(format!("{{\"sequence\":{}}}", follower.last()));
                if tx.send(Ok(beat)).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}
