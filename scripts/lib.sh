# Shared by the scripts in this folder. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# The pinned agent CLIs come last: an agent the user installed wins.
export PATH="$HOME/.cargo/bin:$ROOT/scripts/tools/node_modules/.bin:$PATH:$ROOT/scripts/agents/node_modules/.bin"
# Pinned tool versions: one place each.
WASM_BINDGEN_VERSION="0.2.130"
# Splits the WASM at `#[lazy]` boundaries; the version Leptos 0.8's helpers speak.
WASM_SPLIT_VERSION="0.2.4"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
    say "installing $* from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
