"""The sign-in plugin's example app (`examples/sign-in`), driven like PhotoLink: it connects
through its own scheme (the OS hands the link to a second process, which forwards it) and through
a loopback listener, stays connected across a restart, and disconnects, the provider revoking the
grant; all against the demo provider, the example reading its settings from
PHOTOLINK_PROVIDER_CONFIG as PhotoLink does.
"""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from conftest import PROVIDER_NAME, _launcher, built_binary
from desktop import clear_keyring, keyring_item_count, pids_running, stored_tokens, wait_until

IDENTIFIER = "com.example.signin"


@pytest.fixture(scope="session")
def example_binary():
    return built_binary("PHOTOLINK_EXAMPLE_BINARY", "sign-in-example")


@pytest.fixture(params=("scheme", "loopback"))
def example_app(request, home, example_binary, artifacts, browser, provider):
    """The example pointed at the test's demo provider with each redirect style; not yet launched."""
    for pid in pids_running(example_binary):
        os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not pids_running(example_binary), 10), pids_running(example_binary)
    clear_keyring(IDENTIFIER)
    for base in (home / ".config", home / ".local/share", home / ".cache", home / ".local/state"):
        shutil.rmtree(base / IDENTIFIER, ignore_errors=True)
    config = artifacts / "provider.toml"
    provider.write_app_config(config, PROVIDER_NAME)
    # The example has no photos: only the sign-in's fields.
    lines = [line for line in config.read_text().splitlines() if not line.startswith("photos_endpoint")]
    if request.param == "loopback":
        lines.append('redirect = "loopback"')
    config.write_text("\n".join(lines) + "\n")
    yield from _launcher(request, example_binary, artifacts, browser, config, f"{IDENTIFIER}.SingleInstance")


@pytest.mark.provider_args("--test-controls")
def test_the_example_connects_stays_connected_across_a_restart_and_disconnects(example_app, browser, provider):
    app = example_app
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

    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert wait_until(lambda: provider.stats()["grants_revoked"] == 1, 10), provider.stats()
    assert keyring_item_count(IDENTIFIER) == 0
