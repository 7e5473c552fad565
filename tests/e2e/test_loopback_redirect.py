"""Linking an account with the loopback redirect (RFC 8252 §7.3) through the real window.

The provider settings say `redirect = "loopback"`: on Connect, PhotoLink listens on
`127.0.0.1` on a port the OS picks and sends `http://127.0.0.1:{port}/oauth/callback` as the
redirect URI. The stand-in browser follows the provider's redirect to that address, as a
browser does, and records the page PhotoLink answered with; nothing goes through the OS link
handler.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
import urllib.parse
import urllib.request

import pytest

from desktop import stored_tokens, wait_until
from provider import send
from test_account_link import LINK_IGNORED_WHILE_WAITING, start_held_sign_in, wait_for_browser_event

CALLBACK_PATH = "/oauth/callback"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'",
    "Referrer-Policy": "no-referrer",
}


def use_loopback(artifacts: Path) -> None:
    """Adds `redirect = "loopback"` to the provider settings the app fixture wrote."""
    config = artifacts / "provider.toml"
    config.write_text(config.read_text() + 'redirect = "loopback"\n')


def redirect_uri(browser) -> str:
    """The redirect URI as the consent page names it (the sign-in request itself is pushed to
    the provider, RFC 9126, so the browser's address does not carry it)."""
    (consent,) = browser.events("consent-page")
    (uri,) = re.findall(r"http://127\.0\.0\.1:\d+/oauth/callback", consent["text"])
    return uri


def port_closed(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def test_loopback_redirect_connects_and_shows_the_accounts_photos(app, browser, provider, artifacts):
    use_loopback(artifacts)
    app.launch()

    app.click("connect")

    app.wait_for_state("connected")
    uri = redirect_uri(browser)
    parts = urllib.parse.urlsplit(uri)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.path == CALLBACK_PATH, uri
    assert parts.port and parts.port != urllib.parse.urlsplit(provider.issuer).port
    (page,) = browser.events("page")
    assert page["status"] == 200, page
    assert "You can close this tab and return to PhotoLink" in page["text"], page
    for name, value in SECURITY_HEADERS.items():
        assert page["headers"][name] == value, page
    assert not browser.events("handoff"), "a loopback sign-in must not go through the OS link handler"
    assert app.wait_for_photos() >= 1
    tokens = stored_tokens()
    assert provider.get_photos(tokens["access_token"]).status == 200
    assert wait_until(lambda: port_closed(parts.port), 5), "the listener still runs after the sign-in"


@pytest.mark.provider_args("--test-controls")
def test_forged_requests_to_the_loopback_port_are_refused_and_the_sign_in_still_completes(
    app, browser, provider, artifacts
):
    use_loopback(artifacts)
    start_held_sign_in(app, browser)
    port = urllib.parse.urlsplit(redirect_uri(browser)).port
    base = f"http://127.0.0.1:{port}"

    forged = send(urllib.request.Request(f"{base}{CALLBACK_PATH}?code=x&state=forged%3Cscript%3E"))
    wrong_path = send(urllib.request.Request(f"{base}/?code=x&state=forged"))
    posted = send(urllib.request.Request(f"{base}{CALLBACK_PATH}", data=b"code=x&state=y", method="POST"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as garbage:
        garbage.sendall(b"\x16\x03\x01\x00\x05hello\r\n\r\n")
        assert garbage.recv(64).startswith(b"HTTP/1.1 400 ")

    assert forged.status == 400, forged.body
    text = forged.body.decode()
    assert "does not belong to the sign-in PhotoLink is waiting for" in text, text
    assert "forged" not in text and "<script>" not in text, "the page echoes the request"
    for name, value in SECURITY_HEADERS.items():
        assert forged.headers.get(name) == value, forged.headers
    assert wrong_path.status == 404 and posted.status == 405
    app.wait_for(lambda d: app.visible("notice") and app.find("notice").text.strip(), "a notice")
    assert app.find("notice").text.strip() == LINK_IGNORED_WHILE_WAITING
    assert app.state() == "waiting", "forged requests must not disturb the pending sign-in"
    assert provider.stats()["token_requests"] == 0, "a forged code was sent to the token endpoint"

    browser.release()

    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1
    (page,) = browser.events("page")
    assert page["status"] == 200 and "return to PhotoLink" in page["text"], page


@pytest.mark.provider_args("--test-controls")
def test_cancel_stops_the_listener_and_the_late_redirect_finds_nothing(app, browser, provider, artifacts):
    use_loopback(artifacts)
    start_held_sign_in(app, browser)
    port = urllib.parse.urlsplit(redirect_uri(browser)).port
    assert not port_closed(port)

    app.click("cancel")

    app.wait_for_state("disconnected")
    assert wait_until(lambda: port_closed(port), 5), "the listener still runs after Cancel"
    browser.release()
    wait_for_browser_event(browser, "page-unreachable")
    assert app.state() == "disconnected"
    assert not stored_tokens()
    assert provider.stats()["token_requests"] == 0, "the late redirect's code was sent to the token endpoint"
