//! The diff panel: a turn's change or the whole thread's, file by file,
//! unified or side by side. Files render only when opened and long files a
//! page of lines at a time, so a multi-megabyte diff never freezes the page.

use crate::api::{DiffResponse, FileDiff, get_diff};
use crate::contracts::ThreadId;
use crate::pages::error_text;
use leptos::prelude::*;

/// Lines of one file rendered at a time.
const PAGE_LINES: usize = 800;
/// Files opened from the start when the diff is small.
const OPEN_FILES: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Unified,
    Split,
}

#[component]
pub fn DiffPanel(thread_id: ThreadId, from: u32, to: u32) -> impl IntoView {
    let loaded: RwSignal<Option<Result<DiffResponse, String>>> = RwSignal::new(None);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            loaded.set(Some(
                get_diff(thread_id, from, to)
                    .await
                    .map_err(|e| error_text(&e)),
            ));
        });
    });
    let layout = RwSignal::new(Layout::Unified);
    view! {
        <div class="diff-panel" data-testid="diff-panel">
            <div class="diff-toolbar">
                <span class="muted">{format!("Checkpoint {from} → {to}")}</span>
                <button class="link" data-testid="diff-unified" disabled=move || layout.get() == Layout::Unified
                    on:click=move |_| layout.set(Layout::Unified)>"Unified"</button>
                <button class="link" data-testid="diff-split" disabled=move || layout.get() == Layout::Split
                    on:click=move |_| layout.set(Layout::Split)>"Split"</button>
            </div>
            {move || match loaded.get() {
                None => view! { <p class="muted">"Loading the diff…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(d)) if d.files.is_empty() => view! { <p class="muted">"No changes."</p> }.into_any(),
                Some(Ok(d)) => {
                    let open = d.files.len() <= OPEN_FILES;
                    d.files
                        .into_iter()
                        .map(|file| view! { <FileView file open layout /> })
                        .collect_view()
                        .into_any()
                }
            }}
        </div>
    }
    .into_any()
}

#[component]
fn FileView(file: FileDiff, open: bool, layout: RwSignal<Layout>) -> impl IntoView {
    let opened = RwSignal::new(open);
    // Pages of lines shown; each page renders once, so "show more" adds
    // rows without redrawing the ones already there.
    let pages = RwSignal::new(1usize);
    let body: StoredValue<String> = StoredValue::new(hunks(&file.patch).to_string());
    let total = body.with_value(|b| b.lines().count());
    let stat = file.stat.clone();
    let body = move || {
        if !opened.get() {
            return ().into_any();
        }
        if file.binary {
            return view! { <p class="muted">"Binary file."</p> }.into_any();
        }
        let layout = layout.get();
        let page = move |n: usize| {
            let rows = body.with_value(|b| {
                b.lines()
                    .skip(n * PAGE_LINES)
                    .take(PAGE_LINES)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            });
            match layout {
                Layout::Unified => unified(rows).into_any(),
                Layout::Split => split(rows).into_any(),
            }
        };
        let more = move || {
            let limit = pages.get() * PAGE_LINES;
            (total > limit).then(|| {
                view! {
                    <button class="link" data-testid="diff-more" on:click=move |_| pages.update(|n| *n += 1)>
                        {format!("Show more ({} lines left)", total - limit)}
                    </button>
                }
            })
        };
        view! {
            <For each=move || 0..pages.get() key=|n| *n let:n>
                {page(n)}
            </For>
            {more}
        }
        .into_any()
    };
    view! {
        <details class="diff-file" data-testid="diff-file" data-path=stat.path.clone() open=open
            on:toggle=move |ev| opened.set(details_open(&ev))
        >
            <summary>
                <code>{stat.path.clone()}</code>
                " "
                <span class="muted">{stat.kind.as_str()}</span>
                " "
                <span class="add">{format!("+{}", stat.additions)}</span>
                " "
                <span class="del">{format!("−{}", stat.deletions)}</span>
            </summary>
            {body}
        </details>
    }
}

/// The hunks of a file's patch, without its `diff --git` / `index` /
/// `---` / `+++` header.
fn hunks(patch: &str) -> &str {
    let start = patch.find("\n@@").map_or(0, |i| i + 1);
    &patch[start..]
}

fn class_of(line: &str) -> &'static str {
    match line.as_bytes().first() {
        Some(b'+') => "add",
        Some(b'-') => "del",
        Some(b'@') => "hunk",
        _ => "",
    }
}

fn unified(rows: Vec<String>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|l| {
            let class = format!("diff-line {}", class_of(&l));
            view! { <div class=class>{l}</div> }
        })
        .collect_view();
    view! { <div class="diff-body unified" data-testid="diff-body">{rows}</div> }
}

/// Side by side: removed lines on the left, added on the right, each run
/// of removals paired with the additions that follow it.
fn split(rows: Vec<String>) -> impl IntoView {
    let mut pairs: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut added: Vec<String> = Vec::new();
    let flush = |pairs: &mut Vec<_>, removed: &mut Vec<String>, added: &mut Vec<String>| {
        let n = removed.len().max(added.len());
        let (mut r, mut a) = (removed.drain(..), added.drain(..));
        for _ in 0..n {
            pairs.push((r.next(), a.next()));
        }
    };
    for line in rows {
        match line.as_bytes().first() {
            Some(b'-') => removed.push(line),
            Some(b'+') => added.push(line),
            _ => {
                flush(&mut pairs, &mut removed, &mut added);
                pairs.push((Some(line.clone()), Some(line)));
            }
        }
    }
    flush(&mut pairs, &mut removed, &mut added);
    let cell = |l: Option<String>| match l {
        Some(l) => {
            let class = format!("diff-line {}", class_of(&l));
            view! { <div class=class>{l}</div> }.into_any()
        }
        None => view! { <div class="diff-line empty"></div> }.into_any(),
    };
    let rows = pairs
        .into_iter()
        .map(|(l, r)| view! { <div class="split-row">{cell(l)}{cell(r)}</div> })
        .collect_view();
    view! { <div class="diff-body split" data-testid="diff-body">{rows}</div> }
}

/// Whether the `<details>` a toggle event came from is open now.
fn details_open(ev: &leptos::ev::Event) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok())
            .is_some_and(|d| d.open())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patch_header_is_left_out() {
        let patch =
            "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n";
        assert_eq!(
            hunks(patch).lines().collect::<Vec<_>>(),
            vec!["@@ -1 +1 @@", "-old", "+new"]
        );
        assert_eq!(class_of("+new"), "add");
        assert_eq!(class_of("@@ -1 +1 @@"), "hunk");
    }
}
