"""The demo provider as a separate process, and plain HTTP calls a test makes to it."""

from __future__ import annotations

import json
from email.message import Message
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from desktop import stop_process
from secret_scan import secrets_in_exchange

CLIENT_ID = "photolink-desktop"
SCOPES = ["photos:read", "profile"]
START_TIMEOUT_SECONDS = 30


class DemoProvider:
    """Runs `photolink-demo-provider`, which prints its issuer URL on one stdout line."""

    def __init__(self, binary: Path, log_dir: Path, args: list[str] | None = None) -> None:
        self.log_path = log_dir / "provider.log"
        self._binary = binary
        self._args = list(args or [])
        self._log = open(self.log_path, "w", encoding="utf-8")
        self._spawn(self._args)
        self.issuer = self._read_issuer()
        # Keep draining stdout so the provider never blocks on a full pipe.
        threading.Thread(target=self._copy_stdout, daemon=True).start()

    def _spawn(self, args: list[str]) -> None:
        self._process = subprocess.Popen(
            [str(self._binary), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )

    def _read_issuer(self) -> str:
        found: list[str] = []

        def read() -> None:
            for line in self._process.stdout:
                self._log.write(line)
                self._log.flush()
                if line.strip().startswith(("http://", "https://")):
                    found.append(line.strip())
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_SECONDS)
        if not found:
            self.stop()
            raise RuntimeError(
                f"photolink-demo-provider printed no issuer URL within {START_TIMEOUT_SECONDS} s; "
                f"see {self.log_path}"
            )
        return found[0].rstrip("/")

    def _copy_stdout(self) -> None:
        for line in self._process.stdout:
            self._log.write(line)
            self._log.flush()

    @property
    def photos_endpoint(self) -> str:
        return f"{self.issuer}/photos"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    def write_app_config(self, path: Path, name: str) -> Path:
        """A provider.toml for the app (the format PHOTOLINK_PROVIDER_CONFIG points at)."""
        path.write_text(self.app_config_fields(name))
        return path

    def app_config_fields(self, name: str) -> str:
        """The fields of this provider in a provider.toml, as `name`."""
        scopes = ", ".join(json.dumps(scope) for scope in SCOPES)
        return (
            f"name = {json.dumps(name)}\n"
            f"issuer = {json.dumps(self.issuer)}\n"
            f"client_id = {json.dumps(CLIENT_ID)}\n"
            f"scopes = [{scopes}]\n"
            f"photos_endpoint = {json.dumps(self.photos_endpoint)}\n"
        )

    def get_photos(self, access_token: str) -> HttpAnswer:
        request = urllib.request.Request(
            self.photos_endpoint, headers={"Authorization": f"Bearer {access_token}"}
        )
        return send(request)

    def refresh(self, refresh_token: str) -> HttpAnswer:
        form = urllib.parse.urlencode(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID}
        ).encode()
        request = urllib.request.Request(
            self.token_endpoint,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            method="POST",
        )
        return send(request)

    def revoke(self, token: str) -> HttpAnswer:
        """RFC 7009 revocation; revoking either token of a grant ends the grant."""
        form = urllib.parse.urlencode({"token": token, "client_id": CLIENT_ID}).encode()
        request = urllib.request.Request(
            f"{self.issuer}/revoke",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        return send(request)

    # --- test controls (only with `--test-controls`) ---------------------------------------

    def arm_faults(self, *faults: dict) -> None:
        """Replaces the armed faults, e.g. `{"fault": "token_html", "times": 1}` (see the demo
        provider's docs: without `times` a fault lasts until cleared)."""
        request = urllib.request.Request(
            f"{self.issuer}/_test/faults",
            data=json.dumps({"faults": list(faults)}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        answer = send(request)
        if answer.status != 204:
            raise RuntimeError(f"the provider refused the faults {faults}: {answer.status} {answer.body!r}")

    def clear_faults(self) -> None:
        """Disarms every fault and releases hanging requests."""
        answer = send(urllib.request.Request(f"{self.issuer}/_test/faults", method="DELETE"))
        if answer.status != 204:
            raise RuntimeError(f"the provider did not clear its faults: {answer.status} {answer.body!r}")

    def stats(self) -> dict:
        """The provider's counters (`Stats` in the demo provider, as JSON)."""
        answer = send(urllib.request.Request(f"{self.issuer}/_test/stats"))
        if answer.status != 200:
            raise RuntimeError(f"no provider stats: {answer.status} {answer.body!r}")
        return answer.json()

    def exchanges(self) -> list[dict]:
        """The provider's exchange log (only with `--record-exchanges`): every request and answer
        in plain text, oldest first; fails if the log was full and forgot some."""
        answer = send(urllib.request.Request(f"{self.issuer}/_test/exchanges"))
        if answer.status != 200:
            raise RuntimeError(f"no exchange log: {answer.status} {answer.body!r}")
        log = answer.json()
        if log["dropped"]:
            raise RuntimeError(f"the exchange log forgot {log['dropped']} exchanges")
        return log["exchanges"]

    def recorded_secrets(self) -> dict[str, str]:
        """Every secret in the exchange log, mapped to where it was first seen (see
        `secret_scan.secrets_in_exchange`)."""
        found: dict[str, str] = {}
        for exchange in self.exchanges():
            carried = secrets_in_exchange(
                exchange["target"],
                exchange["request_headers"],
                exchange["request_body"],
                exchange["response_headers"],
                exchange["response_body"],
            )
            for value, where in carried.items():
                found.setdefault(value, where)
        return found

    def stop(self) -> None:
        stop_process(self._process)
        if not self._log.closed:
            self._log.close()

    # --- going away and coming back ---------------------------------------------------------

    def pause(self) -> None:
        """Stops the provider process: its port refuses connections until `resume`."""
        stop_process(self._process)

    def resume(self) -> None:
        """Starts the provider again on the same port, with the same arguments. Grants and
        tokens survive only when it was started with `--state-file`."""
        port = urllib.parse.urlsplit(self.issuer).port
        self._spawn([*self._args, "--port", str(port)])
        issuer = self._read_issuer()
        if issuer != self.issuer:
            raise RuntimeError(f"the provider came back as {issuer}, not {self.issuer}")
        threading.Thread(target=self._copy_stdout, daemon=True).start()


class HttpAnswer:
    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        """`headers` look names up case-insensitively."""
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def send(request: urllib.request.Request) -> HttpAnswer:
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return HttpAnswer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.headers, error.read())
