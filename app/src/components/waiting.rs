//! Threads waiting on the user (an approval), counted in the tab's title
//! (`(N) peon`) and on its icon, so a tab in the background says so.

use super::store::use_store;
use crate::contracts::ThreadState;
use leptos::prelude::*;
use leptos_meta::Title;

/// The tab's title with `waiting` threads.
pub fn tab_title(waiting: usize) -> String {
    match waiting {
        0 => "peon".to_string(),
        n => format!("({n}) peon"),
    }
}

/// peon's icon with a badge of `waiting` (up to 9, then "9+"). Used only
/// in the browser; tested natively.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn badged_icon(waiting: usize) -> String {
    let icon = include_str!("../../../style/icons/icon.svg").trim_end();
    let label = if waiting > 9 {
        "9+".to_string()
    } else {
        waiting.to_string()
    };
    let badge = format!(
        "<circle cx=\"46\" cy=\"18\" r=\"18\" fill=\"#dc2626\"/><text x=\"46\" y=\"25\" \
         font-size=\"{}\" font-family=\"sans-serif\" font-weight=\"bold\" fill=\"#fff\" \
         text-anchor=\"middle\">{label}</text></svg>",
        if label.len() > 1 { 17 } else { 22 }
    );
    icon.strip_suffix("</svg>")
        .map(|body| format!("{body}{badge}"))
        .unwrap_or_else(|| icon.to_string())
}

#[component]
pub fn WaitingCount() -> impl IntoView {
    let store = use_store();
    let waiting = Memo::new(move |_| {
        store.rows().and_then(Result::ok).map_or(0, |rows| {
            rows.iter()
                .flat_map(|p| &p.threads)
                .filter(|t| t.state == ThreadState::AwaitingApproval)
                .count()
        })
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let n = waiting.get();
        let link = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("link[rel=icon]").ok().flatten());
        if let Some(link) = link {
            let href = match n {
                0 => crate::ICON_SVG.to_string(),
                n => format!(
                    "data:image/svg+xml,{}",
                    String::from(js_sys::encode_uri_component(&badged_icon(n)))
                ),
            };
            let _ = link.set_attribute("href", &href);
        }
    });
    view! { <Title text=move || tab_title(waiting.get()) /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_goes_in_the_title_and_on_the_icon() {
        assert_eq!(tab_title(0), "peon");
        assert_eq!(tab_title(3), "(3) peon");
        let icon = badged_icon(3);
        assert!(
            icon.starts_with("<svg") && icon.ends_with("</svg>"),
            "{icon}"
        );
        assert!(icon.contains(">3</text>"));
        assert!(badged_icon(12).contains(">9+</text>"));
    }
}
