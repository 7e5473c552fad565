#!/usr/bin/env bash
# Runs a command inside a private desktop session without a screen:
#   - a fresh temporary HOME, with XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME,
#     XDG_STATE_HOME and XDG_RUNTIME_DIR inside it (nothing of the real user's leaks in),
#   - its own D-Bus session bus (dbus-run-session),
#   - a virtual X display (xvfb-run, 1280x800),
#   - a real, unlocked gnome-keyring (Secret Service), ready before the command starts,
#   - no desktop-environment variables (with XDG_CURRENT_DESKTOP=GNOME, xdg-open would
#     delegate to gio and ignore $BROWSER),
#   - no Mesa shader cache: its writer thread ("disk$0", software GL under Xvfb) was seen
#     running on for more than 20 s after an exiting PhotoLink's main thread had ended,
#     keeping the process, and its single-instance name on the bus, alive.
# The session ends, and its HOME is deleted, when the command exits; its exit code is kept.
#
#   bash scripts/headless-session.sh COMMAND [ARGS...]
#   PHOTOLINK_KEEP_SESSION_HOME=1 ...   keeps the temporary HOME for inspection
set -euo pipefail

KEYRING_PASSWORD="photolink-session"

start_keyring() {
  printf '%s' "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  # --unlock returns before the daemon owns the Secret Service name: wait for it.
  local tries=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
    tries=$((tries + 1))
    if [[ $tries -gt 200 ]]; then
      echo "error: gnome-keyring did not take org.freedesktop.secrets within 10 s" >&2
      exit 1
    fi
    sleep 0.05
  done
}

if [[ "${PHOTOLINK_HEADLESS_SESSION:-}" == "inner" ]]; then
  start_keyring
  # The command runs in its own process group, so whatever it leaves running (the window or
  # driver of a test that crashed) ends with the session instead of outliving it.
  setsid "$@" &
  command_pid=$!
  trap 'kill -TERM -- "-$command_pid" 2>/dev/null' INT TERM
  status=0
  wait "$command_pid" || status=$?
  kill -TERM -- "-$command_pid" 2>/dev/null || true
  exit "$status"
fi

[[ $# -gt 0 ]] || { echo "usage: bash scripts/headless-session.sh COMMAND [ARGS...]" >&2; exit 2; }
for tool in dbus-run-session xvfb-run gnome-keyring-daemon dbus-send; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "error: $tool is missing; run: bash scripts/install-deps.sh test" >&2
    exit 1
  }
done

# Toolchains installed under the real HOME keep working inside the session.
toolchain_homes=()
for pair in "RUSTUP_HOME:.rustup" "CARGO_HOME:.cargo" "PYENV_ROOT:.pyenv"; do
  name="${pair%%:*}"
  dir="${!name:-$HOME/${pair#*:}}"
  [[ -d "$dir" ]] && toolchain_homes+=("$name=$dir")
done

session_home="$(mktemp -d "${TMPDIR:-/tmp}/photolink-session.XXXXXX")"
cleanup() {
  if [[ -n "${PHOTOLINK_KEEP_SESSION_HOME:-}" ]]; then
    echo "session HOME kept at $session_home" >&2
  else
    rm -rf "$session_home"
  fi
}
trap cleanup EXIT
mkdir -p "$session_home"/{.config,.local/share,.local/state,.cache,runtime}
chmod 700 "$session_home/runtime"

status=0
env \
  -u XDG_CURRENT_DESKTOP -u XDG_SESSION_DESKTOP -u XDG_SESSION_TYPE -u XDG_SESSION_ID \
  -u DESKTOP_SESSION -u GNOME_DESKTOP_SESSION_ID -u KDE_FULL_SESSION -u KDE_SESSION_VERSION \
  -u XDG_DATA_DIRS -u XDG_CONFIG_DIRS -u DISPLAY -u WAYLAND_DISPLAY -u XAUTHORITY \
  -u DBUS_SESSION_BUS_ADDRESS -u BROWSER -u GNOME_KEYRING_CONTROL -u SSH_AUTH_SOCK \
  "${toolchain_homes[@]}" \
  HOME="$session_home" \
  XDG_CONFIG_HOME="$session_home/.config" \
  XDG_DATA_HOME="$session_home/.local/share" \
  XDG_STATE_HOME="$session_home/.local/state" \
  XDG_CACHE_HOME="$session_home/.cache" \
  XDG_RUNTIME_DIR="$session_home/runtime" \
  MESA_SHADER_CACHE_DISABLE=true \
  PHOTOLINK_HEADLESS_SESSION=inner \
  dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24 -nolisten tcp' \
  bash "${BASH_SOURCE[0]}" "$@" || status=$?
exit "$status"
