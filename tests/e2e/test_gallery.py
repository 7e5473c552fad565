"""The gallery in the real window against large and empty libraries of the demo provider.

The grid is virtual: whatever the scroll position, only the tiles near the screen exist and load
their thumbnails, and further pages are fetched as the end of the known photos comes near.
"""

from __future__ import annotations

import math

import pytest
from selenium.webdriver.common.keys import Keys

from conftest import PROVIDER_NAME
from desktop import stored_tokens
from test_account_link import connect

pytestmark = pytest.mark.provider_args("--photos", "10000", "--test-controls")

# The demo library's titles: photo i shows design i % 12; later rounds are numbered.
TITLES = [
    "Alpine sunrise",
    "Moonlit lake",
    "Desert dusk",
    "Misty valley",
    "Northern lights",
    "Golden hour hills",
    "Glacier noon",
    "Lavender evening",
    "Autumn ridge",
    "Coastal morning",
    "Crimson sunset",
    "Starry summit",
]
# The demo provider's default page size.
PAGE_SIZE = 50
FAR_DOWN = 5000
RECONNECT_NEEDED = f"Your connection to {PROVIDER_NAME} has expired or was withdrawn. Connect again."


def demo_title(index: int) -> str:
    round_ = index // len(TITLES)
    return TITLES[index % len(TITLES)] + ("" if round_ == 0 else f" {round_ + 1}")


def most_tiles(layout: dict) -> int:
    """The tiles of three screens' worth of rows (on screen, one above, one below), counting
    the partly shown rows at each edge: what the grid may hold at any scroll position."""
    screen_rows = math.ceil(layout["viewport"] / layout["row_height"])
    return layout["columns"] * (3 * screen_rows + 2)


def viewer_position(app) -> str:
    return app.find("viewer-position").text.strip()


def viewer_open(app) -> bool:
    return app.driver.execute_script('return document.querySelector(\'[data-testid="viewer"]\').open;')


def viewer_image_loaded(app) -> bool:
    return app.driver.execute_script(
        "const img = document.querySelector('[data-testid=\"viewer-image\"]');"
        "return !img.hidden && img.complete && img.naturalWidth === 1200;"
    )


def open_photo(app, index: int) -> None:
    """Clicks the tile of photo `index` once the grid has placed it (a tile partly under the
    top bar is clicked through the page, as WebDriver refuses to click a covered element)."""
    tile = app.wait_for(lambda d: app.tile(index), f"the tile of photo {index}")
    app.driver.execute_script("arguments[0].click()", tile)


def press(app, key: str) -> None:
    app.driver.switch_to.active_element.send_keys(key)


def open_in_viewer(app, index: int) -> None:
    """Opens photo `index` from the keyboard (Enter on its tile) once the first screen of
    thumbnails is painted, and waits for its large image."""
    app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails")
    app.tile(index).send_keys(Keys.ENTER)
    app.wait_for(lambda d: viewer_open(app), "the viewer to open")
    app.wait_for(lambda d: viewer_image_loaded(app), "the large image to load")


def test_a_ten_thousand_photo_library_shows_its_first_screen_and_keeps_few_tiles_far_down(app, browser, provider):
    app.launch()
    connect(app, browser)

    assert app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails to be painted")
    first = app.gallery()
    assert first["columns"] >= 2, first
    assert first["first"] == 0 and first["tiles"] <= most_tiles(first), first
    assert first["last"] < PAGE_SIZE, f"more than the first page was listed before scrolling: {first}"
    assert app.tile(0).get_attribute("aria-label") == f"{demo_title(0)}, open large"

    app.scroll_gallery_to(FAR_DOWN)

    app.wait_for(lambda d: app.painted_on_screen(), f"the thumbnails around photo {FAR_DOWN} to be painted")
    far = app.gallery()
    assert far["first"] <= FAR_DOWN <= far["last"], far
    assert far["tiles"] <= most_tiles(far), f"the DOM holds more than a few screens of tiles: {far}"
    assert far["first"] > FAR_DOWN - most_tiles(far), f"tiles scrolled far away are still in the DOM: {far}"
    assert app.tile(FAR_DOWN).get_attribute("aria-label") == f"{demo_title(FAR_DOWN)}, open large"
    assert provider.stats()["photo_list_requests"] <= FAR_DOWN // PAGE_SIZE + 4, "pages were fetched ahead of need"


def test_the_viewer_opens_a_photo_large_moves_with_the_arrows_and_closes_with_escape(app, browser, provider):
    app.launch()
    connect(app, browser)

    open_in_viewer(app, 1)

    assert app.find("viewer-position").text.startswith("2 of ")
    assert not app.visible("viewer-loading") and not app.visible("viewer-error")

    press(app, Keys.ARROW_RIGHT)
    app.wait_for(lambda d: viewer_position(app).startswith("3 of "), "the next photo")
    assert demo_title(2) in app.find("viewer").text
    app.wait_for(lambda d: viewer_image_loaded(app), "the next large image to load")
    press(app, Keys.ARROW_LEFT)
    press(app, Keys.ARROW_LEFT)
    app.wait_for(lambda d: viewer_position(app).startswith("1 of "), "the first photo")
    press(app, Keys.ARROW_LEFT)  # nothing before the first photo
    assert viewer_position(app).startswith("1 of ")

    press(app, Keys.ESCAPE)
    app.wait_for(lambda d: not viewer_open(app), "the viewer to close")
    focused = app.driver.switch_to.active_element
    assert focused.get_attribute("data-index") == "0", "focus did not return to the photo last shown"


@pytest.mark.provider_args("--photos", str(PAGE_SIZE + 10), "--test-controls")
def test_the_viewers_next_arrow_fetches_the_next_page_at_the_end_of_the_known_photos(app, browser, provider):
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails")
    app.driver.execute_script("window.scrollTo(0, 0)")
    requests = provider.stats()["photo_list_requests"]
    assert requests == 1, "the second page was fetched before it was needed"

    open_photo(app, 0)
    app.wait_for(lambda d: viewer_open(app), "the viewer to open")
    assert viewer_position(app) == f"1 of {PAGE_SIZE}+"
    for _ in range(PAGE_SIZE):
        press(app, Keys.ARROW_RIGHT)

    app.wait_for(lambda d: viewer_position(app) == f"{PAGE_SIZE + 1} of {PAGE_SIZE + 10}", "the next page's first photo")
    assert demo_title(PAGE_SIZE) in app.find("viewer").text
    assert provider.stats()["photo_list_requests"] == 2


def test_resizing_the_window_reflows_the_grid(app, browser, provider):
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails")
    wide = app.gallery()

    app.driver.set_window_size(700, 700)

    app.wait_for(lambda d: app.gallery()["columns"] < wide["columns"], "fewer columns in a narrower window")
    narrow = app.gallery()
    assert narrow["rightmost"] <= narrow["width"] + 1, f"tiles stick out of the grid: {narrow}"
    assert narrow["tiles"] <= most_tiles(narrow), narrow
    assert app.wait_for(lambda d: app.painted_on_screen(), "the reflowed thumbnails to be painted")


@pytest.mark.provider_args("--photos", "0")
def test_an_empty_library_says_so(app, browser, provider):
    app.launch()
    connect(app, browser)

    app.wait_for(lambda d: app.visible("gallery-empty"), "the empty-library message")
    assert app.find("gallery-empty").text == "No photos in this account yet"
    assert not app.find_all("photo")
    assert app.gallery()["tiles"] == 0 and not app.driver.execute_script(
        "return document.querySelectorAll('.tile-placeholder').length"
    ), "placeholders are left after the last page"
    assert not app.visible("gallery-problem")


def test_failing_thumbnails_pages_and_large_images_are_shown_in_place_and_the_rest_still_works(
    app, browser, provider
):
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails")
    provider.arm_faults({"fault": "photos_server_error", "status": 500})

    # Further down the first page: new tiles' thumbnails fail, and so does the next page.
    app.driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    app.wait_for(lambda d: broken_tiles(app), "a tile whose thumbnail failed")
    broken = broken_tiles(app)[0]
    assert broken["text"] == "Could not load this photo" and not broken["image_shown"], broken
    app.wait_for(lambda d: app.visible("gallery-problem"), "the failed page's problem line")
    assert app.find("gallery-problem").text.startswith(
        f"Your photos could not be loaded. {PROVIDER_NAME} had a problem (HTTP 500)."
    )
    assert app.gallery()["last"] < PAGE_SIZE
    assert app.state() == "connected"

    # A large image that fails says so; the arrows keep working and the next one loads.
    app.driver.execute_script("window.scrollTo(0, 0)")
    open_photo(app, 0)
    app.wait_for(lambda d: app.visible("viewer-error"), "the viewer's failure message")
    assert app.find("viewer-error").text == "This photo could not be loaded"
    assert not app.visible("viewer-loading") and not app.visible("viewer-image")
    provider.clear_faults()
    press(app, Keys.ARROW_RIGHT)
    app.wait_for(lambda d: viewer_image_loaded(app), "the next large image")
    assert viewer_position(app).startswith("2 of ") and not app.visible("viewer-error")
    press(app, Keys.ESCAPE)
    app.wait_for(lambda d: not viewer_open(app), "the viewer to close")

    # Try again fetches the page that failed.
    app.click("gallery-retry")
    app.wait_for(lambda d: not app.visible("gallery-problem"), "the problem line to go")
    app.scroll_gallery_to(PAGE_SIZE)
    assert app.tile(PAGE_SIZE).get_attribute("aria-label") == f"{demo_title(PAGE_SIZE)}, open large"


def broken_tiles(app) -> list[dict]:
    return app.driver.execute_script(
        """
        return [...document.querySelectorAll('[data-testid="photo"] .tile-image.broken')].map((frame) => ({
          text: frame.innerText.trim(),
          image_shown: frame.querySelector('img').getBoundingClientRect().height > 0,
        }));
        """
    )


def test_a_token_rejected_while_scrolling_is_refreshed_once_and_a_withdrawn_grant_asks_to_connect_again(
    app, browser, provider
):
    app.launch()
    connect(app, browser)
    app.wait_for_photos()  # every placed thumbnail has loaded: the next photo API call is the list's
    provider.arm_faults({"fault": "photos_invalid_token", "times": 1})

    app.scroll_gallery_to(PAGE_SIZE)

    stats = provider.stats()
    assert stats["faults_served"] == {"photos_invalid_token": 1}
    assert stats["refresh_grants"] == 1, "expected exactly one refresh for the refused token"
    assert app.state() == "connected" and not app.visible("gallery-problem")

    provider.arm_faults({"fault": "photos_invalid_token"})
    assert provider.revoke(stored_tokens()["refresh_token"]).status == 200
    app.driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")

    app.wait_for_state("error")
    assert app.find("error-message").text == RECONNECT_NEEDED
    assert app.visible("retry"), "no way to connect again"
    assert not app.find_all("photo"), "photos are still shown after the connection was withdrawn"
