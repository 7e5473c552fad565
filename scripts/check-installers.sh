#!/usr/bin/env bash
# Builds PhotoLink's Linux installers and proves them by installing them on this machine:
#   1. builds the .deb and .rpm with the pinned Tauri CLI, from the root tauri.conf.json;
#   2. installs the .deb with apt-get (which pulls in the WebKit runtime);
#   3. checks the installed desktop entry (desktop-file-validate, `Exec=… %u`, the URI scheme),
#      that the OS resolves com.example.photolink: links to it, that the binary is on PATH, and
#      that it holds none of the demo provider's test machinery (no /_test/ route, no fault);
#   4. runs the end-to-end happy path (connect, photos, disconnect; the embedded demo provider)
#      against the installed binary, with the build tree's UI, app sources and release output
#      hidden, the link delivered by the OS through the installed .desktop file; then checks
#      that no token reached a plain file in the user's home;
#   5. checks the .rpm: file list, install scripts, desktop entry;
#   6. removes the package and checks that none of it is left and that the link is no longer
#      handled; lists what stays in the user's home (no secrets).
# Prints one line per check and a closing "installers: N passed, N failed"; exits non-zero if
# any check failed. Needs root (it installs and removes a package). Safe to run again.
#
#   bash scripts/check-installers.sh
#   PHOTOLINK_SKIP_BUNDLE=1 bash scripts/check-installers.sh   # reuse the packages already built
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$PHOTOLINK_ROOT"

SCHEME="com.example.photolink"
KEYRING_SERVICE="com.example.photolink"
APP_DATA_DIRS=(.config .local/share .cache .local/state)
# End-to-end tests that make up the happy path (tests/e2e/test_account_link.py).
HAPPY_PATH_TESTS="test_connect_shows_the_accounts_photos or test_disconnect_revokes_tokens_and_empties_the_keyring or test_embedded_provider_links_with_nothing_configured"
HAPPY_PATH_TEST_COUNT=3

# --- tally -------------------------------------------------------------------------------------

# The in-session half of this script runs in another process: both add to one tally file.
TALLY="${PHOTOLINK_INSTALLER_TALLY:-}"

pass() {
  printf 'ok    %s\n' "$*"
  printf 'pass\n' >>"$TALLY"
}

fail() {
  printf 'FAIL  %s\n' "$*"
  printf 'fail\n' >>"$TALLY"
}

# check DESCRIPTION COMMAND...: runs COMMAND quietly and records the result.
check() {
  local description="$1" output
  shift
  if output="$("$@" 2>&1)"; then
    pass "$description"
  else
    fail "$description"
    [[ -z "$output" ]] || printf '%s\n' "$output" | sed 's/^/        /'
  fi
}

# check_equal DESCRIPTION EXPECTED ACTUAL
check_equal() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1: expected '$2', got '$3'"
  fi
}

# --- helpers -----------------------------------------------------------------------------------

# grep_found GREP_ARGS...: grep -q that tells "no match" (status 1) from a failed search
# (status 2: an unreadable file, a missing folder, a bad pattern), which ends the script: a
# search that could not run never reads as "nothing found" (inside `check`, it fails that check).
grep_found() {
  local status=0
  grep -q "$@" || status=$?
  case "$status" in
    0) return 0 ;;
    1) return 1 ;;
    *) die "grep failed (exit status $status)" ;;
  esac
}

# grep_files GREP_ARGS...: grep -l's list of matching files (empty when none matched); like
# grep_found, a failed search ends the script.
grep_files() {
  local status=0
  grep -l "$@" || status=$?
  # The message leaves out the patterns: they are tokens.
  [[ $status -le 1 ]] || die "grep -l failed (exit status $status)"
}

desktop_key() { # desktop_key FILE KEY: the value of KEY in the [Desktop Entry] group
  awk -F= -v key="$2" '/^\[/ { in_entry = ($0 == "[Desktop Entry]") } in_entry && $1 == key { sub(/^[^=]*=/, ""); print; exit }' "$1"
}

exec_ends_with_url_code() { [[ "$(desktop_key "$1" Exec)" == *" %u" ]]; }
mime_has_scheme() { [[ ";$(desktop_key "$1" MimeType)" == *";x-scheme-handler/$SCHEME;"* ]]; }
no_missing_libraries() { # fails when ldd fails, not only when it names a missing library
  local libraries
  libraries="$(ldd "$1")" || return 1
  ! grep_found 'not found' <<<"$libraries"
}
# has_no_test_machinery BINARY: none of the demo provider's test routes or fault answers were
# compiled in (the test-machinery feature is off in the shipped app); a failed search fails.
has_no_test_machinery() {
  ! grep_found -aF -e '/_test/' -e 'the server failed on purpose' "$1"
}
path_absent() { [[ ! -e "$1" ]]; }
list_has() { grep -qxF "$2" <<<"$1"; }
mime_cache_lists() { # mime_cache_lists DESKTOP_NAME: the system MIME cache names it for the scheme
  awk -F= -v key="x-scheme-handler/$SCHEME" '$1 == key { print $2 }' /usr/share/applications/mimeinfo.cache \
    | tr ';' '\n' | grep -xF "$1" >/dev/null
}

# The raw access and refresh tokens held in PhotoLink's keyring items, one a line.
keyring_tokens() {
  secret-tool search --all --unlock service "$KEYRING_SERVICE" 2>/dev/null \
    | sed -n 's/^secret = //p' \
    | python3 -c '
import json, sys
def walk(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("access_token", "refresh_token") and isinstance(inner, str):
                print(inner)
            else:
                walk(inner)
    elif isinstance(value, list):
        for inner in value:
            walk(inner)
for line in sys.stdin:
    try:
        walk(json.loads(line))
    except json.JSONDecodeError:
        pass
'
}

# Files under HOME (the keyring's own encrypted store aside) that contain any of the tokens.
# Sockets and FIFOs are skipped (reading one would block); any other file grep cannot read
# fails the search instead of hiding a token.
files_with_tokens() {
  local tokens=("$@") patterns=() token
  for token in "${tokens[@]}"; do patterns+=(-e "$token"); done
  grep_files -rF --devices=skip "${patterns[@]}" "$HOME" --exclude-dir=keyrings
}

# check_no_token_files DESCRIPTION TOKEN...: passes only when the search ran and found nothing.
check_no_token_files() {
  local description="$1" found
  shift
  if found="$(files_with_tokens "$@")"; then
    check_equal "$description" "" "$found"
  else
    fail "$description: the search of $HOME did not complete"
  fi
}

app_files_in_home() {
  local base
  for base in "${APP_DATA_DIRS[@]}"; do
    [[ -d "$HOME/$base/$SCHEME" ]] && find "$HOME/$base/$SCHEME" -type f
  done
  return 0
}

# --- the part that runs inside the private desktop session -----------------------------------
# (fresh HOME, D-Bus, Xvfb, unlocked keyring; the build tree's app files hidden)

in_session() {
  local package="$1" desktop_file="$2" installed_bin="$3"
  local desktop_name
  desktop_name="$(basename "$desktop_file")"

  check_equal "a fresh user's com.example.photolink: links open the installed $desktop_name" \
    "$desktop_name" "$(xdg-mime query default "x-scheme-handler/$SCHEME")"
  check "the build tree's UI and app sources are hidden from the installed app" \
    path_absent "$PHOTOLINK_ROOT/ui/index.html"

  step "End-to-end happy path against the installed $installed_bin"
  local status=0 log="$PHOTOLINK_ROOT/.artifacts/installers/e2e.log"
  mkdir -p "$(dirname "$log")"
  (
    cd tests/e2e
    PHOTOLINK_APP_BINARY="$installed_bin" \
      PHOTOLINK_E2E_ARTIFACTS="$PHOTOLINK_ROOT/.artifacts/installers/e2e" \
      PHOTOLINK_E2E_EXPECTED_TESTS="$HAPPY_PATH_TEST_COUNT" \
      .venv/bin/python -m pytest -k "$HAPPY_PATH_TESTS"
  ) 2>&1 | tee "$log" || status=$?
  check_equal "end-to-end happy path passes against the installed binary (pytest exit status)" 0 "$status"
  check "all $HAPPY_PATH_TEST_COUNT happy-path tests ran and passed" \
    grep_found -E "^=+ $HAPPY_PATH_TEST_COUNT passed" "$log"

  local user_handlers="" applications="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
  local handlers_check="links reached the app through the installed desktop file (no per-user handler written)"
  if [[ ! -d "$applications" ]]; then
    check_equal "$handlers_check" "" ""
  elif user_handlers="$(grep_files -rF "x-scheme-handler/$SCHEME" "$applications")"; then
    check_equal "$handlers_check" "" "$user_handlers"
  else
    fail "$handlers_check: the search of $applications did not complete"
  fi

  # The embedded-provider test ends connected: the keyring holds live tokens now.
  local tokens=()
  mapfile -t tokens < <(keyring_tokens)
  if [[ ${#tokens[@]} -gt 0 ]]; then
    pass "the keyring holds the linked account's tokens (${#tokens[@]})"
    check_no_token_files "no plain file in the user's home contains a token" "${tokens[@]}"
  else
    fail "the keyring holds no PhotoLink tokens after connecting, so the plain-file scan has nothing to look for"
  fi

  step "Removing $package"
  check "apt-get purge $package" as_root apt-get purge -y -q "$package"
  check "$installed_bin is gone" path_absent "$installed_bin"
  check "$desktop_file is gone" path_absent "$desktop_file"
  check "the binary is no longer on PATH" bash -c "! command -v '$(basename "$installed_bin")'"
  check_equal "com.example.photolink: links no longer resolve to the removed app" \
    "" "$(xdg-mime query default "x-scheme-handler/$SCHEME")"

  local leftovers
  leftovers="$(app_files_in_home)"
  if [[ ${#tokens[@]} -gt 0 ]]; then
    check_no_token_files "no token in what stays in the user's home after removal" "${tokens[@]}"
  fi
  note "stays in the user's home after removal (see README, Where PhotoLink keeps your data):"
  printf '%s\n' "${leftovers:-(nothing)}" | sed "s|^$HOME/|        ~/|; s|^(|        (|"
  note "keyring items of $KEYRING_SERVICE still there: ${#tokens[@]} token(s), encrypted by the keyring" \
    "(Disconnect, or: secret-tool clear service $KEYRING_SERVICE)"
}

# --- the outer part ----------------------------------------------------------------------------

ensure_tools() {
  step "Checking what the installer checks need"
  bash scripts/install-deps.sh test
  local missing=()
  command -v rpm2archive >/dev/null 2>&1 || missing+=(rpm)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  if [[ ${#missing[@]} -gt 0 ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  npm ci --no-audit --no-fund --loglevel=error
}

build_packages() {
  if [[ -n "${PHOTOLINK_SKIP_BUNDLE:-}" ]]; then
    note "PHOTOLINK_SKIP_BUNDLE set: using the packages already in $(photolink_target_dir)/release/bundle"
    return
  fi
  step "Building the .deb and .rpm (release build, then bundling)"
  local started=$SECONDS
  TAURI_APP_PATH=src-tauri npx --no-install tauri build --ci --bundles deb,rpm
  note "built in $((SECONDS - started)) s"
}

only_file() { # only_file GLOB: the single file matching GLOB, or fails
  local matches=()
  mapfile -t matches < <(compgen -G "$1" || true)
  [[ ${#matches[@]} -eq 1 ]] || die "expected exactly one file matching $1, found ${#matches[@]}"
  printf '%s\n' "${matches[0]}"
}

size_line() {
  local bytes
  bytes="$(stat -c %s "$1")"
  printf '%s: %s bytes (%s MiB)' "$(basename "$1")" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')"
}

check_deb_install() {
  local deb="$1" package="$2"
  step "Installing $(basename "$deb")"
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    note "removing the $package installed by an earlier run"
    as_root apt-get purge -y -q "$package" >/dev/null
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" \
    || die "apt-get install $deb failed"
  pass "apt-get install $(basename "$deb")"
}

check_deb_contents() {
  local deb="$1" package="$2" desktop_file="$3" bin="$4"
  step "Checking the installed package"
  local files
  files="$(dpkg-query -L "$package")"
  check "package installs $bin" list_has "$files" "$bin"
  check "package installs $desktop_file" list_has "$files" "$desktop_file"
  check "package installs hicolor icons" grep -q '^/usr/share/icons/hicolor/.*/apps/photolink\.png$' <<<"$files"
  check "package installs its copyright file" grep -q '^/usr/share/doc/.*/copyright$' <<<"$files"
  check_equal "the binary on PATH is the installed one" "$bin" "$(command -v photolink || true)"
  check "$bin finds all its shared libraries" no_missing_libraries "$bin"
  check "$bin has none of the demo provider's test machinery (/_test/ routes, faults)" \
    has_no_test_machinery "$bin"
  check "package depends on the WebKitGTK runtime" \
    grep -q 'libwebkit2gtk-4.1-0' <<<"$(dpkg-deb -f "$deb" Depends)"
  check "desktop-file-validate $desktop_file" desktop-file-validate "$desktop_file"
  check "desktop entry passes the link to the app (Exec ends with %u)" exec_ends_with_url_code "$desktop_file"
  check "desktop entry handles x-scheme-handler/$SCHEME" mime_has_scheme "$desktop_file"
  check_equal "desktop entry starts the installed binary" "photolink" "$(desktop_key "$desktop_file" Exec | cut -d' ' -f1)"
  check "desktop entry's icon is installed" \
    compgen -G "/usr/share/icons/hicolor/*/apps/$(desktop_key "$desktop_file" Icon).png"
  check "the system MIME cache maps the scheme to $(basename "$desktop_file") (postinst)" \
    mime_cache_lists "$(basename "$desktop_file")"
}

check_rpm() {
  local rpm_file="$1" desktop_file="$2"
  step "Checking $(basename "$rpm_file")"
  local files scripts
  files="$(rpm -qpl "$rpm_file" 2>/dev/null)"
  scripts="$(rpm -qp --scripts "$rpm_file" 2>/dev/null)"
  printf '%s\n' "$files" | sed 's/^/        /'
  check "rpm installs /usr/bin/photolink" list_has "$files" /usr/bin/photolink
  check "rpm installs $desktop_file" list_has "$files" "$desktop_file"
  check "rpm installs hicolor icons" grep -q '^/usr/share/icons/hicolor/.*/apps/photolink\.png$' <<<"$files"
  check "rpm installs its license file" grep -q '^/usr/share/licenses/' <<<"$files"
  check "rpm has a postinstall and a postuninstall script" \
    bash -c 'grep -q "^postinstall scriptlet" <<<"$1" && grep -q "^postuninstall scriptlet" <<<"$1"' _ "$scripts"
  check "rpm's scripts refresh the desktop database" grep -q 'update-desktop-database' <<<"$scripts"
  check "rpm requires the WebKitGTK runtime" grep -qi 'webkit2gtk' <<<"$(rpm -qp --requires "$rpm_file" 2>/dev/null)"

  local unpacked
  unpacked="$(mktemp -d)"
  rpm2archive -n <"$rpm_file" | tar -xf - -C "$unpacked" ".$desktop_file" \
    || die "could not unpack $desktop_file from $(basename "$rpm_file")"
  local entry="$unpacked$desktop_file"
  check "rpm's desktop entry passes desktop-file-validate" desktop-file-validate "$entry"
  check "rpm's desktop entry passes the link to the app (Exec ends with %u)" exec_ends_with_url_code "$entry"
  check "rpm's desktop entry handles x-scheme-handler/$SCHEME" mime_has_scheme "$entry"
  rm -rf "$unpacked"
}

# Runs the in-session checks with the build tree's UI, app crate and release output hidden
# behind empty tmpfs mounts (a private mount namespace), so the installed app cannot use them.
run_in_session() {
  local hidden=("$PHOTOLINK_ROOT/ui" "$PHOTOLINK_ROOT/src-tauri" "$(photolink_target_dir)/release")
  as_root unshare --mount --propagation private bash -c '
    for dir in "${@:2:$1}"; do mount -t tmpfs -o ro,size=1m photolink-hidden "$dir" || exit 1; done
    shift $(($1 + 1))
    exec "$@"
  ' hide "${#hidden[@]}" "${hidden[@]}" \
    env PHOTOLINK_INSTALLER_TALLY="$TALLY" PATH="$PATH" \
    bash scripts/headless-session.sh bash "$PHOTOLINK_ROOT/scripts/check-installers.sh" --in-session "$@"
}

main() {
  if [[ "${1:-}" == "--in-session" ]]; then
    shift
    in_session "$@"
    return
  fi
  [[ $# -eq 0 ]] || die "usage: bash scripts/check-installers.sh"

  local started=$SECONDS
  TALLY="$(mktemp)"
  trap 'rm -f "$TALLY"' EXIT

  ensure_tools
  build_packages
  step "Building the demo provider the end-to-end tests run (debug, with its test machinery)"
  cargo build -p photolink-demo-provider --features test-machinery

  local bundle version deb rpm_file package bin desktop_file
  bundle="$(photolink_target_dir)/release/bundle"
  version="$(node -p 'require("./tauri.conf.json").version')"
  deb="$(only_file "$bundle/deb/*_${version}_*.deb")"
  rpm_file="$(only_file "$bundle/rpm/*[-_]${version}-*.rpm")"
  package="$(dpkg-deb -f "$deb" Package)"
  bin=/usr/bin/photolink
  desktop_file="$(dpkg-deb -c "$deb" | awk '{ print $NF }' | sed -n 's|^\(\./\)\{0,1\}usr/share/applications/\([^/]*\.desktop\)$|/usr/share/applications/\2|p')"
  [[ -n "$desktop_file" ]] || die "$(basename "$deb") has no desktop entry"

  step "Installer sizes"
  note "$(size_line "$deb")"
  note "$(size_line "$rpm_file")"
  check "the .deb is at most 6 MiB" test "$(stat -c %s "$deb")" -le $((6 * 1024 * 1024))

  check_deb_install "$deb" "$package"
  check_deb_contents "$deb" "$package" "$desktop_file" "$bin"
  check_rpm "$rpm_file" "$desktop_file"

  step "Using the installed app in a fresh desktop session"
  run_in_session "$package" "$desktop_file" "$bin" || fail "the in-session checks did not complete"

  local passed failed
  # grep -c prints 0 and exits 1 when nothing matched; an unreadable tally ends the script.
  passed="$(grep -c '^pass$' "$TALLY")" || [[ $? -eq 1 ]] || die "could not read the tally $TALLY"
  failed="$(grep -c '^fail$' "$TALLY")" || [[ $? -eq 1 ]] || die "could not read the tally $TALLY"
  note "took $((SECONDS - started)) s"
  echo "installers: $passed passed, $failed failed"
  [[ "$failed" -eq 0 ]]
}

main "$@"
