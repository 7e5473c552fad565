"""OneDrive through Microsoft Graph: the photos in nested folders (the Camera Roll, folders below
it, the Photos folder itself) all appear, newest first by date taken, their thumbnails really
shown; after a restart they show again and PhotoLink asks Graph only for what changed.

Graph is `photolink-photo-fixture --service microsoft-graph` (crates/photo-fixtures, a fixture
of Graph's documented API, not the service). PhotoLink reads it as the Microsoft preset does
(`photo_api = "microsoft-graph"`), signed in through the demo provider (the Microsoft identity
platform cannot be stood in for here): the fixture accepts the access tokens the demo
provider's userinfo endpoint vouches for. Its library is
`Library::nested`: the Camera Roll in the Photos folder, the folders `01`…`03` inside it, and
photo `p{n}` in folder `n mod 5` (the fifth slot being the Photos folder itself), taken on
2024-01-{n+1}, so newest first is `p12` down to `p1`.
"""

from __future__ import annotations

import json

import pytest

from photo_fixture import launch_against, start_photo_fixture, wait_for_thumbnails
from test_account_link import connect

PHOTOS = 12
FOLDERS = 4
NEWEST_FIRST = [f"Photo {n}.jpg" for n in range(PHOTOS, 0, -1)]
# A photo added while PhotoLink is closed: p13, taken 2024-01-14, newer than the rest.
ADDED_IN = "folder-2"
WITH_ADDED = ["Photo 13.jpg", *NEWEST_FIRST]


@pytest.fixture
def graph_api(provider, artifacts):
    """The Graph fixture, trusting the demo provider's tokens."""
    yield from start_photo_fixture(
        provider, artifacts, "microsoft-graph", "--photos", str(PHOTOS), "--folders", str(FOLDERS)
    )


@pytest.fixture
def onedrive_app(request, clean_slate, app_binary, artifacts, browser, provider, graph_api):
    """PhotoLink signed in at the demo provider, its photos from the Graph fixture."""
    yield from launch_against(request, app_binary, artifacts, browser, provider, graph_api, "microsoft-graph")


def titles_in_order(app) -> list[str]:
    """The titles of the photo tiles in the gallery's order (tiles are placed, not in DOM order)."""
    return app.driver.execute_script(
        """return [...document.querySelectorAll('[data-testid="photo"]')]
             .map((tile) => [Number(tile.dataset.index), tile.querySelector('.tile-title').textContent])
             .sort((a, b) => a[0] - b[0]).map(([, title]) => title);"""
    )


def api_requests(graph_api) -> list[str]:
    return json.loads(graph_api.command("api-requests"))


def test_photos_in_nested_folders_appear_newest_first_and_a_restart_fetches_only_the_changes(
    onedrive_app, graph_api, browser
):
    app = onedrive_app
    app.launch()
    connect(app, browser)
    app.wait_for(lambda d: titles_in_order(app) == NEWEST_FIRST, f"{NEWEST_FIRST}, in that order")
    wait_for_thumbnails(app, NEWEST_FIRST)
    first_start = api_requests(graph_api)
    # The whole library was read through delta on the Photos folder, not folder by folder.
    assert any("/delta" in target and "token=" not in target for target in first_start), first_start
    assert not any("/children" in target for target in first_start), first_start

    app.quit()
    assert graph_api.command(f"add-photo {ADDED_IN}") == "p13"
    app.launch()
    app.wait_for_state("connected")
    app.wait_for(lambda d: titles_in_order(app) == WITH_ADDED, f"{WITH_ADDED}, in that order")
    wait_for_thumbnails(app, WITH_ADDED)
    restarted = api_requests(graph_api)[len(first_start):]
    deltas = [target for target in restarted if "/delta" in target]
    assert deltas, f"the changes were not asked for: {restarted}"
    assert all("token=" in target for target in deltas), f"the whole library was read again: {restarted}"
    assert not any("/children" in target for target in restarted), restarted
