"""The independent authorization server (tests/interop/server.mjs) as a separate process.

It is panva's `oidc-provider`, run by Node.js with the test glue in tests/interop (installed by
scripts/install-deps.sh with `npm ci`). Like the demo provider it prints its issuer URL on one
stdout line, so it reuses `DemoProvider`'s process handling; the addresses differ: the issuer
has a path (`/oidc`), the photo API sits at the origin's `/photos`, and the token and
revocation endpoints are the ones its discovery document names.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

from provider import CLIENT_ID, DemoProvider, HttpAnswer, send

INTEROP_DIR = Path(__file__).resolve().parents[1] / "interop"
SERVER_SCRIPT = INTEROP_DIR / "server.mjs"
# `offline_access` (with `prompt=consent`) is how this server is asked for a refresh token;
# `openid` and `profile` give the window the account's name through userinfo.
SCOPES = ["openid", "offline_access", "profile", "photos:read"]
REDIRECT_STYLES = ("scheme", "loopback")


def node_binary() -> Path:
    node = shutil.which("node")
    if node is None or not (INTEROP_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("Node.js or tests/interop/node_modules is missing: run scripts/install-deps.sh test")
    return Path(node)


class IndependentServer(DemoProvider):
    """Runs `node tests/interop/server.mjs [args]` and reads its discovery document."""

    def __init__(self, log_dir: Path, args: list[str] | None = None) -> None:
        super().__init__(node_binary(), log_dir, [str(SERVER_SCRIPT), *(args or [])])
        self.metadata = send(urllib.request.Request(f"{self.issuer}/.well-known/openid-configuration")).json()

    @property
    def origin(self) -> str:
        parts = urllib.parse.urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def photos_endpoint(self) -> str:
        return f"{self.origin}/photos"

    @property
    def token_endpoint(self) -> str:
        return self.metadata["token_endpoint"]

    @property
    def photos_resource(self) -> str:
        """The photo API's RFC 8707 resource indicator (with `--resource-indicators`)."""
        return self.photos_endpoint

    def write_app_config(self, path: Path, name: str, redirect: str = "scheme", resource: str | None = None) -> Path:
        """A provider.toml for this server, the same one docs/providers.md shows."""
        scopes = ", ".join(json.dumps(scope) for scope in SCOPES)
        resource_line = f"resource = {json.dumps(resource)}\n" if resource else ""
        path.write_text(
            f"name = {json.dumps(name)}\n"
            f"issuer = {json.dumps(self.issuer)}\n"
            f"client_id = {json.dumps(CLIENT_ID)}\n"
            f"scopes = [{scopes}]\n"
            f"photos_endpoint = {json.dumps(self.photos_endpoint)}\n"
            f"redirect = {json.dumps(redirect)}\n"
            f"{resource_line}"
            "\n"
            "[authorize_params]\n"
            'prompt = "consent"\n'
        )
        return path

    def last_authorization(self) -> dict:
        """The parameters of the last authorization request the server accepted (pushed or
        not), from the test glue in server.mjs."""
        return send(urllib.request.Request(f"{self.origin}/_test/last-authorization")).json()

    def revoke(self, token: str) -> HttpAnswer:
        form = urllib.parse.urlencode({"token": token, "client_id": CLIENT_ID}).encode()
        request = urllib.request.Request(
            self.metadata["revocation_endpoint"],
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        return send(request)
