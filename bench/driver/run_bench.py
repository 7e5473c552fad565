"""Runs PhotoLink's benchmark figures and writes the table BENCHMARKS.md records.

Started by scripts/bench.sh inside the private session of scripts/headless-session.sh, with the
release binaries it built. Writes `results.md` (the table, the splits, the machine and the
commit) and `results.json` to `--out`, and prints the table.

Exit status (report.exit_status): 0 when every figure was measured, its correctness goals held
and (without `--quick`) its timing goals were met; 1 when a figure could not be measured (the
benchmark itself is broken); 4 when a correctness goal failed, in every mode; 3 when a timing
goal was missed (full runs only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))  # the window, OS and provider helpers

import figures  # noqa: E402
from desktop import require_private_session  # noqa: E402
from figures import Bench  # noqa: E402
from measure import commit, machine  # noqa: E402
from report import Figure, as_json, details, exit_status, header, table  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each figure; timing goals reported, correctness goals enforced")
    parser.add_argument("--runs", type=int, default=5, help="runs of each figure (default 5)")
    parser.add_argument("--out", type=Path, required=True, help="folder for results.md, results.json and logs")
    for name in ("app", "minimal-window", "provider", "photo-fixture", "login-floor", "refresh-storm", "library-figures"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    parser.add_argument("--deb", type=Path)
    args = parser.parse_args()

    home = require_private_session()
    bench = Bench(
        app=args.app.resolve(),
        minimal_window=args.minimal_window.resolve(),
        provider=args.provider.resolve(),
        photo_fixture=args.photo_fixture.resolve(),
        login_floor=args.login_floor.resolve(),
        refresh_storm=args.refresh_storm.resolve(),
        library_figures=args.library_figures.resolve(),
        deb=args.deb.resolve() if args.deb else None,
        runs=1 if args.quick else args.runs,
        logs=args.out / "logs",
        home=home,
    )
    bench.logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: list[Figure] = []
    broken: list[str] = []

    def measure(name: str, function) -> None:
        print(f"==> {name}", file=sys.stderr, flush=True)
        began = time.monotonic()
        try:
            outcome = function(bench)
        except Exception as error:  # one broken figure must not hide the others
            traceback.print_exc()
            broken.append(f"{name}: {error}")
            results.append(Figure(name, "", "", missing=f"broken: {error}"))
            return
        results.extend(outcome if isinstance(outcome, tuple) else [outcome])
        print(f"    {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)

    measure(".deb size", figures.deb_size)
    measure("start → status", figures.start_to_status)
    measure("deep link → connected, alternated with the login floor", figures.link_to_connected)
    measure("refresh storm", figures.refresh_storm)
    measure("start with several accounts, and their keyring entries", figures.start_with_accounts)
    measure("memory, idle", figures.memory_idle)
    measure("first screen of a large library", figures.first_screen)
    measure("thumbnails from the disk cache", figures.thumbnails_from_disk_cache)
    measure("scrolling a large library", figures.scroll_large_library)
    measure("the OneDrive library", figures.graph_library)
    measure("the OneDrive library in the window", figures.graph_library_memory)

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = header(when, commit(REPO), args.quick, bench.runs, time.monotonic() - started, machine())
    report = "\n".join(lines + table(results, args.quick) + details(results)) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(report)
    (args.out / "results.json").write_text(json.dumps([as_json(figure) for figure in results], indent=2))
    print(report)
    if broken:
        print("broken figures:\n  " + "\n  ".join(broken), file=sys.stderr)
    for figure in results:
        for check in figure.failed_checks:
            print(f"correctness goal failed: {figure.name}: {check.goal} ({check.seen})", file=sys.stderr)
    missed = [figure.name for figure in results if figure.passes is False]
    if missed:
        print(f"timing goals missed{' (not enforced)' if args.quick else ''}:\n  " + "\n  ".join(missed), file=sys.stderr)
    return exit_status(results, broken, args.quick)


if __name__ == "__main__":
    sys.exit(main())
