"""Runs PhotoLink's benchmark figures and writes the table BENCHMARKS.md records.

Started by scripts/bench.sh inside the private session of scripts/headless-session.sh, with the
release binaries it built. Writes `results.md` (the table, the splits, the machine and the
commit) and `results.json` to `--out`, and prints the table.

Exit status: 0 when every figure was measured (and, without `--quick`, every goal was met),
1 when a figure could not be measured (the benchmark itself is broken), 3 when a goal was missed.
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
from figures import Bench, Figure  # noqa: E402
from measure import Samples, commit, machine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each figure, goals not enforced")
    parser.add_argument("--runs", type=int, default=5, help="runs of each figure (default 5)")
    parser.add_argument("--out", type=Path, required=True, help="folder for results.md, results.json and logs")
    for name in ("app", "minimal-window", "provider", "login-floor", "refresh-storm"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    parser.add_argument("--deb", type=Path)
    args = parser.parse_args()

    home = require_private_session()
    bench = Bench(
        app=args.app.resolve(),
        minimal_window=args.minimal_window.resolve(),
        provider=args.provider.resolve(),
        login_floor=args.login_floor.resolve(),
        refresh_storm=args.refresh_storm.resolve(),
        deb=args.deb.resolve() if args.deb else None,
        runs=1 if args.quick else args.runs,
        logs=args.out / "logs",
        home=home,
    )
    bench.logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: list[Figure] = []
    broken: list[str] = []

    def measure(name: str, function, *extra) -> list[Figure]:
        print(f"==> {name}", file=sys.stderr, flush=True)
        began = time.monotonic()
        try:
            outcome = function(bench, *extra)
        except Exception as error:  # one broken figure must not hide the others
            traceback.print_exc()
            broken.append(f"{name}: {error}")
            failed = Figure(name, "", "", missing=f"broken: {error}")
            results.append(failed)
            return [failed]
        measured = list(outcome) if isinstance(outcome, tuple) else [outcome]
        results.extend(measured)
        print(f"    {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)
        return measured

    measure(".deb size", figures.deb_size)
    measure("start → status", figures.start_to_status)
    (link,) = measure("deep link → connected", figures.link_to_connected)
    measure("login floor", figures.login_floor, link)
    measure("refresh storm", figures.refresh_storm)
    measure("memory, idle", figures.memory_idle)
    measure("first screen of a large library", figures.first_screen)
    measure("thumbnails from the disk cache", figures.thumbnails_from_disk_cache)
    measure("scrolling a large library", figures.scroll_large_library)

    report = render(results, args.quick, bench.runs, time.monotonic() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(report)
    (args.out / "results.json").write_text(json.dumps([as_json(figure) for figure in results], indent=2))
    print(report)
    if broken:
        print("broken figures:\n  " + "\n  ".join(broken), file=sys.stderr)
        return 1
    missed = [figure.name for figure in results if figure.passes is False]
    if missed and not args.quick:
        print("goals missed:\n  " + "\n  ".join(missed), file=sys.stderr)
        return 3
    return 0


# --- the table --------------------------------------------------------------------------------


def number(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MiB":
        return f"{value:.2f} MiB" if value < 20 else f"{value:.0f} MiB"
    if unit == "/s":
        return f"{value:.0f}/s"
    return f"{value:g}"


def spread(samples: Samples, unit: str) -> str:
    low, high = samples.spread()
    return "—" if len(samples.values) == 1 else f"{number(low, unit)} – {number(high, unit)}"


def verdict(figure: Figure, quick: bool) -> str:
    if figure.passes is None:
        return figure.goal
    outcome = "met" if figure.passes else "**missed**"
    return f"{figure.goal}: {outcome}{' (not enforced)' if quick else ''}"


def render(results: list[Figure], quick: bool, runs: int, seconds: float) -> str:
    host = machine()
    lines = [
        f"Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} at commit `{commit(REPO)}`"
        f"{' in quick mode (one run each, goals not enforced)' if quick else f', {runs} runs of each figure'};"
        f" the whole run took {seconds:.0f} s.",
        "",
        f"Machine: {host['cpu']}, {host['cores']} cores, {host['memory']} memory, {host['kernel']};"
        f" load average at the end {host['load']}.",
        "",
        "| figure | median | spread (min – max) | runs | goal | same-run baseline | ratio |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for figure in results:
        if figure.missing:
            na = "n/a" if figure.missing.startswith("broken") else f"n/a (needs {figure.missing})"
            lines.append(f"| {figure.name} | {na} | | | {figure.goal} | | |")
            continue
        baseline, ratio = "", ""
        if figure.baseline:
            baseline = f"{figure.baseline_name}: {number(figure.baseline.median, figure.unit)}"
            if figure.baseline.median:
                ratio = f"{figure.samples.median / figure.baseline.median:.2f}×"
        lines.append(
            f"| {figure.name} | {number(figure.samples.median, figure.unit)} | {spread(figure.samples, figure.unit)}"
            f" | {len(figure.samples.values)} | {verdict(figure, quick)} | {baseline} | {ratio} |"
        )
    for figure in results:
        if not figure.split and not figure.notes:
            continue
        lines += ["", f"**{figure.name}**", ""]
        if figure.split and not figure.missing:
            unit = figure.split_unit or figure.unit
            lines += ["| part | median | spread (min – max) |", "| --- | ---: | ---: |"]
            for part, samples in figure.split.items():
                if samples:
                    lines.append(f"| {part} | {number(samples.median, unit)} | {spread(samples, unit)} |")
            lines.append("")
        lines += [f"- {note}" for note in figure.notes]
    return "\n".join(lines) + "\n"


def as_json(figure: Figure) -> dict:
    return {
        "name": figure.name,
        "unit": figure.unit,
        "goal": figure.goal,
        "samples": figure.samples.values,
        "baseline": figure.baseline.values if figure.baseline else None,
        "baseline_name": figure.baseline_name,
        "passes": figure.passes,
        "split": {part: samples.values for part, samples in figure.split.items()},
        "notes": figure.notes,
        "missing": figure.missing,
    }


if __name__ == "__main__":
    sys.exit(main())
