#!/usr/bin/env bash
# Installs what is missing on Debian 12, then builds and runs PhotoLink. With no provider
# configured it runs its embedded demo provider, so the whole Connect flow works out of the box.
# Arguments are passed to the app.
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

step "Building and starting PhotoLink"
exec cargo run -p photolink -- "$@"
