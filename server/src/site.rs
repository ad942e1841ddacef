//! Finding the built site files (WASM, JS, CSS) wherever peon is started
//! from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file whose presence marks a site folder.
const MARKER: &str = "pkg/peon.js";

/// `PEON_SITE_ROOT` if set; else `site/` beside the executable or one level
/// up (`target/site` for `target/release/peon`); else the workspace's
/// `target/site` as seen at compile time.
pub fn find_site_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("PEON_SITE_ROOT") {
        return Some(PathBuf::from(root));
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("site"));
        if let Some(up) = dir.parent() {
            candidates.push(up.join("site"));
        }
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
    candidates
        .into_iter()
        .find(|c| c.join(MARKER).is_file())
        .and_then(|c| c.canonicalize().ok())
}

/// One build of the site, as found at start-up. Its files are served under
/// `/pkg/<version>/`, a name that changes with any file, so the browser may
/// keep them for good (`immutable`) and never runs an old WASM with new JS.
#[derive(Clone, Debug)]
pub struct Build {
    pub root: PathBuf,
    pub version: String,
    /// Each file under `pkg/`, relative to it, without the compressed
    /// copies (the server picks one when the browser asks for the file).
    pub files: Vec<String>,
    /// Each lazy route's chunks, at their addresses, by route name.
    pub preloads: HashMap<String, Vec<String>>,
}

/// Files under `pkg/` with an address of their own that does not move
/// with the build: the terminal loads xterm.js by name (pinned in
/// `scripts/site`), long after the page started.
const FIXED: &str = "xterm/";

impl Build {
    pub fn scan(root: PathBuf) -> Build {
        let mut found = Vec::new();
        collect_files(&root.join("pkg"), "", &mut found);
        found.sort();
        // FNV-1a over names, sizes and times: stable across runs and
        // platforms, unlike std's hasher, and cheap for megabytes of WASM.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (name, stamp) in &found {
            for byte in name.bytes().chain(stamp.to_le_bytes()) {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        let version = format!("{hash:016x}");
        let preloads = route_chunks(&root.join("pkg").join(SPLIT_LOADER), &version);
        Build {
            root,
            version,
            files: found.into_iter().map(|(name, _)| name).collect(),
            preloads,
        }
    }

    /// The folder Leptos names in the page (`pkg/<version>`).
    pub fn pkg_dir(&self) -> String {
        format!("pkg/{}", self.version)
    }

    /// The address the browser asks for each file at.
    pub fn urls(&self) -> Vec<String> {
        self.files
            .iter()
            .map(|name| match name.starts_with(FIXED) {
                true => format!("/pkg/{name}"),
                false => format!("/{}/{name}", self.pkg_dir()),
            })
            .collect()
    }
}

/// The splitter's loader (scripts/build-site): one export per lazy module,
/// naming its file and the shared chunks it needs first.
const SPLIT_LOADER: &str = "__wasm_split.js";

/// The loader's lazy routes by name, with their files' addresses in this
/// build, shared chunks first; none when the site was built unsplit.
fn route_chunks(loader: &Path, version: &str) -> HashMap<String, Vec<String>> {
    let text = std::fs::read_to_string(loader).unwrap_or_default();
    split_modules(&text)
        .into_iter()
        .filter_map(|(key, files)| {
            let route = peon_app::pages::split_route_name(&key)?.to_string();
            let urls = files
                .iter()
                .map(|f| format!("/pkg/{version}/{f}.wasm"))
                .collect();
            Some((route, urls))
        })
        .collect()
}

/// Each module the loader exports (`export const __wasm_split_load_NAME =
/// wrapAsyncCb(makeLoad(() => { ... "./FILE.wasm" ... }, [__chunk_4, ...]))`)
/// as NAME with its files (`chunk_4`, ..., `FILE`).
fn split_modules(loader: &str) -> Vec<(String, Vec<String>)> {
    loader
        .split("export const __wasm_split_load_")
        .skip(1)
        .filter_map(|export| {
            let (name, rest) = export.split_once(" =")?;
            let file = rest.split_once("new URL(\"./")?.1.split_once(".wasm\"")?.0;
            let deps = rest.rsplit_once(", [")?.1.split_once(']')?.0;
            let mut files: Vec<String> = deps
                .split(',')
                .map(|d| d.trim().trim_start_matches("__").to_string())
                .filter(|d| !d.is_empty())
                .collect();
            files.push(file.to_string());
            Some((name.trim().to_string(), files))
        })
        .collect()
}

fn collect_files(dir: &Path, prefix: &str, out: &mut Vec<(String, u64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, &format!("{name}/"), out);
        } else if name.ends_with(".br") || name.ends_with(".gz") {
            // Compressed copies of files listed anyway.
        } else if let Ok(meta) = entry.metadata() {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            out.push((name, meta.len() ^ modified.rotate_left(32)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_files_and_fixed_names_stay() {
        let dir = tempfile::tempdir().expect("dir");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(pkg.join("xterm")).expect("mkdir");
        std::fs::write(pkg.join("peon.js"), "a").expect("write");
        std::fs::write(pkg.join("peon.js.br"), "z").expect("write");
        std::fs::write(pkg.join("xterm/xterm.js"), "x").expect("write");
        let first = Build::scan(dir.path().to_path_buf());
        assert_eq!(first.files, ["peon.js", "xterm/xterm.js"]);
        assert_eq!(
            first.urls(),
            [
                format!("/pkg/{}/peon.js", first.version),
                "/pkg/xterm/xterm.js".to_string()
            ]
        );
        assert_eq!(first.version, Build::scan(dir.path().to_path_buf()).version);
        std::fs::write(pkg.join("peon.js"), "ab").expect("write");
        let second = Build::scan(dir.path().to_path_buf());
        assert_ne!(
            first.version, second.version,
            "a changed file is a new build"
        );
        assert!(second.preloads.is_empty(), "no loader, no preloads");
    }

    #[test]
    fn each_lazy_route_preloads_its_chunks_from_the_loader() {
        let dir = tempfile::tempdir().expect("dir");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).expect("mkdir");
        // The shape wasm-split-cli writes (abridged).
        std::fs::write(
            pkg.join(SPLIT_LOADER),
            r#"const __chunk_4 = makeLoad(() => {
    const src = fetch(new URL("./chunk_4.wasm", import.meta.url));
}, []);
export const __wasm_split_load_palette_body_7 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_palette_body_7.wasm", import.meta.url));
}
, [__chunk_4]));
export const __wasm_split_load___thread_route_view_42 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split___thread_route_view_42.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_4, __chunk_9]));
"#,
        )
        .expect("write");
        let build = Build::scan(dir.path().to_path_buf());
        let v = &build.version;
        assert_eq!(
            build.preloads,
            HashMap::from([(
                "thread_route".to_string(),
                vec![
                    format!("/pkg/{v}/chunk_4.wasm"),
                    format!("/pkg/{v}/chunk_9.wasm"),
                    format!("/pkg/{v}/split___thread_route_view_42.wasm")
                ]
            )]),
            "routes only: the palette loads when opened"
        );
    }
}
