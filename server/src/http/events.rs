//! `GET /api/events`: the event log as Server-Sent Events. Resumes after
//! `Last-Event-ID` or `?after=`; catch-up is read from SQLite in bounded
//! pages, then live events follow from the broadcast with no gap and no
//! duplicate at the seam. A consumer that falls too far behind is
//! disconnected and resumes by sequence.

use crate::orchestration::Engine;
use crate::persistence::EventStore;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures::Stream;
use peon_app::contracts::StoredEvent;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

/// Events read per catch-up query.
pub const CATCH_UP_PAGE: i64 = 500;
/// Events queued per connection before the writer waits for the socket.
const CONNECTION_BUFFER: usize = 256;
/// SSE event names; the client matches on them.
pub const EVENT_NAME: &str = "event";
pub const HEARTBEAT_NAME: &str = "heartbeat";

#[derive(Clone)]
pub struct EventsState {
    pub engine: Engine,
    pub store: EventStore,
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
    // Subscribe before reading the log, so nothing committed in between is
    // missed; duplicates are dropped by sequence.
    let live = state.engine.subscribe();
    let (tx, rx) = mpsc::channel(CONNECTION_BUFFER);
    tokio::spawn(feed(state, after, live, tx));
    Sse::new(ReceiverStream::new(rx))
}

fn data_event(e: &StoredEvent) -> Option<Event> {
    Event::default()
        .event(EVENT_NAME)
        .id(e.sequence.to_string())
        .json_data(e)
        .ok()
}

/// Sends catch-up then live events until the client goes away or lags.
async fn feed(
    state: EventsState,
    mut last: u64,
    mut live: broadcast::Receiver<std::sync::Arc<StoredEvent>>,
    tx: mpsc::Sender<Result<Event, Infallible>>,
) {
    // Catch-up from the log, page by page.
    if !send_from_log(&state.store, &mut last, u64::MAX, &tx).await {
        return;
    }
    let mut heartbeat = tokio::time::interval(state.heartbeat);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(event) => {
                    if event.sequence <= last {
                        continue;
                    }
                    // Defensive: fill any hole from the log before going on.
                    if event.sequence > last + 1
                        && !send_from_log(&state.store, &mut last, event.sequence - 1, &tx).await
                    {
                        return;
                    }
                    let Some(sse) = data_event(&event) else { continue };
                    if tx.send(Ok(sse)).await.is_err() {
                        return;
                    }
                    last = event.sequence;
                }
                // Too slow: close; the client resumes from `last`.
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = heartbeat.tick() => {
                let beat = Event::default()
                    .event(HEARTBEAT_NAME)
                    .data(format!("{{\"sequence\":{last}}}"));
                if tx.send(Ok(beat)).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}

/// Sends logged events after `*last` up to `until`; false once the client
/// is gone or the log cannot be read.
async fn send_from_log(
    store: &EventStore,
    last: &mut u64,
    until: u64,
    tx: &mpsc::Sender<Result<Event, Infallible>>,
) -> bool {
    loop {
        let page = match store.read_page(*last, CATCH_UP_PAGE).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!("event stream catch-up failed: {e}");
                return false;
            }
        };
        let full = page.len() as i64 == CATCH_UP_PAGE;
        for event in page {
            if event.sequence > until {
                return true;
            }
            let Some(sse) = data_event(&event) else {
                continue;
            };
            if tx.send(Ok(sse)).await.is_err() {
                return false;
            }
            *last = event.sequence;
        }
        if !full {
            return true;
        }
    }
}
