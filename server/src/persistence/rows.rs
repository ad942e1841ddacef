//! Conversions between SQLite text columns and contract types.

use chrono::{DateTime, SecondsFormat, Utc};
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
#[error("corrupt value in column {column}: {value:?}")]
pub struct CorruptValue {
    pub column: &'static str,
    pub value: String,
}

pub fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_time(column: &'static str, text: &str) -> Result<DateTime<Utc>, CorruptValue> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| CorruptValue {
            column,
            value: text.to_string(),
        })
}

pub fn parse_id<T: FromStr>(column: &'static str, text: &str) -> Result<T, CorruptValue> {
    text.parse().map_err(|_| CorruptValue {
        column,
        value: text.to_string(),
    })
}

pub fn parse_enum<T>(
    column: &'static str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, CorruptValue> {
    parse(text).ok_or_else(|| CorruptValue {
        column,
        value: text.to_string(),
    })
}

pub fn parse_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> Result<T, CorruptValue> {
    serde_json::from_str(text).map_err(|_| CorruptValue {
        column,
        value: text.chars().take(200).collect(),
    })
}
