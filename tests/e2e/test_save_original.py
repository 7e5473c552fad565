"""Save original… in the real window, through the real GTK save dialog.

The dialog is a window of its own that WebDriver cannot reach: the tests find it on the virtual
display with xdotool and answer it with the keyboard, as a person would. A file that lands in the
Pictures folder must be byte for byte the original the provider serves; a save the provider fails
must say so and leave nothing there; a large save the provider stalls shows its progress and can
be cancelled from the keyboard, leaving nothing there either. (A server cutting the original off
is tested below the dialog, against loopback fixtures that can stall or cut a download:
src-tauri/src/photos/original/tests.rs.)
"""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.keys import Keys

from conftest import PROVIDER_NAME
from desktop import stored_tokens
from provider import send
from test_account_link import connect
from test_gallery import demo_title, open_in_viewer, press, viewer_open

DIALOG_TITLE = "Save original"
DIALOG_TIMEOUT_SECONDS = 30


def pictures_folder(home: Path) -> Path:
    """Makes `~/Pictures` the session's Pictures folder, as desktop sessions do with xdg-user-dirs."""
    pictures = home / "Pictures"
    pictures.mkdir(exist_ok=True)
    (home / ".config" / "user-dirs.dirs").write_text('XDG_PICTURES_DIR="$HOME/Pictures"\n')
    for old in pictures.iterdir():
        old.unlink()
    return pictures


def xdotool(*args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args], capture_output=True, text=True, timeout=DIALOG_TIMEOUT_SECONDS, check=True
    )
    return done.stdout.strip()


def focused_testid(app) -> str | None:
    return app.driver.execute_script("return document.activeElement.dataset.testid;")


def save_from_the_keyboard(app) -> None:
    """From the viewer's close button, which has the focus when it opens, one step back is
    Save original…: Enter presses it."""
    press(app, Keys.SHIFT + Keys.TAB)
    assert focused_testid(app) == "save-original"
    press(app, Keys.ENTER)


def answer_the_save_dialog() -> None:
    """Waits for the save dialog on the display, gives it the keyboard and presses Enter: the
    suggested name in the folder the dialog opened in."""
    window = xdotool("search", "--sync", "--onlyvisible", "--name", f"^{DIALOG_TITLE}$").splitlines()[0]
    xdotool("windowfocus", "--sync", window)
    xdotool("key", "--clearmodifiers", "Return")


def save_status(app) -> str:
    """What the live region says (its text, whether or not WebDriver deems it shown)."""
    return app.driver.execute_script('return document.querySelector(\'[data-testid="save-status"]\').textContent;')


def original_from_provider(provider, index: int) -> bytes:
    """The bytes of photo `index`'s full image, fetched from the demo provider with the account's
    access token, the way any client would."""
    token = stored_tokens()["access_token"]
    photo = provider.get_photos(token).json()["photos"][index]
    url = photo.get("url") or f"{provider.photos_endpoint}/{photo['id']}/image"
    answer = send(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}))
    assert answer.status == 200, answer.status
    return answer.body


def test_save_original_saves_the_providers_bytes_in_pictures_under_the_photos_title(app, browser, provider, home):
    pictures = pictures_folder(home)
    app.launch()
    connect(app, browser)
    open_in_viewer(app, 0)

    save_from_the_keyboard(app)
    answer_the_save_dialog()

    expected_name = f"{demo_title(0)}.png"
    app.wait_for(lambda d: save_status(app) == f"Saved {expected_name}.", "the save to be reported")
    assert app.find("save-status").get_attribute("aria-live") == "polite"
    assert [path.name for path in pictures.iterdir()] == [expected_name], "a partial file was left"
    saved = (pictures / expected_name).read_bytes()
    assert saved == original_from_provider(provider, 0), "the saved file differs from the provider's original"
    assert not app.visible("save-cancel") and not app.visible("save-progress")
    assert focused_testid(app) == "save-original", "the focus left the button"

    press(app, Keys.ESCAPE)
    app.wait_for(lambda d: not viewer_open(app), "Escape to close the viewer")


@pytest.mark.provider_args("--test-controls")
def test_a_save_the_provider_fails_says_so_and_leaves_no_file(app, browser, provider, home):
    pictures = pictures_folder(home)
    app.launch()
    connect(app, browser)
    open_in_viewer(app, 0)
    provider.arm_faults({"fault": "photos_server_error", "status": 503})

    save_from_the_keyboard(app)
    answer_the_save_dialog()

    failed = f"The original was not saved. {PROVIDER_NAME} had a problem (HTTP 503). Try again later."
    app.wait_for(lambda d: save_status(app) == failed, "the failed save to be reported")
    assert list(pictures.iterdir()) == [], "a partial file was left"
    assert app.state() == "connected"
    assert focused_testid(app) == "save-original", "the focus left the button"


def progress_value(app) -> float:
    return app.driver.execute_script('return document.querySelector(\'[data-testid="save-progress"]\').value;')


@pytest.mark.provider_args("--test-controls")
def test_a_large_save_shows_its_progress_and_cancelling_it_leaves_no_file(app, browser, provider, home):
    pictures = pictures_folder(home)
    app.launch()
    connect(app, browser)
    open_in_viewer(app, 0)
    # The next photo request, the save's download: 1 MiB of 8 MiB, then nothing.
    provider.arm_faults({"fault": "photos_stalled_download", "times": 1})

    save_from_the_keyboard(app)
    answer_the_save_dialog()

    app.wait_for(lambda d: progress_value(app) > 0, "the save's progress")
    assert app.visible("save-progress") and app.visible("save-cancel")
    assert save_status(app) == "Saving the original… 10% of 8.4 MB"
    hidden = [path.name for path in pictures.iterdir()]
    assert hidden and all(name.startswith(".") for name in hidden), f"no hidden file being written: {hidden}"

    # Cancel saving comes just before Save original…, which keeps the focus while it saves.
    assert focused_testid(app) == "save-original"
    press(app, Keys.SHIFT + Keys.TAB)
    assert focused_testid(app) == "save-cancel"
    press(app, Keys.ENTER)

    app.wait_for(lambda d: save_status(app) == "Saving was cancelled. Nothing was saved.", "the cancelled save to be reported")
    assert list(pictures.iterdir()) == [], "a partial file was left"
    assert not app.visible("save-cancel") and not app.visible("save-progress")
    assert focused_testid(app) == "save-original", "the focus was lost with the Cancel button"
    assert app.state() == "connected"
    assert provider.stats()["faults_served"]["photos_stalled_download"] == 1

    # The next save is whole.
    press(app, Keys.ENTER)
    answer_the_save_dialog()
    expected_name = f"{demo_title(0)}.png"
    app.wait_for(lambda d: save_status(app) == f"Saved {expected_name}.", "the save after the cancelled one")
    assert (pictures / expected_name).read_bytes() == original_from_provider(provider, 0)
