"""Secrets never appear: not in PhotoLink's output or log file, not in the output of the second
PhotoLink the OS starts for the link, not in any file under HOME or in the temp folder, not in
anything the window received, not in the page nor in the web view's storage.

PhotoLink runs with the most verbose logging (`RUST_LOG=trace`, inherited by the browser and so
by the second PhotoLink) through a whole account life: a sign-in the browser holds, connect,
photos, a token refresh (access tokens expire within seconds), disconnect. What to look for
comes from the other side of every exchange and from the keyring (see secret_scan.py for the
forms each secret is looked for in):

- `test_no_secret_reaches_output_files_ipc_or_the_page`: Bearer tokens, the endpoints given in
  the settings, all but the browser's behind a recording relay;
- `test_an_openid_pushed_dpop_sign_in_leaks_nothing`: the embedded provider's default path
  (pushed requests, DPoP-bound tokens) with `openid`. Its endpoints are discovered, so no relay
  can stand in front: the demo provider records every exchange for the test
  (`--record-exchanges`). Needles: codes, verifiers, access, refresh and ID tokens, every DPoP
  proof, the `request_uri`, the nonce, and the DPoP private key from the keyring.

Files are read while the browser holds the sign-in, right after the exchange, after the
refresh and at the end, and searched once every secret is known (a verifier goes over the wire
only after the moment its file was read); the page and the web view's storage are read while
connected, after the refresh and after Disconnect.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import PROVIDER_NAME, _launcher
from desktop import KEYRING_SERVICE, keyring_secrets, register_link_handler, stored_tokens, wait_until
from provider import CLIENT_ID, SCOPES, DemoProvider
from recording_relay import RecordingRelay
from secret_scan import Needles, Secret, dpop_key_secrets, files_under, leaks_in, secret
from test_account_link import wait_for_browser_event

# Access tokens live this long; PhotoLink refreshes once half of that is left.
ACCESS_TOKEN_TTL_SECONDS = 8
REFRESH_TIMEOUT_SECONDS = 45
# Members of PhotoLink's keyring items (token set, saved sign-in) that are secrets.
KEYRING_SECRET_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "verifier", "nonce"})


# --- what is looked at --------------------------------------------------------------------------


def data_home(home: Path) -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local/share")


def log_folder(home: Path) -> Path:
    """Where Tauri's `app_log_dir` is on Linux."""
    return data_home(home) / "com.example.photolink" / "logs"


WEB_STORAGE_SCRIPT = """
const done = arguments[arguments.length - 1];
const dump = (storage) => Object.fromEntries(Object.keys(storage).map((key) => [key, storage.getItem(key)]));
const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
const read = async () => {
  const found = { local: dump(localStorage), session: dump(sessionStorage), listable: !!indexedDB.databases, indexedDB: {} };
  for (const { name } of (indexedDB.databases ? await indexedDB.databases() : [])) {
    const db = await request(indexedDB.open(name));
    const stores = {};
    for (const store of db.objectStoreNames) {
      stores[store] = await request(db.transaction(store).objectStore(store).getAll());
    }
    db.close();
    found.indexedDB[name] = stores;
  }
  return found;
};
read().then((found) => done(JSON.stringify(found)), (error) => done(JSON.stringify({ error: String(error) })));
"""


class Evidence:
    """Everything PhotoLink left where it could be read, kept until every secret is known."""

    def __init__(self, home: Path, private_temp: Path, skip: tuple[Path, ...], service: str = KEYRING_SERVICE) -> None:
        self.home = home
        self.service = service
        self.private_temp = private_temp
        # The private folder was made in the system's temp folder.
        self.system_temp = private_temp.parent
        self.skip = skip
        self.started = time.time()
        self.haystacks: dict[str, bytes] = {}
        self.keyring: list[str] = []

    def files(self, moment: str) -> None:
        """Every file under HOME and the private temp folder, and any file in the system's temp
        folder changed since the test started (a program that ignores TMPDIR)."""
        for path, content in files_under(self.home, self.skip).items():
            self.haystacks[f"{moment}: {path}"] = content
        for path, content in files_under(self.private_temp).items():
            self.haystacks[f"{moment}: {path}"] = content
        recent = files_under(self.system_temp, (self.home, self.private_temp), newer_than=self.started)
        for path, content in recent.items():
            self.haystacks[f"{moment}: {path}"] = content
        self.keyring.extend(keyring_secrets(self.service))

    def window(self, app, moment: str) -> None:
        """The page as it stands and the web view's localStorage, sessionStorage and IndexedDB."""
        self.haystacks[f"{moment}: the page"] = app.driver.page_source.encode()
        self.haystacks[f"{moment}: the DOM"] = app.driver.execute_script(
            "return document.documentElement.outerHTML;"
        ).encode()
        app.driver.set_script_timeout(30)
        storage = json.loads(app.driver.execute_async_script(WEB_STORAGE_SCRIPT))
        assert "error" not in storage, f"could not read the web view's storage: {storage}"
        assert storage["listable"], "the web view cannot list its IndexedDB databases; the check would prove nothing"
        self.haystacks[f"{moment}: web storage"] = json.dumps(storage).encode()

    def add(self, name: str, content: bytes) -> None:
        self.haystacks[name] = content

    def keyring_secrets(self) -> list[Secret]:
        """The secrets in PhotoLink's keyring items as they were at each moment."""
        found: list[Secret] = []

        def walk(value) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    if key == "dpop_key" and isinstance(inner, str):
                        found.extend(dpop_key_secrets(inner, "the DPoP private key (keyring)"))
                    elif key in KEYRING_SECRET_FIELDS and isinstance(inner, str) and inner:
                        found.append(secret(inner, f"keyring {key}"))
                    elif key == "authorize_url" and isinstance(inner, str):
                        for name, query_value in urllib.parse.parse_qsl(urllib.parse.urlsplit(inner).query):
                            if name == "request_uri":
                                found.append(secret(query_value, "keyring request_uri"))
                    else:
                        walk(inner)
            elif isinstance(value, list):
                for inner in value:
                    walk(inner)

        for text in set(self.keyring):
            try:
                walk(json.loads(text))
            except ValueError:
                found.append(secret(text, "a keyring item"))
        return found


def as_needles(recorded: dict[str, str], extra: list[Secret] = ()) -> Needles:
    by_value = {value: secret(value, where) for value, where in recorded.items()}
    for item in extra:
        by_value.setdefault(item.value.decode("latin-1"), item)
    return Needles(list(by_value.values()))


def install_recorded_link_handler(app, artifacts: Path) -> Path:
    """Makes the OS start the link's PhotoLink through a wrapper that keeps its whole output."""
    output = artifacts / "link-handler-output.log"
    wrapper = artifacts / "photolink-link-handler"
    wrapper.write_text(f"#!/bin/sh\nexec '{app.binary}' \"$@\" >>'{output}' 2>&1\n")
    wrapper.chmod(0o755)
    register_link_handler(wrapper)  # after launch: a development build registers its own at start
    return output


def refresh_by_asking_for_photos(app, refreshed) -> None:
    """Asks for photos until `refreshed()` says the expiring access token was refreshed."""

    def ask() -> bool:
        app.driver.set_script_timeout(30)
        app.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.__TAURI__.core.invoke('photos', {}).then(() => done(true), () => done(false));"
        )
        return refreshed()

    assert wait_until(ask, REFRESH_TIMEOUT_SECONDS, interval=1), "no refresh happened"


@pytest.fixture
def private_temp() -> Path:
    """A temp folder of the test's own, in the system's; `_traced` makes it PhotoLink's TMPDIR."""
    folder = Path(tempfile.mkdtemp(prefix="photolink-leak-temp-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _traced(monkeypatch, private_temp) -> None:
    monkeypatch.setenv("RUST_LOG", "trace")
    monkeypatch.setenv("TMPDIR", str(private_temp))


# --- Bearer tokens, endpoints from the settings, behind a relay --------------------------------------


@pytest.fixture
def short_lived_provider(provider_binary, artifacts) -> DemoProvider:
    running = DemoProvider(provider_binary, artifacts, ["--access-token-ttl", str(ACCESS_TOKEN_TTL_SECONDS)])
    yield running
    running.stop()


@pytest.fixture
def relay(short_lived_provider) -> RecordingRelay:
    running = RecordingRelay(short_lived_provider.issuer)
    yield running
    running.stop()


@pytest.fixture
def traced_app(request, monkeypatch, private_temp, clean_slate, app_binary, artifacts, browser, short_lived_provider, relay):
    """PhotoLink at RUST_LOG=trace, with every endpoint but the browser's behind the relay."""
    _traced(monkeypatch, private_temp)
    issuer = short_lived_provider.issuer
    settings = {
        "name": PROVIDER_NAME,
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{relay.url}/token",
        "revocation_endpoint": f"{relay.url}/revoke",
        "userinfo_endpoint": f"{relay.url}/userinfo",
        "client_id": CLIENT_ID,
        "scopes": SCOPES,
        "photos_endpoint": f"{relay.url}/photos",
    }
    config = artifacts / "provider.toml"
    config.write_text("".join(f"{name} = {json.dumps(value)}\n" for name, value in settings.items()))
    yield from _launcher(request, app_binary, artifacts, browser, config)


def connect_gathering_evidence(app, browser, home, private_temp, artifacts):
    """Launches PhotoLink with its link handler recorded and connects, reading the files while
    the sign-in waits and right after the exchange, and the window once connected."""
    evidence = Evidence(home, private_temp, skip=(browser.state_dir,))
    app.launch()
    link_output = install_recorded_link_handler(app, artifacts)
    app.record_ipc()

    browser.configure(hold=True)
    app.click("connect")
    app.wait_for_state("waiting")
    wait_for_browser_event(browser, "holding")
    evidence.files("while waiting")
    browser.release()
    app.wait_for_state("connected")
    evidence.files("right after the exchange")
    assert app.wait_for_photos() >= 1
    evidence.window(app, "connected")
    return evidence, link_output


def test_no_secret_reaches_output_files_ipc_or_the_page(traced_app, browser, relay, home, artifacts, private_temp):
    app = traced_app
    evidence, link_output = connect_gathering_evidence(app, browser, home, private_temp, artifacts)

    refresh_by_asking_for_photos(app, lambda: "refresh_token" in relay.grants())
    stored = stored_tokens()
    # Names only in the message: the values are secrets.
    missed = [name for name in ("access_token", "refresh_token") if stored.get(name) not in relay.secrets()]
    assert not missed, f"the relay missed the keyring's {missed}"
    keyrings = list((data_home(home) / "keyrings").glob("*.keyring"))
    assert keyrings, "gnome-keyring keeps no keyring file under HOME; the file checks would prove nothing"
    evidence.files("after the refresh")
    evidence.window(app, "after the refresh")

    app.click("disconnect")
    app.wait_for_state("disconnected")
    assert relay.grants().count("authorization_code") == 1, relay.requests()
    assert any(r["path"] == "/revoke" for r in relay.requests()), relay.requests()
    evidence.window(app, "after Disconnect")
    received = app.recorded_ipc()
    app.quit()
    evidence.files("at the end")

    secrets = relay.secrets()
    (artifacts / "relay.txt").write_text(
        "requests:\n" + "".join(f"  {r}\n" for r in relay.requests())
        + "secrets seen (values left out):\n" + "".join(f"  {where}\n" for where in secrets.values())
    )
    kinds = {where.rsplit(" ", 1)[-1] for where in secrets.values()}
    assert {"code", "code_verifier", "access_token", "refresh_token"} <= kinds, secrets.values()
    assert any("connection-changed" in entry for entry in received), "the recorder saw no event"
    assert any("photo://localhost/" in entry for entry in received), "the recorder saw no photo list"
    assert_nothing_leaked(evidence, as_needles(secrets, evidence.keyring_secrets()), received, home, artifacts, link_output)


# --- openid, pushed requests and DPoP: the demo provider records every exchange ----------------------


@pytest.fixture
def traced_oidc_app(request, monkeypatch, private_temp, clean_slate, app_binary, artifacts, browser, provider):
    """PhotoLink at RUST_LOG=trace, asking the recording demo provider for `openid` too."""
    _traced(monkeypatch, private_temp)
    config = provider.write_app_config(artifacts / "provider.toml", PROVIDER_NAME)
    text = config.read_text().replace('"profile"]', '"profile", "openid"]')
    assert '"openid"' in text, text
    config.write_text(text)
    yield from _launcher(request, app_binary, artifacts, browser, config)


def refreshed_at(provider: DemoProvider) -> bool:
    return any(
        exchange["target"] == "/token" and exchange["status"] == 200 and "grant_type=refresh_token" in exchange["request_body"]
        for exchange in provider.exchanges()
    )


@pytest.mark.provider_args(
    "--dpop", "--record-exchanges", "--test-controls", "--access-token-ttl", str(ACCESS_TOKEN_TTL_SECONDS)
)
def test_an_openid_pushed_dpop_sign_in_leaks_nothing(traced_oidc_app, browser, provider, home, artifacts, private_temp):
    app = traced_oidc_app
    evidence, link_output = connect_gathering_evidence(app, browser, home, private_temp, artifacts)

    refresh_by_asking_for_photos(app, lambda: refreshed_at(provider))
    stored = stored_tokens()
    evidence.files("after the refresh")
    evidence.window(app, "after the refresh")
    stats = provider.stats()
    assert stats["pushed_authorization_requests"] == 1, stats
    assert stats["id_tokens_issued"] == 1, stats
    assert stats["dpop_proofs_accepted"] >= 4, stats

    app.click("disconnect")
    app.wait_for_state("disconnected")
    evidence.window(app, "after Disconnect")
    received = app.recorded_ipc()
    app.quit()
    evidence.files("at the end")

    secrets = provider.recorded_secrets()
    (artifacts / "exchanges.txt").write_text(
        "".join(f"  {e['method']} {urllib.parse.urlsplit(e['target']).path} {e['status']}\n" for e in provider.exchanges())
        + "secrets seen (values left out):\n" + "".join(f"  {where}\n" for where in secrets.values())
    )
    wheres = list(secrets.values())
    for kind in ("redirect code", "form code_verifier", "answer access_token", "answer refresh_token",
                 "answer id_token", "DPoP proof", "answer request_uri", "form nonce"):
        assert any(where.endswith(kind) for where in wheres), f"no {kind} among the recorded secrets: {wheres}"
    assert any(
        name == "authorization" and value.startswith("DPoP ") and value[len("DPoP "):] in secrets
        for exchange in provider.exchanges()
        for name, value in exchange["request_headers"]
    ), "no access token went out as `Authorization: DPoP`"
    from_keyring = evidence.keyring_secrets()
    assert any(item.what.startswith("the DPoP private key") for item in from_keyring), "no DPoP key in the keyring"
    # Names only in the message: the values are secrets.
    missed = [name for name in ("access_token", "refresh_token") if stored.get(name) not in secrets]
    assert not missed, f"the exchange log missed the keyring's {missed}"
    assert_nothing_leaked(evidence, as_needles(secrets, from_keyring), received, home, artifacts, link_output)


# --- the verdict -----------------------------------------------------------------------------------------


def assert_nothing_leaked(evidence: Evidence, needles: Needles, received: list[str], home: Path, artifacts: Path,
                          link_output: Path) -> None:
    assert any("connection-changed" in entry for entry in received), "the recorder saw no event"
    evidence.add("IPC and events", "\n".join(received).encode())

    output = (artifacts / "app-and-driver.log").read_bytes()
    assert b"TRACE" in output, "PhotoLink did not log at trace level"
    evidence.add("PhotoLink's output", output)
    assert link_output.is_file(), "the OS did not start PhotoLink through the recorded link handler"
    second = link_output.read_bytes()
    assert b"TRACE" in second, f"the link's PhotoLink did not log at trace level: {second[-2000:]!r}"
    evidence.add("the link's PhotoLink's output", second)

    log_file = log_folder(home) / "photolink.log"
    assert log_file.is_file(), f"no log file in {log_folder(home)}"
    assert b"TRACE" in log_file.read_bytes(), "the log file holds no trace-level events"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert any(name.endswith(str(log_file)) for name in evidence.haystacks), "the log file was not read"

    leaks = leaks_in(evidence.haystacks, needles)
    assert not leaks, "secrets found:\n" + "\n".join(f"  {where}: {', '.join(what)}" for where, what in leaks.items())
