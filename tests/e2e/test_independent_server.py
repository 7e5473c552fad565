"""PhotoLink's whole flow in the real window against an authorization server it did not write.

The server is panva's `oidc-provider` (tests/interop/server.mjs): it requires PKCE, matches
redirect URIs exactly (any port for loopback ones, RFC 8252 §7.3), has an issuer with a path,
issues refresh tokens only for `offline_access` with `prompt=consent`, rotates them on every
use, and ends the grant when a refresh token is revoked. Its own login and consent pages are
filled in by the stand-in browser. Every test runs with both redirect styles: PhotoLink's
scheme through the OS link handler, and a loopback listener.
"""

from __future__ import annotations

import urllib.parse

import pytest

from conftest import PROVIDER_NAME
from desktop import keyring_item_count, keyring_items, stored_tokens, wait_until
from dpop_proof import DpopKey, get_with_proof
from test_dpop import saved_connection
from test_loopback_redirect import CALLBACK_PATH

SCHEME_REDIRECT_URI = "com.example.photolink:/oauth/callback"
DECLINED = f"You declined access at {PROVIDER_NAME}."
# Access tokens live this long in the refresh test; PhotoLink refreshes once half of that is left.
SHORT_ACCESS_TOKEN_TTL_SECONDS = 10
REFRESH_TIMEOUT_SECONDS = 45
# Windows' Credential Manager keeps at most 2,560 bytes per credential, stored as UTF-16.
CREDENTIAL_MANAGER_MAX_UTF16_BYTES = 2560


def connect(app, browser) -> None:
    app.launch()
    app.click("connect")
    app.wait_for_state("connected")


def ask_for_photos(app) -> None:
    """Asks for the photo list the way the window does (which uses a fresh access token)."""
    app.driver.set_script_timeout(30)
    app.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.__TAURI__.core.invoke('photos', {}).then(() => done(true), () => done(false));"
    )


def test_connect_signs_in_at_the_independent_server_and_shows_photos(
    independent_app, browser, independent_server, redirect_style
):
    app, server = independent_app, independent_server

    connect(app, browser)

    (visit,) = browser.visits()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(visit["url"]).query)
    assert visit["url"].startswith(server.metadata["authorization_endpoint"] + "?"), visit
    # The server offers pushed authorization requests (RFC 9126), so the browser sees only
    # the client and the pushed request; the parameters went to the server directly.
    assert "pushed_authorization_request_endpoint" in server.metadata
    assert sorted(query) == ["client_id", "request_uri"], visit
    pushed = server.last_authorization()
    assert pushed["code_challenge_method"] == "S256" and pushed["prompt"] == "consent", pushed
    redirect_uri = pushed["redirect_uri"]
    if redirect_style == "scheme":
        assert redirect_uri == SCHEME_REDIRECT_URI
        (handoff,) = browser.events("handoff")
        assert handoff["returncode"] == 0, handoff
    else:
        parts = urllib.parse.urlsplit(redirect_uri)
        assert (parts.scheme, parts.hostname, parts.path) == ("http", "127.0.0.1", CALLBACK_PATH), redirect_uri
        (page,) = browser.events("page")
        assert page["status"] == 200 and "return to PhotoLink" in page["text"], page
        assert not browser.events("handoff")
    assert [e["event"] for e in browser.events() if e["event"] in ("login", "submit")] == ["login", "submit"]

    assert app.wait_for_photos() >= 1
    account = app.driver.find_element("id", "account-name").text
    assert account == "alice", f"the account's name comes from the server's userinfo, got {account!r}"
    tokens = stored_tokens()
    assert "refresh_token" in tokens, "the server issued no refresh token (offline_access + prompt=consent)"
    assert server.get_photos(tokens["access_token"]).status == 200


@pytest.mark.provider_args("--access-token-ttl", str(SHORT_ACCESS_TOKEN_TTL_SECONDS))
def test_a_refresh_rotates_the_refresh_token_and_the_server_refuses_the_old_one(
    independent_app, browser, independent_server, redirect_style
):
    app, server = independent_app, independent_server
    connect(app, browser)
    assert app.wait_for_photos() >= 1
    first = stored_tokens()

    def rotated() -> bool:
        ask_for_photos(app)
        return stored_tokens().get("refresh_token") not in (None, first["refresh_token"])

    assert wait_until(rotated, REFRESH_TIMEOUT_SECONDS, interval=1), "PhotoLink never refreshed"
    second = stored_tokens()
    assert second["access_token"] != first["access_token"]
    assert server.get_photos(second["access_token"]).status == 200
    assert app.state() == "connected" and app.wait_for_photos() >= 1

    refused = server.refresh(first["refresh_token"])
    assert refused.status == 400, refused.body
    assert refused.json()["error"] == "invalid_grant"


def test_disconnect_revokes_the_grant_at_the_independent_server(
    independent_app, browser, independent_server, redirect_style
):
    app, server = independent_app, independent_server
    connect(app, browser)
    assert app.wait_for_photos() >= 1
    tokens = stored_tokens()
    assert server.get_photos(tokens["access_token"]).status == 200

    app.click("disconnect")

    app.wait_for_state("disconnected")
    refused = server.refresh(tokens["refresh_token"])
    assert refused.status == 400, refused.body
    assert refused.json()["error"] == "invalid_grant"
    rejected = server.get_photos(tokens["access_token"])
    assert rejected.status == 401 and "invalid_token" in rejected.headers.get("WWW-Authenticate", "")
    assert keyring_item_count() == 0
    assert not app.find_all("photo")


def test_deny_at_the_independent_server_shows_the_sentence_and_retry_connects(
    independent_app, browser, independent_server, redirect_style
):
    app = independent_app
    browser.configure(decision="deny")
    app.launch()

    app.click("connect")

    app.wait_for_state("error")
    assert DECLINED in app.page_text(), app.page_text()
    assert keyring_item_count() == 0
    (denied,) = browser.events("submit")
    assert denied["decision"] == "deny" and denied["method"] == "get", denied

    browser.configure(decision="approve")
    app.click("retry")

    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1


@pytest.mark.provider_args("--resource-indicators")
def test_a_resource_indicator_on_the_authorization_and_token_requests_gets_a_token_for_the_photo_api(
    independent_app, browser, independent_server, redirect_style, artifacts
):
    app, server = independent_app, independent_server
    server.write_app_config(artifacts / "provider.toml", PROVIDER_NAME, redirect_style, server.photos_resource)

    connect(app, browser)

    assert browser.visits(), "the browser was opened"
    assert server.last_authorization()["resource"] == server.photos_resource
    assert app.wait_for_photos() >= 1
    tokens = stored_tokens()
    assert server.get_photos(tokens["access_token"]).status == 200
    # The server's rule that makes the token request's `resource` matter: without it, a
    # refresh yields a token the photo API refuses.
    unnamed = server.refresh(tokens["refresh_token"])
    assert unnamed.status == 200, unnamed.body
    refused = server.get_photos(unnamed.json()["access_token"])
    assert refused.status == 401, refused.body


@pytest.mark.provider_args("--dpop")
def test_dpop_bound_tokens_from_the_independent_server_work_and_a_copied_token_does_not(
    independent_app, browser, independent_server, redirect_style
):
    app, server = independent_app, independent_server
    assert "ES256" in server.metadata["dpop_signing_alg_values_supported"]

    connect(app, browser)

    assert app.wait_for_photos() >= 1
    assert app.driver.find_element("id", "account-name").text == "alice", "userinfo took the DPoP proof"
    tokens = saved_connection()
    assert tokens.get("token_type") == "DPoP" and tokens.get("dpop_key"), tokens.keys()
    copied = server.get_photos(tokens["access_token"])
    assert copied.status == 401, "a DPoP-bound token copied out of the keyring worked as a bearer token"
    assert 'error="invalid_token"' in copied.headers["WWW-Authenticate"], copied.headers
    with_key = get_with_proof(server.photos_endpoint, tokens["access_token"], DpopKey(tokens["dpop_key"]))
    assert with_key.status == 200, f"the same token with a proof from its key was refused: {with_key.headers}"
    assert with_key.json()["photos"], with_key.body

    app.restart()
    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1

    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert keyring_item_count() == 0


@pytest.mark.provider_args("--large-id-token", "--jwt-access-tokens")
def test_a_token_set_too_large_for_one_keyring_entry_is_kept_in_parts_and_survives_a_restart(
    independent_app, browser, independent_server, redirect_style, artifacts
):
    app, server = independent_app, independent_server
    server.write_app_config(artifacts / "provider.toml", PROVIDER_NAME, redirect_style, server.photos_resource)
    connect(app, browser)
    assert app.wait_for_photos() >= 1
    tokens = saved_connection()
    assert len(tokens.get("id_token", "")) > 6000, "the server issued no large ID token"
    assert tokens["access_token"].count(".") == 2, "the server issued no JWT access token"
    items = keyring_items()
    parts = [name for name in items if name.startswith("oauth-tokens.")]
    assert len(parts) >= 3, f"the token set is not split: {sorted(items)}"
    for name, secret in items.items():
        size = len(secret.encode("utf-16-le"))
        assert size <= CREDENTIAL_MANAGER_MAX_UTF16_BYTES, f"{name} takes {size} bytes as UTF-16"

    app.restart()

    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1
    assert len(browser.visits()) == 1, "the restart needed the browser"
    # The start may renew the tokens (here it does: the ID token comes back re-issued); what it
    # keeps is split the same way.
    assert len(saved_connection().get("id_token", "")) > 6000
    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert keyring_item_count() == 0
