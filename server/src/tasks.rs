//! Tasks peon cannot run without (the engine's writer, the agents'
//! supervisor). If one panics, peon must not go on serving a server that
//! can no longer write: the failure is kept here for `main`, which exits
//! non-zero with the reason.

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Resolves with the reason once a vital task has failed.
#[derive(Clone, Debug)]
pub struct Vital {
    failure: watch::Receiver<Option<String>>,
}

impl Vital {
    /// Watches `task`; `name` says what it was in the reason. A task that
    /// returns normally (everything that fed it was dropped) is no failure.
    pub fn watch(name: &'static str, task: JoinHandle<()>) -> Self {
        let (tx, failure) = watch::channel(None);
        tokio::spawn(async move {
            if let Err(e) = task.await {
                let reason = if e.is_panic() {
                    format!("{name} panicked: {}", panic_message(e.into_panic()))
                } else {
                    format!("{name} was cancelled")
                };
                tracing::error!("{reason}");
                let _ = tx.send(Some(reason));
            }
        });
        Self { failure }
    }

    /// Waits until the task has failed; never resolves while it runs.
    pub async fn failed(&self) -> String {
        let mut failure = self.failure.clone();
        match failure.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            // The watcher went away without a failure: wait forever.
            Err(_) => std::future::pending().await,
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "no message".to_string()),
    }
}
