//! Parts loaded on first use, each its own WASM chunk, whose loading may
//! fail: offline before the service worker kept the chunk, or a server
//! gone mid-fetch. Leptos's `#[lazy]` panics then, and a panic aborts the
//! whole module (the page stops answering); a function declared with
//! `#[cfg_attr(feature = "hydrate", leptos::wasm_split::wasm_split(NAME,
//! wasm_split_path = ::leptos::wasm_split, fallible))]` returning
//! `Result<AnyView, ChunkError>` gets the failure back instead, and
//! `loaded!` calls it on either side (async in the browser only); `shown`
//! puts the reason where the part would be.

use leptos::prelude::*;

/// A chunk that did not load; the next try loads it afresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "This part of peon could not be loaded (is the server reachable?). Close it and try again."
)]
pub struct ChunkError;

#[cfg(feature = "hydrate")]
impl From<leptos::wasm_split::SplitLoaderError> for ChunkError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ChunkError
    }
}

/// The part, or the reason it is missing.
pub fn shown(part: Result<AnyView, ChunkError>) -> AnyView {
    part.unwrap_or_else(|e| {
        view! { <p class="error chunk-error" data-testid="chunk-error">{e.to_string()}</p> }
            .into_any()
    })
}

/// Calls a chunk's function: awaited in the browser, where it loads the
/// chunk first; directly on the server. The part, or `ChunkError`.
macro_rules! loaded {
    ($call:expr) => {{
        #[cfg(feature = "hydrate")]
        let part = $call.await;
        #[cfg(not(feature = "hydrate"))]
        let part = $call;
        part
    }};
}
pub(crate) use loaded;
