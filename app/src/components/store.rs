//! The client's view of the server's state: a snapshot resource every view
//! reads, refreshed after each command this client sends.

use crate::api::{DispatchOutcome, Snapshot, dispatch_command, get_snapshot};
use crate::contracts::CommandEnvelope;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Store {
    /// Bumped to make every view re-read the snapshot.
    pub revision: RwSignal<u64>,
    pub snapshot: Resource<Result<Snapshot, ServerFnError>>,
}

impl Store {
    fn new() -> Self {
        let revision = RwSignal::new(0u64);
        let snapshot = Resource::new(move || revision.get(), |_| get_snapshot());
        Self { revision, snapshot }
    }

    pub fn refresh(&self) {
        self.revision.update(|r| *r += 1);
    }
}

/// The store for this page, created on first use.
pub fn use_store() -> Store {
    match use_context::<Store>() {
        Some(store) => store,
        None => {
            let store = Store::new();
            provide_context(store);
            store
        }
    }
}

/// An action that sends a command and refreshes the store when it lands.
pub fn dispatch_action() -> Action<CommandEnvelope, Result<DispatchOutcome, ServerFnError>> {
    let store = use_store();
    Action::new(move |envelope: &CommandEnvelope| {
        let envelope = envelope.clone();
        async move {
            let result = dispatch_command(envelope).await;
            if result.is_ok() {
                store.refresh();
            }
            result
        }
    })
}
