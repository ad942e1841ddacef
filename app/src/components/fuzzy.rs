//! Fuzzy matching for the palette: the typed letters in order anywhere in a
//! title, ranked so whole words and runs beat scattered letters.

/// A score for `title` against `typed` (higher is better), or `None` when
/// the letters of `typed` do not all occur in order. Case is ignored.
pub fn score(typed: &str, title: &str) -> Option<i32> {
    let typed: Vec<char> = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if typed.is_empty() {
        return Some(0);
    }
    let title: Vec<char> = title.chars().flat_map(char::to_lowercase).collect();
    let mut score = 0;
    let mut at = 0;
    let mut previous: Option<usize> = None;
    for wanted in typed {
        let found = (at..title.len()).find(|&i| title[i] == wanted)?;
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
    // Shorter titles first among equals.
    Some(score * 4 - (title.len() as i32 / 8))
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
