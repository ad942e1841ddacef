//! peon as an app: a favicon on every page, and a valid web app manifest
//! whose icons are served, all open without a login (browsers fetch the
//! manifest without cookies), while the pages stay behind it.

use peon_tests::{Peon, no_redirects};
use serde_json::Value;

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(16), word(20))
}

#[tokio::test]
async fn the_favicon_and_a_valid_manifest_are_served_to_everyone() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_guarded(dir.path(), &[]);
    let client = no_redirects();
    let get = |path: &str| client.get(format!("{}{path}", peon.url)).send();

    let favicon = get("/favicon.ico").await.expect("favicon");
    assert_eq!(favicon.status(), 200, "no login needed");
    assert_eq!(favicon.headers()["content-type"], "image/x-icon");
    let bytes = favicon.bytes().await.expect("bytes");
    assert_eq!(&bytes[..4], &[0, 0, 1, 0], "an ICO file");

    let manifest = get("/manifest.webmanifest").await.expect("manifest");
    assert_eq!(manifest.status(), 200);
    assert_eq!(
        manifest.headers()["content-type"],
        "application/manifest+json"
    );
    let manifest: Value = manifest.json().await.expect("manifest JSON");
    assert_eq!(manifest["name"], "peon");
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["display"], "standalone");
    assert!(
        manifest["theme_color"]
            .as_str()
            .is_some_and(|c| c.starts_with('#'))
    );
    let icons = manifest["icons"].as_array().expect("icons");
    let mut pngs = Vec::new();
    for icon in icons {
        let src = icon["src"].as_str().expect("src");
        let response = get(src).await.expect("icon");
        assert_eq!(response.status(), 200, "{src}");
        assert_eq!(
            response.headers()["content-type"],
            icon["type"].as_str().expect("type")
        );
        let bytes = response.bytes().await.expect("bytes");
        if let Some((w, h)) = icon["sizes"].as_str().and_then(|s| s.split_once('x')) {
            assert_eq!(
                png_size(&bytes),
                (w.parse().expect("w"), h.parse().expect("h")),
                "{src}"
            );
            pngs.push(w.to_string());
        }
    }
    // What Chromium wants before it offers to install.
    assert!(
        pngs.contains(&"192".to_string()) && pngs.contains(&"512".to_string()),
        "{pngs:?}"
    );

    // The pages stay behind the login, and name the icon and manifest.
    assert_eq!(get("/").await.expect("page").status(), 401);
    let page = client
        .get(format!("{}/", peon.url))
        .bearer_auth(peon.token())
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("HTML");
    for needle in ["rel=\"manifest\"", "rel=\"icon\"", "name=\"theme-color\""] {
        assert!(page.contains(needle), "the page has {needle}");
    }
    let worker = client
        .get(format!("{}/sw.js", peon.url))
        .bearer_auth(peon.token())
        .send()
        .await
        .expect("sw")
        .text()
        .await
        .expect("script");
    assert!(
        worker.contains("/manifest.webmanifest") && worker.contains("/icons/icon-192.png"),
        "the service worker keeps them for offline use"
    );
}
