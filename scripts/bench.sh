#!/usr/bin/env bash
# PhotoLink's benchmark: builds what it measures in release mode, runs each figure several times
# in a private desktop session (Xvfb, D-Bus, gnome-keyring; scripts/headless-session.sh), and
# writes the table that BENCHMARKS.md records: median and spread of each figure, its goal, and
# its ratio to a baseline measured in the same run, with the machine and the commit.
#
#   1. the app and its .deb, as the installers build them (`tauri build`, release profile);
#   2. the baselines and benchmark programs in bench/ (release profile): a minimal Tauri 2
#      window, the login floor, the refresh storm; the demo provider and the photo API fixture
#      program (crates/photo-fixtures);
#   3. the app crate's test binary (release profile), whose ignored `graph_library_figures`
#      test measures the OneDrive library against the Graph fixture;
#   4. bench/driver/run_bench.py, which measures each figure (bench/driver/figures.py).
#
# Writes .artifacts/bench/results.md (the table), results.json and logs/.
# Goals are of two kinds. Correctness goals (exactly one token request in the refresh storm,
# every call answered, DOM tiles bounded and the end reached in the scroll, no thumbnail
# requested on a start from the disk cache, every OneDrive photo listed once and newest first,
# a second start that fetches only the changes) do not depend on the machine and are enforced in
# every mode; timing goals are enforced in full runs only. Exits 0 when every figure was
# measured and every enforced goal met, 1 when the benchmark itself broke (a build failed, a
# figure could not be measured), 4 when a correctness goal failed, 3 when a timing goal was
# missed in a full run.
#
#   bash scripts/bench.sh            # 5 runs of each figure, every goal enforced
#   bash scripts/bench.sh --quick    # 1 run of each figure, timing goals only reported (CI)
#   PHOTOLINK_BENCH_RUNS=9 bash scripts/bench.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$PHOTOLINK_ROOT"

mode=()
case "${1:-}" in
  "") ;;
  --quick) mode=(--quick) ;;
  *) die "usage: bash scripts/bench.sh [--quick]" ;;
esac

timed() { # timed LABEL COMMAND...: runs COMMAND and notes how long it took
  local label="$1" started=$SECONDS
  shift
  "$@"
  note "$label: $((SECONDS - started)) s"
}

step "Checking what the benchmark needs"
bash scripts/install-deps.sh test
command -v npm >/dev/null 2>&1 || die "npm is missing (it runs the pinned Tauri CLI): apt-get install nodejs npm"
[[ -x node_modules/.bin/tauri ]] || npm ci --no-audit --no-fund --loglevel=error

target="$(photolink_target_dir)"
release="$target/release"

step "Building the app and its .deb (release; reuses the installers' build when it is current)"
timed "app and .deb" env TAURI_APP_PATH=src-tauri npx --no-install tauri build --ci --bundles deb
version="$(node -p 'require("./tauri.conf.json").version')"
debs=("$release"/bundle/deb/*_"${version}"_*.deb)
[[ -f "${debs[0]}" ]] || die "no .deb for version $version in $release/bundle/deb"

step "Building the baselines and benchmark programs (release)"
# The minimal window gets Tauri's custom-protocol feature, as `tauri build` gives the app: pages
# served from the binary. The provider gets its test machinery (the figures read its counters)
# in a cargo run of its own: its tests depend on it with that feature too, so in a shared run
# `photolink-demo-provider/test-machinery` would name that dev-dependency, which a plain build
# leaves out, and the provider would come out without it.
timed "minimal window, login floor, refresh storm" \
  cargo build --release -p photolink-bench-minimal-window -p photolink-bench-oauth \
  --features photolink-bench-minimal-window/custom-protocol
timed "demo provider with its test machinery" \
  cargo build --release -p photolink-demo-provider --features test-machinery
timed "photo API fixture program" \
  cargo build --release -p photolink-photo-fixtures --bin photolink-photo-fixture

step "Building the app's photo code with its tests (release): the OneDrive library figures"
timed "app crate test binary" cargo test --release -p photolink --lib --no-run
library_figures="$(cargo test --release -p photolink --lib --no-run --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("profile", {}).get("test") and message.get("executable"):
        print(message["executable"])
')"
[[ -x "$library_figures" ]] || die "no test binary of the app crate was built"

step "Measuring (private session: Xvfb, D-Bus, gnome-keyring)"
out="$PHOTOLINK_ROOT/.artifacts/bench"
rm -rf "$out"
mkdir -p "$out"
status=0
bash scripts/headless-session.sh tests/e2e/.venv/bin/python bench/driver/run_bench.py "${mode[@]}" \
  --runs "${PHOTOLINK_BENCH_RUNS:-5}" \
  --out "$out" \
  --app "$release/photolink" \
  --minimal-window "$release/photolink-bench-minimal-window" \
  --provider "$release/photolink-demo-provider" \
  --photo-fixture "$release/photolink-photo-fixture" \
  --login-floor "$release/login-floor" \
  --refresh-storm "$release/refresh-storm" \
  --library-figures "$library_figures" \
  --deb "${debs[0]}" || status=$?
note "table: ${out#"$PHOTOLINK_ROOT"/}/results.md; logs: ${out#"$PHOTOLINK_ROOT"/}/logs/"
exit "$status"
