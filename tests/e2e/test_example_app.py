"""The sign-in plugin's example app (`examples/sign-in`), driven like PhotoLink: it connects
through its own scheme (the OS hands the link to a second process, which forwards it) and through
a loopback listener, stays connected across a restart, and disconnects, the provider revoking the
grant; against the demo provider and against the independent server, the example reading its
settings from PHOTOLINK_PROVIDER_CONFIG as PhotoLink does. And no secret of its sign-in reaches a
file, its output, its window or IPC (the leak checks of test_no_secrets.py).
"""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from conftest import PROVIDER_NAME, _launcher, built_binary
from desktop import clear_keyring, keyring_item_count, pids_running, stored_tokens, wait_until
from secret_scan import leaks_in
from test_account_link import wait_for_browser_event
from test_no_secrets import Evidence, _traced, as_needles, private_temp  # noqa: F401 (a fixture)

IDENTIFIER = "com.example.signin"


@pytest.fixture(scope="session")
def example_binary():
    return built_binary("PHOTOLINK_EXAMPLE_BINARY", "sign-in-example")


def launched_example(request, home, example_binary, artifacts, browser, config):
    """The example with the settings `config` (PhotoLink's photo fields left out: the example has
    no photos) and a clean slate; not yet launched."""
    for pid in pids_running(example_binary):
        os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not pids_running(example_binary), 10), pids_running(example_binary)
    clear_keyring(IDENTIFIER)
    for base in (home / ".config", home / ".local/share", home / ".cache", home / ".local/state"):
        shutil.rmtree(base / IDENTIFIER, ignore_errors=True)
    lines = [line for line in config.read_text().splitlines() if not line.startswith("photos_endpoint")]
    config.write_text("\n".join(lines) + "\n")
    yield from _launcher(request, example_binary, artifacts, browser, config, f"{IDENTIFIER}.SingleInstance")


@pytest.fixture
def example_app(request, home, example_binary, artifacts, browser, provider, redirect_style):
    """The example pointed at the test's demo provider with each redirect style."""
    config = provider.write_app_config(artifacts / "provider.toml", PROVIDER_NAME)
    if redirect_style == "loopback":
        config.write_text(config.read_text() + 'redirect = "loopback"\n')
    yield from launched_example(request, home, example_binary, artifacts, browser, config)


@pytest.fixture
def traced_example_app(request, monkeypatch, private_temp, home, example_binary, artifacts, browser, provider):
    """The example at RUST_LOG=trace with its own temp folder, against the recording demo
    provider, through its scheme."""
    _traced(monkeypatch, private_temp)
    config = provider.write_app_config(artifacts / "provider.toml", PROVIDER_NAME)
    yield from launched_example(request, home, example_binary, artifacts, browser, config)


@pytest.fixture
def example_independent_app(request, home, example_binary, artifacts, browser, independent_server, redirect_style):
    """The example pointed at the independent server with each redirect style."""
    config = independent_server.write_app_config(artifacts / "provider.toml", PROVIDER_NAME, redirect_style)
    yield from launched_example(request, home, example_binary, artifacts, browser, config)


def connect_and_restart(app, browser) -> None:
    """Connects through the browser, then restarts: still connected, without the browser."""
    app.launch()
    app.wait_for_state("disconnected")
    assert keyring_item_count(IDENTIFIER) == 0
    app.click("connect")
    app.wait_for_state("connected")
    assert len(browser.visits()) == 1, browser.events()
    assert "refresh_token" in stored_tokens(IDENTIFIER), "the example's keyring service holds no tokens"
    assert app.status_text().startswith("Connected as "), app.status_text()
    app.restart()
    app.wait_for_state("connected")
    assert len(browser.visits()) == 1, "a restart must not send the person to the browser again"


@pytest.mark.provider_args("--test-controls")
def test_the_example_connects_stays_connected_across_a_restart_and_disconnects(example_app, browser, provider):
    app = example_app
    connect_and_restart(app, browser)

    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert wait_until(lambda: provider.stats()["grants_revoked"] == 1, 10), provider.stats()
    assert keyring_item_count(IDENTIFIER) == 0


def test_the_example_connects_to_the_independent_server_and_disconnect_ends_the_grant(
    example_independent_app, browser, independent_server
):
    app, server = example_independent_app, independent_server
    connect_and_restart(app, browser)
    tokens = stored_tokens(IDENTIFIER)

    app.click("disconnect")

    app.wait_for_state("disconnected")
    refused = server.refresh(tokens["refresh_token"])
    assert refused.status == 400, refused.body
    assert refused.json()["error"] == "invalid_grant"
    assert keyring_item_count(IDENTIFIER) == 0


@pytest.mark.provider_args("--dpop", "--record-exchanges", "--test-controls")
def test_the_example_leaks_no_secret(traced_example_app, browser, provider, home, artifacts, private_temp):
    """No code, verifier, token, proof or key of a sign-in reaches a file under HOME or in the
    temp folders, the example's output, what its window received or the page (as
    test_no_secrets.py checks for PhotoLink)."""
    app = traced_example_app
    evidence = Evidence(home, private_temp, skip=(browser.state_dir,), service=IDENTIFIER)
    app.launch()
    app.record_ipc()
    browser.configure(hold=True)
    app.click("connect")
    app.wait_for_state("waiting")
    wait_for_browser_event(browser, "holding")
    evidence.files("while waiting")
    browser.release()
    app.wait_for_state("connected")
    evidence.files("right after the exchange")
    evidence.window(app, "connected")

    app.click("disconnect")
    app.wait_for_state("disconnected")
    evidence.window(app, "after Disconnect")
    received = app.recorded_ipc()
    app.quit()
    evidence.files("at the end")

    secrets = provider.recorded_secrets()
    wheres = list(secrets.values())
    for kind in ("redirect code", "form code_verifier", "answer access_token", "answer refresh_token", "DPoP proof"):
        assert any(where.endswith(kind) for where in wheres), f"no {kind} among the recorded secrets: {wheres}"
    from_keyring = evidence.keyring_secrets()
    assert any(item.what.startswith("keyring refresh_token") for item in from_keyring), "no tokens read from the keyring"
    assert any("connection-changed" in entry for entry in received), "the recorder saw no event"
    evidence.add("IPC and events", "\n".join(received).encode())
    evidence.add("the example's output", (artifacts / "app-and-driver.log").read_bytes())
    leaks = leaks_in(evidence.haystacks, as_needles(secrets, from_keyring))
    assert not leaks, "secrets found:\n" + "\n".join(f"  {where}: {', '.join(what)}" for where, what in leaks.items())
