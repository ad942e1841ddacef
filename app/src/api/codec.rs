//! The one JSON encoding every server function uses, both ways.
//!
//! Leptos reads server-function answers with `serde_json::from_slice` but
//! hydrated resources, the live stream and the offline copy with
//! `from_str`. Each reader is its own instantiation of every `Deserialize`,
//! so the browser carried most of the contract types' decoders twice.
//! Reading through `&str` here too leaves one copy of each.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `application/json`, decoded from text.
pub struct TextJson;

/// Arguments and answers as JSON in the body of a `POST`.
pub type Json = Post<TextJson>;

impl ContentType for TextJson {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for TextJson {
    const FORMAT_TYPE: Format = Format::Text;
}

/// Why a body could not be read as JSON.
#[derive(Debug, thiserror::Error)]
pub enum TextJsonError {
    #[error("the body is not UTF-8 text")]
    NotText,
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl<T: Serialize> Encodes<T> for TextJson {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for TextJson {
    type Error = TextJsonError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|_| TextJsonError::NotText)?;
        Ok(serde_json::from_str(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_text_and_names_what_is_not() {
        let value: Vec<u32> = TextJson::decode(Bytes::from_static(b"[1,2]")).expect("json");
        assert_eq!(value, vec![1, 2]);
        let bad = <TextJson as Decodes<Vec<u32>>>::decode(Bytes::from_static(b"\xff[1]"));
        assert!(matches!(bad, Err(TextJsonError::NotText)));
        let bad = <TextJson as Decodes<Vec<u32>>>::decode(Bytes::from_static(b"[1,"));
        assert!(matches!(bad, Err(TextJsonError::Json(_))));
    }
}
