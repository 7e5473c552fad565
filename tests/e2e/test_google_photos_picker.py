"""Google Photos through the Picker API: Choose photos… opens the picker page in the (stand-in)
browser, the person picks three photos there and presses Done, and exactly those three appear
in the gallery, their thumbnails really shown; after a restart they are still there. When
Google's links to them end, the saved thumbnails still show and the window says what choosing
again does. A session that ends before the person presses Done is said plainly, and choosing
again works.

The Picker API is `photolink-photo-fixture` (crates/photo-fixtures, a fixture of Google's
documented API, not the service), signed in through the demo provider: the fixture accepts the
access tokens the demo provider's userinfo endpoint vouches for, and hands out base URLs on its
own origin (the app sends the token only there, and to Google's base URL host, which a test
cannot stand in for). The test tells the fixture what happens at Google (links expiring)
through the fixture program's stdin commands.
"""

from __future__ import annotations

import json

import pytest

from desktop import wait_until
from photo_fixture import launch_against, start_photo_fixture, wait_for_thumbnails
from test_account_link import connect, wait_for_browser_event

PICKED = ["p2", "p5", "p7"]
# The fixture's photo `p{n}` is titled "Photo {n}.png" (crates/photo-fixtures).
TITLES = sorted(f"Photo {item[1:]}.png" for item in PICKED)
# The fixture polls at "1s"; listing and keeping thumbnails take a few more.
CHOOSING_SECONDS = 60


@pytest.fixture
def picker_api(provider, artifacts):
    """The Picker fixture, trusting the demo provider's tokens."""
    yield from start_photo_fixture(provider, artifacts, "google-photos-picker", "--photos", "9")


@pytest.fixture
def picker_app(request, clean_slate, app_binary, artifacts, browser, provider, picker_api):
    """PhotoLink signed in at the demo provider, its photos from the Picker fixture."""
    yield from launch_against(request, app_binary, artifacts, browser, provider, picker_api, "google-photos-picker")


def shown_titles(app) -> list[str]:
    return sorted(
        app.driver.execute_script(
            "return [...document.querySelectorAll('[data-testid=\"photo\"] .tile-title')].map((t) => t.textContent);"
        )
    )


def choose(app, browser, items: list[str], said: str):
    """Choose photos…, picking `items` in the stand-in browser, until the window says `said`."""
    browser.reset()
    (browser.state_dir / "control.json").write_text(json.dumps({"pick": items}))
    app.click("choose-photos")
    app.wait_for(
        lambda d: said in app.find("picker-status").text,
        f"the sentence {said!r}",
        CHOOSING_SECONDS,
    )


def test_the_photos_chosen_in_the_picker_and_only_those_appear_and_stay_after_a_restart(picker_app, browser):
    app = picker_app
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.visible("picker"), "the Choose photos… panel")
    explanation = app.find("picker-explanation").text
    assert "only the photos you choose" in explanation, explanation
    assert shown_titles(app) == []

    choose(app, browser, PICKED, "Added 3 photos.")
    visit = browser.visits()[-1]
    assert visit["url"].endswith("/autoclose"), visit
    picked = browser.events("picked")
    assert picked and picked[-1]["status"] == 200, browser.events()
    app.wait_for(lambda d: shown_titles(app) == TITLES, f"exactly {TITLES}")
    wait_for_thumbnails(app, TITLES)
    # The explanation is refreshed beside the gallery, not before it: wait for it as for the tiles.
    app.wait_for(
        lambda d: "added to these" in app.find("picker-explanation").text,
        "the explanation to say further photos are added to these",
    )
    assert not app.visible("picker-expired")

    app.restart()
    app.wait_for_state("connected")
    app.wait_for(lambda d: shown_titles(app) == TITLES, f"still exactly {TITLES} after a restart")
    wait_for_thumbnails(app, TITLES)
    assert wait_until(lambda: app.visible("picker"), 10)


def test_when_googles_links_end_the_saved_thumbnails_still_show_and_the_window_says_what_choosing_again_does(
    picker_app, picker_api, browser
):
    app = picker_app
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.visible("picker"), "the Choose photos… panel")
    choose(app, browser, PICKED, "Added 3 photos.")
    app.wait_for(lambda d: shown_titles(app) == TITLES, f"exactly {TITLES}")
    wait_for_thumbnails(app, TITLES)
    assert not app.visible("picker-expired")

    # At Google, the base URLs reach the end of their 60 minutes.
    assert picker_api.command("expire-base-urls") == "ok"
    app.restart()
    app.wait_for_state("connected")
    app.wait_for(lambda d: app.visible("picker-expired"), "the notice that the links have ended")
    notice = app.find("picker-expired").text
    assert "60 minutes" in notice and "choose it again" in notice, notice
    assert "adds to these" in notice and "removes nothing" in notice, notice
    app.wait_for(lambda d: shown_titles(app) == TITLES, f"still exactly {TITLES}")
    wait_for_thumbnails(app, TITLES)

    # Choosing again adds, with fresh links: the notice goes.
    choose(app, browser, ["p1"], "Added 1 photo.")
    added = sorted([*TITLES, "Photo 1.png"])
    app.wait_for(lambda d: shown_titles(app) == added, f"exactly {added}")
    wait_for_thumbnails(app, ["Photo 1.png"])
    app.wait_for(lambda d: not app.visible("picker-expired"), "the notice gone")


def test_a_session_that_ends_before_done_is_said_plainly_and_choosing_again_works(picker_app, picker_api, browser):
    app = picker_app
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.visible("picker"), "the Choose photos… panel")
    browser.reset()
    (browser.state_dir / "control.json").write_text(json.dumps({"pick": ["p3"], "hold": True}))
    app.click("choose-photos")
    wait_for_browser_event(browser, "holding")

    # At Google, the session reaches its expireTime while the person is still choosing.
    assert picker_api.command("expire-picking-sessions") == "ok"
    app.wait_for(
        lambda d: "ended before you pressed Done" in app.find("picker-status").text,
        "the sentence saying choosing ended",
        CHOOSING_SECONDS,
    )
    assert "Choose photos… to start again" in app.find("picker-status").text
    browser.release()
    wait_for_browser_event(browser, "picked")
    assert browser.events("picked")[-1]["status"] == 404, "Done on an ended session was taken"
    assert shown_titles(app) == []

    choose(app, browser, ["p3"], "Added 1 photo.")
    app.wait_for(lambda d: shown_titles(app) == ["Photo 3.png"], "exactly Photo 3.png")
