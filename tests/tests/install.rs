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

/// The page names the build's files under `/pkg/<version>/`, a name no
/// other build has, and they go out with `immutable` caching; by their plain
/// names they are revalidated each time. Each goes out as the build's
/// brotli copy when the browser takes brotli, gzip otherwise, and plain for
/// a client that takes neither. Needs the built site (scripts/build-site),
/// which the test command builds first.
#[tokio::test]
async fn site_files_are_sent_precompressed_under_the_builds_name() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let client = no_redirects();
    let text = |path: &'static str| {
        let request = client.get(format!("{}{path}", peon.url)).send();
        async move { request.await.expect(path).text().await.expect("text") }
    };
    let page = text("/").await;
    let wasm = page
        .split('"')
        .find(|part| part.starts_with("/pkg/") && part.ends_with("/peon_bg.wasm"))
        .expect("the page preloads the WASM")
        .to_string();
    let version = wasm
        .trim_start_matches("/pkg/")
        .trim_end_matches("/peon_bg.wasm");
    assert_eq!(version.len(), 16, "a build version: {wasm}");
    assert!(
        page.contains(&format!("/pkg/{version}/peon.css")),
        "the style sheet is the build's too"
    );
    let fetch = |path: String, encoding: &'static str| {
        let (client, url) = (client.clone(), peon.url.clone());
        async move {
            let response = client
                .get(format!("{url}{path}"))
                .header("accept-encoding", encoding)
                .send()
                .await
                .expect("wasm");
            assert_eq!(
                response.status(),
                200,
                "the site is built (scripts/build-site) and served: {path}"
            );
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            let (coding, cache) = (header("content-encoding"), header("cache-control"));
            let length = response.bytes().await.expect("body").len();
            (coding, cache, length)
        }
    };
    let (plain_coding, cache, plain) = fetch(wasm.clone(), "identity").await;
    assert_eq!(plain_coding, "");
    assert_eq!(cache, "public, max-age=31536000, immutable");
    let (br_coding, _, br) = fetch(wasm.clone(), "gzip, deflate, br").await;
    assert_eq!(br_coding, "br");
    let (gz_coding, _, gz) = fetch(wasm.clone(), "gzip").await;
    assert_eq!(gz_coding, "gzip");
    assert!(
        br < gz && gz < plain,
        "brotli {br} < gzip {gz} < plain {plain}"
    );
    let (_, cache, same) = fetch("/pkg/peon_bg.wasm".into(), "identity").await;
    assert_eq!(
        (cache.as_str(), same),
        ("no-cache", plain),
        "the plain name"
    );
    let gone = client
        .get(format!("{}/pkg/0123456789abcdef/peon_bg.wasm", peon.url))
        .send()
        .await
        .expect("old build");
    assert_eq!(gone.status(), 404, "another build's name is not this build");

    let worker = client
        .get(format!("{}/sw.js", peon.url))
        .send()
        .await
        .expect("sw")
        .text()
        .await
        .expect("script");
    assert!(
        worker.contains(&wasm),
        "the worker keeps what the page asks for"
    );
    assert!(
        worker.contains(&format!("'{version}'")),
        "and names the build"
    );
    assert!(
        worker.contains("\"/pkg/xterm/xterm.js\""),
        "xterm.js keeps its fixed name, which the terminal loads"
    );
    assert!(
        !worker.contains(".wasm.br") && !worker.contains(".gz\""),
        "the worker caches each file once, not its compressed copies"
    );

    let shell = text("/app-shell").await;
    assert!(
        shell.contains(&format!("/pkg/{version}/peon.js")),
        "the offline shell starts this build"
    );
}
