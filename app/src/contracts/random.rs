//! Random UUIDs without pulling a second random-number backend into the WASM
//! build: native code uses the OS source through `uuid`, the browser uses
//! `crypto.getRandomValues`.

use uuid::Uuid;

#[cfg(not(target_arch = "wasm32"))]
pub fn uuid_v4() -> Uuid {
    Uuid::new_v4()
}

#[cfg(target_arch = "wasm32")]
pub fn uuid_v4() -> Uuid {
    let mut bytes = [0u8; 16];
    #[cfg(feature = "hydrate")]
    {
        if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
            let _ = crypto.get_random_values_with_u8_array(&mut bytes);
        }
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}
