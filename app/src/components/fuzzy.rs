//! Fuzzy matching for the palette: the typed letters in order anywhere in a
//! title, ranked so whole words and runs beat scattered letters.

/// Lower case by Unicode's rules. In the browser its own `toLowerCase`:
/// Rust's would bring its case tables (kilobytes) into the main module.
pub fn lower(text: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(js_sys::JsString::from(text).to_lower_case())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        text.to_lowercase()
    }
}

/// A score for `title` against `typed` (higher is better), or `None` when
/// the letters of `typed` do not all occur in order. Case is ignored.
pub fn score(typed: &str, title: &str) -> Option<i32> {
    let typed: Vec<char> = lower(typed)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if typed.is_empty() {
        return Some(0);
    }
    let title: Vec<char> = lower(title).chars().collect();
    // From each place the first letter occurs: the leftmost one may start
    // a scattered match ("theme" in "Toggle light/dark theme").
    let best = (0..title.len())
        .filter(|&i| title[i] == typed[0])
        .filter_map(|from| score_from(&typed, &title, from))
        .max()?;
    // Shorter titles first among equals.
    Some(best * 4 - (title.len() as i32 / 8))
}

/// Greedy from `from`, where the first letter was found.
fn score_from(typed: &[char], title: &[char], from: usize) -> Option<i32> {
    let mut score = 0;
    let mut at = 0;
    let mut previous: Option<usize> = None;
    for (n, &wanted) in typed.iter().enumerate() {
        let found = if n == 0 {
            from
        } else {
            (at..title.len()).find(|&i| title[i] == wanted)?
        };
        let word_start = found == 0 || !title[found - 1].is_alphanumeric();
        score += match (previous, word_start) {
            (Some(p), _) if p + 1 == found => 8,
            (_, true) => 6,
            _ => 1,
        };
        // Letters skipped cost a little, so tight matches come first.
        score -= (found - at).min(8) as i32 / 2;
        previous = Some(found);
        at = found + 1;
    }
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_must_come_in_order() {
        assert!(score("fix", "Fix the login bug").is_some());
        assert!(score("flb", "Fix the login bug").is_some());
        assert_eq!(score("bgf", "Fix the login bug"), None);
        assert_eq!(score("", "anything"), Some(0));
        assert!(score("LOGIN", "fix the login bug").is_some());
    }

    #[test]
    fn runs_and_word_starts_rank_first() {
        let best = |typed: &str, titles: &[&'static str]| {
            titles
                .iter()
                .filter_map(|t| score(typed, t).map(|s| (s, *t)))
                .max()
                .map(|(_, t)| t)
        };
        assert_eq!(
            best(
                "theme",
                &["Focus the message box", "Toggle light/dark theme"]
            ),
            Some("Toggle light/dark theme"),
            "a later whole word beats an early scattered start"
        );
        assert_eq!(
            best("log", &["a long grey dog", "Fix the login bug"]),
            Some("Fix the login bug")
        );
        assert_eq!(
            best("wt", &["rewrite", "worktree tools"]),
            Some("worktree tools")
        );
        assert_eq!(best("api", &["api", "the api server for all"]), Some("api"));
    }
}
