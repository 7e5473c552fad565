"""The saved gallery: thumbnails and the photo list kept in the cache folder, shown while the
provider cannot be reached (also from a start-up without it), and removed on Disconnect.

The demo provider runs as its own process with a state file, so that it can be stopped (its
port then refuses connections, as when the network is gone) and started again on the same
port with the same grants.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from desktop import wait_until
from test_account_link import connect

CACHE = Path(".cache") / "com.example.photolink" / "photos"
# The window asks for the first page again this often while offline (15 s), plus a margin.
BACK_ONLINE_SECONDS = 40
OFFLINE_NOTICE = "offline-notice"
# The notice's sentence, as ui/index.html writes it.
OFFLINE_SENTENCE = "Offline: showing saved photos"


def first_page(app) -> dict:
    """What the `photos` command answers for the first page, asked from the window."""
    app.driver.set_script_timeout(60)
    answer = app.driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        window.__TAURI__.core.invoke('photos', { pageToken: null }).then(
          (page) => done({ offline: page.offline, photos: page.photos.map((p) => p.id) }),
          (error) => done({ error: String(error) }),
        );
        """
    )
    assert "error" not in answer, answer
    return answer


def offline_notice(app) -> str | None:
    """The offline notice's text while it is shown, `None` while it is hidden; fails when the
    window has no such notice at all."""
    notices = app.find_all(OFFLINE_NOTICE)
    assert len(notices) == 1, f"the window has {len(notices)} offline notices, not one"
    return notices[0].text.strip() if notices[0].is_displayed() else None


def wait_for_offline_notice(app) -> None:
    app.wait_for(lambda d: offline_notice(app) == OFFLINE_SENTENCE, f"the offline notice {OFFLINE_SENTENCE!r}")


def wait_for_offline_notice_to_go(app) -> None:
    app.wait_for(lambda d: offline_notice(app) is None, "the offline notice to go", BACK_ONLINE_SECONDS)


def cached_files(home: Path) -> list[Path]:
    root = home / CACHE
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.provider_args("--state-file", "{artifacts}/provider-state.json", "--test-controls")
def test_the_saved_gallery_is_shown_while_the_provider_is_stopped_and_goes_once_it_is_back(
    app, browser, provider, home
):
    app.launch()
    connect(app, browser)
    shown = app.wait_for_photos()
    online = first_page(app)
    assert online["offline"] is False, online
    assert len(online["photos"]) == shown
    fetched = provider.stats()["image_requests"]
    assert fetched == shown, f"{fetched} thumbnails fetched for {shown} tiles"
    assert wait_until(lambda: len(cached_files(home)) > shown, 10), cached_files(home)

    provider.pause()
    app.driver.refresh()

    app.wait_for_state("connected")
    assert app.wait_for_photos() == shown, "the saved thumbnails are not all shown"
    saved = first_page(app)
    assert saved["offline"] is True, saved
    assert saved["photos"] == online["photos"], "the saved photos got new ids in the same session"
    assert app.state() == "connected", "a gone network turned the window into an error view"
    wait_for_offline_notice(app)

    provider.resume()
    assert first_page(app)["offline"] is False
    wait_for_offline_notice_to_go(app)
    app.driver.refresh()
    assert app.wait_for_photos() == shown
    assert provider.stats()["image_requests"] == 0, "a thumbnail was fetched again in the same session"


@pytest.mark.provider_args("--test-controls")
def test_after_a_restart_saved_thumbnails_are_shown_without_fetching_them_again(app, browser, provider, home):
    app.launch()
    connect(app, browser)
    shown = app.wait_for_photos()
    assert wait_until(lambda: len(cached_files(home)) > shown, 10), cached_files(home)
    fetched = provider.stats()["image_requests"]

    app.restart()

    app.wait_for_state("connected")
    assert app.wait_for_photos() == shown
    assert provider.stats()["image_requests"] == fetched, "saved thumbnails were fetched again"
    assert first_page(app)["offline"] is False


def test_disconnect_removes_the_saved_gallery(app, browser, provider, home):
    app.launch()
    connect(app, browser)
    shown = app.wait_for_photos()
    assert wait_until(lambda: len(cached_files(home)) > shown, 10), cached_files(home)
    (account,) = [path for path in (home / CACHE).iterdir() if path.is_dir()]
    assert stat.S_IMODE(account.stat().st_mode) == 0o700
    for path in cached_files(home):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    app.click("disconnect")
    app.wait_for_state("disconnected")

    assert not account.exists(), "the saved gallery outlived Disconnect"

    # The account's folder is deleted in the background; the record names no account.
    def left() -> list[str]:
        return [path.name for path in (home / CACHE).iterdir()] if (home / CACHE).exists() else []

    assert wait_until(lambda: not left(), 10), left()


@pytest.mark.provider_args("--state-file", "{artifacts}/provider-state.json", "--test-controls")
def test_a_start_without_the_provider_shows_the_saved_gallery_and_goes_online_once_it_is_back(
    app, browser, provider, home
):
    app.launch()
    connect(app, browser)
    shown = app.wait_for_photos()
    online = first_page(app)
    assert wait_until(lambda: len(cached_files(home)) > shown, 10), cached_files(home)
    app.quit()

    provider.pause()
    app.launch()

    app.wait_for_state("connected")
    assert app.wait_for_photos() == shown, "the saved thumbnails are not all shown"
    saved = first_page(app)
    assert saved["offline"] is True, saved
    assert len(saved["photos"]) == len(online["photos"])
    wait_for_offline_notice(app)

    provider.resume()
    assert first_page(app)["offline"] is False
    wait_for_offline_notice_to_go(app)
    assert app.state() == "connected"
