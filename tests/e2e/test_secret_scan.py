"""The leak scanner (secret_scan.py) finds any 12-character piece of a secret in every form,
and nothing of a secret's public parts."""

from __future__ import annotations

import base64
import secrets as random_source
import urllib.parse

from secret_scan import Needles, Secret, dpop_key_secrets, secret, secrets_in_exchange

TOKEN = "kR7f2Qz9LmXw4Vb1Ns8TpYc3HdJ0gUa6"


def found(item: Secret, haystack: bytes) -> set[str]:
    return Needles([item]).found_in(haystack)


def test_every_window_is_found_in_every_form_at_any_offset():
    item = secret(TOKEN, "the token")
    for start in range(0, len(TOKEN) - 12 + 1, 5):
        piece = TOKEN[start : start + 12]
        for prefix in (b"", b"x", b"xy", b"some text "):
            assert found(item, prefix + piece.encode() + b" tail"), (start, prefix)
            assert found(item, prefix + piece.encode("utf-16-le")), (start, prefix)
            assert found(item, prefix + piece.encode().hex().encode()), (start, prefix)
    for prefix in (b"", b"a", b"ab", b"Bearer "):
        whole = prefix + TOKEN.encode() + b"!"
        assert found(item, base64.b64encode(whole)), prefix
        assert found(item, base64.urlsafe_b64encode(whole)), prefix
    assert found(item, urllib.parse.quote("a b " + TOKEN[3:16], safe="").encode())


def test_eleven_characters_or_another_secret_are_not_found():
    item = secret(TOKEN, "the token")
    assert not found(item, TOKEN[:11].encode() + b"-" + TOKEN[11:21].encode())
    assert not found(item, random_source.token_urlsafe(4096).encode())


def test_the_public_parts_of_jwts_request_uris_and_keys_are_not_needles():
    header = base64.urlsafe_b64encode(b'{"typ":"dpop+jwt","alg":"ES256"}').rstrip(b"=").decode()
    jwt = f"{header}.eyJqdGkiOiJ4In0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
    item = secret(jwt, "a proof")
    assert not found(item, f"another proof: {header}.e30.AAAA".encode())
    assert found(item, jwt.split(".", 1)[1][:12].encode())

    request_uri = "urn:ietf:params:oauth:request_uri:" + TOKEN
    item = secret(request_uri, "the request_uri")
    assert not found(item, b"urn:ietf:params:oauth:request_uri:something-else-entirely")
    assert found(item, TOKEN[-12:].encode())

    der = bytes.fromhex("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420")
    scalar, public = random_source.token_bytes(32), bytes.fromhex("a144034200") + b"\x04" + random_source.token_bytes(64)
    stored = base64.urlsafe_b64encode(der + scalar + public).rstrip(b"=").decode()
    needles = Needles(dpop_key_secrets(stored, "the DPoP key"))
    assert not needles.found_in(base64.urlsafe_b64encode(der + random_source.token_bytes(32)))
    assert not needles.found_in(public)
    assert needles.found_in(b"\x00" + scalar[5:20] + b"\x00")
    assert needles.found_in(base64.urlsafe_b64encode(scalar).rstrip(b"=")[10:30])
    assert needles.found_in(stored[40:60].encode())


def test_an_exchange_yields_its_query_form_headers_redirect_and_answer_secrets():
    claims = base64.urlsafe_b64encode(b'{"nonce":"n-0123456789abcdef"}').rstrip(b"=").decode()
    id_token = f"eyJhbGciOiJFUzI1NiJ9.{claims}.c2ln"
    found_secrets = secrets_in_exchange(
        target="/authorize?client_id=c&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Axyz",
        request_headers=[("Authorization", "DPoP at-1"), ("DPoP", "proof-1")],
        request_body="grant_type=authorization_code&code=c-1&code_verifier=v-1",
        response_headers=[("Location", "com.example.photolink:/oauth/callback?code=c-2&state=s")],
        response_body='{"access_token":"at-2","refresh_token":"rt-2","id_token":"%s","token_type":"DPoP"}' % id_token,
    )
    assert found_secrets == {
        "urn:ietf:params:oauth:request_uri:xyz": "/authorize query request_uri",
        "at-1": "/authorize Authorization DPoP",
        "proof-1": "/authorize DPoP proof",
        "c-1": "/authorize form code",
        "v-1": "/authorize form code_verifier",
        "c-2": "/authorize redirect code",
        "at-2": "/authorize answer access_token",
        "rt-2": "/authorize answer refresh_token",
        id_token: "/authorize answer id_token",
        "n-0123456789abcdef": "/authorize answer id_token nonce",
    }
    form_answer = secrets_in_exchange("/token", [], "", [], "access_token=at-3&token_type=bearer")
    assert form_answer == {"at-3": "/token form answer access_token"}
