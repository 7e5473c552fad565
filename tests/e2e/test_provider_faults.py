"""A provider that misbehaves, through the real window: the demo provider's switchable faults
(`--test-controls`) make its token endpoint, photo API and discovery fail on purpose.

Every case proves the same three things: the window says what happened in plain words, the
person can try again once the fault is gone, and nothing is half-stored (the keyring holds the
last good connection or nothing).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from selenium.webdriver.common.by import By

from conftest import PROVIDER_NAME, _launcher
from desktop import keyring_item_count, pids_running, stored_tokens, wait_until
from provider import CLIENT_ID, SCOPES
from recording_relay import RecordingRelay
from test_account_link import connect

pytestmark = pytest.mark.provider_args("--test-controls")

UNUSABLE_ANSWER = f"{PROVIDER_NAME} gave an answer PhotoLink could not use (HTTP 200)."
TOO_LARGE = f"{PROVIDER_NAME} sent an answer too large to read. Try again later."
UNREACHABLE = f"PhotoLink could not reach {PROVIDER_NAME}. Check your connection and try again."
RECONNECT_NEEDED = f"Your connection to {PROVIDER_NAME} has expired or was withdrawn. Connect again."
# The core's HTTP timeout for a whole request (HttpOptions::default), which the app keeps.
REQUEST_TIMEOUT_SECONDS = 30
# What the demo provider's faulty bodies carry: random values shaped like its real tokens.
TOKEN_SHAPED = re.compile(rb"[A-Za-z0-9_-]{43}")


def error_message(app) -> str:
    return app.find("error-message").text.strip()


def gallery_problem(app) -> str:
    """The sentence above the photo grid when a page could not be listed ("" while hidden)."""
    problem = app.driver.find_element(By.ID, "gallery-problem")
    return problem.text.strip() if problem.is_displayed() else ""


def attempt_connect(app, browser) -> None:
    """Clicks Connect (or Try again) and waits for the browser round trip to end in an error."""
    visits = len(browser.visits())
    app.click("retry" if app.state() == "error" else "connect")
    app.wait_for_state("error")
    assert len(browser.visits()) == visits + 1, browser.events()


# --- token endpoint faults while connecting ------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "sentence"),
    [
        pytest.param(
            {"fault": "token_server_error", "status": 503, "retry_after": 2},
            f"{PROVIDER_NAME} had a problem (HTTP 503). Try again later.",
            id="503-with-retry-after",
        ),
        pytest.param({"fault": "token_html"}, UNUSABLE_ANSWER, id="html"),
        pytest.param({"fault": "token_truncated_json"}, UNUSABLE_ANSWER, id="truncated-json"),
        pytest.param({"fault": "token_without_access_token"}, UNUSABLE_ANSWER, id="no-access-token"),
        pytest.param({"fault": "token_type_not_bearer"}, UNUSABLE_ANSWER, id="token-type-mac"),
        pytest.param({"fault": "token_huge_body"}, TOO_LARGE, id="50-mib-body"),
    ],
)
def test_a_faulty_token_answer_shows_a_plain_error_stores_nothing_and_try_again_connects(
    app, browser, provider, fault, sentence
):
    provider.arm_faults(fault)
    app.launch()

    attempt_connect(app, browser)

    assert error_message(app) == sentence
    assert app.visible("retry")
    assert keyring_item_count() == 0, "a failed sign-in left something in the keyring"
    assert provider.stats()["faults_served"] == {fault["fault"]: 1}

    provider.clear_faults()
    connect_again(app, browser)


def connect_again(app, browser) -> None:
    """Try again in the error view links the account for real."""
    visits = len(browser.visits())
    app.click("retry")
    app.wait_for_state("connected")
    assert len(browser.visits()) == visits + 1, "Try again did not start a new sign-in"
    assert app.wait_for_photos() >= 1
    assert "access_token" in stored_tokens(), "the keyring holds no access token after connecting"


@pytest.fixture
def relayed_app(request, clean_slate, app_binary, artifacts, browser, provider):
    """PhotoLink with its token endpoint behind a relay that records what the provider answered."""
    relay = RecordingRelay(provider.issuer)
    settings = {
        "name": PROVIDER_NAME,
        "issuer": provider.issuer,
        "authorization_endpoint": f"{provider.issuer}/authorize",
        "token_endpoint": f"{relay.url}/token",
        "revocation_endpoint": f"{provider.issuer}/revoke",
        "userinfo_endpoint": f"{provider.issuer}/userinfo",
        "client_id": CLIENT_ID,
        "scopes": SCOPES,
        "photos_endpoint": provider.photos_endpoint,
    }
    config = artifacts / "provider.toml"
    config.write_text("".join(f"{name} = {json.dumps(value)}\n" for name, value in settings.items()))
    try:
        for app in _launcher(request, app_binary, artifacts, browser, config):
            yield app, relay
    finally:
        relay.stop()


def test_a_form_encoded_token_answer_is_refused_without_showing_or_logging_its_tokens(
    relayed_app, browser, provider, artifacts
):
    app, relay = relayed_app
    provider.arm_faults({"fault": "token_form_encoded"})
    app.launch()

    attempt_connect(app, browser)

    assert error_message(app) == UNUSABLE_ANSWER
    assert keyring_item_count() == 0
    answered = {value for value, where in relay.secrets().items() if "form answer" in where}
    assert len(answered) == 2 and all(TOKEN_SHAPED.fullmatch(v.encode()) for v in answered), relay.secrets()
    page = app.driver.page_source
    output = (artifacts / "app-and-driver.log").read_bytes()
    for value in answered:
        assert value not in page, "a token from the form-encoded answer is in the window"
        assert value.encode() not in output, "a token from the form-encoded answer is in the app's output"
    assert "access_token=" not in page and b"access_token=" not in output

    provider.clear_faults()
    connect_again(app, browser)


def test_a_token_endpoint_that_never_answers_ends_in_an_error_after_the_request_timeout(app, browser, provider):
    """The app has no setting to shorten the core's 30 s request timeout, so this test waits it out."""
    provider.arm_faults({"fault": "token_hang"})
    app.launch()
    app.click("connect")
    app.wait_for_state("exchanging")
    hanging_since = time.monotonic()

    app.wait_for_state("error", timeout=REQUEST_TIMEOUT_SECONDS + 15)

    assert time.monotonic() - hanging_since >= REQUEST_TIMEOUT_SECONDS - 5
    assert error_message(app) == UNREACHABLE
    assert keyring_item_count() == 0
    assert provider.stats()["faults_served"] == {"token_hang": 1}, "the code was sent again"
    provider.clear_faults()
    connect_again(app, browser)


# --- the photo API while connected ----------------------------------------------------------------


def test_a_rejected_access_token_is_refreshed_once_and_a_withdrawn_grant_asks_to_connect_again(
    app, browser, provider
):
    provider.arm_faults({"fault": "photos_invalid_token", "times": 1})
    app.launch()

    connect(app, browser)  # the first photo list is refused as if the token had been revoked

    assert app.wait_for_photos() >= 1
    stats = provider.stats()
    assert stats["faults_served"] == {"photos_invalid_token": 1}
    assert stats["refresh_grants"] == 1, "expected exactly one refresh for the refused token"
    assert stats["photo_list_requests"] == 2, "expected one retry of the list after the refresh"
    assert "refresh_token" in stored_tokens(), "the keyring holds no refresh token"

    provider.arm_faults({"fault": "photos_invalid_token"})
    assert provider.revoke(stored_tokens()["refresh_token"]).status == 200  # refreshing is refused from now on
    app.find_all("photo")[0].click()  # the large image needs the photo API

    app.wait_for_state("error")
    assert error_message(app) == RECONNECT_NEEDED
    assert wait_until(lambda: keyring_item_count() == 0, 10), "the dead connection is still in the keyring"
    assert not app.find_all("photo"), "photos are still shown after the connection was withdrawn"

    provider.clear_faults()
    connect_again(app, browser)


def test_photo_api_errors_are_retried_a_bounded_number_of_times_then_shown_above_the_gallery(
    app, browser, provider
):
    provider.arm_faults({"fault": "photos_server_error", "status": 503, "times": 2})
    app.launch()
    connect(app, browser)

    assert app.wait_for_photos() >= 1, "two failures in a row must be retried away"
    assert provider.stats()["faults_served"] == {"photos_server_error": 2}
    assert gallery_problem(app) == ""
    saved = stored_tokens()

    provider.arm_faults({"fault": "photos_server_error", "status": 500, "retry_after": 1})
    app.restart()
    app.wait_for_state("connected")

    app.wait_for(lambda d: gallery_problem(app), "a problem shown above the gallery")
    assert gallery_problem(app).startswith(
        f"Your photos could not be loaded. {PROVIDER_NAME} had a problem (HTTP 500). Try again later."
    ), gallery_problem(app)
    assert provider.stats()["faults_served"] == {"photos_server_error": 2 + 3}, "not exactly two retries"
    assert stored_tokens() == saved, "a failing photo API changed the saved connection"
    assert app.state() == "connected"

    provider.clear_faults()
    app.driver.find_element(By.ID, "gallery-retry").click()
    assert app.wait_for_photos() >= 1
    assert gallery_problem(app) == ""


# --- discovery at start-up -------------------------------------------------------------------------


def test_discovery_naming_another_issuer_stops_start_up_with_a_clear_message(app, browser, provider, artifacts):
    impostor = "http://127.0.0.1:9/impostor"
    provider.arm_faults({"fault": "discovery_other_issuer", "issuer": impostor})

    app.launch()

    app.wait_for_state("error")
    message = error_message(app)
    assert message.startswith(f"The provider settings in {artifacts / 'provider.toml'} cannot be used"), message
    assert "names a different issuer than the file's issuer" in message, message
    assert impostor not in message, "the server's words are quoted"
    assert message.endswith("Fix the file and start PhotoLink again."), message
    assert not app.visible("retry"), "settings that cannot be used are fixed in the file, not retried"
    assert keyring_item_count() == 0
    assert pids_running(app.binary), "PhotoLink is not running"
    assert b"panicked" not in (artifacts / "app-and-driver.log").read_bytes()

    provider.clear_faults()
    app.restart()
    app.wait_for_state("disconnected")
    connect(app, browser)
    assert app.wait_for_photos() >= 1
