//! Reading the agents' JSON: small helpers both adapters share.

use serde_json::Value;

/// A string field, or empty.
pub fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The first line of `s`, at most 200 characters: an activity's summary.
pub fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}
