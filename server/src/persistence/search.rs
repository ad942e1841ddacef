//! The palette's full-text search, over the FTS5 indexes that triggers keep
//! beside the message and activity projections (migration 0006).
//!
//! Ranking is BM25 among each index's `CANDIDATES` most recent matches: a
//! word found in nearly every message would otherwise have every one of
//! them scored on each keystroke (about a second at 100,000 messages), and
//! among that many the recent ones are what the user is after. Excerpts
//! are cut here from the rows' text rather than by FTS5's `snippet()`,
//! which re-reads the index for each hit.

use super::event_store::StoreError;
use super::rows::parse_id;
use peon_app::api::{HitSource, SearchHit, SnippetPart};
use sqlx::{Row, SqlitePool};

/// Most recent matches per index that are ranked.
const CANDIDATES: i64 = 2_000;
/// Words in an excerpt, and how many of them come before the first match.
const EXCERPT_WORDS: usize = 18;
const EXCERPT_BEFORE: usize = 4;
/// Text read for an excerpt (a command's output can be megabytes).
const EXCERPT_SCAN_BYTES: usize = 64 * 1024;
/// Shorter last words are matched whole: a one-letter prefix would merge
/// the index entries of thousands of words.
const MIN_PREFIX_CHARS: usize = 2;

/// What was typed, as words to find.
#[derive(Debug, PartialEq)]
pub struct Query {
    /// Lower case; only words with a letter or digit.
    words: Vec<String>,
    /// The last word also matches as a prefix (results while typing),
    /// unless a space follows it.
    prefix: bool,
}

impl Query {
    /// `None` when nothing searchable was typed.
    pub fn parse(text: &str) -> Option<Query> {
        let words: Vec<String> = text
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(str::to_lowercase)
            .collect();
        let last = words.last()?;
        // A space after the last word says it is finished.
        let prefix = !text.ends_with(char::is_whitespace)
            && last.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_PREFIX_CHARS;
        Some(Query { words, prefix })
    }

    /// The FTS5 query: every word must occur, each quoted so no character
    /// is query syntax.
    pub fn fts(&self) -> String {
        let mut out: Vec<String> = self
            .words
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        if self.prefix
            && let Some(last) = out.last_mut()
        {
            last.push('*');
        }
        out.join(" ")
    }

    /// Whether a word of the text (lower case) is one the query found.
    fn finds(&self, word: &str) -> bool {
        // Called for every word of an excerpt's text: no allocation here.
        let last = self.words.len().saturating_sub(1);
        self.words.iter().enumerate().any(|(i, w)| {
            w.split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .any(|p| p == word || (i == last && self.prefix && word.starts_with(p)))
        })
    }
}

/// Hits for `text` over every thread, best first, at most `limit`.
pub async fn search(
    pool: &SqlitePool,
    text: &str,
    limit: usize,
) -> Result<Vec<SearchHit>, StoreError> {
    let Some(query) = Query::parse(text) else {
        return Ok(Vec::new());
    };
    let fts = query.fts();
    // Each index ranks its recent candidates; the two lists merge by rank
    // (both BM25, lower is better).
    let best: Vec<(bool, i64)> = sqlx::query_as(
        "SELECT activity, id FROM ( \
           SELECT 0 AS activity, id, rank FROM (SELECT rowid AS id, bm25(search_messages) AS rank \
             FROM search_messages WHERE search_messages MATCH ?1 ORDER BY rowid DESC LIMIT ?2) \
           UNION ALL \
           SELECT 1, id, rank FROM (SELECT rowid AS id, bm25(search_activities) AS rank \
             FROM search_activities WHERE search_activities MATCH ?1 ORDER BY rowid DESC LIMIT ?2)) \
         ORDER BY rank, id DESC LIMIT ?3",
    )
    .bind(&fts)
    .bind(CANDIDATES)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?;
    let ids = |activity: bool| {
        let list: Vec<i64> = best
            .iter()
            .filter(|(a, _)| *a == activity)
            .map(|(_, id)| *id)
            .collect();
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
    };
    let messages = sqlx::query(
        "SELECT m.rowid AS id, m.thread_id, t.project_id, t.title, tu.number, m.role, \
           substr(m.text, 1, ?2) AS body, NULL AS more \
         FROM projection_messages m \
         JOIN projection_turns tu ON tu.id = m.turn_id \
         JOIN projection_threads t ON t.id = m.thread_id \
         WHERE m.rowid IN (SELECT value FROM json_each(?1))",
    )
    .bind(ids(false))
    .bind(EXCERPT_SCAN_BYTES as i64);
    let activities = sqlx::query(
        "SELECT a.rowid AS id, a.thread_id, t.project_id, t.title, tu.number, NULL AS role, \
           a.summary AS body, substr(a.detail, 1, ?2) AS more \
         FROM projection_activities a \
         JOIN projection_turns tu ON tu.id = a.turn_id \
         JOIN projection_threads t ON t.id = a.thread_id \
         WHERE a.rowid IN (SELECT value FROM json_each(?1))",
    )
    .bind(ids(true))
    .bind(EXCERPT_SCAN_BYTES as i64);
    let mut found: Vec<(bool, i64, SearchHit)> = Vec::new();
    for (activity, rows) in [
        (false, messages.fetch_all(pool).await?),
        (true, activities.fetch_all(pool).await?),
    ] {
        for row in rows {
            let thread: String = row.try_get("thread_id")?;
            let project: String = row.try_get("project_id")?;
            let role: Option<String> = row.try_get("role")?;
            let body: String = row.try_get("body")?;
            let more: Option<String> = row.try_get("more")?;
            // A command's summary, else its output, whichever matched.
            let source_text = match more {
                Some(detail) if !excerpt(&query, &body).iter().any(|p| p.hit) => detail,
                _ => body,
            };
            found.push((
                activity,
                row.try_get("id")?,
                SearchHit {
                    thread_id: parse_id("thread_id", &thread)?,
                    project_id: parse_id("project_id", &project)?,
                    thread_title: row.try_get("title")?,
                    turn: row.try_get::<i64, _>("number")? as u32,
                    source: match role {
                        Some(role) => HitSource::Message { role },
                        None => HitSource::Activity,
                    },
                    snippet: excerpt(&query, &source_text),
                },
            ));
        }
    }
    // Back in rank order.
    Ok(best
        .iter()
        .filter_map(|key| {
            let at = found.iter().position(|(a, id, _)| (*a, *id) == *key)?;
            Some(found.swap_remove(at).2)
        })
        .collect())
}

/// About `EXCERPT_WORDS` words of `text` around the first one the query
/// found, those it found marked; on one line.
fn excerpt(query: &Query, text: &str) -> Vec<SnippetPart> {
    let text = match text.char_indices().nth(EXCERPT_SCAN_BYTES) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    // Byte ranges of the words (runs of letters and digits).
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    let hit = |&(s, e): &(usize, usize)| query.finds(&text[s..e].to_lowercase());
    let first = words.iter().position(hit).unwrap_or(0);
    let from = first.saturating_sub(EXCERPT_BEFORE);
    let to = (from + EXCERPT_WORDS).min(words.len());
    let Some((&(begin, _), &(_, end))) = words.get(from).zip(words.get(to.saturating_sub(1)))
    else {
        return Vec::new();
    };
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |text: &str, hit: bool| {
        let text = text.replace(['\n', '\r', '\t'], " ");
        match parts.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(&text),
            _ => parts.push(SnippetPart { text, hit }),
        }
    };
    if from > 0 {
        push("…", false);
    }
    let mut at = begin;
    for w in &words[from..to] {
        push(&text[at..w.0], false);
        push(&text[w.0..w.1], hit(w));
        at = w.1;
    }
    match to < words.len() {
        true => push("…", false),
        false => push(text[end..].trim_end(), false),
    }
    parts.retain(|p| !p.text.is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(text: &str) -> Option<String> {
        Query::parse(text).map(|q| q.fts())
    }

    #[test]
    fn typed_text_becomes_quoted_words_with_a_prefix_last() {
        assert_eq!(fts("  "), None);
        assert_eq!(fts("-- ()"), None, "nothing searchable");
        assert_eq!(fts("Borrow"), Some("\"borrow\"*".into()));
        assert_eq!(
            fts("turn 7"),
            Some("\"turn\" \"7\"".into()),
            "one letter: whole"
        );
        assert_eq!(
            fts("fix \"the\" NEAR(x"),
            Some("\"fix\" \"\"\"the\"\"\" \"near(x\"*".into())
        );
    }

    fn marked(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| match p.hit {
                true => format!("[{}]", p.text),
                false => p.text.clone(),
            })
            .collect()
    }

    #[test]
    fn excerpts_mark_what_was_found_around_the_first_match() {
        let q = Query::parse("borrow chec").expect("query");
        assert_eq!(
            marked(&excerpt(&q, "The borrow checker:\nno borrowing here.")),
            "The [borrow] [checker]: no borrowing here."
        );
        let long: String = (0..40).map(|i| format!("w{i} ")).collect::<String>() + "borrow end";
        let text = marked(&excerpt(&q, &long));
        assert!(text.starts_with("…w36 w37 w38 w39 [borrow] end"), "{text}");
        let q = Query::parse("cargo").expect("query");
        let text = marked(&excerpt(&q, &"x ".repeat(30)));
        assert!(
            text.starts_with("x x") && text.ends_with('…'),
            "no match: the start"
        );
    }
}
