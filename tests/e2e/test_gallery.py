"""The gallery in the real window against large and empty libraries of the demo provider.

The grid is virtual: whatever the scroll position, only the tiles near the screen exist and load
their thumbnails, and further pages are fetched as the end of the known photos comes near. The
photos are shown newest first under month headings that stay at the top while their month
scrolls by, with the number of photos known.
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
# The demo library's newest photo was taken 2026-11-28T15:42:00Z, whatever its size; the rest go
# back to February 2021 in outings of four photos, each older than the one before
# (crates/demo-provider/src/photo_api/library.rs).
NEWEST_TAKEN = "2026-11-28T15:42:00Z"
NEWEST_MONTH = "2026-11"
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


def assert_tile_label(app, index: int) -> None:
    """The tile of photo `index` is labelled with its title, its date and what it does."""
    label = app.tile(index).get_attribute("aria-label")
    title = demo_title(index)
    assert label.startswith(f"{title}, ") and label.endswith(", open large"), label
    assert label[len(title) + 2 : -len(", open large")].strip(), f"no date in {label!r}"


def month_headings(app) -> list[dict]:
    """The month headings in the DOM from the top of the grid down: `month` (the `datetime`
    of its `<time>`, `YYYY-MM`), `text`, and the window coordinates of the heading (`top`) and
    of the month's band (`band_top`, `band_bottom`), within which it sticks."""
    return app.driver.execute_script(
        """
        return [...document.querySelectorAll('[data-testid="month-heading"]')].map((heading) => {
          const band = heading.parentElement.getBoundingClientRect();
          const time = heading.querySelector('time');
          return {
            month: time ? time.getAttribute('datetime') : null,
            text: heading.innerText.trim(),
            top: heading.getBoundingClientRect().top,
            band_top: band.top,
            band_bottom: band.bottom,
          };
        }).sort((a, b) => a.band_top - b.band_top);
        """
    )


def in_page_locale(app, script: str, *args):
    """`script`'s answer in the window, which formats with the person's locale (whatever the
    test session's is)."""
    return app.driver.execute_script(script, *args)


def count_text(app, count: int, more: bool) -> str:
    """The count line for the demo provider, which says it lists newest first."""
    number = in_page_locale(app, "return new Intl.NumberFormat().format(arguments[0]);", count)
    return f"{number} photos" + (" so far" if more else "") + ", newest first"


def topbar_bottom(app) -> float:
    return app.driver.execute_script("return document.querySelector('.topbar').getBoundingClientRect().bottom;")


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
    assert_tile_label(app, 0)

    app.scroll_gallery_to(FAR_DOWN)

    app.wait_for(lambda d: app.painted_on_screen(), f"the thumbnails around photo {FAR_DOWN} to be painted")
    far = app.gallery()
    assert far["first"] <= FAR_DOWN <= far["last"], far
    assert far["tiles"] <= most_tiles(far), f"the DOM holds more than a few screens of tiles: {far}"
    assert far["first"] > FAR_DOWN - most_tiles(far), f"tiles scrolled far away are still in the DOM: {far}"
    assert_tile_label(app, FAR_DOWN)
    assert provider.stats()["photo_list_requests"] <= FAR_DOWN // PAGE_SIZE + 4, "pages were fetched ahead of need"


@pytest.mark.provider_args("--photos", str(PAGE_SIZE + 10), "--test-controls")
def test_photos_are_under_month_headings_newest_first_with_their_count(app, browser, provider):
    # 60 photos in 15 outings about five months apart: the first screens hold several months.
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails")

    so_far = count_text(app, PAGE_SIZE, more=True)
    app.wait_for(lambda d: app.find("gallery-count").text == so_far, f"the count {so_far!r}")
    headings = month_headings(app)
    assert len(headings) >= 3, headings
    newest_label = in_page_locale(
        app,
        "return new Intl.DateTimeFormat(undefined, {month: 'long', year: 'numeric'}).format(new Date(2026, 10, 1));",
    )
    assert (headings[0]["month"], headings[0]["text"]) == (NEWEST_MONTH, newest_label), headings[0]
    months = [heading["month"] for heading in headings]
    assert months == sorted(months, reverse=True) and len(set(months)) == len(months), (
        f"the months are not newest first, each once: {months}"
    )
    # Each heading lies above its month's first row, never over a tile at rest.
    first_tile = app.tile(0).rect
    assert headings[0]["band_top"] <= headings[0]["top"] < first_tile["y"], (headings[0], first_tile)
    for upper, lower in zip(headings, headings[1:]):
        assert upper["band_bottom"] <= lower["band_top"], f"two months' bands overlap: {upper}, {lower}"

    app.driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    everything = count_text(app, PAGE_SIZE + 10, more=False)
    app.wait_for(lambda d: app.find("gallery-count").text == everything, f"the count {everything!r}")
    app.scroll_gallery_to(PAGE_SIZE + 9)  # the last page made the grid taller
    app.wait_for(lambda d: app.painted_on_screen(), "the last thumbnails")
    oldest = month_headings(app)[-1]["month"]
    assert oldest == "2021-02", f"the oldest month shown is {oldest}"


def test_the_months_heading_stays_at_the_top_while_its_photos_scroll_by(app, browser, provider):
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails")
    at_rest = month_headings(app)[0]
    assert at_rest["month"] == NEWEST_MONTH and at_rest["top"] == at_rest["band_top"], at_rest

    app.driver.execute_script("window.scrollBy(0, arguments[0])", 2 * app.gallery()["row_height"] + 400)
    app.wait_for_paint()

    top = topbar_bottom(app)
    scrolled = month_headings(app)[0]
    assert scrolled["band_top"] < top < scrolled["band_bottom"], f"the window is not within the month: {scrolled}"
    assert abs(scrolled["top"] - top) <= 1, f"the heading left the top of the window: {scrolled}, top bar ends at {top}"
    assert scrolled["month"] == NEWEST_MONTH
    layout = app.gallery()
    assert layout["tiles"] <= most_tiles(layout), layout


def test_the_viewer_opens_a_photo_large_moves_with_the_arrows_and_closes_with_escape(app, browser, provider):
    app.launch()
    connect(app, browser)

    open_in_viewer(app, 1)

    assert app.find("viewer-position").text.startswith("2 of ")
    assert not app.visible("viewer-loading") and not app.visible("viewer-error")
    pixels = in_page_locale(app, "const n = new Intl.NumberFormat(); return `${n.format(1200)} × ${n.format(800)} pixels`;")
    second_details = app.find("viewer-details").text
    assert second_details.endswith(f" · {pixels}"), second_details

    press(app, Keys.ARROW_RIGHT)
    app.wait_for(lambda d: viewer_position(app).startswith("3 of "), "the next photo")
    assert demo_title(2) in app.find("viewer").text
    app.wait_for(lambda d: viewer_image_loaded(app), "the next large image to load")
    third_details = app.find("viewer-details").text
    assert third_details.endswith(f" · {pixels}") and third_details != second_details, third_details
    press(app, Keys.ARROW_LEFT)
    press(app, Keys.ARROW_LEFT)
    app.wait_for(lambda d: viewer_position(app).startswith("1 of "), "the first photo")
    newest = in_page_locale(
        app,
        "return new Intl.DateTimeFormat(undefined, {dateStyle: 'long', timeStyle: 'short'}).format(new Date(arguments[0]));",
        NEWEST_TAKEN,
    )
    assert app.find("viewer-details").text == f"{newest} · {pixels}", "the date taken is not shown"
    press(app, Keys.ARROW_LEFT)  # nothing before the first photo
    assert viewer_position(app).startswith("1 of ")

    press(app, Keys.ESCAPE)
    app.wait_for(lambda d: not viewer_open(app), "the viewer to close")
    focused = app.driver.switch_to.active_element
    assert focused.get_attribute("data-index") == "0", "focus did not return to the photo last shown"


# Records (epoch milliseconds) when the frame that paints `connected` starts.
WATCH_CONNECTED_FRAME = """
const element = document.querySelector('[data-testid="connection-status"]');
window.__connectedFrameAt = null;
const observer = new MutationObserver(() => {
  if (element.dataset.state !== 'connected') return;
  observer.disconnect();
  requestAnimationFrame(() => { window.__connectedFrameAt = performance.timeOrigin + performance.now(); });
});
observer.observe(element, { attributes: true, attributeFilter: ['data-state'] });
"""


def test_the_photos_are_asked_for_only_after_connected_is_on_screen(app, browser, provider):
    app.launch()
    app.driver.execute_script(WATCH_CONNECTED_FRAME)
    connect(app, browser)
    painted_at = app.wait_for(lambda d: d.execute_script("return window.__connectedFrameAt;"), "the connected frame")
    app.wait_for(lambda d: app.painted_on_screen(), "the first screen of thumbnails")

    stats = provider.stats()
    assert stats["photo_list_requests"] == 1
    assert stats["first_photo_list_request_unix_ms"] >= painted_at, (
        "the photo list was asked for before the frame that shows `connected`"
    )


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
    assert_tile_label(app, PAGE_SIZE)


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
