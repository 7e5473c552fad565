"""PhotoLink's window, driven through tauri-driver (WebDriver) like a person would use it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.support.ui import WebDriverWait

from desktop import (
    SINGLE_INSTANCE_NAME,
    dbus_name_has_owner,
    dbus_name_owner,
    pids_running,
    process_alive,
    stop_process,
    wait_until,
)

STATES = ("disconnected", "waiting", "exchanging", "connected", "error")
DRIVER_START_TIMEOUT_SECONDS = 15
APP_EXIT_TIMEOUT_SECONDS = 20
UI_TIMEOUT_SECONDS = 30
FLOW_TIMEOUT_SECONDS = 45
# Bounds every WebDriver call, so a window that never comes up fails the test instead of hanging it.
WEBDRIVER_COMMAND_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def by_testid(testid: str) -> tuple[str, str]:
    return By.CSS_SELECTOR, f'[data-testid="{testid}"]'


class TauriDriver:
    """One tauri-driver process (and the WebKitWebDriver it runs), logging to a file.

    The app it launches inherits its environment and its output, so the log holds the app's
    stdout/stderr too.
    """

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.native_port = free_port()
        self.log_path = log_path
        self._log = open(log_path, "w", encoding="utf-8")
        self._process = subprocess.Popen(
            ["tauri-driver", "--port", str(self.port), "--native-port", str(self.native_port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        # Both tauri-driver and the WebKitWebDriver behind it must listen before a session
        # can open; a refused connection would surface as an HTTP error, not a WebDriver one.
        ready = lambda: self._accepts_connections(self.port) and self._accepts_connections(self.native_port)
        if not wait_until(ready, DRIVER_START_TIMEOUT_SECONDS):
            self.stop()
            raise RuntimeError(f"tauri-driver did not listen on ports {self.port}/{self.native_port}; see {log_path}")

    def _accepts_connections(self, port: int) -> bool:
        if self._process.poll() is not None:
            raise RuntimeError(f"tauri-driver exited with {self._process.returncode}; see {self.log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self._process)
        self._log.close()


class App:
    """Starts and stops PhotoLink's window; one WebDriver session per app run."""

    def __init__(self, binary: Path, driver: TauriDriver, single_instance_name: str = SINGLE_INSTANCE_NAME) -> None:
        self.binary = binary
        self.single_instance_name = single_instance_name
        self._tauri_driver = driver
        self.driver: webdriver.Remote | None = None
        self.pids: list[int] = []

    def launch(self) -> "App":
        if not self._really_gone():
            # A new PhotoLink would only forward to the running one and exit.
            raise AssertionError(f"PhotoLink is still running (pids {pids_running(self.binary)}) before launch")
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(self.binary)})
        config = ClientConfig(self._tauri_driver.url, timeout=WEBDRIVER_COMMAND_TIMEOUT_SECONDS)
        self.driver = webdriver.Remote(command_executor=self._tauri_driver.url, options=options, client_config=config)
        self.pids = pids_running(self.binary)
        self.wait_for(lambda d: self.state() in STATES, "the status element to show a state")
        return self

    def _really_gone(self) -> bool:
        """No PhotoLink process runs and none still holds the single-instance name on the bus."""
        return (
            not any(process_alive(pid) for pid in self.pids)
            and not pids_running(self.binary)
            and not dbus_name_has_owner(self.single_instance_name)
        )

    def quit(self) -> None:
        """Closes the window and waits until the app process has really exited."""
        if self.driver is not None:
            try:
                self.driver.quit()
            except WebDriverException:
                pass
            self.driver = None
        if not wait_until(self._really_gone, APP_EXIT_TIMEOUT_SECONDS):
            leftover = pids_running(self.binary)
            for pid in leftover:
                os.kill(pid, 9)
            raise AssertionError(
                f"PhotoLink did not exit within {APP_EXIT_TIMEOUT_SECONDS} s (pids {leftover}); "
                f"the single-instance name's owner: {dbus_name_owner(self.single_instance_name)}"
            )

    def restart(self) -> "App":
        self.quit()
        return self.launch()

    # --- reading the window ---------------------------------------------------------------

    def find(self, testid: str):
        return self.driver.find_element(*by_testid(testid))

    def find_all(self, testid: str):
        return self.driver.find_elements(*by_testid(testid))

    def state(self) -> str | None:
        try:
            return self.find("connection-status").get_attribute("data-state")
        except (NoSuchElementException, StaleElementReferenceException):
            return None

    def status_text(self) -> str:
        try:
            return self.find("connection-status").text
        except (NoSuchElementException, StaleElementReferenceException):
            return ""

    def page_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def visible(self, testid: str) -> bool:
        return any(element.is_displayed() for element in self.find_all(testid))

    def wait_for(self, condition, what: str, timeout: float = UI_TIMEOUT_SECONDS):
        try:
            return WebDriverWait(
                self.driver,
                timeout,
                poll_frequency=0.1,
                ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
            ).until(condition)
        except TimeoutException:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what}; "
                f"state={self.state()!r}, status text={self.status_text()!r}"
            ) from None

    def wait_for_state(self, state: str, timeout: float = FLOW_TIMEOUT_SECONDS) -> None:
        assert state in STATES, state
        self.wait_for(lambda d: self.state() == state, f"state {state!r}", timeout)

    def click(self, testid: str) -> None:
        """Clicks a button once it is shown and enabled (found afresh, never stale)."""

        def ready(driver):
            element = driver.find_element(*by_testid(testid))
            return element if element.is_displayed() and element.is_enabled() else False

        self.wait_for(ready, f"button {testid!r} to be clickable").click()

    def loaded_photos(self) -> int:
        """Photo tiles whose every image has really loaded (complete, naturalWidth > 0).

        Returns 0 while any tile is still loading or has a broken image.
        """
        return self.driver.execute_script(
            """
            const tiles = [...document.querySelectorAll('[data-testid="photo"]')];
            if (tiles.length === 0) return 0;
            for (const tile of tiles) {
              const images = tile.tagName === 'IMG' ? [tile] : [...tile.querySelectorAll('img')];
              if (images.length === 0) return 0;
              if (!images.every(img => img.complete && img.naturalWidth > 0)) return 0;
            }
            return tiles.length;
            """
        )

    def wait_for_photos(self, timeout: float = UI_TIMEOUT_SECONDS) -> int:
        return self.wait_for(lambda d: self.loaded_photos(), "photos with loaded images", timeout)

    # --- what the window receives -------------------------------------------------------------

    def record_ipc(self) -> None:
        """From now on, records everything the page receives from the backend: every answer
        to a command and every event (both arrive through the callbacks Tauri keeps in
        `__TAURI_INTERNALS__.callbacks`, which are wrapped here, those already registered
        included) and every IPC request and response body (through `fetch`)."""
        self.driver.execute_script(
            """
            if (window.__photolinkRecorded) return;
            const recorded = [];
            Object.defineProperty(window, '__photolinkRecorded', { value: recorded });
            const note = (kind, data) => {
              let text;
              try { text = typeof data === 'string' ? data : JSON.stringify(data); }
              catch (error) { text = '<unserializable: ' + error + '>'; }
              recorded.push(kind + ' ' + text);
            };
            const callbacks = window.__TAURI_INTERNALS__.callbacks;
            const set = callbacks.set.bind(callbacks);
            const wrap = (callback) => (data) => { note('callback', data); return callback(data); };
            for (const [id, callback] of [...callbacks]) set(id, wrap(callback));
            Object.defineProperty(callbacks, 'set', { value: (id, callback) => set(id, wrap(callback)) });
            const fetch = window.fetch;
            window.fetch = function (resource, init) {
              note('request ' + String(resource), init && init.body);
              return fetch.apply(this, arguments).then((response) => {
                response.clone().text().then((text) => note('response ' + String(resource), text));
                return response;
              });
            };
            """
        )

    def recorded_ipc(self) -> list[str]:
        """What `record_ipc` has recorded so far, one entry a message."""
        return self.driver.execute_script("return (window.__photolinkRecorded || []).slice();")

    # --- evidence ----------------------------------------------------------------------------

    def wait_for_paint(self) -> None:
        """Returns once the window has painted two more frames, so a screenshot shows the
        current page rather than an earlier frame."""
        self.driver.set_script_timeout(10)
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
        )

    def save_evidence(self, directory: Path, label: str) -> None:
        if self.driver is None:
            return
        try:
            self.wait_for_paint()
            self.driver.save_screenshot(str(directory / f"{label}.png"))
            (directory / f"{label}.html").write_text(self.driver.page_source)
        except WebDriverException as error:
            (directory / f"{label}.error.txt").write_text(repr(error))

    # --- the gallery ---------------------------------------------------------------------------

    def gallery(self) -> dict:
        """The grid as laid out now: `tiles` (photo tiles in the DOM), `first`/`last` (the
        smallest and largest photo index among them), `columns`, `row_height` (a tile's height
        plus the gap: the least distance between two rows, as a month heading lies between the
        rows of two months), `viewport` (the window's inner height), `width` (the grid's) and
        `rightmost` (the largest right edge of a tile, relative to the grid)."""
        return self.driver.execute_script(
            """
            const grid = document.querySelector('[data-testid="photo-grid"]');
            const tiles = [...grid.querySelectorAll('[data-testid="photo"]')];
            const indexes = tiles.map((tile) => Number(tile.dataset.index));
            const box = grid.getBoundingClientRect();
            const slots = [...grid.children].map((slot) => slot.getBoundingClientRect());
            const heights = slots.map((slot) => slot.height);
            const rows = [...new Set(slots.map((slot) => Math.round(slot.top)))].sort((a, b) => a - b);
            return {
              tiles: tiles.length,
              first: indexes.length ? Math.min(...indexes) : -1,
              last: indexes.length ? Math.max(...indexes) : -1,
              columns: Number(grid.dataset.columns || 0),
              row_height: rows.length > 1 ? Math.min(...rows.slice(1).map((top, n) => top - rows[n])) : (heights[0] || 0),
              viewport: window.innerHeight,
              width: box.width,
              rightmost: slots.length ? Math.max(...slots.map((slot) => slot.right - box.left)) : 0,
            };
            """
        )

    def painted_on_screen(self) -> int:
        """Photo tiles at least partly on screen, when every one of them shows its thumbnail
        (complete, naturalWidth > 0); 0 while any is still loading or none is on screen."""
        return self.driver.execute_script(
            """
            const onScreen = [...document.querySelectorAll('[data-testid="photo"]')].filter((tile) => {
              const box = tile.getBoundingClientRect();
              return box.bottom > 0 && box.top < window.innerHeight && box.height > 0;
            });
            if (onScreen.length === 0) return 0;
            const painted = (tile) => [...tile.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0);
            return onScreen.every(painted) ? onScreen.length : 0;
            """
        )

    def scroll_gallery_to(self, index: int, timeout: float = 300) -> None:
        """Scrolls down like a person dragging the scrollbar to its end and holding it there
        while the grid fetches the next page, again and again, until the tile of photo `index`
        exists, then brings it to the middle of the window."""
        script = """
            const [index, seconds, done] = arguments;
            const until = Date.now() + seconds * 1000;
            const step = () => {
              const tile = document.querySelector(`[data-testid="photo"][data-index="${index}"]`);
              if (tile) {
                tile.scrollIntoView({ block: 'center' });
                done(true);
              } else if (Date.now() > until) {
                done(false);
              } else {
                // A hand on the scrollbar never holds perfectly still.
                const bottom = document.documentElement.scrollHeight - window.innerHeight;
                window.scrollTo(0, window.scrollY >= bottom ? bottom - 1 : bottom);
                setTimeout(step, 50);
              }
            };
            step();
            """
        # In slices shorter than a WebDriver command may take.
        slice_seconds = WEBDRIVER_COMMAND_TIMEOUT_SECONDS / 2
        self.driver.set_script_timeout(slice_seconds + 10)
        deadline = time.monotonic() + timeout
        while not self.driver.execute_async_script(script, index, slice_seconds):
            if time.monotonic() > deadline:
                raise AssertionError(f"photo {index} never came into the grid; it shows {self.gallery()}")

    def tile(self, index: int):
        return self.driver.find_element(By.CSS_SELECTOR, f'[data-testid="photo"][data-index="{index}"]')
