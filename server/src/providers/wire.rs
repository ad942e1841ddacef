//! Reading the agents' output: small helpers the adapters and the session
//! share.

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

/// At most `max` bytes of `text` (on a character boundary), saying how much
/// was left out.
pub fn clip(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n… ({} more bytes not kept)",
        &text[..end],
        text.len() - end
    )
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn long_details_are_clipped_on_a_character_boundary() {
        assert_eq!(clip("short".into(), 10), "short");
        let long = "é".repeat(10); // 20 bytes
        let clipped = clip(long, 5);
        assert!(clipped.starts_with("éé\n"), "{clipped}");
        assert!(clipped.ends_with("(16 more bytes not kept)"), "{clipped}");
    }
}
