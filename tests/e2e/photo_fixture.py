"""`photolink-photo-fixture` (crates/photo-fixtures: loopback fixtures of the documented photo
APIs, not the services) for the end-to-end tests: starting it, telling it what happens at the
service through its stdin commands, pointing the app at it, and checking that the window really
shows its images.
"""

from __future__ import annotations

import json
import subprocess

from conftest import PROVIDER_NAME, _launcher, built_binary
from desktop import stop_process


class PhotoFixture:
    """A running `photolink-photo-fixture`: its API root, and its stdin commands."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.api_root = process.stdout.readline().strip()
        self.content_origin = process.stdout.readline().strip()

    def command(self, line: str) -> str:
        """Runs one command (see the program's usage); its one-line answer."""
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()


def start_photo_fixture(provider, artifacts, service: str, *args: str):
    """Starts `photolink-photo-fixture --service {service}` with `args`, trusting the demo
    provider's tokens, logging to `{service}-fixture.log`; yields it, then stops it."""
    binary = built_binary("PHOTOLINK_FIXTURE_BINARY", "photolink-photo-fixture")
    log = open(artifacts / f"{service}-fixture.log", "w", encoding="utf-8")
    process = subprocess.Popen(
        [str(binary), "--service", service, *args, "--trust-userinfo", f"{provider.issuer}/userinfo"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        fixture = PhotoFixture(process)
        assert fixture.api_root.startswith("http://127.0.0.1:"), fixture.api_root
        yield fixture
    finally:
        stop_process(process)
        log.close()


def launch_against(request, app_binary, artifacts, browser, provider, fixture: PhotoFixture, photo_api: str):
    """PhotoLink signed in at the demo provider, its photos from `fixture` read as `photo_api`
    (a `provider.toml` naming them): yields what conftest's launcher yields."""
    config = provider.write_app_config(artifacts / "provider.toml", PROVIDER_NAME)
    lines = [line for line in config.read_text().splitlines() if not line.startswith("photos_endpoint")]
    lines += [f"photos_endpoint = {json.dumps(fixture.api_root)}", f"photo_api = {json.dumps(photo_api)}"]
    config.write_text("\n".join(lines) + "\n")
    yield from _launcher(request, app_binary, artifacts, browser, config)


# Each tile by its title: "loaded" (its image decoded: naturalWidth > 0), "failed" (the
# fallback text shows instead) or "loading".
TILE_STATES = """
return [...document.querySelectorAll('[data-testid="photo"]')].map((tile) => {
  const image = tile.querySelector('img');
  const fallback = tile.querySelector('.tile-fallback');
  const failed = fallback && getComputedStyle(fallback).display !== 'none';
  const loaded = image && image.complete && image.naturalWidth > 0;
  return [tile.querySelector('.tile-title').textContent, failed ? 'failed' : loaded ? 'loaded' : 'loading'];
});
"""


def tile_states(app) -> dict[str, str]:
    return dict(app.driver.execute_script(TILE_STATES))


def wait_for_thumbnails(app, titles: list[str]):
    """Waits until the tiles of `titles` show their images; fails at once if one shows the
    fallback text instead."""
    def shown(_driver) -> bool:
        states = tile_states(app)
        failed = [title for title in titles if states.get(title) == "failed"]
        assert not failed, f"these tiles show 'Could not load this photo': {failed} ({states})"
        return all(states.get(title) == "loaded" for title in titles)

    app.wait_for(shown, f"the thumbnails of {titles} shown")
