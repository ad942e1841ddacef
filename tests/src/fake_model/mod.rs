//! Fake model API servers, so integration tests can drive the real `codex`
//! and `claude` CLIs fully offline.
//!
//! Each scenario picks the fake's behaviour through the user's latest text:
//! `RUN <cmd>`, `WRITE <path> <content>`, `STREAM <n> <delay_ms>`, `HANG`,
//! `FAIL`, or anything else (echoed back). A tool result is answered with
//! `Tool said: <output>`, which shows the CLI ran the tool and sent it back.

mod anthropic;
mod openai;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, stream};
use serde_json::Value;
use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A fake model API on 127.0.0.1; the server stops when this is dropped.
pub struct FakeModel {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Value>>>,
    server: JoinHandle<()>,
    // Dropping the sender ends every response still streaming (e.g. `HANG`),
    // which aborting the accept loop alone would not.
    _shutdown: watch::Sender<()>,
}

impl FakeModel {
    /// Serves the OpenAI Responses API (`POST /v1/responses`).
    pub async fn openai() -> FakeModel {
        Self::start(openai::router).await
    }

    /// Serves the Anthropic Messages API (`POST /v1/messages`).
    pub async fn anthropic() -> FakeModel {
        Self::start(anthropic::router).await
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash or `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The JSON bodies of every model request received, in order.
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.requests).clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.requests).len()
    }

    async fn start(routes: fn(Shared) -> Router) -> FakeModel {
        let (shutdown_tx, shutdown_rx) = watch::channel(());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            requests: requests.clone(),
            shutdown: shutdown_rx,
        };
        let app = routes(shared)
            // Long conversations exceed axum's 2 MB default.
            .layer(DefaultBodyLimit::disable())
            .fallback(not_found);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake model server");
        let addr = listener.local_addr().expect("fake model address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeModel {
            addr,
            requests,
            server,
            _shutdown: shutdown_tx,
        }
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock(requests: &Mutex<Vec<Value>>) -> std::sync::MutexGuard<'_, Vec<Value>> {
    // A panicking test thread must not hide the requests from the others.
    requests.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Any other path or method: a bare 404.
async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// State the provider handlers share.
#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Value>>>,
    shutdown: watch::Receiver<()>,
}

impl Shared {
    /// Records the body (raw text if it is not JSON) before any answer;
    /// the error is the 400 answer to a body that is not JSON.
    fn record(&self, body: &Bytes) -> Result<Value, Box<Response>> {
        let parsed = serde_json::from_slice::<Value>(body);
        let recorded = match &parsed {
            Ok(value) => value.clone(),
            Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
        };
        lock(&self.requests).push(recorded);
        parsed.map_err(|e| {
            let answer = (StatusCode::BAD_REQUEST, format!("invalid JSON: {e}"));
            Box::new(answer.into_response())
        })
    }

    /// Resolves once the `FakeModel` is dropped.
    fn shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.clone();
        async move { while rx.changed().await.is_ok() {} }
    }

    /// Streams `steps` as SSE; with `hang`, then stays open without events
    /// until the client goes away or the fake is dropped.
    fn sse(&self, steps: Vec<Step>, hang: bool) -> Response {
        let events = stream::iter(steps).then(|step| async move {
            if !step.delay.is_zero() {
                tokio::time::sleep(step.delay).await;
            }
            Ok::<_, Infallible>(step.event)
        });
        let tail = if hang {
            stream::pending().left_stream()
        } else {
            stream::empty().right_stream()
        };
        Sse::new(events.chain(tail).take_until(self.shutdown())).into_response()
    }
}

/// One SSE event, sent `delay` after the previous one.
struct Step {
    delay: Duration,
    event: Event,
}

impl Step {
    fn new(delay: Duration, name: &str, data: &Value) -> Step {
        Step {
            delay,
            event: Event::default().event(name).data(data.to_string()),
        }
    }
}

/// What the user's latest input is, as the provider module found it.
#[derive(Debug, PartialEq)]
enum Input {
    Text(String),
    ToolResult(String),
}

/// What the fake answers, independent of the provider's wire format.
#[derive(Debug, PartialEq)]
enum Reply {
    /// Text deltas, `delay` apart; with `hang`, the stream never finishes.
    Text {
        deltas: Vec<String>,
        delay: Duration,
        hang: bool,
    },
    /// A shell command tool call.
    Run(String),
    /// A file creation tool call; `content` has no trailing newline.
    Write { path: String, content: String },
    /// HTTP 500 in the provider's error format.
    Fail,
}

impl Reply {
    fn text(text: &str) -> Reply {
        Reply::Text {
            deltas: chunks(text, 8),
            delay: Duration::ZERO,
            hang: false,
        }
    }

    /// The whole text of a text reply.
    fn full_text(deltas: &[String]) -> String {
        deltas.concat()
    }
}

/// The input tokens a fake reports for a request: 100 and one per message
/// (or input item) it holds, so a test can add up what was reported. Of
/// them, `CACHED_TOKENS` are said to be cached.
pub fn input_tokens(request: &Value) -> u64 {
    let items = request
        .get("messages")
        .or_else(|| request.get("input"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    100 + items as u64
}

pub const CACHED_TOKENS: u64 = 3;

/// The user's text a recorded request ends with, for either API; `None`
/// when it ends with a tool's result instead.
pub fn last_user_text(request: &Value) -> Option<String> {
    let input = if request.get("messages").is_some() {
        anthropic::last_input(request)
    } else {
        openai::last_input(request)
    };
    match input {
        Input::Text(text) => Some(text),
        Input::ToolResult(_) => None,
    }
}

/// Reads the directive in the first word of the input.
fn reply_for(input: Input) -> Reply {
    let text = match input {
        Input::ToolResult(output) => return Reply::text(&format!("Tool said: {output}")),
        Input::Text(text) => text,
    };
    let text = text.trim();
    let (word, rest) = text
        .split_once(char::is_whitespace)
        .map_or((text, ""), |(w, r)| (w, r.trim_start()));
    match word {
        "RUN" if !rest.is_empty() => Reply::Run(rest.to_string()),
        "WRITE" if !rest.is_empty() => {
            let (path, content) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            Reply::Write {
                path: path.to_string(),
                content: content.trim_start().to_string(),
            }
        }
        "STREAM" => match parse_stream(rest) {
            Some((n, delay_ms)) => Reply::Text {
                deltas: (0..n).map(|i| format!("t{i} ")).collect(),
                delay: Duration::from_millis(delay_ms),
                hang: false,
            },
            None => Reply::text(&format!("You said: {text}")),
        },
        "HANG" => Reply::Text {
            deltas: vec!["Working".to_string()],
            delay: Duration::ZERO,
            hang: true,
        },
        "FAIL" => Reply::Fail,
        _ => Reply::text(&format!("You said: {text}")),
    }
}

fn parse_stream(args: &str) -> Option<(usize, u64)> {
    let mut parts = args.split_whitespace();
    let n = parts.next()?.parse().ok()?;
    let delay_ms = parts.next().map_or(Some(0), |d| d.parse().ok())?;
    Some((n, delay_ms))
}

/// Splits on char boundaries, `size` chars per chunk.
fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(String::from_iter).collect()
}

/// A fresh random hex id (no `rand` dependency: std's hasher keys are random).
fn random_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        let text = |s: &str| reply_for(Input::Text(s.to_string()));
        assert_eq!(
            text("RUN echo hi  there"),
            Reply::Run("echo hi  there".into())
        );
        assert_eq!(
            text("WRITE /a/b.txt hello world"),
            Reply::Write {
                path: "/a/b.txt".into(),
                content: "hello world".into()
            }
        );
        assert_eq!(text("FAIL"), Reply::Fail);
        let Reply::Text { deltas, .. } = text("STREAM 3 0") else {
            panic!("not text")
        };
        assert_eq!(deltas, ["t0 ", "t1 ", "t2 "]);
        let Reply::Text { deltas, .. } = text("héllo wörld ünïcode") else {
            panic!("not text")
        };
        assert_eq!(Reply::full_text(&deltas), "You said: héllo wörld ünïcode");
        assert!(deltas.iter().all(|d| d.chars().count() <= 8));
    }
}
