//! Markdown → safe HTML for assistant messages, on the server (SSR) and in
//! the WASM client alike. The output is meant for `inner_html`, so nothing
//! in the input may become markup of its own: raw HTML is shown as text,
//! links with a scripting scheme lose their target, and images become links
//! (no remote content is loaded just by showing a message).
//!
//! `to_html` is a pure function of its input, so a message rendered while it
//! streams in looks exactly like the same text rendered when it is complete.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

use crate::highlight;

/// Renders `markdown` (CommonMark with tables, strikethrough and task lists)
/// to HTML that is safe to insert into the page.
pub fn to_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = sanitize(Parser::new_ext(markdown, options));
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 2);
    html::push_html(&mut out, events.into_iter());
    out
}

/// Whether a link target may be followed: http, https, mailto, or no scheme
/// at all (relative paths, `#fragments`).
pub fn is_safe_url(url: &str) -> bool {
    // Browsers drop tabs and newlines anywhere in a URL and strip leading
    // control characters and spaces, so "\u{1} java\tscript:" still runs
    // script; drop them all before looking for the scheme.
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_control() && *c != ' ')
        .collect();
    // A ':' before any '/', '?' or '#' ends a scheme. Anything odd in front
    // of it is refused too rather than guessing how a browser would read it.
    match cleaned.find([':', '/', '?', '#']) {
        Some(p) if cleaned[p..].starts_with(':') => {
            let scheme = cleaned[..p].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

struct OpenImage<'a> {
    /// False when the image sits inside a link: nested anchors are invalid,
    /// so only its alt text is kept.
    as_link: bool,
    /// Events emitted before it, to tell whether it had any alt text.
    events_before: usize,
    dest: CowStr<'a>,
}

fn sanitize<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    // The fenced code block being collected: (info string, text).
    let mut code: Option<(CowStr<'a>, String)> = None;
    let mut links = 0usize;
    let mut images: Vec<OpenImage<'a>> = Vec::new();
    for event in events {
        if let Some((_, text)) = code.as_mut() {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((info, text)) = code.take() {
                        out.push(Event::Html(highlight::code_block(&info, &text).into()));
                    }
                }
                // A code block holds only text; ignore anything else.
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info,
                    CodeBlockKind::Indented => CowStr::Borrowed(""),
                };
                code = Some((info, String::new()));
            }
            // Raw HTML is shown as typed; the renderer escapes text.
            Event::Html(raw) | Event::InlineHtml(raw) => out.push(Event::Text(raw)),
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            }) => {
                links += 1;
                out.push(Event::Html(
                    open_anchor(link_type, &dest_url, &title).into(),
                ));
            }
            Event::End(TagEnd::Link) => {
                links = links.saturating_sub(1);
                out.push(Event::Html("</a>".into()));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                ..
            }) => {
                let as_link = links == 0;
                if as_link {
                    links += 1;
                    out.push(Event::Html(
                        open_anchor(link_type, &dest_url, &title).into(),
                    ));
                }
                images.push(OpenImage {
                    as_link,
                    events_before: out.len(),
                    dest: dest_url,
                });
            }
            Event::End(TagEnd::Image) => {
                if let Some(image) = images.pop()
                    && image.as_link
                {
                    // An image without alt text would be an empty, invisible link.
                    if out.len() == image.events_before {
                        out.push(Event::Text(image.dest));
                    }
                    links = links.saturating_sub(1);
                    out.push(Event::Html("</a>".into()));
                }
            }
            other => out.push(other),
        }
    }
    // The parser closes every block at the end of the input; this is only a
    // guard so a code block can never vanish.
    if let Some((info, text)) = code.take() {
        out.push(Event::Html(highlight::code_block(&info, &text).into()));
    }
    out
}

fn open_anchor(link_type: LinkType, dest: &str, title: &str) -> String {
    let href = match link_type {
        LinkType::Email => format!("mailto:{dest}"),
        _ => dest.to_owned(),
    };
    let href = if is_safe_url(&href) {
        href
    } else {
        "#".to_owned()
    };
    let mut a = String::from("<a href=\"");
    highlight::escape_html(&mut a, &href);
    a.push('"');
    if !title.is_empty() {
        a.push_str(" title=\"");
        highlight::escape_html(&mut a, title);
        a.push('"');
    }
    // Links elsewhere open in a new tab so the conversation stays put, and
    // must not get a handle on this window.
    let lower = href.trim_start().to_ascii_lowercase();
    if lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//") {
        a.push_str(" rel=\"noopener noreferrer\" target=\"_blank\"");
    }
    a.push('>');
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headings_lists_and_inline_code() {
        let html = to_html("# Title\n\n## Sub\n\n- one\n- `two<>`\n\n1. first\n\n~~gone~~");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<h2>Sub</h2>"));
        assert!(html.contains("<ul>\n<li>one</li>\n<li><code>two&lt;&gt;</code></li>"));
        assert!(html.contains("<ol>\n<li>first</li>"));
        assert!(html.contains("<del>gone</del>"));
    }

    #[test]
    fn renders_tables_and_task_lists() {
        let html = to_html("| a | b |\n|---|:-:|\n| 1 | <i>2</i> |\n\n- [x] done\n- [ ] todo");
        assert!(
            html.contains("<table>") && html.contains("<th>a</th>"),
            "{html}"
        );
        assert!(html.contains("<td>1</td>"));
        assert!(html.contains("&lt;i&gt;2&lt;/i&gt;") && !html.contains("<i>"));
        assert!(html.contains("type=\"checkbox\""));
    }

    #[test]
    fn renders_links() {
        let html = to_html("[site](https://example.com \"T\") [rel](docs/a.md) [top](#top)");
        assert!(html.contains(
            "<a href=\"https://example.com\" title=\"T\" rel=\"noopener noreferrer\" \
             target=\"_blank\">site</a>"
        ));
        assert!(html.contains("<a href=\"docs/a.md\">rel</a>"), "{html}");
        assert!(html.contains("<a href=\"#top\">top</a>"));
        let html = to_html("<me@example.com> <https://x.org/?a=1&b=2>");
        assert!(html.contains("href=\"mailto:me@example.com\""), "{html}");
        assert!(html.contains("href=\"https://x.org/?a=1&amp;b=2\""));
    }

    #[test]
    fn raw_html_is_escaped() {
        for input in [
            "<script>alert(1)</script>",
            "text <script>alert(1)</script> text",
            "<img src=x onerror=alert(1)>",
            "a <img src=x onerror=alert(1)> b",
            "<div>\n<img src=x onerror=alert(1)>\n</div>",
            "- <iframe src=\"javascript:alert(1)\">",
        ] {
            let html = to_html(input);
            for tag in ["<script", "<img", "<div", "<iframe"] {
                assert!(!html.contains(tag), "{input:?} gave {html:?}");
            }
            assert!(html.contains("&lt;"), "{input:?} gave {html:?}");
        }
        assert!(to_html("<script>alert(1)</script>").contains("&lt;script&gt;alert(1)"));
    }

    #[test]
    fn dangerous_link_targets_become_hash() {
        for input in [
            "[x](javascript:alert(1))",
            "[x]( JaVaScRiPt:alert(1))",
            "[x](<\tjavascript:alert(1)>)",
            "[x](&#106;avascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](VBScript:msgbox)",
            "<javascript:alert(1)>",
            "[x][r]\n\n[r]: javascript:alert(1)",
            "![x](javascript:alert(1))",
        ] {
            let html = to_html(input);
            assert!(html.contains("href=\"#\""), "{input:?} gave {html:?}");
            assert!(!html.to_lowercase().contains("href=\"javascript"));
        }
    }

    #[test]
    fn url_schemes() {
        for safe in [
            "https://a.b",
            "HTTP://a",
            "mailto:a@b",
            "a/b:c",
            "./x",
            "#f",
            "?q=a:b",
            "",
        ] {
            assert!(is_safe_url(safe), "{safe}");
        }
        for bad in [
            "javascript:x",
            " JaVaScRiPt:x",
            "\u{1}\u{1f} javascript:x",
            "java\tscript:x",
            "java\nscript:x",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            assert!(!is_safe_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn images_render_as_links() {
        let html = to_html("![a cat](https://x.org/cat.png) ![](pic.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("href=\"https://x.org/cat.png\""));
        assert!(html.contains(">a cat</a>"));
        assert!(html.contains("<a href=\"pic.png\">pic.png</a>"));
        // Inside a link only the alt text stays: anchors cannot nest.
        let html = to_html("[![badge](https://x.org/b.svg)](https://x.org)");
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
        assert!(html.contains(">badge</a>"));
    }

    #[test]
    fn rust_fence_is_highlighted() {
        let html = to_html("```rust\nfn main() { if a < b {} }\n```");
        assert!(html.contains("<pre class=\"code\"><code class=\"language-rust\">"));
        assert!(html.contains("<span class=\"hl-kw\">fn</span>"), "{html}");
        assert!(html.contains(" a &lt; b "));
        let html = to_html("```\n<b>\n```\n\n    <i>indented</i>");
        assert!(
            html.contains("<pre class=\"code\"><code>&lt;b&gt;\n</code></pre>"),
            "{html}"
        );
        assert!(html.contains("&lt;i&gt;indented&lt;/i&gt;"));
    }

    #[test]
    fn unterminated_fence_renders() {
        let html = to_html("Here:\n\n```python\ndef f():\n    return \"<x>");
        assert!(html.contains("<p>Here:</p>"));
        assert!(html.contains("<code class=\"language-python\">"), "{html}");
        assert!(html.contains("<span class=\"hl-kw\">def</span>"));
        assert!(html.contains("&quot;&lt;x&gt;") && html.ends_with("</code></pre>\n"));
    }

    #[test]
    fn every_streamed_prefix_renders() {
        let full =
            "# T\n\n| a |\n|---|\n| é |\n\n```rust\nlet s = \"日本 😀\"; // <\n```\n[l](http";
        for (i, _) in full.char_indices() {
            let html = to_html(&full[..i]);
            assert!(!html.contains("<script") && html == to_html(&full[..i]));
        }
    }

    #[test]
    fn multi_byte_text_survives() {
        let html =
            to_html("é 😀 日本 `é 😀 日本`\n\n```rust\nlet s = \"é 😀 日本\"; // é 😀 日本\n```");
        assert!(
            html.contains("<p>é 😀 日本 <code>é 😀 日本</code></p>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"hl-str\">&quot;é 😀 日本&quot;</span>"));
        assert!(html.contains("<span class=\"hl-com\">// é 😀 日本</span>"));
    }
}
