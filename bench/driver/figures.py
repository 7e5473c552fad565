"""The benchmark's figures, one function each. Every function takes the run's `Bench` and returns
a `Figure`: its samples (one per run), the same-run baseline's samples where there is one, the
goal, and any split or note. A figure whose feature is not in the app yet sets `missing` to what
it needs, and the table says "n/a (needs …)".

Everything runs inside the private session of scripts/headless-session.sh (fresh HOME, D-Bus,
Xvfb, unlocked gnome-keyring). The window is driven like the end-to-end tests drive it: through
tauri-driver, with the stand-in browser and the OS link handler of tests/e2e.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from app_window import App, TauriDriver
from selenium.common.exceptions import WebDriverException
from desktop import (
    SINGLE_INSTANCE_NAME,
    process_alive,
    StandinBrowser,
    clear_keyring,
    dbus_name_has_owner,
    keyring_items,
    pids_running,
    register_link_handler,
    wait_until,
)
from measure import MARKS_ENV, Samples, children_of, first, marks_in, process_started_at, window_pss_mib
from provider import DemoProvider
from report import (
    SCREENS_OF_TILES,
    WINDOWS_SECRET_BYTES,
    Figure,
    graph_figures_in,
    graph_library_figures,
    keyring_checks,
    keyring_use,
    scroll_tiles_bound,
    storm_checks,
)

MIB = 1024 * 1024
START_TIMEOUT_SECONDS = 60
LARGE_LIBRARY = 10_000
# How long the window stays idle before its memory is read.
IDLE_SECONDS = 3
# How long the window stays idle after scrolling the large library before its memory is read
# again: what it held for the scroll must be given back by then (issue 19's goal).
AFTER_SCROLL_IDLE_SECONDS = 30
# How far memory after the scroll and that idle may stay above memory before the scroll.
SCROLL_GROWTH_GOAL_MIB = 20


@dataclass
class Bench:
    """What every figure needs: the binaries, the run count, where to write logs."""

    app: Path
    minimal_window: Path
    provider: Path
    # `photolink-photo-fixture` (crates/photo-fixtures), the Graph fixture the window reads a
    # OneDrive library from.
    photo_fixture: Path
    login_floor: Path
    refresh_storm: Path
    # The app crate's test binary, built in release: its ignored `graph_library_figures` test
    # prints the OneDrive library figures.
    library_figures: Path
    deb: Path | None
    runs: int
    logs: Path
    home: Path
    browser: StandinBrowser | None = None

    def log(self, name: str) -> Path:
        self.logs.mkdir(parents=True, exist_ok=True)
        return self.logs / name

    def stand_in_browser(self) -> StandinBrowser:
        if self.browser is None:
            self.browser = StandinBrowser(self.home)
            self.browser.install()
        self.browser.reset()
        return self.browser

    def clean_slate(self) -> None:
        """No PhotoLink running, nothing in its keyring, no app config, data or cache."""
        for pid in pids_running(self.app):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not pids_running(self.app) and not dbus_name_has_owner(SINGLE_INSTANCE_NAME), 15)
        clear_keyring()
        for base in (".config", ".local/share", ".cache", ".local/state"):
            subprocess.run(["rm", "-rf", str(self.home / base / "com.example.photolink")], check=False)


def env_with_marks(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PHOTOLINK_PROVIDER_CONFIG", None)
    env.update(MARKS_ENV)
    env.update(extra)
    return env


# --- .deb size --------------------------------------------------------------------------------


def deb_size(bench: Bench) -> Figure:
    figure = Figure(".deb size", "MiB", "≤ 6 MiB")
    if bench.deb is None:
        figure.missing = "the .deb (build it with the installers)"
        return figure
    figure.samples.add(bench.deb.stat().st_size / MIB)
    figure.passes = figure.samples.median <= 6
    figure.notes.append(f"{bench.deb.name}: {bench.deb.stat().st_size:,} bytes; app binary {bench.app.stat().st_size:,} bytes")
    return figure


# --- process start -> status shown ------------------------------------------------------------


# When the frame that painted the first status started, in seconds since the epoch (the pages'
# `status-painted` user-timing mark), or null before it.
STATUS_PAINTED_AT = """
const [mark] = performance.getEntriesByName('status-painted');
return mark ? (performance.timeOrigin + mark.startTime) / 1000 : null;
"""


def time_to_status_painted(bench: Bench, name: str, binary: Path) -> float:
    """Starts `binary` through tauri-driver and returns the seconds from its process's start to
    the frame that painted its first status; the window is closed again."""
    window = Window(bench, name, env_with_marks(), binary)
    try:
        painted = window.app.wait_for(lambda d: d.execute_script(STATUS_PAINTED_AT), "the status to be painted", START_TIMEOUT_SECONDS)
        return painted - process_started_at(window.pid)
    finally:
        window.close()


def start_to_status(bench: Bench) -> Figure:
    figure = Figure("process start → window paints the connection status", "s", "≤ 0.4 s median")
    figure.baseline, figure.baseline_name = Samples(), "minimal Tauri 2 window"
    for run in range(bench.runs):
        # Side by side: the two windows alternate, so drift on the machine hits both alike.
        bench.clean_slate()
        figure.samples.add(time_to_status_painted(bench, f"start-photolink-{run}.log", bench.app))
        figure.baseline.add(time_to_status_painted(bench, f"start-minimal-{run}.log", bench.minimal_window))
    figure.passes = figure.samples.median <= 0.4
    figure.notes.append(
        "From the process's start (/proc, to 10 ms) to the frame that paints the first status (the "
        "page's `status-painted` mark, set in the animation frame after the status is rendered). "
        "Both windows are started the same way, through tauri-driver, which adds its own start-up "
        "to both; release builds, Xvfb."
    )
    return figure


# --- start with several accounts --------------------------------------------------------------

# The accounts linked for the start-up figure.
SEVERAL_ACCOUNTS = 10
# When the frame that first painted every linked account connected started, in seconds since the
# epoch (the page's `accounts-connected` mark), or null before it.
ACCOUNTS_CONNECTED_AT = """
const [mark] = performance.getEntriesByName('accounts-connected');
return mark ? (performance.timeOrigin + mark.startTime) / 1000 : null;
"""
CONNECTED_ACCOUNTS = "return document.querySelectorAll('[data-testid=\"account\"][data-state=\"connected\"]').length;"


def link_accounts(bench: Bench, count: int) -> None:
    """Links `count` accounts of the embedded demo provider through the window (Connect, then
    Add account with another name on the consent page each time) and closes it."""
    bench.clean_slate()
    browser = bench.stand_in_browser()
    window = Window(bench, "accounts-link", env_with_marks())
    try:
        register_link_handler(bench.app)
        window.connect()
        for n in range(2, count + 1):
            browser.configure(account_name=f"Bench Account {n}")
            window.app.click("add-account")
            window.app.wait_for(lambda d, n=n: d.execute_script(CONNECTED_ACCOUNTS) == n, f"{n} accounts connected", 30)
    finally:
        window.close()


def time_to_accounts_connected(bench: Bench, name: str) -> float:
    """Starts PhotoLink and returns the seconds from its process's start to the frame that
    painted every linked account connected; the window is closed again."""
    window = Window(bench, name, env_with_marks())
    try:
        painted = window.app.wait_for(lambda d: d.execute_script(ACCOUNTS_CONNECTED_AT), "every account to be painted connected", START_TIMEOUT_SECONDS)
        return painted - process_started_at(window.pid)
    finally:
        window.close()


def start_with_accounts(bench: Bench) -> tuple[Figure, Figure]:
    """Start-up with ten linked accounts against start-up with one, alternating, and the keyring
    entries and bytes each account takes."""
    figure = Figure(
        f"process start → every account painted connected, {SEVERAL_ACCOUNTS} linked accounts",
        "s", "≤ 1.1× one account",
    )
    figure.baseline, figure.baseline_name = Samples(), "the same start with 1 linked account"
    keyring = Figure("keyring per linked account (demo provider's token set)", "bytes", "report")
    link_accounts(bench, SEVERAL_ACCOUNTS)
    accounts, shared = keyring_use(keyring_items())
    keyring_checks(keyring, accounts, SEVERAL_ACCOUNTS)
    for use in accounts.values():
        keyring.samples.add(use.bytes)
    entries = sorted({use.entries for use in accounts.values()})
    keyring.notes.append(
        f"{len(accounts)} accounts; entries per account: {', '.join(map(str, entries))} (a manifest and "
        f"its parts); largest entry as Windows stores it (UTF-16): "
        f"{max((use.largest_utf16 for use in accounts.values()), default=0):,} of {WINDOWS_SECRET_BYTES:,} bytes; "
        f"entries of no account: {', '.join(shared) or 'none'}. Read with `secret-tool` after linking them "
        "through the window; bytes are the secrets' UTF-8 lengths."
    )
    # The same data folder listing the first account only: the one-account start reads the
    # same keyring, the same provider state and the same first account's cache, so the two
    # starts differ only in how many accounts they restore.
    data = bench.home / ".local/share/com.example.photolink"
    several, one = data.with_name("photolink-several"), data.with_name("photolink-one")
    shutil.copytree(data, one)
    linked = one / "linked-accounts.json"
    linked.write_text(json.dumps(json.loads(linked.read_text())[:1]))
    data.rename(several)
    try:
        for run in range(bench.runs):
            for folder, samples, label in ((several, figure.samples, "several"), (one, figure.baseline, "one")):
                folder.rename(data)
                try:
                    samples.add(time_to_accounts_connected(bench, f"accounts-start-{label}-{run}"))
                finally:
                    data.rename(folder)
    finally:
        shutil.rmtree(one, ignore_errors=True)
        several.rename(data)
    figure.passes = figure.samples.median <= 1.1 * figure.baseline.median
    figure.notes.append(
        "From the process's start (/proc, to 10 ms) to the frame that first paints every linked "
        "account connected (the page's `accounts-connected` mark): each account's saved connection "
        "read from the keyring, in parallel, without the browser. The baseline is the same data "
        "folder with `linked-accounts.json` cut to the first account; their runs alternate."
    )
    return figure, keyring


# --- deep link -> connected -------------------------------------------------------------------

WATCH_CONNECTED = """
const element = document.querySelector('[data-testid="connection-status"]');
const now = () => (performance.timeOrigin + performance.now()) / 1000;
window.__benchConnectedAt = null;
window.__benchConnectedSetAt = null;
const observer = new MutationObserver(() => {
  if (element.dataset.state === 'connected' && window.__benchConnectedSetAt === null) {
    observer.disconnect();
    window.__benchConnectedSetAt = now();
    // The frame that paints the change starts here.
    requestAnimationFrame(() => { window.__benchConnectedAt = now(); });
  }
});
observer.observe(element, { attributes: true, attributeFilter: ['data-state'] });
"""

SIGN_IN_STEPS = (
    ("callback checks", "link-received", "callback-checked"),
    ("sign-in ended in memory (listener stopped), `exchanging` sent", "callback-checked", "token-request-start"),
    ("token request (DPoP proof, POST, answer read)", "token-request-start", "keyring-write-start"),
    ("keyring write", "keyring-write-start", "keyring-write-end"),
    ("account details (userinfo with its DPoP proof), `connected` sent", "keyring-write-end", "connected-sent"),
)
# The embedded demo provider's issuer: its preferred port (DEMO_PORT in crates/tauri-plugin-sign-in/src/provider.rs).
# A clean slate leaves no other PhotoLink holding it; the app logs a warning when it is taken.
EMBEDDED_ISSUER = "http://127.0.0.1:47821"
EMBEDDED_PORT_TAKEN = "demo provider port taken"
# The login floor's steps: its output's member, the split's label.
FLOOR_STEPS = (
    ("dpop_proof_ms", "DPoP proof for the token request"),
    ("token_request_ms", "token request (POST, answer read)"),
    ("keyring_write_ms", "keyring write"),
    ("userinfo_ms", "account details (userinfo with its DPoP proof)"),
)


class Window:
    """A window driven through tauri-driver, with its log (the program's stderr) and its
    process: PhotoLink's, or `binary`'s (the minimal window's, whose page shows a status too)."""

    def __init__(self, bench: Bench, name: str, env: dict[str, str], binary: Path | None = None) -> None:
        self.log = bench.log(f"{name}.log")
        self.driver = TauriDriver(self.log, env)
        self.app = App(binary or bench.app, self.driver)
        try:
            self.app.launch()
        except BaseException:
            self.driver.stop()
            raise

    @property
    def pid(self) -> int:
        (pid,) = self.app.pids
        return pid

    def connect(self) -> tuple[float, float, float]:
        """Clicks Connect and waits until the window shows `connected`; returns when the click
        happened, when the page set the connected state, and when the frame that paints it began."""
        self.app.driver.execute_script(WATCH_CONNECTED)
        clicked = time.time()
        self.app.click("connect")
        self.app.wait_for_state("connected")
        set_at, painted = self.app.wait_for(
            lambda d: d.execute_script(
                "return window.__benchConnectedAt && [window.__benchConnectedSetAt, window.__benchConnectedAt];"
            ),
            "the connected state to be painted",
            10,
        )
        return clicked, set_at, painted

    def disconnect(self) -> None:
        self.app.click("disconnect")
        self.app.wait_for_state("disconnected")

    def close(self) -> None:
        helpers = [helper for pid in self.app.pids for helper in children_of(pid)]
        try:
            self.app.quit()
        finally:
            self.driver.stop()
        wait_until(lambda: not any(process_alive(pid) for pid in helpers), 15)


def link_to_connected(bench: Bench) -> tuple[Figure, Figure]:
    """PhotoLink finishing a sign-in, and the same steps by a minimal program against the same
    provider (PhotoLink's embedded one, in the running app), their runs alternating."""
    figure = Figure("deep link received → status `connected` (embedded provider)", "ms", "≤ 50 ms median")
    floor = Figure(
        "the same steps by a minimal program (DPoP proof, token POST, keyring write, userinfo; same provider)",
        "ms", "the floor",
    )
    figure.split = {step: Samples() for step, _, _ in SIGN_IN_STEPS}
    figure.split["UI update: event sent → page shows `connected`"] = Samples()
    figure.split["UI update: → the frame that paints it starts"] = Samples()
    floor.split = {label: Samples() for _, label in FLOOR_STEPS}
    bench.clean_slate()
    bench.stand_in_browser()
    window = Window(bench, "link-to-connected", env_with_marks())
    try:
        if EMBEDDED_PORT_TAKEN in window.log.read_text(errors="replace"):
            raise RuntimeError(f"the embedded provider is not at {EMBEDDED_ISSUER}; see {window.log}")
        # A release build registers the link scheme only when installed: register it the way
        # the package's desktop entry does, so the OS delivers the link as it would.
        register_link_handler(bench.app)
        for _ in range(bench.runs):
            clicked, set_at, painted = window.connect()
            marks = marks_in(window.log, since=clicked)
            times = {name: first(marks, name) for _, start, end in SIGN_IN_STEPS for name in (start, end)}
            missing = [name for name, mark in times.items() if mark is None]
            if missing:
                raise RuntimeError(f"marks missing after connecting: {missing}; see {window.log}")
            received = times["link-received"].at
            figure.samples.add((painted - received) * 1000)
            for step, start, end in SIGN_IN_STEPS:
                figure.split[step].add((times[end].at - times[start].at) * 1000)
            figure.split["UI update: event sent → page shows `connected`"].add((set_at - times["connected-sent"].at) * 1000)
            figure.split["UI update: → the frame that paints it starts"].add((painted - set_at) * 1000)
            window.disconnect()
            # The floor's run i right after PhotoLink's run i, against the same provider.
            run = login_floor_run(bench)
            floor.samples.add(sum(run[key] for key, _ in FLOOR_STEPS))
            for key, label in FLOOR_STEPS:
                floor.split[label].add(run[key])
    finally:
        window.close()
    figure.passes = figure.samples.median <= 50
    figure.baseline, figure.baseline_name = floor.samples, "minimal login program"
    figure.notes.append(
        "From the running window accepting the link (forwarded by the second PhotoLink the OS "
        "started for it) to the frame that paints `connected`. Split by the app's timing marks."
    )
    floor.notes.append(
        "`login-floor` (release build) against PhotoLink's embedded provider while the window runs "
        "disconnected, one run after each of PhotoLink's; its code is approved first, untimed. "
        "The same requests as PhotoLink (a DPoP-bound token, since the embedded provider offers DPoP), "
        "none of PhotoLink's other work (callback checks, saved sign-in, window updates)."
    )
    return figure, floor


def login_floor_run(bench: Bench) -> dict:
    done = subprocess.run(
        [str(bench.login_floor), "--issuer", EMBEDDED_ISSUER, "--runs", "1"],
        capture_output=True, text=True, timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"login-floor failed: {done.stderr.strip()}")
    run = json.loads(done.stdout)
    if not run["dpop"]:
        raise RuntimeError("login-floor found no DPoP at the embedded provider, which PhotoLink uses")
    return run


# --- the refresh storm ------------------------------------------------------------------------


def refresh_storm(bench: Bench) -> Figure:
    figure = Figure("1,000 concurrent photo API calls on an expired access token", "token requests", "")
    wall = Samples()
    # The first access token must have expired when the calls start, and the refreshed one must
    # not come within its refresh skew (half its lifetime) before they all finish.
    ttl = 10
    runs = []
    for _ in range(bench.runs):
        provider = DemoProvider(bench.provider, bench.logs, ["--test-controls", "--access-token-ttl", str(ttl)])
        try:
            done = subprocess.run(
                [str(bench.refresh_storm), "--issuer", provider.issuer, "--ttl", str(ttl), "--calls", "1000"],
                capture_output=True, text=True, timeout=300,
            )
        finally:
            provider.stop()
        if done.returncode != 0:
            raise RuntimeError(f"refresh-storm failed: {done.stderr.strip()}")
        result = json.loads(done.stdout)
        runs.append(result)
        figure.samples.add(result["token_requests"])
        wall.add(result["wall_ms"])
    storm_checks(figure, runs)
    figure.split["all 1,000 calls answered"] = wall
    figure.split_unit = "ms"
    figure.notes.append(
        f"Core `Session` against the demo provider (`--access-token-ttl {ttl}`), the calls started "
        "once the access token has expired; token requests, refresh grants and refresh token reuse "
        "counted by the provider. Through the app's own photo path, the same goals are a test "
        "(`a_storm_of_photo_requests_on_an_expired_token_refreshes_it_once`)."
    )
    return figure


# --- the OneDrive library ---------------------------------------------------------------------


def graph_library(bench: Bench) -> tuple[Figure, Figure, Figure]:
    runs = []
    for run in range(bench.runs):
        done = subprocess.run(
            [str(bench.library_figures), "--ignored", "--exact", "photos::delta::figures::graph_library_figures", "--nocapture"],
            capture_output=True, text=True, timeout=600,
        )
        bench.log(f"graph-library-{run}.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"the OneDrive library figures failed: {done.stderr.strip()[-2000:]}")
        runs.append(graph_figures_in(done.stdout))
    listing, second, memory = graph_library_figures(runs)
    listing.notes.append(
        "The app's photo code (PhotoCache → PhotoLibrary → the microsoft-graph source; its test binary in "
        "release) against the Graph fixture on loopback, from the first request to the last page the window "
        "is handed: a personal OneDrive, read whole through `delta` (1,000 items a page), sorted newest first, "
        "saved, then paged. The split's folder walk is the same library on a work or school drive, where "
        "`delta` is not followed on folders: one `children` request per 100 items of each folder."
    )
    second.notes.append(
        "A restarted app (a new library and cache over the same cache folder) after the fixture added one "
        "photo and deleted one: the requests to the Graph API until the first page, and the photos listed."
    )
    memory.notes.append(
        "Growth of the process's resident memory (VmRSS) from before the first request to after the last "
        "page, the library (saved library and id index) still held; the fixture serving it runs in the same "
        "process, so this is an upper bound. The window's memory with the same library is the next figure."
    )
    return listing, second, memory


# The nested library of the window figure: as many folders as the listing figures use.
NESTED_FOLDERS = 500


def graph_window_memory_run(bench: Bench, name: str, folders: int | None) -> float:
    """PSS of PhotoLink showing the Graph fixture's 10,000-photo library (in `folders` nested
    folders, or all in the Photos folder), signed in at the demo provider whose tokens the
    fixture trusts; read IDLE_SECONDS after the first page's photos loaded."""
    provider = DemoProvider(bench.provider, bench.logs)
    log = open(bench.log(f"{name}-fixture.log"), "w", encoding="utf-8")
    fixture = subprocess.Popen(
        [str(bench.photo_fixture), "--service", "microsoft-graph", "--photos", str(LARGE_LIBRARY),
         *(["--folders", str(folders)] if folders else []), "--trust-userinfo", f"{provider.issuer}/userinfo"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    try:
        api_root = fixture.stdout.readline().strip()
        if not api_root.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the photo fixture did not start; see {log.name}")
        config = provider.write_app_config(bench.logs / f"{name}-provider.toml", "Bench Photos")
        lines = [line for line in config.read_text().splitlines() if not line.startswith("photos_endpoint")]
        lines += [f"photos_endpoint = {json.dumps(api_root)}", 'photo_api = "microsoft-graph"']
        config.write_text("\n".join(lines) + "\n")
        bench.clean_slate()
        bench.stand_in_browser()
        os.environ["PHOTOLINK_PROVIDER_CONFIG"] = str(config)  # the OS-started second PhotoLink too
        try:
            window = Window(bench, name, env_with_marks(PHOTOLINK_PROVIDER_CONFIG=str(config)))
            try:
                register_link_handler(bench.app)
                window.connect()
                window.app.wait_for_photos()
                time.sleep(IDLE_SECONDS)
                total, _ = window_pss_mib(window.pid)
            finally:
                window.close()
        finally:
            os.environ.pop("PHOTOLINK_PROVIDER_CONFIG", None)
        return total
    finally:
        fixture.kill()
        fixture.wait()
        log.close()
        provider.stop()


def graph_library_memory(bench: Bench) -> Figure:
    figure = Figure(
        f"memory showing a {LARGE_LIBRARY:,}-photo OneDrive library in {NESTED_FOLDERS} nested folders (PSS, app + WebKit)",
        "MiB", "report",
    )
    figure.baseline, figure.baseline_name = Samples(), f"the same {LARGE_LIBRARY:,} photos in one folder"
    for run in range(bench.runs):
        figure.samples.add(graph_window_memory_run(bench, f"graph-nested-{run}", NESTED_FOLDERS))
        figure.baseline.add(graph_window_memory_run(bench, f"graph-flat-{run}", None))
    figure.notes.append(
        "PhotoLink's window with the microsoft-graph source over the Graph fixture program "
        "(`photolink-photo-fixture`, release; a fixture of the documented API, not Microsoft's service), "
        "signed in at the demo provider, whose tokens the fixture accepts; read from /proc/PID/smaps_rollup "
        f"{IDLE_SECONDS} s after the first page's photos loaded. The two libraries alternate."
    )
    return figure


# --- memory -----------------------------------------------------------------------------------


def memory_idle(bench: Bench) -> Figure:
    figure = Figure("memory (PSS, app + WebKit processes), idle, connected, gallery shown", "MiB", "≤ 150 MB")
    figure.baseline, figure.baseline_name = Samples(), "minimal Tauri 2 window"
    parts: dict[str, Samples] = {}
    for run in range(bench.runs):
        bench.clean_slate()
        bench.stand_in_browser()
        window = Window(bench, f"memory-{run}", env_with_marks())
        try:
            register_link_handler(bench.app)
            window.connect()
            window.app.wait_for_photos()
            time.sleep(IDLE_SECONDS)
            total, by_process = window_pss_mib(window.pid)
        finally:
            window.close()
        figure.samples.add(total)
        for name, mib in by_process.items():
            parts.setdefault(name, Samples()).add(mib)
        # Driven through WebDriver too, as PhotoLink's window is: the automation session has
        # a cost in WebKit's processes, which both sides then carry.
        window = Window(bench, f"memory-minimal-{run}", env_with_marks(), bench.minimal_window)
        try:
            time.sleep(IDLE_SECONDS)
            total, _ = window_pss_mib(window.pid)
        finally:
            window.close()
        figure.baseline.add(total)
    figure.split = dict(sorted(parts.items()))
    figure.passes = figure.samples.median * MIB <= 150 * 1000 * 1000
    figure.notes.append(
        f"Read from /proc/PID/smaps_rollup {IDLE_SECONDS} s after the embedded demo account's photos loaded; "
        f"the minimal window's {IDLE_SECONDS} s after its status showed. Both windows driven through "
        "tauri-driver (WebDriver), their runs alternating."
    )
    return figure


# --- the gallery at scale ---------------------------------------------------------------------

# Page script: `whenFirstScreenPainted(done)` calls `done(time, tiles)` in the frame after every
# photo tile in view has its image loaded and decoded: loaded (`complete`, `naturalWidth`) is not
# yet painted, so it waits for `img.decode()` of each, then for the next frame to start.
FIRST_SCREEN_PAINTED = """
const now = () => (performance.timeOrigin + performance.now()) / 1000;
const imagesInView = () => {
  const tiles = [...document.querySelectorAll('[data-testid="photo"]')].filter((tile) => {
    const box = tile.getBoundingClientRect();
    return box.bottom > 0 && box.top < innerHeight && box.width > 0;
  });
  const images = tiles.flatMap((tile) => [...tile.querySelectorAll('img')]);
  const loaded = tiles.length > 0 && images.length >= tiles.length
    && images.every((img) => img.complete && img.naturalWidth > 0);
  return loaded ? { tiles: tiles.length, images } : null;
};
const whenFirstScreenPainted = (done, ready = () => true) => {
  const look = () => {
    const inView = ready() ? imagesInView() : null;
    if (!inView) { requestAnimationFrame(look); return; }
    Promise.all(inView.images.map((img) => img.decode())).then(
      () => requestAnimationFrame(() => done(now(), inView.tiles)),
      // An image replaced while decoding: look again.
      () => requestAnimationFrame(look),
    );
  };
  requestAnimationFrame(look);
};
"""

WATCH_GALLERY = FIRST_SCREEN_PAINTED + """
window.__benchGallery = { connectedAt: null, firstScreenAt: null, loads: [] };
const bench = window.__benchGallery;
document.addEventListener('load', (event) => {
  if (event.target.tagName === 'IMG' && event.target.closest('[data-testid="photo"]')) bench.loads.push(now());
}, true);
const status = document.querySelector('[data-testid="connection-status"]');
const connected = () => {
  if (bench.connectedAt === null && status.dataset.state === 'connected') bench.connectedAt = now();
  return bench.connectedAt !== null;
};
whenFirstScreenPainted((at) => { bench.firstScreenAt = at; }, connected);
"""

WATCH_FIRST_SCREEN = FIRST_SCREEN_PAINTED + """
window.__benchFirstScreen = null;
const lookedAt = now();
whenFirstScreenPainted((at, tiles) => { window.__benchFirstScreen = { at, tiles, lookedAt }; });
"""


def large_library_window(bench: Bench, name: str, photos: int, counted: bool = False) -> tuple[DemoProvider, Window]:
    """A demo provider with `photos` photos (and its counters when `counted`), and PhotoLink
    connected to it."""
    provider = DemoProvider(bench.provider, bench.logs, ["--photo-count", str(photos), *(["--test-controls"] if counted else [])])
    config = provider.write_app_config(bench.logs / f"{name}-provider.toml", "Bench Photos")
    bench.clean_slate()
    bench.stand_in_browser()
    os.environ["PHOTOLINK_PROVIDER_CONFIG"] = str(config)  # the OS-started second PhotoLink too
    try:
        window = Window(bench, name, env_with_marks(PHOTOLINK_PROVIDER_CONFIG=str(config)))
    except BaseException:
        provider.stop()
        raise
    register_link_handler(bench.app)
    return provider, window


def first_screen(bench: Bench) -> tuple[Figure, Figure]:
    """`connected` → first screen of thumbnails painted, and the cold thumbnail rate, on a
    10,000-photo library."""
    screen = Figure(f"{LARGE_LIBRARY:,}-photo library: `connected` → first screen of thumbnails painted", "ms", "≤ 300 ms")
    rate = Figure("thumbnails per second through `photo:`, cold (first page)", "/s", "report")
    for run in range(bench.runs):
        provider, window = large_library_window(bench, f"first-screen-{run}", LARGE_LIBRARY)
        try:
            window.app.driver.execute_script(WATCH_GALLERY)
            window.app.click("connect")
            window.app.wait_for_state("connected")
            result = window.app.wait_for(
                lambda d: d.execute_script("const b = window.__benchGallery; return b.firstScreenAt && b;"),
                "the first screen of thumbnails", 60,
            )
            screen.samples.add((result["firstScreenAt"] - result["connectedAt"]) * 1000)
            # Let the first page finish loading, then count.
            time.sleep(2)
            loads = window.app.driver.execute_script("return window.__benchGallery.loads;")
            if loads:
                rate.samples.add(len(loads) / max(max(loads) - result["connectedAt"], 1e-3))
        finally:
            window.close()
            provider.stop()
            os.environ.pop("PHOTOLINK_PROVIDER_CONFIG", None)
    screen.passes = screen.samples.median <= 300
    screen.notes.append(
        "From the frame where the window shows `connected` to the frame after every tile in view "
        "has its image loaded and decoded (`img.decode()`, then the next animation frame)."
    )
    rate.notes.append("Thumbnails of the first page loaded, over the time from `connected` to the last of them.")
    return screen, rate


SCROLL = """
// Starts the scroll and returns at once: the page keeps its own tally in window.__benchScroll,
// which the driver reads with short calls. (One long asynchronous script failed under load:
// WebKit's driver gave up on its answer while the page was busy with the scroll itself.)
const scroller = document.scrollingElement;
const tally = { frames: 0, longFrames: 0, tilesMax: 0, finished: false, seconds: 0 };
window.__benchScroll = tally;
let last = performance.now();
const started = last;
const step = (time) => {
  tally.frames += 1;
  if (time - last > 50) tally.longFrames += 1;
  last = time;
  tally.seconds = (time - started) / 1000;
  tally.tilesMax = Math.max(tally.tilesMax, document.querySelectorAll('[data-testid="photo"]').length);
  const atEnd = scroller.scrollTop + innerHeight >= scroller.scrollHeight - 2;
  // The grid shows placeholder tiles at its end while more photos may follow.
  if (atEnd && !document.querySelector('[data-kind="placeholder"]') && tally.seconds > 1) {
    tally.finished = true;
    return;
  }
  scroller.scrollTop += innerHeight;
  requestAnimationFrame(step);
};
requestAnimationFrame(step);
"""
SCROLL_TALLY = "const t = window.__benchScroll; return t && { ...t };"
SCROLL_LIMIT_SECONDS = 600
# A read of the tally that fails (the page too busy to answer in time) is tried again; this many
# failures in a row end the figure as broken.
SCROLL_READS_MAY_FAIL = 30


def read_scroll_tally(driver) -> dict | None:
    """The page's scroll tally, or None when the page did not answer this time."""
    try:
        return driver.execute_script(SCROLL_TALLY)
    except WebDriverException:
        return None


def scroll_large_library(bench: Bench) -> tuple[Figure, Figure]:
    """Scrolls the 10,000-photo grid end to end: long frames per second of scrolling, DOM tiles,
    memory before and after."""
    scroll = Figure(
        f"scrolling the {LARGE_LIBRARY:,}-photo grid end to end", "frames > 50 ms per s",
        "counted",
    )
    memory = Figure(
        f"memory after scrolling {LARGE_LIBRARY:,} photos and {AFTER_SCROLL_IDLE_SECONDS} s idle (PSS, app + WebKit)", "MiB",
        f"≤ 150 MB, ≤ {SCROLL_GROWTH_GOAL_MIB} MiB above before the scroll",
    )
    tiles, growth, durations, frame_counts = Samples(), Samples(), Samples(), Samples()
    ends, bounded = [], []
    for run in range(bench.runs):
        provider, window = large_library_window(bench, f"scroll-{run}", LARGE_LIBRARY)
        try:
            window.connect()
            window.app.wait_for_photos()
            time.sleep(IDLE_SECONDS)
            before, _ = window_pss_mib(window.pid)
            layout = window.app.gallery()
            bound = scroll_tiles_bound(layout)
            window.app.driver.execute_script(SCROLL)
            started, failed_reads, tally = time.time(), 0, None
            while time.time() - started < SCROLL_LIMIT_SECONDS:
                time.sleep(1)
                read = read_scroll_tally(window.app.driver)
                if read is None:
                    failed_reads += 1
                    if failed_reads >= SCROLL_READS_MAY_FAIL:
                        raise RuntimeError(f"the page did not answer {failed_reads} reads in a row while scrolling")
                    continue
                failed_reads, tally = 0, read
                if tally["finished"]:
                    break
            ends.append(bool(tally and tally["finished"]))
            if not ends[-1]:
                scroll.notes.append(f"run {run + 1} stopped after {time.time() - started:.0f} s before reaching the end")
            if tally:
                scroll.samples.add(round(tally["longFrames"] / max(tally["seconds"], 1e-3), 2))
                durations.add(round(tally["seconds"], 1))
                frame_counts.add(tally["frames"])
                tiles.add(tally["tilesMax"])
                bounded.append((tally["tilesMax"], bound))
            time.sleep(AFTER_SCROLL_IDLE_SECONDS)
            after, _ = window_pss_mib(window.pid)
            memory.samples.add(after)
            growth.add(after - before)
        finally:
            window.close()
            provider.stop()
            os.environ.pop("PHOTOLINK_PROVIDER_CONFIG", None)
    scroll.split["most photo tiles in the DOM at once"] = tiles
    scroll.split["frames drawn"] = frame_counts
    scroll.split["seconds of scrolling"] = durations
    scroll.check("reaches the end", bool(ends) and all(ends), f"reached the end in {sum(ends)} of {len(ends)} runs")
    scroll.check(
        f"DOM tiles ≤ {SCREENS_OF_TILES} screens",
        bool(bounded) and all(most <= bound for most, bound in bounded),
        "most tiles / bound per run: " + ", ".join(f"{most} / {bound}" for most, bound in bounded),
    )
    scroll.notes.append(
        "A screen of tiles is the grid's columns times the rows a viewport shows plus one, read "
        "from the page before scrolling; the grid keeps the screen in view and one above and below."
    )
    memory.split_unit = "MiB"
    memory.split["growth: after the scroll and the idle, over before it"] = growth
    memory.passes = memory.samples.median * MIB <= 150 * 1000 * 1000 and growth.median <= SCROLL_GROWTH_GOAL_MIB
    memory.notes.append(
        f"Read {IDLE_SECONDS} s after the first page loaded (before) and {AFTER_SCROLL_IDLE_SECONDS} s after "
        "the scroll reached the end (after)."
    )
    return scroll, memory


def thumbnails_from_disk_cache(bench: Bench) -> Figure:
    figure = Figure(
        "restarted PhotoLink: process start → first screen of thumbnails painted from the disk cache",
        "ms", "report",
    )
    looked, tiles, fetched = Samples(), [], []
    for run in range(bench.runs):
        provider, window = large_library_window(bench, f"disk-cache-{run}", LARGE_LIBRARY, counted=True)
        try:
            window.connect()
            window.app.wait_for_photos()
            window.close()
            # A new process: its memory cache is empty, the disk cache stays. It restores the
            # connection and shows the first page from the disk cache.
            before = provider.stats()["thumbnail_requests"]
            window = Window(bench, f"disk-cache-{run}-again", env_with_marks(PHOTOLINK_PROVIDER_CONFIG=os.environ["PHOTOLINK_PROVIDER_CONFIG"]))
            started = process_started_at(window.pid)
            window.app.driver.execute_script(WATCH_FIRST_SCREEN)
            painted = window.app.wait_for(
                lambda d: d.execute_script("return window.__benchFirstScreen;"), "the first screen of thumbnails", 60,
            )
            figure.samples.add((painted["at"] - started) * 1000)
            looked.add((painted["lookedAt"] - started) * 1000)
            tiles.append(painted["tiles"])
            # Every tile of the first page loaded, then the provider asked what it served.
            window.app.wait_for_photos()
            fetched.append(provider.stats()["thumbnail_requests"] - before)
        finally:
            window.close()
            provider.stop()
            os.environ.pop("PHOTOLINK_PROVIDER_CONFIG", None)
    figure.split["process start → the driver's first look at the page"] = looked
    figure.check(
        "no thumbnail requested from the provider", all(count == 0 for count in fetched),
        f"thumbnail requests during the restart, per run: {', '.join(map(str, fetched))}",
    )
    figure.notes.append(
        "A restarted PhotoLink (memory cache empty) showing its first screen from its disk cache, "
        "timed from the process's start (/proc, to 10 ms) to the frame after every tile in view has "
        "its image decoded. The driver can look only once the window is up: when the screen was "
        "already painted by then, the figure ends at that first look, so it is an upper bound. "
        "The provider (its counters on) counts the thumbnail requests from the restart until every "
        "tile of the first page has loaded: a cache hit makes none. "
        f"Photo tiles on the first screen, per run: {', '.join(map(str, tiles))}."
    )
    return figure
