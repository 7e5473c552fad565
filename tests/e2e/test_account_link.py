"""Linking an account through the real window, the system browser and the OS link handler.

Every flow goes the way it does for a person: the app opens the browser through the OS, the
stand-in browser submits the provider's consent form and hands the `com.example.photolink:`
redirect to the OS (`gio open`), the OS starts the registered handler (a second PhotoLink), and
that forwards the URL to the running window.
"""

from __future__ import annotations

import urllib.parse

import pytest

from conftest import PROVIDER_NAME
from desktop import (
    LINK_SCHEME,
    default_handler,
    keyring_item_count,
    open_with_os,
    pids_running,
    register_link_handler,
    stored_tokens,
    wait_until,
)

REDIRECT_URI = "com.example.photolink:/oauth/callback"
FORGED_CALLBACK = "com.example.photolink:/oauth/callback?code=x&state=forged"
LINK_IGNORED_WHILE_WAITING = (
    "A sign-in link that does not belong to this sign-in was ignored. The sign-in is still waiting for your browser."
)
LINK_IGNORED_NOT_WAITING = "A sign-in link was ignored because no sign-in is in progress."


def connect(app, browser) -> None:
    """Clicks Connect and waits until the browser round trip has linked the account."""
    visits = len(browser.visits())
    app.click("connect")
    app.wait_for_state("connected")
    assert len(browser.visits()) == visits + 1, browser.events()


def wait_for_browser_event(browser, event: str, count: int = 1) -> None:
    assert wait_until(lambda: len(browser.events(event)) >= count, 30), (
        f"the stand-in browser never logged {event!r}: {browser.events()}"
    )


def wait_for_single_instance(app) -> None:
    """The link handler's second PhotoLink forwards the URL and exits, leaving one process."""
    assert wait_until(lambda: len(pids_running(app.binary)) == 1, 15), (
        f"expected one PhotoLink process, found {pids_running(app.binary)}"
    )


def start_held_sign_in(app, browser) -> None:
    """Launches the app and starts a sign-in that the stand-in browser holds until released."""
    browser.configure(hold=True)
    app.launch()
    app.click("connect")
    app.wait_for_state("waiting")
    wait_for_browser_event(browser, "holding")


def test_connect_shows_the_accounts_photos(app, browser, provider):
    app.launch()
    assert app.state() == "disconnected"
    assert PROVIDER_NAME in app.page_text(), "the window should say which provider it connects to"

    connect(app, browser)

    (visit,) = browser.visits()
    authorize = urllib.parse.urlsplit(visit["url"])
    query = urllib.parse.parse_qs(authorize.query)
    assert visit["url"].startswith(provider.issuer + "/authorize?"), visit
    # The provider offers pushed authorization requests (RFC 9126): the request went to it
    # directly, and the browser carries only a reference to it.
    assert sorted(query) == ["client_id", "request_uri"], query
    assert query["request_uri"][0].startswith("urn:ietf:params:oauth:request_uri:"), query
    (consent,) = browser.events("consent-page")
    assert REDIRECT_URI in consent["text"], "the consent page names where the sign-in returns"
    (submit,) = browser.events("submit")
    assert submit["decision"] == "approve"
    (handoff,) = browser.events("handoff")
    assert handoff["command"][:2] == ["gio", "open"] and handoff["returncode"] == 0, handoff

    assert app.wait_for_photos() >= 1
    wait_for_single_instance(app)
    assert default_handler(f"x-scheme-handler/{LINK_SCHEME}"), "the app registered no link handler"

    tokens = stored_tokens()
    assert "access_token" in tokens, "the keyring holds no access token"
    assert provider.get_photos(tokens["access_token"]).status == 200


def test_restart_stays_connected_without_the_browser(app, browser, provider):
    app.launch()
    connect(app, browser)
    app.wait_for_photos()
    visits = len(browser.visits())

    app.restart()

    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1
    assert len(browser.visits()) == visits, "restarting must not send the person to the browser again"


def test_disconnect_revokes_tokens_and_empties_the_keyring(app, browser, provider):
    app.launch()
    connect(app, browser)
    app.wait_for_photos()
    tokens = stored_tokens()
    assert "access_token" in tokens, "the keyring holds no access token"
    assert provider.get_photos(tokens["access_token"]).status == 200

    app.click("disconnect")

    app.wait_for_state("disconnected")
    rejected = provider.get_photos(tokens["access_token"])
    assert rejected.status == 401, rejected.body
    assert "invalid_token" in rejected.headers.get("WWW-Authenticate", "")
    assert "refresh_token" in tokens, "the keyring holds no refresh token"
    refused = provider.refresh(tokens["refresh_token"])
    assert refused.status == 400, refused.body
    assert refused.json()["error"] == "invalid_grant"
    assert keyring_item_count() == 0, "the keyring still holds PhotoLink items"
    assert not app.find_all("photo"), "photos are still shown after disconnecting"

    app.restart()
    app.wait_for_state("disconnected")


def test_deny_shows_a_plain_error_then_retry_connects(app, browser, provider):
    browser.configure(decision="deny")
    app.launch()

    app.click("connect")

    app.wait_for_state("error")
    message = app.page_text()
    assert "declined" in message.lower() and PROVIDER_NAME in message, message
    assert "access_denied" not in message, "the message should be in plain words"
    assert keyring_item_count() == 0

    browser.configure(decision="approve")
    app.click("retry")

    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1
    assert [e["decision"] for e in browser.events("submit")] == ["deny", "approve"]


@pytest.mark.provider_args("--test-controls")
def test_forged_callback_during_a_pending_flow_is_ignored(app, browser, provider):
    start_held_sign_in(app, browser)

    open_with_os(FORGED_CALLBACK)

    app.wait_for(lambda d: app.visible("notice") and app.find("notice").text.strip(), "a notice")
    assert app.find("notice").text.strip() == LINK_IGNORED_WHILE_WAITING
    assert app.state() == "waiting", "a forged link must not disturb the pending flow"
    wait_for_single_instance(app)
    assert provider.stats()["token_requests"] == 0, "the forged link's code was sent to the token endpoint"

    browser.release()

    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1


@pytest.mark.provider_args("--test-controls")
def test_callback_after_cancel_only_shows_a_notice(app, browser, provider):
    start_held_sign_in(app, browser)

    app.click("cancel")
    app.wait_for_state("disconnected")
    browser.release()
    wait_for_browser_event(browser, "handoff")

    app.wait_for(lambda d: app.visible("notice") and app.find("notice").text.strip(), "a notice")
    assert app.find("notice").text.strip() == LINK_IGNORED_NOT_WAITING
    assert app.state() == "disconnected"
    assert keyring_item_count() == 0
    assert provider.stats()["token_requests"] == 0, "the late link's code was sent to the token endpoint"


def test_xdg_open_reaches_an_installed_style_link_handler(app, browser, provider):
    """Browsers that hand links to `xdg-open` (as on desktops without GNOME or KDE) reach
    PhotoLink through a desktop entry written the way the installers write it."""
    app.launch()
    register_link_handler(app.binary)  # after launch: a development build registers its own at start
    browser.configure(handoff="xdg-open")

    connect(app, browser)

    (handoff,) = browser.events("handoff")
    assert handoff["command"][0] == "xdg-open" and handoff["returncode"] == 0, handoff
    assert app.wait_for_photos() >= 1


def test_embedded_provider_links_with_nothing_configured(embedded_app, browser):
    app = embedded_app
    app.launch()
    assert "Demo Photos" in app.page_text()

    connect(app, browser)

    assert browser.visits()[0]["url"].startswith("http://127.0.0.1:")
    assert app.wait_for_photos() >= 1
