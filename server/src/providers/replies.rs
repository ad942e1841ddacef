//! Requests peon sent an agent and is waiting on, by request id.

use super::agent::AgentError;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long an agent may take to answer a request (start-up included).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Replies {
    waiting: Mutex<HashMap<String, oneshot::Sender<Result<Value, String>>>>,
}

impl Replies {
    pub fn expect(&self, id: &str) -> oneshot::Receiver<Result<Value, String>> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(id.to_string(), tx);
        }
        rx
    }

    /// Delivers an answer; false when nobody asked.
    pub fn deliver(&self, id: &str, answer: Result<Value, String>) -> bool {
        let waiter = self.waiting.lock().ok().and_then(|mut w| w.remove(id));
        match waiter {
            Some(tx) => tx.send(answer).is_ok(),
            None => false,
        }
    }

    /// Fails everything still waiting (the process is gone).
    pub fn fail_all(&self) {
        if let Ok(mut w) = self.waiting.lock() {
            for (_, tx) in w.drain() {
                let _ = tx.send(Err("the agent exited".to_string()));
            }
        }
    }

    pub async fn wait(
        agent: &'static str,
        what: &str,
        rx: oneshot::Receiver<Result<Value, String>>,
    ) -> Result<Value, AgentError> {
        match tokio::time::timeout(REPLY_TIMEOUT, rx).await {
            Err(_) => Err(AgentError::Timeout {
                agent,
                what: what.to_string(),
            }),
            Ok(Err(_)) => Err(AgentError::Gone { agent }),
            Ok(Ok(Err(message))) => Err(AgentError::Refused {
                agent,
                what: what.to_string(),
                message,
            }),
            Ok(Ok(Ok(value))) => Ok(value),
        }
    }
}
