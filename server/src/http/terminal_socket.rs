//! `GET /api/terminals/{id}/socket`: a terminal over a WebSocket. The
//! scrollback comes first, then live output; keystrokes and resizes go the
//! other way. The shell never waits for a browser: a browser that
//! acknowledges what it has drawn is resynced from the scrollback when it
//! falls too far behind (`terminals::Flow`; it asks with `?ack=true`); any
//! other socket whose queue fills is told so and closed, and reattaches
//! from the scrollback.

use crate::security::Revocation;
use crate::terminals::{Ended, Flow, Output, Pass, Terminal, Terminals};
use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use peon_app::api::TerminalControl;
use std::sync::Arc;

/// Largest message a browser may send (a paste).
const MAX_INPUT_BYTES: usize = 1024 * 1024;

#[derive(serde::Deserialize)]
pub struct SocketQuery {
    /// The client acknowledges what it draws (`TerminalControl::Ack`), so
    /// flow control holds from the first byte.
    #[serde(default)]
    ack: bool,
}

pub async fn socket(
    State(terminals): State<Terminals>,
    Path(id): Path<String>,
    Query(query): Query<SocketQuery>,
    revocation: Option<Extension<Revocation>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let flow = if query.ack {
        Flow::acknowledged()
    } else {
        Flow::default()
    };
    match terminals.get(&id) {
        Ok(terminal) => {
            upgrade
                .max_message_size(MAX_INPUT_BYTES)
                .on_upgrade(move |socket| async move {
                    // Signing out (or a new token) closes the socket.
                    let revoked = async move {
                        match revocation {
                            Some(Extension(r)) => r.revoked().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        () = serve(socket, terminal, flow) => {}
                        () = revoked => {}
                    }
                })
        }
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}

async fn serve(mut socket: WebSocket, terminal: Arc<Terminal>, mut flow: Flow) {
    let Ok(mut output) = attach(&mut socket, &terminal, &mut flow).await else {
        return;
    };
    loop {
        tokio::select! {
            out = next(&mut output) => match out {
                Some(Output::Bytes(bytes)) => match flow.output(bytes.len()) {
                    Pass::Send => {
                        if socket.send(Message::Binary(bytes.into())).await.is_err() {
                            return;
                        }
                    }
                    // Nothing more until the browser catches up and is
                    // resynced; the terminal forgets this subscription.
                    Pass::Skip => output = None,
                },
                Some(Output::Exited(code)) => {
                    let _ = send_control(&mut socket, &ended_control(&Ended::Exited(code))).await;
                    // The last output there is; said once.
                    output = None;
                }
                // Dropped by the terminal for falling behind (possibly as
                // the shell ended, the end then lost with the queue).
                None => {
                    // A resync replays what was dropped, and attaching
                    // reads the end under the terminal's lock.
                    if flow.controlled() {
                        output = None;
                        if flow.fell_behind() {
                            match resync(&mut socket, &terminal, &mut flow).await {
                                Ok(fresh) => output = fresh,
                                Err(()) => return,
                            }
                        }
                        continue;
                    }
                    if terminal.running() {
                        let _ = send_control(&mut socket, &TerminalControl::Behind).await;
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    // Ended while this socket's queue was full: say so now.
                    if let Some(ended) = terminal.ended() {
                        let _ = send_control(&mut socket, &ended_control(&ended)).await;
                    }
                    // Ended: nothing more to send; wait for the browser
                    // to leave (or restart the terminal and reattach).
                    output = None;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(bytes))) => type_in(&terminal, bytes.to_vec()).await,
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<TerminalControl>(&text) {
                    Ok(TerminalControl::Input { data }) => type_in(&terminal, data.into_bytes()).await,
                    Ok(TerminalControl::Resize { cols, rows }) => {
                        if let Err(e) = terminal.resize(cols, rows) {
                            tracing::debug!("terminal resize: {e}");
                        }
                    }
                    Ok(TerminalControl::Ack { bytes }) => {
                        if flow.ack(bytes) {
                            match resync(&mut socket, &terminal, &mut flow).await {
                                Ok(fresh) => output = fresh,
                                Err(()) => return,
                            }
                        }
                    }
                    Ok(_) | Err(_) => {
                        tracing::debug!("terminal socket: ignored a malformed message");
                    }
                },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}

/// Sends the scrollback (and how the shell ended, if it did); returns the
/// live output to follow, `None` once the shell has ended.
async fn attach(
    socket: &mut WebSocket,
    terminal: &Terminal,
    flow: &mut Flow,
) -> Result<Option<tokio::sync::mpsc::Receiver<Output>>, ()> {
    let (replay, ended, output) = terminal.attach();
    flow.sent(replay.len());
    if !replay.is_empty() && socket.send(Message::Binary(replay.into())).await.is_err() {
        return Err(());
    }
    match ended {
        Some(ended) => {
            let _ = send_control(socket, &ended_control(&ended)).await;
            Ok(None)
        }
        None => Ok(Some(output)),
    }
}

/// Tells the browser to clear its screen, then attaches afresh.
async fn resync(
    socket: &mut WebSocket,
    terminal: &Terminal,
    flow: &mut Flow,
) -> Result<Option<tokio::sync::mpsc::Receiver<Output>>, ()> {
    send_control(socket, &TerminalControl::Resync)
        .await
        .map_err(|_| ())?;
    attach(socket, terminal, flow).await
}

async fn next(output: &mut Option<tokio::sync::mpsc::Receiver<Output>>) -> Option<Output> {
    match output {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn type_in(terminal: &Arc<Terminal>, bytes: Vec<u8>) {
    if let Err(e) = terminal.input(&bytes) {
        tracing::debug!("terminal input: {e}");
    }
}

fn ended_control(ended: &Ended) -> TerminalControl {
    TerminalControl::Ended {
        message: match ended {
            Ended::Exited(Some(code)) => format!("exited with code {code}"),
            Ended::Exited(None) => "ended by a signal".to_string(),
            Ended::PeonStopped => "ended when peon stopped; restart it to go on".to_string(),
        },
    }
}

async fn send_control(
    socket: &mut WebSocket,
    control: &TerminalControl,
) -> Result<(), axum::Error> {
    let text = serde_json::to_string(control).unwrap_or_default();
    socket.send(Message::Text(text.into())).await
}
