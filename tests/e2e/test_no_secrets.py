"""Secrets never appear: not in PhotoLink's output or log file, not in any file under HOME, not
in anything the window received, not in the page.

PhotoLink runs with the most verbose logging (`RUST_LOG=trace`) through a whole account life:
connect, list photos, a token refresh (the provider issues access tokens that expire within
seconds), disconnect. Its token, revocation, userinfo and photo requests go through a
recording relay in front of the demo provider, which writes down every authorization code,
PKCE verifier and token that passes (the provider itself keeps only hashes). Then none of
those values, nor a long piece of one, may be found anywhere the test can look.
"""

from __future__ import annotations

import json
import os
import stat
import urllib.parse
from pathlib import Path

import pytest

from conftest import PROVIDER_NAME, _launcher
from desktop import stored_tokens, wait_until
from provider import CLIENT_ID, SCOPES, DemoProvider
from recording_relay import RecordingRelay

# Access tokens live this long; PhotoLink refreshes once half of that is left.
ACCESS_TOKEN_TTL_SECONDS = 8
REFRESH_TIMEOUT_SECONDS = 45
# Shorter pieces of a secret could match by chance; this many characters cannot.
PIECE_LENGTH = 16
# Files larger than this under HOME are not PhotoLink's and are skipped (WebKit caches stay far below).
LARGEST_FILE_BYTES = 64 * 1024 * 1024


@pytest.fixture
def short_lived_provider(provider_binary, artifacts) -> DemoProvider:
    running = DemoProvider(provider_binary, artifacts, ["--access-token-ttl", str(ACCESS_TOKEN_TTL_SECONDS)])
    yield running
    running.stop()


@pytest.fixture
def relay(short_lived_provider) -> RecordingRelay:
    running = RecordingRelay(short_lived_provider.issuer)
    yield running
    running.stop()


@pytest.fixture
def traced_app(request, monkeypatch, clean_slate, app_binary, artifacts, browser, short_lived_provider, relay):
    """PhotoLink at RUST_LOG=trace, with every endpoint but the browser's behind the relay."""
    monkeypatch.setenv("RUST_LOG", "trace")
    issuer = short_lived_provider.issuer
    settings = {
        "name": PROVIDER_NAME,
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{relay.url}/token",
        "revocation_endpoint": f"{relay.url}/revoke",
        "userinfo_endpoint": f"{relay.url}/userinfo",
        "client_id": CLIENT_ID,
        "scopes": SCOPES,
        "photos_endpoint": f"{relay.url}/photos",
    }
    config = artifacts / "provider.toml"
    config.write_text("".join(f"{name} = {json.dumps(value)}\n" for name, value in settings.items()))
    yield from _launcher(request, app_binary, artifacts, browser, config)


def needles(secrets: dict[str, str]) -> dict[bytes, str]:
    """What to search for: each secret, its URL-encoded form, and its first and last pieces."""
    found: dict[bytes, str] = {}
    for secret, where in secrets.items():
        for form in {secret, urllib.parse.quote(secret, safe="")}:
            found[form.encode()] = where
            if len(form) > PIECE_LENGTH:
                found[form[:PIECE_LENGTH].encode()] = f"the start of {where}"
                found[form[-PIECE_LENGTH:].encode()] = f"the end of {where}"
    return found


def leaks(haystack: bytes, secrets: dict[str, str]) -> list[str]:
    return sorted({where for needle, where in needles(secrets).items() if needle in haystack})


def files_under(home: Path) -> list[Path]:
    files = []
    for folder, _, names in os.walk(home):
        for name in names:
            path = Path(folder) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_size <= LARGEST_FILE_BYTES:
                files.append(path)
    return files


def leaks_in_files(home: Path, secrets: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for path in files_under(home):
        try:
            found_here = leaks(path.read_bytes(), secrets)
        except OSError:
            continue
        if found_here:
            found[str(path.relative_to(home))] = found_here
    return found


def data_home(home: Path) -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local/share")


def log_folder(home: Path) -> Path:
    """Where Tauri's `app_log_dir` is on Linux."""
    return data_home(home) / "com.example.photolink" / "logs"


def test_no_secret_reaches_output_files_ipc_or_the_page(traced_app, browser, relay, home, artifacts):
    app = traced_app
    app.launch()
    app.record_ipc()

    # Connect and show photos.
    app.click("connect")
    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1

    # Ask for photos until the expiring access token has been refreshed.
    def refreshed() -> bool:
        app.driver.set_script_timeout(30)
        app.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.__TAURI__.core.invoke('photos', {}).then(() => done(true), () => done(false));"
        )
        return "refresh_token" in relay.grants()

    assert wait_until(refreshed, REFRESH_TIMEOUT_SECONDS, interval=1), f"no refresh happened: {relay.requests()}"
    stored = stored_tokens()
    assert stored.get("refresh_token") in relay.secrets(), "the relay missed the refresh token PhotoLink keeps"
    assert stored.get("access_token") in relay.secrets(), "the relay missed the access token PhotoLink keeps"

    # The keyring holds live tokens now: its files on disk must not show them.
    keyrings = list((data_home(home) / "keyrings").glob("*.keyring"))
    assert keyrings, "gnome-keyring keeps no keyring file under HOME; the check below would prove nothing"
    while_connected = leaks_in_files(home, relay.secrets())
    assert not while_connected, f"secrets in files while connected: {while_connected}"

    # Disconnect (revokes both tokens), then gather what the window saw.
    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert relay.grants().count("authorization_code") == 1, relay.requests()
    assert any(r["path"] == "/revoke" for r in relay.requests()), relay.requests()
    received = app.recorded_ipc()
    page = app.driver.page_source
    app.quit()

    secrets = relay.secrets()
    (artifacts / "relay.txt").write_text(
        "requests:\n" + "".join(f"  {r}\n" for r in relay.requests())
        + "secrets seen (values left out):\n" + "".join(f"  {where}\n" for where in secrets.values())
    )
    kinds = {where.rsplit(" ", 1)[-1] for where in secrets.values()}
    assert {"code", "code_verifier", "access_token", "refresh_token"} <= kinds, secrets.values()
    assert any("connection-changed" in entry for entry in received), "the recorder saw no event"
    assert any("photo://localhost/" in entry for entry in received), "the recorder saw no photo list"

    in_ipc = leaks("\n".join(received).encode(), secrets)
    assert not in_ipc, f"secrets in IPC or events: {in_ipc}"
    in_page = leaks(page.encode(), secrets)
    assert not in_page, f"secrets in the page: {in_page}"
    output = (artifacts / "app-and-driver.log").read_bytes()
    assert b"TRACE" in output, "PhotoLink did not log at trace level"
    assert not leaks(output, secrets), f"secrets in PhotoLink's output: {leaks(output, secrets)}"

    log_file = log_folder(home) / "photolink.log"
    assert log_file.is_file(), f"no log file in {log_folder(home)}"
    assert b"TRACE" in log_file.read_bytes(), "the log file holds no trace-level events"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    after = leaks_in_files(home, secrets)
    assert not after, f"secrets in files: {after}"
