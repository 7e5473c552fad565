#!/usr/bin/env bash
# Runs every PhotoLink test on Debian 12, installing whatever is missing first:
#   1. the cargo tests of all crates (OAuth core, demo provider, app), the app's tests of the OS
#      keyring inside a private session with gnome-keyring, formatting, clippy with
#      warnings denied, the window's photo-list logic under Node's test runner, the benchmark
#      driver's own logic (bench/driver/test_*.py), and a dependency audit against the vendored
#      RustSec advisory database,
#   2. the end-to-end tests: the real app window driven through tauri-driver, inside a private
#      session (fresh HOME, D-Bus, Xvfb, unlocked gnome-keyring), against the demo provider,
#      with a stand-in system browser and the OS link handler.
# Exits non-zero when anything fails. Artifacts of failed end-to-end tests (screenshots, page
# source, app, provider and browser logs) are kept in .artifacts/e2e/.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh --e2e-only      # skip the cargo tests
#   PYTEST_ADDOPTS='-k deny' bash scripts/test.sh --e2e-only
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$PHOTOLINK_ROOT"

run_cargo_tests=1
case "${1:-}" in
  "") ;;
  --e2e-only) run_cargo_tests=0 ;;
  *) die "usage: bash scripts/test.sh [--e2e-only]" ;;
esac

failures=()
timings=()
timed() {
  local label="$1" started=$SECONDS status=0
  shift
  "$@" || status=$?
  timings+=("$(printf '%-28s %4ss  %s' "$label" $((SECONDS - started)) "$([[ $status -eq 0 ]] && echo ok || echo FAILED)")")
  [[ $status -eq 0 ]] || failures+=("$label")
  return "$status"
}

timed "install what is missing" bash scripts/install-deps.sh test || die "could not install the test prerequisites"

if [[ $run_cargo_tests -eq 1 ]]; then
  step "Cargo tests of all crates"
  timed "cargo tests" cargo test --workspace || true

  step "OS keyring tests (private session with an unlocked gnome-keyring)"
  # Ignored in plain cargo runs, which may have no keyring: here they get a real one.
  timed "keyring tests" bash scripts/headless-session.sh \
    cargo test -p tauri-plugin-sign-in --lib os_keyring -- --ignored || true

  step "Saving an original onto a full disk (a 1 MiB tmpfs, which only root may mount)"
  # Ignored in plain cargo runs, which may not be root: here, as in CI, they are.
  timed "full disk test" cargo test -p photolink --lib full_disk -- --ignored || true

  step "Formatting and lints"
  timed "cargo fmt --check" cargo fmt --all --check || true
  timed "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings || true

  step "Window logic unit tests (Node's test runner, no dependencies)"
  # The shell expands the file list: Node 20 reads a quoted glob as one file name, and Node 22
  # and later no longer search a folder given as an argument.
  shopt -s nullglob
  ui_tests=(tests/ui/*.test.mjs)
  shopt -u nullglob
  [[ ${#ui_tests[@]} -gt 0 ]] || die "no window unit tests found in tests/ui/"
  timed "ui unit tests" node --test "${ui_tests[@]}" || true

  step "Benchmark driver unit tests (marks, statistics, goals, the table; standard library only)"
  timed "bench driver unit tests" python3 -m unittest discover -s bench/driver -p 'test_*.py' || true

  step "Dependency audit (RustSec advisories vendored in vendor/advisory-db; ignores in .cargo/audit.toml)"
  timed "cargo audit" cargo audit --db vendor/advisory-db --no-fetch --stale || true
fi

step "Building the app, the demo provider and the photo fixture (debug) for the end-to-end tests"
# Two cargo runs: in one, cargo would unify the provider's features and build the app with the
# test machinery the tests need in the standalone provider (fault injection, /_test/ routes).
if timed "build app" cargo build -p photolink -p sign-in-example &&
  timed "build provider" cargo build -p photolink-demo-provider --features test-machinery &&
  timed "build photo fixture" cargo build -p photolink-photo-fixtures --bin photolink-photo-fixture; then
  step "End-to-end tests (private session: Xvfb, D-Bus, gnome-keyring, tauri-driver)"
  artifacts="$PHOTOLINK_ROOT/.artifacts/e2e"
  target="$(photolink_target_dir)"
  timed "end-to-end tests" env \
    PHOTOLINK_E2E_ARTIFACTS="$artifacts" \
    PHOTOLINK_APP_BINARY="$target/debug/photolink" \
    PHOTOLINK_EXAMPLE_BINARY="$target/debug/sign-in-example" \
    PHOTOLINK_PROVIDER_BINARY="$target/debug/photolink-demo-provider" \
    PHOTOLINK_FIXTURE_BINARY="$target/debug/photolink-photo-fixture" \
    bash scripts/headless-session.sh \
    bash -c 'cd tests/e2e && exec .venv/bin/python -m pytest' || true
fi

step "Summary"
printf '    %s\n' "${timings[@]}" >&2
if [[ ${#failures[@]} -gt 0 ]]; then
  if [[ -d "${artifacts:-}" ]] && [[ -n "$(ls -A "$artifacts" 2>/dev/null)" ]]; then
    note "artifacts of failed end-to-end tests: ${artifacts#"$PHOTOLINK_ROOT"/}/"
  fi
  printf 'FAILED: %s\n' "${failures[*]}" >&2
  exit 1
fi
echo "All tests passed." >&2
