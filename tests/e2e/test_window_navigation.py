"""The window shows PhotoLink's own pages and nothing else.

A page loaded in the window would be treated as the app, with the app's commands; so the
window refuses to navigate anywhere else, and refuses new windows. The target here is a
recording relay on 127.0.0.1 in front of the demo provider: had the window gone there, the
relay would have seen the request.
"""

from __future__ import annotations

import time

import pytest

from app_window import STATES
from recording_relay import RecordingRelay

# How long a refused navigation gets to happen anyway before the test looks.
SETTLE_SECONDS = 3


@pytest.fixture
def elsewhere(provider):
    relay = RecordingRelay(provider.issuer)
    yield relay
    relay.stop()


def assert_still_on_photolink(app, page: str) -> None:
    assert app.driver.current_url == page, f"the window left PhotoLink for {app.driver.current_url}"
    assert app.state() in STATES, "PhotoLink's page is no longer shown"


def test_the_window_refuses_to_navigate_to_another_site(app, browser, elsewhere):
    app.launch()
    page = app.driver.current_url
    assert page.startswith("tauri://localhost"), page

    app.driver.execute_script("window.location.href = arguments[0];", elsewhere.url + "/authorize")
    time.sleep(SETTLE_SECONDS)

    assert_still_on_photolink(app, page)
    assert elsewhere.requests() == [], "the window requested the other site"

    app.driver.execute_script(
        "const link = document.createElement('a');"
        "link.href = arguments[0];"
        "document.body.append(link);"
        "link.click();",
        elsewhere.url + "/photos",
    )
    time.sleep(SETTLE_SECONDS)

    assert_still_on_photolink(app, page)
    assert elsewhere.requests() == [], "a link took the window to the other site"


def test_the_window_opens_no_other_windows(app, browser, elsewhere):
    app.launch()
    page = app.driver.current_url

    opened = app.driver.execute_script("return window.open(arguments[0]) !== null;", elsewhere.url + "/authorize")
    time.sleep(SETTLE_SECONDS)

    assert not opened, "window.open returned a window"
    assert len(app.driver.window_handles) == 1, app.driver.window_handles
    assert elsewhere.requests() == [], "a new window requested the other site"
    assert_still_on_photolink(app, page)
