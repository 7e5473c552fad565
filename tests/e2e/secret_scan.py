"""Finding secrets, or any piece of one, in what PhotoLink leaves behind.

A secret is looked for as every window of 12 of its characters, each in the forms it could be
written in: as it is, URL-encoded, base64 and base64url (at each of the three byte alignments,
since a secret inside a longer encoded text starts anywhere in a group of three), hex and
UTF-16LE. Windows are taken from the secret part of a value only, leaving out what is public by
construction (a JWT's header, the `urn:ietf:params:oauth:request_uri:` prefix, the ASN.1 frame
and the public point of a PKCS#8 key): those parts are the same in every such value.

Scanning is seed-and-extend: every form's 6-byte pieces are indexed, the haystack is probed at
every 6th byte (any window of 12 or more bytes contains one probe), and each hit is extended
both ways to the longest common run, which counts when it holds a whole window of the secret
part.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

# Characters of a secret in one window; shorter pieces could match by chance.
WINDOW = 12
SEED = 6
# Files larger than this are not PhotoLink's and are skipped (WebKit caches stay far below).
LARGEST_FILE_BYTES = 64 * 1024 * 1024
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# A P-256 private key as PKCS#8 (what `ring` writes): the ASN.1 frame, the 32-byte private
# scalar, then the public point.
PKCS8_P256_PRIVATE_SCALAR = slice(36, 68)


@dataclass(frozen=True)
class Secret:
    """A value that must never be found, what it is, and which part of it is secret."""

    value: bytes
    what: str
    secret_from: int = 0
    secret_to: int | None = None
    text: bool = True


def secret(value: str, what: str) -> Secret:
    """A secret whose public part, if it has one by construction, is left out of the windows."""
    if value.startswith(REQUEST_URI_PREFIX):
        return Secret(value.encode(), what, secret_from=len(REQUEST_URI_PREFIX))
    if value.count(".") == 2 and value.startswith("eyJ"):
        # A JWT: the header says only which algorithm and key verify it.
        return Secret(value.encode(), what, secret_from=value.index(".") + 1)
    return Secret(value.encode(), what)


def dpop_key_secrets(stored: str, what: str) -> list[Secret]:
    """The keyring's DPoP key (base64url PKCS#8): its private scalar in every form, and the
    stored text wherever it covers the scalar."""
    der = base64.urlsafe_b64decode(stored + "=" * (-len(stored) % 4))
    scalar = PKCS8_P256_PRIVATE_SCALAR
    if len(der) < scalar.stop or der[scalar.start - 2 : scalar.start] != b"\x04\x20":
        raise AssertionError(f"{what} is not a P-256 PKCS#8 key as expected ({len(der)} bytes)")
    return [
        Secret(stored.encode(), what, secret_from=scalar.start * 4 // 3, secret_to=-(-scalar.stop * 4 // 3)),
        Secret(der[scalar], f"{what} (private scalar)", text=False),
        Secret(base64.urlsafe_b64encode(der[scalar]).rstrip(b"="), f"{what} (private scalar as JWK d)"),
    ]


@dataclass(frozen=True)
class _Form:
    data: bytes
    window: int
    secret_from: int
    secret_to: int
    label: str


def _forms(item: Secret) -> list[_Form]:
    raw = item.value
    start = item.secret_from
    end = len(raw) if item.secret_to is None else item.secret_to
    forms = [_Form(raw, WINDOW, start, end, item.what)]
    if item.text:
        text = raw.decode()
        quoted = urllib.parse.quote(text, safe="").encode()
        if quoted != raw:
            forms.append(
                _Form(
                    quoted,
                    WINDOW,
                    len(urllib.parse.quote(text[:start], safe="")),
                    len(urllib.parse.quote(text[:end], safe="")),
                    f"{item.what}, URL-encoded",
                )
            )
        forms.append(_Form(text.encode("utf-16-le"), 2 * WINDOW, 2 * start, 2 * end, f"{item.what}, UTF-16LE"))
    forms.append(_Form(raw.hex().encode(), 2 * WINDOW, 2 * start, 2 * end, f"{item.what}, hex"))
    for alignment in range(3):
        shifted = b"\0" * alignment + raw
        # Characters of the first group carry the padding bytes: they are not the secret's.
        skip = 4 if alignment else 0
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            encoded = encode(shifted).rstrip(b"=")[skip:]
            forms.append(
                _Form(
                    encoded,
                    -(-WINDOW * 4 // 3),
                    max(0, (alignment + start) * 4 // 3 - skip),
                    -(-(alignment + end) * 4 // 3) - skip,
                    f"{item.what}, {name}",
                )
            )
    return [form for form in forms if len(form.data) >= form.window]


class Needles:
    """Every window of every form of the given secrets, ready to scan haystacks for."""

    def __init__(self, secrets: list[Secret]) -> None:
        self.forms: list[_Form] = []
        self.index: dict[bytes, list[tuple[int, int]]] = {}
        for item in secrets:
            for form in _forms(item):
                number = len(self.forms)
                self.forms.append(form)
                for offset in range(len(form.data) - SEED + 1):
                    self.index.setdefault(form.data[offset : offset + SEED], []).append((number, offset))

    def found_in(self, haystack: bytes) -> set[str]:
        """What is in `haystack`: one label ("what, form") per secret form found."""
        found: set[str] = set()
        index, forms, size = self.index, self.forms, len(haystack)
        for probe in range(0, size - SEED + 1, SEED):
            hits = index.get(haystack[probe : probe + SEED])
            if hits is None:
                continue
            for number, offset in hits:
                form = forms[number]
                if form.label in found:
                    continue
                data = form.data
                left = 0
                while left < offset and left < probe and data[offset - left - 1] == haystack[probe - left - 1]:
                    left += 1
                right = SEED
                while offset + right < len(data) and probe + right < size and data[offset + right] == haystack[probe + right]:
                    right += 1
                start, end = offset - left, offset + right
                # Some whole window of the secret part lies inside the run.
                if min(end, form.secret_to) - max(start, form.secret_from) >= form.window:
                    found.add(form.label)
        return found


# --- haystacks ---------------------------------------------------------------------------------


def files_under(folder: Path, skip: tuple[Path, ...] = (), newer_than: float | None = None) -> dict[str, bytes]:
    """The regular files under `folder` (not following links), path to content, leaving out
    the folders in `skip` and, with `newer_than`, files not changed since then."""
    found: dict[str, bytes] = {}
    skipped = {str(path) for path in skip}
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = [name for name in subdirectories if os.path.join(directory, name) not in skipped]
        for name in names:
            path = os.path.join(directory, name)
            try:
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode) or info.st_size > LARGEST_FILE_BYTES:
                    continue
                if newer_than is not None and info.st_mtime < newer_than:
                    continue
                with open(path, "rb") as file:
                    found[path] = file.read()
            except OSError:
                # Files that vanish or that this user cannot read (other programs' temp files).
                continue
    return found


def leaks_in(haystacks: dict[str, bytes], needles: Needles) -> dict[str, list[str]]:
    """Each haystack that holds a secret, with what it holds."""
    found = {}
    for name, content in haystacks.items():
        here = needles.found_in(content)
        if here:
            found[name] = sorted(here)
    return found


# --- where the secrets come from ---------------------------------------------------------------

# Form fields, query parameters and JSON members that carry secrets in OAuth requests and answers.
SECRET_FIELDS = frozenset(
    {"code", "code_verifier", "access_token", "refresh_token", "id_token", "token", "client_secret", "request_uri", "nonce"}
)


def secrets_in_exchange(
    target: str,
    request_headers: list[tuple[str, str]],
    request_body: str,
    response_headers: list[tuple[str, str]],
    response_body: str,
) -> dict[str, str]:
    """The secrets one HTTP exchange carried, each mapped to where it was: the request's query
    and form fields, its `Authorization` (Bearer or DPoP) and `DPoP` (proof) headers, the
    answer's `Location` query, and its body as JSON or as a form (a non-JSON answer)."""
    found: dict[str, str] = {}
    path = urllib.parse.urlsplit(target).path

    def fields(pairs: list[tuple[str, str]], where: str) -> None:
        for name, value in pairs:
            if name in SECRET_FIELDS and value:
                found.setdefault(value, f"{where} {name}")

    fields(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query), f"{path} query")
    for name, value in request_headers:
        name = name.lower()
        if name == "authorization":
            scheme, _, credential = value.partition(" ")
            if scheme.lower() in ("bearer", "dpop") and credential.strip():
                found.setdefault(credential.strip(), f"{path} Authorization {scheme}")
        elif name == "dpop" and value.strip():
            found.setdefault(value.strip(), f"{path} DPoP proof")
    fields(urllib.parse.parse_qsl(request_body), f"{path} form")
    for name, value in response_headers:
        if name.lower() == "location":
            fields(urllib.parse.parse_qsl(urllib.parse.urlsplit(value).query), f"{path} redirect")
    try:
        document = json.loads(response_body)
    except ValueError:
        fields(urllib.parse.parse_qsl(response_body), f"{path} form answer")
    else:
        if isinstance(document, dict):
            fields([(k, v) for k, v in document.items() if isinstance(v, str)], f"{path} answer")
    for value, where in list(found.items()):
        if where.endswith("id_token"):
            nonce = jwt_claims(value).get("nonce")
            if isinstance(nonce, str) and nonce:
                found.setdefault(nonce, f"{where} nonce")
    return found


def jwt_claims(token: str) -> dict:
    """The payload of a JWT, unverified ({} when it is not one)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}
