# Shared by scripts/run, scripts/test and .ci/run: finds or installs the tools the build
# needs, without downloading anything except from the package registries (crates.io, npm,
# Debian apt). Source it; do not run it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_NPM_VERSION="123.0.0"   # wasm-opt 123; Debian's binaryen 108 breaks hydration
export PATH="$TOOLS/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# The wasm-bindgen version pinned with `=` in Cargo.toml; the CLI must match it exactly.
wasm_bindgen_version() {
  sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n 1
}

apt_install() {
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  fi
}

need_apt() {
  # $1: command to look for, $2: Debian package
  if ! command -v "$1" >/dev/null 2>&1; then
    say "installing $2 (apt)"
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"
    fi
  fi
}

# Everything needed to build the app: the wasm target, cargo-leptos, wasm-bindgen-cli and a
# recent wasm-opt. Each is skipped when the right version is already there.
ensure_build_tools() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
  # webauthn-rs (passkeys) links OpenSSL.
  if ! pkg-config --exists openssl 2>/dev/null; then
    need_apt pkg-config pkg-config
    say "installing libssl-dev (apt)"
    apt_install libssl-dev
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes on 2 cores, once)"
    cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
  fi
  local wbg
  wbg="$(wasm_bindgen_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg\$"; then
    say "installing wasm-bindgen-cli $wbg (must match Cargo.toml)"
    cargo install wasm-bindgen-cli --version "$wbg" --force
  fi
  local opt
  opt="$(wasm-opt --version 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p' || true)"
  if [ -z "$opt" ] || [ "$opt" -lt 116 ]; then
    need_apt npm npm
    say "installing wasm-opt (npm binaryen $BINARYEN_NPM_VERSION) under .tools/"
    mkdir -p "$TOOLS/binaryen"
    npm install --prefix "$TOOLS/binaryen" --no-audit --no-fund --silent "binaryen@$BINARYEN_NPM_VERSION"
  fi
}

# What the browser tests need: Debian's Chromium, Firefox ESR and WebKitGTK's WebDriver (with
# Xvfb, which WebKit needs for a display, and xauth, without which xvfb-run fails), and the
# pinned npm packages that drive them; and what the cluster test runs (PgBouncer, HAProxy).
ensure_test_tools() {
  need_apt pgbouncer pgbouncer
  need_apt haproxy haproxy
  if [ ! -x /usr/bin/chromium ]; then
    need_apt chromium chromium
    [ -x /usr/bin/chromium ] || need_apt /usr/bin/chromium chromium
  fi
  need_apt firefox-esr firefox-esr
  need_apt WebKitWebDriver webkit2gtk-driver
  need_apt xvfb-run xvfb
  need_apt xauth xauth
  need_apt npm npm
  local module
  for module in @playwright/test @axe-core/playwright oidc-provider puppeteer-core selenium-webdriver; do
    if [ ! -d "$ROOT/end2end/node_modules/$module" ]; then
      say "installing Playwright, axe-core, oidc-provider, puppeteer-core and selenium-webdriver (no browser download: they drive Debian's browsers)"
      (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
      break
    fi
  done
}

# The optimised server binary and the wasm/JS/CSS bundle (with .br/.gz next to them). Extra
# arguments go to cargo-leptos (scripts/bench: `--bin-features ssr,bench`).
build_release() {
  say "building the release binary and the wasm bundle"
  (cd "$ROOT" && cargo leptos build --release --precompress "$@")
}

# The PostgreSQL server the integration tests create their databases on: TEST_POSTGRES_URL, or
# the local server (started if it is installed but stopped). Returns non-zero if there is none.
postgres_available() {
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    return 0
  fi
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
    return 0
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    say "starting the local PostgreSQL server"
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    done
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p 5432 && return 0
      sleep 1
    done
  fi
  return 1
}
