"""The test session itself: keyring, default browser and OS link hand-off, without the app.

When these fail, the app tests cannot mean anything; they point at the environment instead.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import urllib.parse
from pathlib import Path

import pytest

from desktop import STANDIN_DESKTOP_FILE, default_handler, run, wait_until

PROBE_SCHEME = "photolink-e2e-probe"
CONSENT_PAGE = """<!doctype html><html><head><title>Consent</title></head><body>
<form method="post" action="/decide">
  <input type="hidden" name="txn" value="t-1">
  <button type="submit" name="decision" value="deny">Deny</button>
  <button type="submit" name="decision" value="approve">Approve</button>
</form></body></html>"""


class ConsentServer(http.server.BaseHTTPRequestHandler):
    """A minimal consent page that redirects to the probe scheme with what was submitted."""

    def do_GET(self):
        body = CONSENT_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        form = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.send_response(303)
        self.send_header("Location", f"{PROBE_SCHEME}:/callback?code=secret-code&{form}")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def consent_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ConsentServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/authorize"
    server.shutdown()


@pytest.fixture
def probe_handler(home, tmp_path) -> Path:
    """Registers a link handler for the probe scheme that records the URL it is given."""
    received = tmp_path / "received"
    script = tmp_path / "probe-handler"
    script.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > '{received}'\n")
    script.chmod(0o755)
    applications = home / ".local/share/applications"
    applications.mkdir(parents=True, exist_ok=True)
    (applications / "photolink-e2e-probe.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Probe\n"
        f"Exec={script} %u\nMimeType=x-scheme-handler/{PROBE_SCHEME};\nNoDisplay=true\n"
    )
    run(["xdg-mime", "default", "photolink-e2e-probe.desktop", f"x-scheme-handler/{PROBE_SCHEME}"])
    return received


def test_keyring_is_unlocked_and_round_trips():
    attributes = ["service", "photolink-e2e-probe", "username", "probe"]
    subprocess.run(["secret-tool", "store", "--label=probe", *attributes], input="s3cret", text=True, check=True)
    assert run(["secret-tool", "lookup", *attributes]).stdout == "s3cret"
    run(["secret-tool", "clear", *attributes])
    assert run(["secret-tool", "lookup", *attributes], check=False).returncode != 0


def test_session_has_no_desktop_environment_variables():
    assert "XDG_CURRENT_DESKTOP" not in os.environ
    assert os.environ["HOME"].startswith(os.environ.get("TMPDIR", "/tmp"))


@pytest.mark.parametrize("opener", [["xdg-open"], ["gio", "open"]])
def test_http_links_reach_the_standin_browser(installed_browser, consent_server, probe_handler, opener):
    installed_browser.reset(decision="approve")
    assert default_handler("x-scheme-handler/http") == STANDIN_DESKTOP_FILE

    run([*opener, consent_server])

    assert wait_until(lambda: probe_handler.exists(), 20), installed_browser.events()
    received = urllib.parse.parse_qs(urllib.parse.urlsplit(probe_handler.read_text()).query)
    assert received["decision"] == ["approve"] and received["txn"] == ["t-1"]
    (visit,) = installed_browser.visits()
    assert visit["url"] == consent_server
    (handoff,) = installed_browser.events("handoff")
    assert handoff["returncode"] == 0 and "secret-code" not in str(handoff), handoff


def test_standin_browser_presses_deny_when_asked(installed_browser, consent_server, probe_handler):
    installed_browser.reset(decision="deny")

    run(["xdg-open", consent_server])

    assert wait_until(lambda: probe_handler.exists(), 20), installed_browser.events()
    received = urllib.parse.parse_qs(urllib.parse.urlsplit(probe_handler.read_text()).query)
    assert received["decision"] == ["deny"]
