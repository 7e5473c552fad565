#!/usr/bin/env bash
# Installs what is missing on Debian 12, then builds and runs PhotoLink. With no provider
# configured it runs its embedded demo provider, so the whole Connect flow works out of the box.
# Arguments are passed to the app.
#
#   PHOTOLINK_DEMO_PHOTOS=10000 bash scripts/run-app.sh
#       runs the demo provider as its own process with a library of that many photos (the
#       embedded one has 12) on 127.0.0.1:47822, keeping its grants next to the app's data, and
#       points PhotoLink at it through PHOTOLINK_PROVIDER_CONFIG. It stops when PhotoLink exits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$PHOTOLINK_ROOT"

bash scripts/install-deps.sh app

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  cat >&2 <<'MSG'

PhotoLink is a desktop app and there is no display here (DISPLAY and WAYLAND_DISPLAY are unset).
  - Run this command in a terminal of your desktop session, or over `ssh -X`.
  - To see the app work without a screen, run `bash scripts/test.sh`: it drives the real window
    under a virtual display, through the browser sign-in, and keeps screenshots of failures.
MSG
  exit 1
fi

if [[ -z "${PHOTOLINK_DEMO_PHOTOS:-}" ]]; then
  step "Building and starting PhotoLink"
  exec cargo run -p photolink -- "$@"
fi

[[ "$PHOTOLINK_DEMO_PHOTOS" =~ ^[0-9]+$ ]] || die "PHOTOLINK_DEMO_PHOTOS must be a number of photos, got '$PHOTOLINK_DEMO_PHOTOS'"
step "Building PhotoLink and the demo provider"
cargo build -p photolink -p photolink-demo-provider
target="$(photolink_target_dir)"
data="${XDG_DATA_HOME:-$HOME/.local/share}/com.example.photolink"
mkdir -p "$data"
work="$(mktemp -d)"
provider_pid=""
cleanup() {
  if [[ -n "$provider_pid" ]]; then
    kill "$provider_pid" 2>/dev/null || true
    wait "$provider_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting the demo provider with $PHOTOLINK_DEMO_PHOTOS photos"
"$target/debug/photolink-demo-provider" --port 47822 --photos "$PHOTOLINK_DEMO_PHOTOS" \
  --state-file "$data/demo-provider-library-state.json" >"$work/issuer" 2>"$work/provider.log" &
provider_pid=$!
for _ in $(seq 100); do
  [[ -s "$work/issuer" ]] && break
  kill -0 "$provider_pid" 2>/dev/null || die "the demo provider did not start: $(cat "$work/provider.log")"
  sleep 0.1
done
issuer="$(head -n 1 "$work/issuer")"
[[ "$issuer" == http://127.0.0.1:* ]] || die "the demo provider printed no issuer"
note "issuer $issuer"
cat >"$work/provider.toml" <<TOML
name = "Demo Photos"
issuer = "$issuer"
client_id = "photolink-desktop"
scopes = ["photos:read", "profile"]
photos_endpoint = "$issuer/photos"
TOML

step "Starting PhotoLink"
PHOTOLINK_PROVIDER_CONFIG="$work/provider.toml" "$target/debug/photolink" "$@"
