"""A recording HTTP relay on 127.0.0.1 between PhotoLink and the demo provider.

PhotoLink is pointed at the relay for the token, revocation, userinfo and photo endpoints; the
relay forwards every request to the provider unchanged and answers with the provider's answer.
On the way it writes down every secret that passes (see `secret_scan.secrets_in_exchange`):
authorization codes, PKCE verifiers, access, refresh and ID tokens, client secrets, nonces and
`request_uri`s from queries, forms, JSON and form-encoded answers, and tokens and DPoP proofs
from the `Authorization` and `DPoP` headers. The demo provider keeps only hashes of what it
issues, so this is how a test learns the values it must never find anywhere else.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from secret_scan import secrets_in_exchange

# Headers that describe one hop of a connection, not the message.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"})
FORWARD_TIMEOUT_SECONDS = 30


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


class RecordingRelay:
    """Forwards `http://127.0.0.1:{port}/{path}` to `{upstream}/{path}` and records secrets."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}
        self._requests: list[dict] = []
        self._opener = urllib.request.build_opener(_NoRedirects())
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                relay._forward(self)

            def do_POST(self) -> None:  # noqa: N802
                relay._forward(self)

            def log_message(self, format, *args) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def secrets(self) -> dict[str, str]:
        """Every secret seen so far, mapped to where it was first seen (e.g. `token answer access_token`)."""
        with self._lock:
            return dict(self._secrets)

    def requests(self) -> list[dict]:
        """Method, path and, for form posts, the non-secret `grant_type` of every request."""
        with self._lock:
            return list(self._requests)

    def grants(self) -> list[str]:
        """The `grant_type` of every token request, in order."""
        return [r["grant_type"] for r in self.requests() if r.get("grant_type")]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- relaying -------------------------------------------------------------------------

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        self._record_request(handler, body)
        upstream = urllib.parse.urlsplit(self.upstream)
        request = urllib.request.Request(
            self.upstream + handler.path,
            data=body,
            method=handler.command,
            headers={k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP},
        )
        request.add_header("Host", upstream.netloc)
        try:
            with self._opener.open(request, timeout=FORWARD_TIMEOUT_SECONDS) as response:
                status, headers, answer = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, answer = error.code, error.headers, error.read()
        found = secrets_in_exchange(
            handler.path,
            list(handler.headers.items()),
            (body or b"").decode("utf-8", "replace"),
            list(headers.items()),
            answer.decode("utf-8", "replace"),
        )
        for value, where in found.items():
            self._remember(value, where)
        handler.send_response(status)
        for name, value in headers.items():
            if name.lower() not in HOP_BY_HOP:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(answer)
        handler.close_connection = True

    def _record_request(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        entry = {"method": handler.command, "path": urllib.parse.urlsplit(handler.path).path}
        if body and "x-www-form-urlencoded" in handler.headers.get("Content-Type", ""):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            entry["grant_type"] = (form.get("grant_type") or [""])[0]
        with self._lock:
            self._requests.append(entry)

    def _remember(self, value: str, where: str) -> None:
        if value:
            with self._lock:
                self._secrets.setdefault(value, where)
