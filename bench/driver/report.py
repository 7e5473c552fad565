"""What a figure is, how its goals are judged, and the table that reports them.

A figure has two kinds of goal. A **timing goal** (`passes`: its median against a number) is
met or missed; machines are noisy, so quick mode (one run, CI) reports it without enforcing it.
A **correctness goal** (`checks`: exactly one refresh, every call answered, DOM tiles bounded,
the end reached, no thumbnail fetched again) does not depend on the machine: it fails the run in
every mode. `exit_status` turns that into the driver's exit status.

No imports beyond the standard library and `measure`, so the driver's unit tests run anywhere.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from measure import Samples

# The driver's exit statuses (scripts/bench.sh passes them on).
MEASURED = 0
BROKEN = 1  # a figure could not be measured: the benchmark itself is broken
GOAL_MISSED = 3  # a timing goal was missed (full runs only)
CHECK_FAILED = 4  # a correctness goal failed (in every mode)


@dataclass(frozen=True)
class Check:
    """A correctness goal of a figure: `held` is whether every run kept it."""

    goal: str
    held: bool
    # What was seen when it did not hold.
    seen: str = ""


@dataclass
class Figure:
    name: str
    unit: str
    goal: str
    samples: Samples = field(default_factory=Samples)
    baseline: Samples | None = None
    baseline_name: str = ""
    # The timing goal: met when the median passes; None when there is no numeric goal.
    passes: bool | None = None
    checks: list[Check] = field(default_factory=list)
    # Parts of the figure (name -> samples), shown under the table, in `split_unit` (the
    # figure's unit when empty).
    split: dict[str, Samples] = field(default_factory=dict)
    split_unit: str = ""
    notes: list[str] = field(default_factory=list)
    missing: str = ""  # "needs …" when the feature is not there yet, "broken: …" when it broke

    def check(self, goal: str, held: bool, seen: str = "") -> None:
        self.checks.append(Check(goal, held, "" if held else seen))

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.held]


def exit_status(results: list[Figure], broken: list[str], quick: bool) -> int:
    """Broken first (nothing else can be trusted), then a failed correctness goal, then a
    missed timing goal, which quick mode only reports."""
    if broken:
        return BROKEN
    if any(figure.failed_checks for figure in results):
        return CHECK_FAILED
    if not quick and any(figure.passes is False for figure in results):
        return GOAL_MISSED
    return MEASURED


# --- the goals of particular figures ----------------------------------------------------------


def storm_checks(figure: Figure, runs: list[dict]) -> None:
    """The storm's correctness goals over every run: single-flight means one token request, a
    refresh grant, for all the calls; every call answered; no rotated refresh token presented.
    No runs hold none of them."""
    if not runs:
        figure.check("the storm ran", False, "no runs")
        return

    def seen(key: str) -> str:
        return ", ".join(str(run[key]) for run in runs)

    figure.check("exactly 1 token request", all(run["token_requests"] == 1 for run in runs), f"token requests per run: {seen('token_requests')}")
    figure.check("exactly 1 refresh grant", all(run["refresh_requests"] == 1 for run in runs), f"refresh grants per run: {seen('refresh_requests')}")
    figure.check(
        "every call answered",
        all(run["succeeded"] == run["calls"] for run in runs),
        "answered per run: " + ", ".join(f"{run['succeeded']} of {run['calls']}" for run in runs),
    )
    figure.check(
        "no refresh token reuse detected",
        all(run["refresh_reuse_detected"] == 0 for run in runs),
        f"reuse detected per run: {seen('refresh_reuse_detected')}",
    )


# How much longer listing the nested OneDrive library may take than the same photos in one
# folder (issue 18's goal).
NESTED_LISTING_RATIO = 2.0
# The marker before the JSON line of the OneDrive library figures (src-tauri/src/photos/delta/figures.rs).
GRAPH_FIGURES_MARKER = "graph-library-figures "


def graph_figures_in(output: str) -> dict:
    """The OneDrive library figures one run printed."""
    for line in output.splitlines():
        if line.startswith(GRAPH_FIGURES_MARKER):
            return json.loads(line[len(GRAPH_FIGURES_MARKER):])
    raise ValueError("no graph-library-figures line in the output")


def graph_library_figures(runs: list[dict]) -> tuple[Figure, Figure, Figure]:
    """The three OneDrive library figures over `runs` (each what one run printed): the nested
    library's listing against the same photos in one folder (timing goal: at most
    NESTED_LISTING_RATIO times as long; every photo once, newest first, held in every run), a
    second start with the saved delta link (correctness goal: one request, the changes shown),
    and the memory the listed library holds."""
    photos = runs[0]["photos"] if runs else 0
    folders = runs[0]["folders"] if runs else 0
    listing = Figure(
        f"listing {photos:,} OneDrive photos in {folders} nested folders (delta, to the last page)",
        "ms",
        f"≤ {NESTED_LISTING_RATIO:g}× one folder",
    )
    listing.baseline, listing.baseline_name = Samples(), f"the same {photos:,} in one folder"
    walk_nested, walk_flat, first_nested = Samples(), Samples(), Samples()
    second = Figure("second start's listing with a saved delta link (1 photo added, 1 deleted)", "requests", "")
    second_ms = Samples()
    memory = Figure(f"memory held by the listed nested library ({photos:,} photos; process RSS growth)", "MiB", "")
    saved = Samples()
    for run in runs:
        listing.samples.add(run["nested"]["all_pages_ms"])
        listing.baseline.add(run["flat"]["all_pages_ms"])
        first_nested.add(run["nested"]["first_page_ms"])
        walk_nested.add(run["walk_nested"]["all_pages_ms"])
        walk_flat.add(run["walk_flat"]["all_pages_ms"])
        second.samples.add(run["second_start"]["requests"])
        second_ms.add(run["second_start"]["first_page_ms"])
        memory.samples.add(run["resident_growth_kib"] / 1024)
        saved.add(run["saved_library_kib"] / 1024)
    if runs:
        listing.passes = listing.samples.median <= NESTED_LISTING_RATIO * listing.baseline.median
    listing.check(
        "every photo listed once, newest first",
        bool(runs) and all(
            run[kind]["photos"] == run["photos"] and run[kind]["newest_first"] for run in runs for kind in ("nested", "flat")
        ),
        "listed per run: " + ", ".join(f"{run['nested']['photos']} nested, {run['flat']['photos']} flat" for run in runs),
    )
    listing.split = {
        "nested, to the first page": first_nested,
        "folder walk (work or school drive), nested": walk_nested,
        "folder walk (work or school drive), one folder": walk_flat,
    }
    second.check(
        "only the changes are fetched (1 request)",
        bool(runs) and all(run["second_start"]["requests"] == 1 for run in runs),
        "requests per run: " + ", ".join(str(run["second_start"]["requests"]) for run in runs),
    )
    second.check(
        "the changes are shown",
        bool(runs) and all(run["second_start"]["changes_shown"] for run in runs),
        "not in every run",
    )
    second.split = {"to the first page": second_ms}
    second.split_unit = "ms"
    memory.split = {"the saved library on disk": saved}
    return listing, second, memory


# The most photo tiles the DOM may hold at once while scrolling, in screens of tiles: the grid
# keeps the screen in view and one above and below, and this leaves room for partial rows.
SCREENS_OF_TILES = 4


# Windows' Credential Manager keeps at most this many bytes of secret per entry, which the
# keyring crate stores as UTF-16 (crates/tauri-plugin-sign-in/src/store.rs splits to fit it).
WINDOWS_SECRET_BYTES = 2560
# The keyring entry names of an account's token set: `oauth-tokens` (the first account) or
# `oauth-tokens-<n>`, and its parts `<that>.<generation>.<part>`.
TOKENS_ENTRY = re.compile(r"^oauth-tokens(?:-(\d+))?(?:\.[0-9a-f]+\.\d+)?$")


@dataclass
class KeyringUse:
    """One account's keyring entries: how many, their secrets' bytes (UTF-8) and the largest
    entry as Windows stores it (UTF-16 bytes)."""

    entries: int = 0
    bytes: int = 0
    largest_utf16: int = 0


def keyring_use(items: dict[str, str]) -> tuple[dict[int, KeyringUse], list[str]]:
    """The keyring items of the app (entry name -> secret) by account (its slot number), and the
    names of the entries that belong to no account (the provider metadata key, a waiting sign-in)."""
    accounts: dict[int, KeyringUse] = {}
    shared = []
    for name, secret in sorted(items.items()):
        matched = TOKENS_ENTRY.match(name)
        if not matched:
            shared.append(name)
            continue
        use = accounts.setdefault(int(matched.group(1) or 0), KeyringUse())
        use.entries += 1
        use.bytes += len(secret.encode())
        use.largest_utf16 = max(use.largest_utf16, len(secret.encode("utf-16-le")))
    return accounts, shared


def keyring_checks(figure: Figure, accounts: dict[int, KeyringUse], expected: int) -> None:
    """Every linked account has its entries, and every entry fits Windows' limit."""
    figure.check(f"{expected} accounts in the keyring", len(accounts) == expected, f"{len(accounts)} accounts")
    largest = max((use.largest_utf16 for use in accounts.values()), default=0)
    figure.check(
        f"every entry ≤ {WINDOWS_SECRET_BYTES:,} bytes as Windows stores it (UTF-16)",
        largest <= WINDOWS_SECRET_BYTES,
        f"largest {largest:,} bytes",
    )


def scroll_tiles_bound(layout: dict) -> int:
    """The most photo tiles the scrolled grid may hold: SCREENS_OF_TILES screens, a screen being
    the grid's columns times the rows a viewport shows plus one (a partly shown row), from the
    layout `App.gallery()` reads."""
    rows = math.ceil(layout["viewport"] / max(layout["row_height"], 1)) + 1
    return SCREENS_OF_TILES * layout["columns"] * rows


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
    """The goal column: the timing goal and whether it was met, then each correctness goal and
    whether it held."""
    parts = []
    if figure.passes is None:
        if figure.goal:
            parts.append(figure.goal)
    else:
        outcome = "met" if figure.passes else "**missed**"
        parts.append(f"{figure.goal}: {outcome}{' (not enforced)' if quick else ''}")
    for check in figure.checks:
        parts.append(f"{check.goal}: held" if check.held else f"{check.goal}: **failed** ({check.seen})")
    return "; ".join(parts)


def header(when: str, commit: str, quick: bool, runs: int, seconds: float, host: dict[str, str]) -> list[str]:
    mode = (
        " in quick mode (one run each, timing goals reported, correctness goals enforced)"
        if quick
        else f", {runs} runs of each figure"
    )
    return [
        f"Measured {when} at commit `{commit}`{mode}; the whole run took {seconds:.0f} s.",
        "",
        f"Machine: {host['cpu']}, {host['cores']} cores, {host['memory']} memory, {host['kernel']};"
        f" load average at the end {host['load']}.",
        "",
    ]


def table(results: list[Figure], quick: bool) -> list[str]:
    lines = [
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
    return lines


def details(results: list[Figure]) -> list[str]:
    """Under the table: each figure's split and notes."""
    lines: list[str] = []
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
    return lines


def as_json(figure: Figure) -> dict:
    return {
        "name": figure.name,
        "unit": figure.unit,
        "goal": figure.goal,
        "samples": figure.samples.values,
        "baseline": figure.baseline.values if figure.baseline else None,
        "baseline_name": figure.baseline_name,
        "passes": figure.passes,
        "checks": [{"goal": check.goal, "held": check.held, "seen": check.seen} for check in figure.checks],
        "split": {part: samples.values for part, samples in figure.split.items()},
        "notes": figure.notes,
        "missing": figure.missing,
    }
