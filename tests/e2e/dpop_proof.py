"""DPoP proofs (RFC 9449) signed with the key PhotoLink keeps in the keyring, so a test can show
that a DPoP-bound token works with a proof from the right key (and only then).

ES256 over P-256 in plain Python: the test venv has no crypto library, and a few signatures
need none. Not constant-time; it signs test keys only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.request

from provider import HttpAnswer, send

# P-256 (SEC 2 / FIPS 186-4): field prime, group order, base point.
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
A = P - 3
G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)
# Where PKCS#8 (as `ring` writes a P-256 key) keeps the private scalar and the public point.
PRIVATE_SCALAR = slice(36, 68)
PUBLIC_POINT_PREFIX = bytes.fromhex("a14403420004")


def _add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % P == 0:
        return None
    if p == q:
        slope = (3 * p[0] * p[0] + A) * pow(2 * p[1], -1, P) % P
    else:
        slope = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (slope * slope - p[0] - q[0]) % P
    return x, (slope * (p[0] - x) - p[1]) % P


def _multiply(k: int, point):
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DpopKey:
    """A P-256 key pair from the keyring's `dpop_key` (base64url PKCS#8)."""

    def __init__(self, stored: str) -> None:
        der = base64.urlsafe_b64decode(stored + "=" * (-len(stored) % 4))
        self.d = int.from_bytes(der[PRIVATE_SCALAR], "big")
        public = der[PRIVATE_SCALAR.stop :]
        if not public.startswith(PUBLIC_POINT_PREFIX) or len(public) != len(PUBLIC_POINT_PREFIX) + 64:
            raise ValueError("not a P-256 PKCS#8 key as ring writes it")
        x, y = public[len(PUBLIC_POINT_PREFIX) :][:32], public[len(PUBLIC_POINT_PREFIX) :][32:]
        if _multiply(self.d, G) != (int.from_bytes(x, "big"), int.from_bytes(y, "big")):
            raise ValueError("the public point does not belong to the private scalar")
        self.jwk = {"kty": "EC", "crv": "P-256", "x": _b64url(x), "y": _b64url(y)}

    def sign(self, message: bytes) -> bytes:
        """ES256: r || s, 32 bytes each."""
        digest = int.from_bytes(hashlib.sha256(message).digest(), "big")
        while True:
            k = secrets.randbelow(N - 1) + 1
            r = _multiply(k, G)[0] % N
            s = pow(k, -1, N) * (digest + r * self.d) % N
            if r and s:
                return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def proof(self, method: str, url: str, access_token: str, nonce: str | None = None) -> str:
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}
        claims = {
            "jti": _b64url(secrets.token_bytes(16)),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
            "ath": _b64url(hashlib.sha256(access_token.encode()).digest()),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        return f"{signing_input}.{_b64url(self.sign(signing_input.encode()))}"


def get_with_proof(url: str, access_token: str, key: DpopKey) -> HttpAnswer:
    """`GET url` with `Authorization: DPoP` and a proof; once more with the server's nonce when
    it demands one (`use_dpop_nonce`)."""
    nonce = None
    for _ in range(2):
        request = urllib.request.Request(
            url, headers={"Authorization": f"DPoP {access_token}", "DPoP": key.proof("GET", url, access_token, nonce)}
        )
        answer = send(request)
        demanded = answer.headers.get("DPoP-Nonce")
        if answer.status != 401 or not demanded or "use_dpop_nonce" not in (answer.headers.get("WWW-Authenticate") or ""):
            return answer
        nonce = demanded
    return answer
