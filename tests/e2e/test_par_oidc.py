"""Linking an account with a provider that requires pushed authorization requests (RFC 9126),
signing in with OpenID Connect, through the real window.

The provider runs with `--require-par`: it refuses any sign-in request that was not pushed to
it first. The settings ask for `openid` and say `par = true`, so PhotoLink pushes the request,
opens the browser with only `client_id` and `request_uri`, and accepts the sign-in only after
verifying the ID token with the provider's signing keys.
"""

from __future__ import annotations

import urllib.parse

import pytest

from desktop import keyring_item_count, stored_tokens
from test_account_link import connect

pytestmark = pytest.mark.provider_args("--require-par", "--test-controls")


def ask_for_openid_and_par(artifacts) -> None:
    """Adds `openid` to the scopes and `par = true` to the settings the app fixture wrote."""
    config = artifacts / "provider.toml"
    text = config.read_text().replace('"profile"]', '"profile", "openid"]')
    assert '"openid"' in text, text
    config.write_text(text + "par = true\n")


def test_a_pushed_openid_sign_in_connects_survives_a_restart_and_disconnects(app, browser, provider, artifacts):
    ask_for_openid_and_par(artifacts)
    app.launch()

    connect(app, browser)

    (visit,) = browser.visits()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(visit["url"]).query)
    assert sorted(query) == ["client_id", "request_uri"], visit
    assert "Alex Rivera" in app.page_text()
    assert app.wait_for_photos() >= 1
    stats = provider.stats()
    assert stats["pushed_authorization_requests"] == 1, stats
    assert stats["id_tokens_issued"] == 1, stats
    assert stats["jwks_requests"] == 1, "PhotoLink fetched the signing keys to verify the ID token"

    app.restart()

    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1
    assert len(browser.visits()) == 1, "restarting must not send the person to the browser again"

    tokens = stored_tokens()
    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert provider.get_photos(tokens["access_token"]).status == 401
    assert keyring_item_count() == 0, "the keyring still holds PhotoLink items"
