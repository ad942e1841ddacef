//! Unit tests for the highlighter (kept apart to keep `highlight.rs` short).

use super::*;
use proptest::prelude::*;

fn span(class: &str, text: &str) -> String {
    format!("<span class=\"{class}\">{text}</span>")
}

/// Drops the spans and undoes the escaping: must give back the input.
fn plain_text(html: &str) -> String {
    let mut s = html.replace("</span>", "");
    for class in [KW, STR, COM, NUM] {
        s = s.replace(&format!("<span class=\"{class}\">"), "");
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn rust_keywords_strings_comments_numbers() {
    let html = highlight("rust", "fn main() { let x = 42; // hi\n}");
    assert!(html.contains(&span(KW, "fn")));
    assert!(html.contains(&span(KW, "let")));
    assert!(html.contains(&span(NUM, "42")));
    assert!(html.contains(&span(COM, "// hi")));
    let html = highlight("rs", r#"let s = "a\"b"; /* c */ 1.5e-3"#);
    assert!(
        html.contains(&span(STR, "&quot;a\\&quot;b&quot;")),
        "{html}"
    );
    assert!(html.contains(&span(COM, "/* c */")));
    assert!(html.contains(&span(NUM, "1.5e-3")));
}

#[test]
fn less_than_is_escaped_in_strings_comments_and_code() {
    let html = highlight("rust", "if a < b { \"<b>\" } // <script>");
    assert!(!html.contains("<b>") && !html.contains("<script"), "{html}");
    assert!(html.contains(&span(STR, "&quot;&lt;b&gt;&quot;")));
    assert!(html.contains(&span(COM, "// &lt;script&gt;")));
    assert!(html.contains(" &lt; "));
    assert_eq!(
        highlight("nope", "<a href=\"x\">&"),
        "&lt;a href=&quot;x&quot;&gt;&amp;"
    );
}

#[test]
fn rust_lifetimes_chars_and_raw_strings() {
    let html = highlight("rust", "fn f<'a>(x: &'static str) -> char { 'é' }");
    assert!(!html.contains(&span(KW, "static")), "{html}");
    assert!(html.contains(&span(STR, "'é'")));
    let html = highlight("rust", r###"r#"say "hi""# + 1"###);
    assert!(
        html.contains(&span(STR, "r#&quot;say &quot;hi&quot;&quot;#")),
        "{html}"
    );
    assert!(html.contains(&span(NUM, "1")));
}

#[test]
fn other_languages() {
    let py = highlight("python", "def f():\n    return '''a\n# b''' # c");
    assert!(py.contains(&span(KW, "def")) && py.contains(&span(STR, "'''a\n# b'''")));
    assert!(py.contains(&span(COM, "# c")));
    let sh = highlight("bash", "echo $# a#b 'x\\' # done");
    assert!(
        sh.contains(&span(STR, "'x\\'")) && sh.contains(&span(COM, "# done")),
        "{sh}"
    );
    assert!(!sh.contains(&span(COM, "# a#b")));
    let js = highlight("ts", "const s = `a ${b}`; // c");
    assert!(js.contains(&span(KW, "const")) && js.contains(&span(STR, "`a ${b}`")));
    let json = highlight("json", "{\"a\": [1, true, null]}");
    assert!(json.contains(&span(STR, "&quot;a&quot;")) && json.contains(&span(KW, "null")));
    let toml = highlight("toml", "a = 'C:\\' # c");
    assert!(toml.contains(&span(STR, "'C:\\'")) && toml.contains(&span(COM, "# c")));
    assert!(highlight("go", "func main() {}").contains(&span(KW, "func")));
    assert!(highlight("cpp", "int x = 0x1F;").contains(&span(NUM, "0x1F")));
    assert!(highlight("c", "int x = 0x1F;").contains(&span(KW, "int")));
}

#[test]
fn unterminated_tokens_run_to_the_end() {
    assert_eq!(highlight("rust", "/* open"), span(COM, "/* open"));
    assert_eq!(
        highlight("python", "x = 'ab\ny"),
        format!("x = {}\ny", span(STR, "'ab"))
    );
}

#[test]
fn multi_byte_text_survives() {
    let code = "let s = \"é 😀 日本\"; // é 😀 日本\nlet 日本 = 'é';";
    let html = highlight("rust", code);
    assert!(html.contains(&span(STR, "&quot;é 😀 日本&quot;")));
    assert!(html.contains(&span(COM, "// é 😀 日本")));
    assert_eq!(plain_text(&html), code);
}

#[test]
fn code_block_wrapper_sanitises_the_language() {
    let html = code_block("Rust,ignore", "fn x() {}\n");
    assert!(html.starts_with("<pre class=\"code\"><code class=\"language-rust\">"));
    assert!(html.ends_with("</code></pre>\n"));
    let html = code_block("x\"onmouseover=alert(1)", "a");
    assert!(html.starts_with("<pre class=\"code\"><code class=\"language-xonmouseoveralert1\">"));
    assert_eq!(
        code_block("", "<"),
        "<pre class=\"code\"><code>&lt;</code></pre>\n"
    );
}

proptest! {
    #[test]
    fn highlighting_keeps_the_text(code in "(?s).{0,200}", lang in "rust|python|js|sh|go|c|json|toml|x") {
        prop_assert_eq!(plain_text(&highlight(&lang, &code)), code);
    }

    #[test]
    fn highlighting_keeps_code_like_text(
        code in "([a-z0-9 ]|'|\"|`|#|/|\\*|\\\\|\n|<|&|é|😀|r#){0,80}",
        lang in "rust|python|js|sh|go|c|json|toml",
    ) {
        prop_assert_eq!(plain_text(&highlight(&lang, &code)), code);
    }
}
