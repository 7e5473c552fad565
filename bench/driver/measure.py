"""What the figures read: timing marks in an app's log, process memory, the machine, statistics.

The app logs a timing mark as an `info` event of target `photolink_bench` (see src-tauri/src/lib.rs),
printed by tracing's formatter as `2026-12-01T00:17:46.123456Z  INFO photolink_bench: link-received`.
Marks carry the wall clock in microseconds, the same clock as `time.time()` here and as
`performance.timeOrigin + performance.now()` in the window, so times from the three compare.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

MARK = re.compile(r"^(\S+Z)\s+INFO\s+photolink_bench:\s+(\S+)\s*$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The environment that turns the marks on (and keeps the rest of the log quiet).
MARKS_ENV = {"RUST_LOG": "warn,photolink_bench=info", "NO_COLOR": "1"}


@dataclass(frozen=True)
class Mark:
    name: str
    at: float  # seconds since the epoch


def parse_mark(line: str) -> Mark | None:
    found = MARK.match(ANSI.sub("", line).strip())
    if not found:
        return None
    return Mark(found.group(2), datetime.fromisoformat(found.group(1)).timestamp())


def marks_in(path: Path, since: float = 0.0) -> list[Mark]:
    """The marks logged to `path` at or after `since`, in order."""
    if not path.exists():
        return []
    marks = (parse_mark(line) for line in path.read_text(errors="replace").splitlines())
    return [mark for mark in marks if mark is not None and mark.at >= since]


def first(marks: list[Mark], name: str, after: float = 0.0) -> Mark | None:
    return next((mark for mark in marks if mark.name == name and mark.at >= after), None)


# --- memory -----------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Every descendant of `pid` (the WebKit web and network processes of a window)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append(child)
                frontier.append(child)
    return found


def pss_kib(pid: int) -> int:
    """Proportional set size of one process, from /proc/PID/smaps_rollup (0 once it is gone)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(found.group(1)) if found else 0


def process_started_at(pid: int) -> float:
    """When a process started, in seconds since the epoch: its start time in /proc/PID/stat
    (clock ticks since boot, so to 1/100 s on Linux) after the moment of boot. That moment is
    the clock now less /proc/uptime (to 1/100 s), not /proc/stat's `btime`, which is cut to whole
    seconds: it would move every start by the same unknown fraction of a second, and with it
    every ratio of two start-up times."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    ticks = int(stat[stat.rfind(")") + 2 :].split()[19])
    up = float(Path("/proc/uptime").read_text().split()[0])
    boot = time.time() - up
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def process_name(pid: int) -> str:
    """The program's file name (`comm` would cut it at 15 characters)."""
    try:
        return Path(Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()).name
    except (OSError, UnicodeDecodeError):
        return "?"


def window_pss_mib(pid: int) -> tuple[float, dict[str, float]]:
    """PSS of a window process and all its descendants, in MiB, with the part of each by name."""
    parts: dict[str, float] = {}
    for each in [pid, *children_of(pid)]:
        name = process_name(each)
        parts[name] = parts.get(name, 0.0) + pss_kib(each) / 1024
    return sum(parts.values()), parts


# --- statistics -------------------------------------------------------------------------------


@dataclass
class Samples:
    """Values of one figure, one per run."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> tuple[float, float]:
        return min(self.values), max(self.values)

    def __bool__(self) -> bool:
        return bool(self.values)


# --- the machine and the commit ---------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown CPU"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        total_kib = int(re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.MULTILINE).group(1))
        memory = f"{total_kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    load = os.getloadavg()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": f"{platform.system()} {platform.release()}",
        "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
    }


def commit(repo: Path) -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return done.stdout.strip()

    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{sha} (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else sha
