"""The OS side of the private test session: keyring, link handlers, processes, stand-in browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

KEYRING_SERVICE = "com.example.photolink"
# The D-Bus name a running PhotoLink owns; a new PhotoLink forwards to its owner and exits.
SINGLE_INSTANCE_NAME = "com.example.photolink.SingleInstance"
LINK_SCHEME = "com.example.photolink"
STANDIN_DESKTOP_FILE = "photolink-test-browser.desktop"
INSTALLED_STYLE_DESKTOP_FILE = "photolink-installed-style.desktop"
HERE = Path(__file__).resolve().parent


def require_private_session() -> Path:
    """HOME of the private session made by scripts/headless-session.sh; refuses anything else.

    The tests write to HOME (link handlers, default browser, keyring items), so they must
    never run against a real user's desktop.
    """
    if os.environ.get("PHOTOLINK_HEADLESS_SESSION") != "inner":
        raise RuntimeError(
            "run the end-to-end tests through scripts/test.sh (or scripts/headless-session.sh), "
            "which gives them a private HOME, D-Bus session, display and keyring"
        )
    for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        if not os.environ.get(name):
            raise RuntimeError(f"{name} is not set: not inside the private session")
    return Path(os.environ["HOME"])


def stop_process(process: subprocess.Popen) -> None:
    """Ends a process the tests started: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(command: list[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=check, timeout=timeout)


# --- keyring ---------------------------------------------------------------------------------


def keyring_items(service: str = KEYRING_SERVICE) -> dict[str, str]:
    """Every keyring item of PhotoLink's service (or another app's): its user name and its secret."""
    done = run(["secret-tool", "search", "--all", "--unlock", "service", service], check=False)
    # `secret-tool search` prints attributes on stderr.
    prefix = "attribute.username = "
    names = [line[len(prefix):] for line in done.stderr.splitlines() if line.startswith(prefix)]
    items = {}
    for name in names:
        looked = run(["secret-tool", "lookup", "service", service, "username", name], check=False)
        if looked.returncode == 0:
            items[name] = looked.stdout
    return items


def split_manifest(secret: str) -> dict | None:
    """The manifest of a text kept over several items (`SplitEntry` in crates/tauri-plugin-sign-in/src/store.rs):
    `generation`, `parts` and `sha256`; None when `secret` is not one."""
    try:
        value = json.loads(secret)
    except ValueError:
        return None
    if isinstance(value, dict) and set(value) == {"generation", "parts", "sha256"}:
        return value
    return None


def joined_text(items: dict[str, str], name: str) -> str | None:
    """The text PhotoLink reads from the item `name`: its parts joined when it is a manifest
    (None when one is missing), else its secret."""
    secret = items.get(name)
    manifest = split_manifest(secret) if secret is not None else None
    if manifest is None:
        return secret
    parts = [items.get(f"{name}.{manifest['generation']}.{n}") for n in range(manifest["parts"])]
    return None if None in parts else "".join(parts)


def keyring_secrets(service: str = KEYRING_SERVICE) -> list[str]:
    """The texts in the keyring items of PhotoLink's service (or another app's): a text split over
    several items joined back (in place of its parts), every other item's secret as it is."""
    items = keyring_items(service)
    texts, joined_parts = [], set()
    for name, secret in items.items():
        manifest = split_manifest(secret)
        text = joined_text(items, name) if manifest else None
        if text is not None:
            texts.append(text)
            joined_parts.update(f"{name}.{manifest['generation']}.{n}" for n in range(manifest["parts"]))
    return texts + [secret for name, secret in items.items() if name not in joined_parts]


# The keyring items of the account: its tokens and a sign-in in progress, each a manifest named
# so and its parts named `<name>.<generation>.<n>`. The other item, `provider-metadata-key` (the
# key that seals the saved provider endpoints), belongs to the installation and holds nothing of
# an account.
ACCOUNT_ENTRIES = ("oauth-tokens", "sign-in")


def keyring_item_count(service: str = KEYRING_SERVICE) -> int:
    """How many of the account's keyring items exist, parts included."""
    return sum(
        1 for name in keyring_items(service)
        if any(name == entry or name.startswith(f"{entry}.") for entry in ACCOUNT_ENTRIES)
    )


def clear_keyring(service: str = KEYRING_SERVICE) -> None:
    run(["secret-tool", "clear", "service", service], check=False)
    if keyring_item_count(service):
        raise RuntimeError("could not clear PhotoLink's keyring items before the test")


# The password scripts/headless-session.sh unlocks the session's keyring with.
KEYRING_PASSWORD = "photolink-session"
SECRET_SERVICE_NAME = "org.freedesktop.secrets"


def _keyring_daemons() -> list[int]:
    """gnome-keyring daemons of this private session (same HOME)."""
    own_home = f"HOME={os.environ['HOME']}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not os.readlink(entry / "exe").endswith("/gnome-keyring-daemon"):
                continue
            if own_home in (entry / "environ").read_bytes().split(b"\0") and process_alive(int(entry.name)):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _stop_keyring_daemons() -> None:
    for pid in _keyring_daemons():
        os.kill(pid, 15)
    if not wait_until(lambda: not _keyring_daemons() and not dbus_name_has_owner(SECRET_SERVICE_NAME), 10):
        raise RuntimeError("the keyring daemon did not stop")


def lock_keyring() -> None:
    """Makes the keyring refuse: stops the daemon, so the next call starts it again through
    D-Bus activation with the collection locked. Unlocking needs a prompt, which cannot open,
    so every read and write fails (as with a keyring the person never unlocked)."""
    _stop_keyring_daemons()
    done = subprocess.run(
        ["secret-tool", "store", "--label=probe", "service", "photolink-e2e-probe", "username", "locked"],
        input="probe", text=True, capture_output=True, timeout=30,
    )
    if done.returncode == 0:
        raise RuntimeError("the keyring still accepts writes after being locked")


def unlock_keyring() -> None:
    """Gives the session its unlocked keyring back."""
    _stop_keyring_daemons()
    subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets"], input=KEYRING_PASSWORD,
                   text=True, capture_output=True, check=True, timeout=30)
    if not wait_until(lambda: dbus_name_has_owner(SECRET_SERVICE_NAME), 10):
        raise RuntimeError("the keyring daemon did not come back")


def stored_tokens(service: str = KEYRING_SERVICE) -> dict[str, str]:
    """`access_token` / `refresh_token` in the account's texts as PhotoLink reads them from the
    keyring (any JSON shape)."""
    found: dict[str, str] = {}

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("access_token", "refresh_token") and isinstance(inner, str):
                    found.setdefault(key, inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    items = keyring_items(service)
    for name in ACCOUNT_ENTRIES:
        text = joined_text(items, name)
        try:
            walk(json.loads(text or ""))
        except json.JSONDecodeError:
            continue
    return found


# --- link handlers and the default browser ------------------------------------------------------


def default_handler(mime_type: str) -> str:
    return run(["xdg-mime", "query", "default", mime_type], check=False).stdout.strip()


def write_desktop_entry(file_name: str, name: str, program: Path, mime_types: list[str]) -> None:
    """Writes a desktop entry in this HOME's applications folder, `Exec` unquoted with `%u`."""
    applications = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    (applications / file_name).write_text(
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={name}\n"
        f"Exec={program} %u\n"
        f"MimeType={''.join(t + ';' for t in mime_types)}\n"
        "NoDisplay=true\n"
    )


def register_link_handler(binary: Path) -> None:
    """Makes `binary` the default handler of PhotoLink's scheme, written the way an installed
    package's desktop entry is (`Exec=/path/to/photolink %u`, no quotes)."""
    write_desktop_entry(INSTALLED_STYLE_DESKTOP_FILE, "PhotoLink", binary, [f"x-scheme-handler/{LINK_SCHEME}"])
    run(["xdg-mime", "default", INSTALLED_STYLE_DESKTOP_FILE, f"x-scheme-handler/{LINK_SCHEME}"])
    if default_handler(f"x-scheme-handler/{LINK_SCHEME}") != INSTALLED_STYLE_DESKTOP_FILE:
        raise RuntimeError("could not register the installed-style link handler")


def open_with_os(url: str) -> subprocess.CompletedProcess:
    """Opens a URL the way GTK browsers hand external links to the OS."""
    return run(["gio", "open", url], check=False)


class StandinBrowser:
    """Controls and reads the stand-in browser (standin_browser.py) registered in HOME."""

    def __init__(self, home: Path) -> None:
        self.state_dir = home / "standin-browser"
        self.launcher = home / "bin" / "standin-browser"
        self.log_path = self.state_dir / "browser.log"

    def install(self) -> None:
        """Makes the stand-in the browser for `$BROWSER` and for http/https links."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.launcher.parent.mkdir(parents=True, exist_ok=True)
        self.launcher.write_text(
            "#!/bin/sh\n"
            f"exec '{sys.executable}' '{HERE / 'standin_browser.py'}' --state-dir '{self.state_dir}' \"$@\"\n"
        )
        self.launcher.chmod(0o755)
        write_desktop_entry(
            STANDIN_DESKTOP_FILE,
            "Test Browser",
            self.launcher,
            ["x-scheme-handler/http", "x-scheme-handler/https", "text/html"],
        )
        for mime_type in ("x-scheme-handler/http", "x-scheme-handler/https"):
            run(["xdg-mime", "default", STANDIN_DESKTOP_FILE, mime_type])
            if default_handler(mime_type) != STANDIN_DESKTOP_FILE:
                raise RuntimeError(f"could not make the stand-in browser the default for {mime_type}")
        os.environ["BROWSER"] = str(self.launcher)

    def reset(self, decision: str = "approve", hold: bool = False, handoff: str = "gio") -> None:
        """Forgets earlier visits and sets what to do on the next consent page."""
        self.log_path.unlink(missing_ok=True)
        (self.state_dir / "release").unlink(missing_ok=True)
        self.configure(decision=decision, hold=hold, handoff=handoff)

    def configure(
        self,
        decision: str = "approve",
        hold: bool = False,
        handoff: str = "gio",
        account_name: str | None = None,
    ) -> None:
        """What the stand-in browser does next; `account_name` is typed into a consent page's
        account name field (the demo provider's: each name is an account of its own)."""
        if decision not in ("approve", "deny"):
            raise ValueError(decision)
        control = {"decision": decision, "hold": hold, "handoff": handoff}
        if account_name is not None:
            control["account_name"] = account_name
        (self.state_dir / "control.json").write_text(json.dumps(control))

    def release(self) -> None:
        """Lets a holding browser press its button."""
        (self.state_dir / "release").touch()

    def events(self, kind: str | None = None) -> list[dict]:
        if not self.log_path.exists():
            return []
        records = [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]
        return [r for r in records if kind is None or r["event"] == kind]

    def visits(self) -> list[dict]:
        return self.events("visit")

    def save_log(self, destination: Path) -> None:
        if self.log_path.exists():
            shutil.copy(self.log_path, destination / "browser.log")


# --- processes --------------------------------------------------------------------------------


def process_alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has finished exiting: its files and sockets are closed)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = re.search(r"^State:\s+(\S)", status, re.MULTILINE)
    return bool(state) and state.group(1) not in ("Z", "X")


def _ask_the_bus(method: str, name: str) -> str:
    """The session bus's answer to `org.freedesktop.DBus.<method>(name)`, as dbus-send prints it
    (empty when the call failed)."""
    done = run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         f"org.freedesktop.DBus.{method}", f"string:{name}"],
        check=False,
    )
    return done.stdout


def dbus_name_has_owner(name: str) -> bool:
    return "boolean true" in _ask_the_bus("NameHasOwner", name)


def dbus_name_owner(name: str) -> str:
    """Who holds `name` on the session bus, for an error message: the owner's pid, its command
    line, and the state of each of its threads (or why that cannot be told)."""
    found = re.search(r"uint32 (\d+)", _ask_the_bus("GetConnectionUnixProcessID", name))
    if not found:
        return "no owner"
    pid = found.group(1)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError as error:
        command = f"(command line unreadable: {error.strerror})"
    threads = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            threads.append(f"{(task / 'comm').read_text().strip()}:{fields[0]}:{(task / 'wchan').read_text().strip() or '-'}")
        except OSError:
            continue
    return f"pid {pid} {command!r}, threads (name:state:wait) {threads}"


def pids_running(binary: Path) -> list[int]:
    """Live processes of `binary` in this private session (zombies excluded).

    Only processes whose HOME is this session's count: other sessions on the machine may run
    the same binary, and those are none of this test's business.
    """
    target = str(binary.resolve())
    own_home = f"HOME={os.environ['HOME']}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "exe").removesuffix(" (deleted)") != target:
                continue
            in_session = own_home in (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if in_session and process_alive(int(entry.name)):
            pids.append(int(entry.name))
    return pids


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Polls `predicate` until it holds or `timeout` seconds pass; returns whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
