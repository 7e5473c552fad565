"""Google Photos through the Picker API: Choose photos… opens the picker page in the (stand-in)
browser, the person picks three photos there and presses Done, and exactly those three appear
in the gallery; after a restart they are still there.

The Picker API is `photolink-photo-fixture` (crates/photo-fixtures, a fixture of Google's
documented API, not the service), signed in through the demo provider: the fixture accepts the
access tokens the demo provider's userinfo endpoint vouches for, and hands out base URLs on its
own origin (the app sends the token only there, and to Google's base URL host, which a test
cannot stand in for).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import PROVIDER_NAME, _launcher, built_binary
from desktop import stop_process, wait_until
from test_account_link import connect

PICKED = ["p2", "p5", "p7"]
# The fixture's photo `p{n}` is titled "Photo {n}.png" (crates/photo-fixtures).
TITLES = sorted(f"Photo {item[1:]}.png" for item in PICKED)
# The fixture polls at "1s"; listing and keeping thumbnails take a few more.
CHOOSING_SECONDS = 60


@pytest.fixture
def picker_api(provider, artifacts):
    """The Picker fixture, trusting the demo provider's tokens: its API root."""
    binary = built_binary("PHOTOLINK_FIXTURE_BINARY", "photolink-photo-fixture")
    log = open(artifacts / "picker-fixture.log", "w", encoding="utf-8")
    process = subprocess.Popen(
        [str(binary), "--service", "google-photos-picker", "--photos", "9",
         "--trust-userinfo", f"{provider.issuer}/userinfo"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    api_root = process.stdout.readline().strip()
    try:
        assert api_root.startswith("http://127.0.0.1:"), api_root
        yield api_root
    finally:
        stop_process(process)
        log.close()


@pytest.fixture
def picker_app(request, clean_slate, app_binary, artifacts, browser, provider, picker_api):
    """PhotoLink signed in at the demo provider, its photos from the Picker fixture."""
    config = provider.write_app_config(artifacts / "provider.toml", PROVIDER_NAME)
    lines = [line for line in config.read_text().splitlines() if not line.startswith("photos_endpoint")]
    lines += [f"photos_endpoint = {json.dumps(picker_api)}", 'photo_api = "google-photos-picker"']
    config.write_text("\n".join(lines) + "\n")
    yield from _launcher(request, app_binary, artifacts, browser, config)


def shown_titles(app) -> list[str]:
    return sorted(
        app.driver.execute_script(
            "return [...document.querySelectorAll('[data-testid=\"photo\"] .tile-title')].map((t) => t.textContent);"
        )
    )


def test_the_photos_chosen_in_the_picker_and_only_those_appear_and_stay_after_a_restart(picker_app, browser):
    app = picker_app
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.visible("picker"), "the Choose photos… panel")
    explanation = app.find("picker-explanation").text
    assert "only the photos you choose" in explanation, explanation
    assert shown_titles(app) == []

    browser.reset()
    (browser.state_dir / "control.json").write_text(json.dumps({"pick": PICKED}))
    app.click("choose-photos")
    app.wait_for(
        lambda d: "Added 3 photos." in app.find("picker-status").text,
        "the sentence saying what was added",
        CHOOSING_SECONDS,
    )
    visit = browser.visits()[-1]
    assert visit["url"].endswith("/autoclose"), visit
    picked = browser.events("picked")
    assert picked and picked[-1]["status"] == 200, browser.events()
    app.wait_for(lambda d: shown_titles(app) == TITLES, f"exactly {TITLES}")
    assert "added to these" in app.find("picker-explanation").text

    app.restart()
    app.wait_for_state("connected")
    app.wait_for(lambda d: shown_titles(app) == TITLES, f"still exactly {TITLES} after a restart")
    assert wait_until(lambda: app.visible("picker"), 10)
