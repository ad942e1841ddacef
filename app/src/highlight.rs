//! A small hand-written syntax highlighter for fenced code blocks in
//! assistant messages. It only colours keywords, strings, comments and
//! numbers: enough to make code readable, cheap enough to rerun on every
//! streamed chunk (one linear pass, no regexes, no extra crates).
//!
//! Every token boundary it chooses is an ASCII byte or the end of the input,
//! and ASCII bytes never occur inside a multi-byte UTF-8 sequence, so the
//! slices it takes always fall on char boundaries.

const KW: &str = "hl-kw";
const STR: &str = "hl-str";
const COM: &str = "hl-com";
const NUM: &str = "hl-num";

struct Quote {
    delim: &'static str,
    multiline: bool,
    escapes: bool,
}

const fn q(delim: &'static str, multiline: bool, escapes: bool) -> Quote {
    Quote {
        delim,
        multiline,
        escapes,
    }
}

const DQ: Quote = q("\"", false, true);
const SQ: Quote = q("'", false, true);
const DQ_LINES: Quote = q("\"", true, true);
const TRIPLE_DQ: Quote = q("\"\"\"", true, true);

struct Lang {
    /// Space-separated; a string so the tables stay short.
    keywords: &'static str,
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    /// Checked in order, so longer delimiters (`"""`) come first.
    quotes: &'static [Quote],
    /// Shell: `#` starts a comment only at the start of a word (`$#`, `a#b`).
    comment_at_word_start: bool,
    /// Rust: `'a'` is a char but `'a` a lifetime; `r#"…"#` raw strings.
    rust: bool,
}

const C_STYLE: Option<(&str, &str)> = Some(("/*", "*/"));

const BASE: Lang = Lang {
    keywords: "",
    line_comments: &[],
    block_comment: None,
    quotes: &[],
    comment_at_word_start: false,
    rust: false,
};

const RUST: Lang = Lang {
    keywords: "as async await break const continue crate dyn else enum extern false fn for if \
         impl in let loop match mod move mut pub ref return self Self static struct super \
         trait true type unsafe use where while yield macro_rules",
    line_comments: &["//"],
    block_comment: C_STYLE,
    quotes: &[DQ_LINES],
    comment_at_word_start: false,
    rust: true,
};

const PYTHON: Lang = Lang {
    keywords: "False None True and as assert async await break case class continue def del elif \
         else except finally for from global if import in is lambda match nonlocal not or \
         pass raise return self try while with yield",
    line_comments: &["#"],
    quotes: &[TRIPLE_DQ, q("'''", true, true), DQ, SQ],
    ..BASE
};

const JS: Lang = Lang {
    keywords: "as async await break case catch class const continue debugger default delete do \
         else enum export extends false finally for from function if implements import in \
         instanceof interface let new null of private protected public readonly return \
         static super switch this throw true try type typeof undefined var void while \
         with yield",
    line_comments: &["//"],
    block_comment: C_STYLE,
    quotes: &[q("`", true, true), DQ, SQ],
    ..BASE
};

const SHELL: Lang = Lang {
    keywords: "if then else elif fi for while until do done case esac function in return local \
         export select break continue readonly declare unset shift exit source",
    line_comments: &["#"],
    // Single quotes in shell have no escapes: `'\'` is a complete string.
    quotes: &[DQ_LINES, q("'", true, false)],
    comment_at_word_start: true,
    ..BASE
};

const GO: Lang = Lang {
    keywords: "break case chan const continue default defer else fallthrough for func go goto \
         if import interface map package range return select struct switch type var true \
         false nil iota",
    line_comments: &["//"],
    block_comment: C_STYLE,
    quotes: &[q("`", true, false), DQ, SQ],
    ..BASE
};

const C: Lang = Lang {
    keywords: "auto bool break case catch char class const constexpr continue default delete do \
         double else enum explicit extern false float for friend goto if inline int long \
         namespace new noexcept nullptr NULL operator override private protected public \
         register return short signed sizeof static struct switch template this throw \
         true try typedef typename union unsigned using virtual void volatile while",
    line_comments: &["//"],
    block_comment: C_STYLE,
    quotes: &[DQ, SQ],
    ..BASE
};

const JSON: Lang = Lang {
    keywords: "true false null",
    quotes: &[DQ],
    ..BASE
};

const TOML: Lang = Lang {
    keywords: "true false",
    line_comments: &["#"],
    quotes: &[TRIPLE_DQ, q("'''", true, false), DQ, q("'", false, false)],
    ..BASE
};

fn language(name: &str) -> Option<&'static Lang> {
    Some(match name.to_ascii_lowercase().as_str() {
        "rust" | "rs" => &RUST,
        "python" | "py" | "python3" => &PYTHON,
        "javascript" | "js" | "jsx" | "mjs" | "typescript" | "ts" | "tsx" => &JS,
        "sh" | "bash" | "shell" | "zsh" => &SHELL,
        "go" | "golang" => &GO,
        "c" | "h" | "cpp" | "c++" | "cc" | "cxx" | "hpp" => &C,
        "json" | "jsonc" => &JSON,
        "toml" => &TOML,
        _ => return None,
    })
}

/// Appends `text` with the characters that matter in HTML text and in
/// double-quoted attributes escaped.
pub fn escape_html(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, m) in text.match_indices(['&', '<', '>', '"']) {
        out.push_str(&text[last..i]);
        out.push_str(match m {
            "&" => "&amp;",
            "<" => "&lt;",
            ">" => "&gt;",
            _ => "&quot;",
        });
        last = i + m.len();
    }
    out.push_str(&text[last..]);
}

/// The highlighted, escaped body of a code block (no wrapper). Unknown
/// languages are only escaped.
pub fn highlight(lang: &str, code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 4);
    highlight_into(&mut out, lang, code);
    out
}

/// A whole code block: `<pre class="code"><code class="language-xxx">…</code></pre>`.
/// `info` is the fence's info string; only its first word, reduced to
/// characters that are harmless in a class name, is used.
pub fn code_block(info: &str, code: &str) -> String {
    let lang: String = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '#' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut out = String::with_capacity(code.len() + code.len() / 4 + 64);
    out.push_str("<pre class=\"code\"><code");
    if !lang.is_empty() {
        out.push_str(" class=\"language-");
        escape_html(&mut out, &lang);
        out.push('"');
    }
    out.push('>');
    highlight_into(&mut out, &lang, code);
    out.push_str("</code></pre>\n");
    out
}

fn highlight_into(out: &mut String, lang: &str, src: &str) {
    let Some(lang) = language(lang) else {
        escape_html(out, src);
        return;
    };
    // `get` rather than indexing: a boundary bug would drop text, not panic.
    let text = |a: usize, b: usize| src.get(a..b).unwrap_or_default();
    let (mut i, mut plain) = (0, 0);
    while i < src.len() {
        let (end, class) = token_at(lang, src, i);
        if let Some(class) = class {
            escape_html(out, text(plain, i));
            out.push_str("<span class=\"");
            out.push_str(class);
            out.push_str("\">");
            escape_html(out, text(i, end));
            out.push_str("</span>");
            plain = end;
        }
        // Every branch of `token_at` moves forward; `max` guards the loop anyway.
        i = end.max(i + 1);
    }
    escape_html(out, text(plain, src.len()));
}

/// The end of the token starting at `i` and its class (`None`: uncoloured).
fn token_at(lang: &Lang, src: &str, i: usize) -> (usize, Option<&'static str>) {
    let b = src.as_bytes();
    let rest = &b[i..];
    for marker in lang.line_comments {
        let at_word_start = i == 0
            || matches!(
                b[i - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'('
            );
        if rest.starts_with(marker.as_bytes()) && (!lang.comment_at_word_start || at_word_start) {
            return (find(b, i, b"\n").unwrap_or(b.len()), Some(COM));
        }
    }
    if let Some((open, close)) = lang.block_comment
        && rest.starts_with(open.as_bytes())
    {
        let end = find(b, i + open.len(), close.as_bytes()).map_or(b.len(), |p| p + close.len());
        return (end, Some(COM));
    }
    for quote in lang.quotes {
        if rest.starts_with(quote.delim.as_bytes()) {
            return (scan_string(b, i + quote.delim.len(), quote), Some(STR));
        }
    }
    if lang.rust && b[i] == b'\'' {
        return rust_quote(src, i);
    }
    if is_word(b[i]) {
        let end = word_end(b, i);
        if b[i].is_ascii_digit() {
            return (number_end(b, i, end), Some(NUM));
        }
        if lang.rust
            && let Some(raw_end) = rust_raw_string(b, i, end)
        {
            return (raw_end, Some(STR));
        }
        let word = src.get(i..end).unwrap_or_default();
        let keyword = lang.keywords.split_ascii_whitespace().any(|k| k == word);
        return (end, keyword.then_some(KW));
    }
    // Not a word byte, so ASCII: one byte is one char.
    (i + 1, None)
}

/// Identifier characters; non-ASCII bytes count too, so that a keyword glued
/// to a non-ASCII letter is not coloured and words only end on ASCII.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn word_end(b: &[u8], from: usize) -> usize {
    from + b[from..].iter().take_while(|&&c| is_word(c)).count()
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = b.get(from..)?;
    hay.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// End of a string whose body starts at `from`: after the closing delimiter,
/// before the newline for single-line quotes, or the end of the input.
fn scan_string(b: &[u8], from: usize, quote: &Quote) -> usize {
    let delim = quote.delim.as_bytes();
    let mut j = from;
    while j < b.len() {
        if quote.escapes && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j..].starts_with(delim) {
            return j + delim.len();
        }
        if !quote.multiline && b[j] == b'\n' {
            return j;
        }
        j += 1;
    }
    b.len()
}

fn number_end(b: &[u8], start: usize, mut end: usize) -> usize {
    let hex = b[start..end].len() > 1 && b[start + 1].eq_ignore_ascii_case(&b'x');
    loop {
        let next_is_digit = b.get(end + 1).is_some_and(u8::is_ascii_digit);
        let fraction = b.get(end) == Some(&b'.');
        let exponent =
            !hex && matches!(b.get(end), Some(b'+' | b'-')) && matches!(b[end - 1], b'e' | b'E');
        if next_is_digit && (fraction || exponent) {
            end = word_end(b, end + 1);
        } else {
            return end;
        }
    }
}

/// `'x'` and `'\n'` are char literals; anything else after `'` is a lifetime
/// or label, left uncoloured so `'static` is not shown as a keyword.
fn rust_quote(src: &str, i: usize) -> (usize, Option<&'static str>) {
    let b = src.as_bytes();
    if b.get(i + 1) == Some(&b'\\') {
        return (scan_string(b, i + 1, &q("'", false, true)), Some(STR));
    }
    if let Some(c) = src.get(i + 1..).and_then(|r| r.chars().next()) {
        let close = i + 1 + c.len_utf8();
        if c != '\'' && b.get(close) == Some(&b'\'') {
            return (close + 1, Some(STR));
        }
    }
    (word_end(b, i + 1), None)
}

/// `r"…"`, `r#"…"#`, `br##"…"##`: the end of the raw string if the word
/// `b[start..word_end]` begins one.
fn rust_raw_string(b: &[u8], start: usize, word_end: usize) -> Option<usize> {
    if !matches!(&b[start..word_end], b"r" | b"br" | b"cr") {
        return None;
    }
    let hashes = b[word_end..].iter().take_while(|&&c| c == b'#').count();
    if b.get(word_end + hashes) != Some(&b'"') {
        return None;
    }
    let mut from = word_end + hashes + 1;
    while let Some(p) = find(b, from, b"\"") {
        let closing = b[p + 1..].iter().take(hashes).take_while(|&&c| c == b'#');
        if closing.count() == hashes {
            return Some(p + 1 + hashes);
        }
        from = p + 1;
    }
    Some(b.len())
}

#[cfg(test)]
mod tests;
