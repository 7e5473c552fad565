"""DPoP-bound tokens (RFC 9449) through the window, with a provider that requires DPoP proofs,
demands nonces and accepts only pushed authorization requests (RFC 9126): connect, restart, photos and disconnect work, the key lives in the keyring entry
with the tokens and leaves with them, and an access token copied out of the keyring is refused
without the key.
"""

from __future__ import annotations

import json

import pytest
from desktop import keyring_secrets, stored_tokens
from dpop_proof import DpopKey, get_with_proof
from test_account_link import connect

pytestmark = pytest.mark.provider_args("--require-par", "--require-dpop", "--dpop-nonce", "--test-controls")


def saved_connection() -> dict:
    """The token set in PhotoLink's keyring entry (`{"issuer", "tokens"}`), or `{}`."""
    for secret in keyring_secrets():
        try:
            value = json.loads(secret)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("tokens"), dict):
            return value["tokens"]
    return {}


def test_a_dpop_bound_connection_survives_a_restart_and_disconnect_revokes_it(app, browser, provider):
    app.launch()
    connect(app, browser)
    assert app.wait_for_photos() >= 1

    tokens = saved_connection()
    assert tokens.get("token_type") == "DPoP", tokens.keys()
    assert tokens.get("dpop_key"), "the private key is kept with the tokens"
    copied = provider.get_photos(tokens["access_token"])
    assert copied.status == 401, "a copied DPoP-bound token must not work as a bearer token"
    assert copied.json()["error"] == "invalid_token", copied.body
    assert 'error="invalid_token"' in copied.headers["WWW-Authenticate"], copied.headers
    with_key = get_with_proof(provider.photos_endpoint, tokens["access_token"], DpopKey(tokens["dpop_key"]))
    assert with_key.status == 200, f"the same token with a proof from its key was refused: {with_key.body!r}"
    assert with_key.json()["photos"], with_key.body

    app.restart()
    app.wait_for_state("connected")
    assert app.wait_for_photos() >= 1

    stats = provider.stats()
    assert stats["dpop_proofs_accepted"] >= 3, stats
    assert stats["dpop_nonces_demanded"] >= 1, stats
    assert stats["dpop_proofs_refused"] == 0, stats
    assert stats["pushed_authorization_requests"] >= 1, stats

    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert saved_connection() == {} and stored_tokens() == {}, "the key and tokens are gone"
    stats = provider.stats()
    assert stats["revocation_requests"] == 2, stats
    assert stats["grants_revoked"] == 1, stats
