"""The connection under faults, through the real window: a keyring that refuses, a damaged
saved connection, a provider that is down at start-up, reconnecting while connected, a sign-in
that outlives the window or its own lifetime.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from desktop import (
    SINGLE_INSTANCE_NAME,
    dbus_name_has_owner,
    keyring_item_count,
    lock_keyring,
    pids_running,
    run,
    stored_tokens,
    unlock_keyring,
    wait_until,
)
from provider import DemoProvider
from secret_scan import Needles, files_under, leaks_in, secret
from test_account_link import LINK_IGNORED_NOT_WAITING, connect, start_held_sign_in, wait_for_browser_event

KEYRING_SERVICE = "com.example.photolink"
SIGN_IN_EXPIRED = "That sign-in expired. Try again."
SAVED_CONNECTION_UNREADABLE = "Your saved connection could not be read. Connect again."


def token_entry_attributes() -> list[str]:
    """The attributes of PhotoLink's one keyring item (its token entry), as `secret-tool`
    arguments. `secret-tool search` prints attributes on stderr."""
    done = run(["secret-tool", "search", "--all", "--unlock", "service", KEYRING_SERVICE,
                "username", "oauth-tokens"])
    items = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(items) == 1, f"expected only the token entry: {items}"
    attributes = dict(
        line[len("attribute."):].split(" = ", 1)
        for line in done.stderr.splitlines()
        if line.startswith("attribute.")
    )
    assert attributes.get("username") == "oauth-tokens", attributes
    return [part for pair in attributes.items() for part in pair]


@pytest.mark.provider_args("--record-exchanges", "--test-controls")
def test_a_locked_keyring_keeps_the_connection_for_this_run_with_a_visible_warning(app, browser, provider, home):
    lock_keyring()
    try:
        app.launch()
        connect(app, browser)
        assert app.wait_for_photos() >= 1

        app.wait_for(lambda d: app.visible("storage-warning"), "the keyring warning")
        warning = app.find("storage-warning").text
        assert "system keyring" in warning and "until PhotoLink closes" in warning, warning
        app.quit()
    finally:
        unlock_keyring()

    assert keyring_item_count() == 0
    # No plaintext fallback: the tokens the provider issued are in no file under HOME.
    issued = {
        value: where
        for value, where in provider.recorded_secrets().items()
        if where.endswith(("answer access_token", "answer refresh_token"))
    }
    assert len(issued) >= 2, f"the provider's exchange log shows no tokens: {issued.values()}"
    in_files = leaks_in(files_under(home), Needles([secret(value, where) for value, where in issued.items()]))
    assert not in_files, f"tokens in files: {in_files}"
    app.launch()
    app.wait_for_state("disconnected")


def test_a_damaged_saved_connection_says_so_and_connecting_still_works(app, browser, provider):
    app.launch()
    connect(app, browser)
    app.quit()
    subprocess.run(
        ["secret-tool", "store", "--label=PhotoLink", *token_entry_attributes()],
        input="{not json", text=True, check=True, timeout=30,
    )
    assert "access_token" not in stored_tokens()

    app.launch()

    app.wait_for_state("disconnected")
    app.wait_for(lambda d: app.visible("notice"), "a notice")
    assert app.find("notice").text.strip() == SAVED_CONNECTION_UNREADABLE
    connect(app, browser)
    assert app.wait_for_photos() >= 1


@pytest.mark.provider_args("--state-file", "{artifacts}/provider-state.json")
def test_try_again_after_the_provider_was_down_restores_the_connection_without_the_browser(
    app, browser, provider, provider_binary, artifacts, home
):
    app.launch()
    connect(app, browser)
    app.quit()
    # Without the endpoints of an earlier discovery PhotoLink cannot open offline (that case is
    # in test_offline_gallery.py): start-up fails and offers Try again.
    saved_metadata = home / ".local/share/com.example.photolink/provider-metadata.json"
    assert saved_metadata.is_file(), "the discovered endpoints were not kept"
    saved_metadata.unlink()
    port = provider.issuer.rsplit(":", 1)[1]
    provider.stop()
    visits = len(browser.visits())

    app.launch()
    app.wait_for_state("error")
    assert app.visible("retry"), "the error view offers no Try again"

    restarted = DemoProvider(provider_binary, artifacts, ["--port", port, "--state-file",
                                                          str(artifacts / "provider-state.json")])
    try:
        assert restarted.issuer == provider.issuer
        app.click("retry")
        app.wait_for_state("connected")
        assert app.wait_for_photos() >= 1
        assert len(browser.visits()) == visits, "Try again sent the person to the browser"
    finally:
        app.quit()
        restarted.stop()


@pytest.mark.provider_args("--test-controls")
def test_connecting_again_while_connected_revokes_the_old_grant(app, browser, provider):
    app.launch()
    connect(app, browser)
    old = stored_tokens()
    assert "refresh_token" in old, "the keyring holds no refresh token"
    assert provider.stats()["grants_revoked"] == 0

    app.driver.execute_script("window.__TAURI__.core.invoke('plugin:sign-in|connect')")
    # Already connected, so only the new sign-in's browser visit and tokens show it happened.
    wait_for_browser_event(browser, "visit", count=2)
    assert wait_until(lambda: stored_tokens().get("refresh_token") not in (None, old["refresh_token"]), 30), (
        "the new sign-in's tokens never reached the keyring"
    )
    app.wait_for_state("connected")

    new = stored_tokens()
    stats = provider.stats()
    assert stats["authorization_code_grants"] == 2, stats
    assert stats["grants_revoked"] == 1, "connecting again must revoke exactly the old grant"
    assert provider.get_photos(new["access_token"]).status == 200
    refused = provider.refresh(old["refresh_token"])
    assert refused.status == 400 and refused.json()["error"] == "invalid_grant", refused.body
    assert provider.get_photos(old["access_token"]).status == 401


def test_a_callback_after_the_window_closed_completes_the_sign_in_in_a_new_photolink(app, browser, provider):
    start_held_sign_in(app, browser)
    app.quit()  # PhotoLink is closed while the browser waits

    browser.release()  # the OS starts PhotoLink cold with the callback

    try:
        wait_for_browser_event(browser, "handoff")
        assert wait_until(lambda: "access_token" in stored_tokens(), 45), "the cold start did not finish the sign-in"
        assert provider.get_photos(stored_tokens()["access_token"]).status == 200
    finally:
        for pid in pids_running(app.binary):  # the PhotoLink the OS started
            os.kill(pid, signal.SIGTERM)
        # Gone means the bus has also let go of its single-instance name.
        assert wait_until(
            lambda: not pids_running(app.binary) and not dbus_name_has_owner(SINGLE_INSTANCE_NAME), 20
        )

    app.launch()
    app.wait_for_state("connected")
    assert len(browser.visits()) == 1


@pytest.mark.app_env(PHOTOLINK_SIGN_IN_LIFETIME_SECONDS="4")
@pytest.mark.provider_args("--test-controls")
def test_the_waiting_view_times_out_by_itself(app, browser, provider):
    start_held_sign_in(app, browser)

    app.wait_for_state("error", timeout=20)

    assert app.find("error-message").text.strip() == SIGN_IN_EXPIRED
    assert app.visible("retry")
    browser.release()
    wait_for_browser_event(browser, "handoff")
    app.wait_for(lambda d: app.visible("notice") and app.find("notice").text.strip(), "a notice about the late link")
    assert app.find("notice").text.strip() == LINK_IGNORED_NOT_WAITING
    assert app.state() == "error"
    assert keyring_item_count() == 0
    assert provider.stats()["token_requests"] == 0, "the late link's code was sent to the token endpoint"
