"""Accounts at two providers of one provider.toml, through the real window, the system
browser and the keyring.

The settings name two demo providers as `[[providers]]` tables: the test's demo provider as
"Test Photos" and a second one as "Work Photos". Connect asks which provider; Alex is linked
at Work Photos (the chooser used with the keyboard), then Add account links Sam at Test Photos
(the chooser clicked).
"""

from __future__ import annotations

import urllib.parse

from selenium.webdriver.common.keys import Keys

from conftest import PROVIDER_NAME, SECOND_PROVIDER_NAME
from desktop import wait_until
from test_several_accounts import ALEX, SAM, accounts, choose, disconnect_keeping, named, shown_name, wait_for_accounts

# The providers the chooser offers, in order, and which one has the focus.
READ_CHOOSER = """
const chooser = document.querySelector('[data-testid="provider-chooser"]');
const options = [...chooser.querySelectorAll('[data-testid="provider-option"]')];
return {
  shown: !chooser.hidden,
  options: options.map((option) => option.textContent),
  focused: options.indexOf(document.activeElement),
};
"""


def chooser(app) -> dict:
    return app.driver.execute_script(READ_CHOOSER)


def wait_for_chooser(app) -> dict:
    assert wait_until(lambda: chooser(app)["shown"], 15), "the provider chooser did not open"
    return chooser(app)


def pick(app, provider: str) -> None:
    """Clicks the chooser's option for `provider`."""
    option = next(
        element for element in app.find_all("provider-option") if element.get_attribute("data-provider-id") == provider
    )
    option.click()


def host_of(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def test_accounts_at_two_providers_are_linked_restored_and_disconnected_one_at_a_time(
    two_providers_app, browser, provider, second_provider
):
    app = two_providers_app
    app.launch()
    assert app.state() == "disconnected"

    # Connect asks which provider; the keyboard moves to the second and chooses it.
    app.click("connect")
    shown = wait_for_chooser(app)
    assert shown["options"] == [PROVIDER_NAME, SECOND_PROVIDER_NAME], shown
    assert shown["focused"] == 0, "the first provider has the focus"
    app.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert wait_until(lambda: chooser(app)["focused"] == 1, 5), chooser(app)
    app.driver.switch_to.active_element.send_keys(Keys.ENTER)
    app.wait_for_state("connected")
    wait_for_accounts(app, {ALEX: "connected"}, "Alex linked at Work Photos")
    assert SECOND_PROVIDER_NAME in named(app, ALEX)["text"], accounts(app)
    assert not chooser(app)["shown"], "the chooser closes once a provider is chosen"
    assert host_of(browser.visits()[-1]["url"]) == host_of(second_provider.issuer)
    assert app.wait_for_photos() >= 1, "Alex's gallery at Work Photos"

    # Add account asks again; Sam is linked at the other provider, without its account chooser.
    browser.configure(account_name=SAM)
    app.click("add-account")
    wait_for_chooser(app)
    pick(app, PROVIDER_NAME)
    wait_for_accounts(app, {ALEX: "connected", SAM: "connected"}, "Sam linked at Test Photos")
    assert PROVIDER_NAME in named(app, SAM)["text"], accounts(app)
    added = urllib.parse.urlsplit(browser.visits()[-1]["url"])
    assert added.netloc == host_of(provider.issuer)
    assert "prompt" not in urllib.parse.parse_qs(added.query), "no account chooser at another provider"
    assert app.wait_for_photos() >= 1, "Sam's gallery"
    visits = len(browser.visits())

    app.restart()

    wait_for_accounts(app, {ALEX: "connected", SAM: "connected"}, "both restored")
    assert len(browser.visits()) == visits, "restoring must not send the person to the browser"
    assert SECOND_PROVIDER_NAME in named(app, ALEX)["text"], accounts(app)

    # Disconnect Alex at Work Photos: Sam at Test Photos stays connected, with his photos.
    choose(app, ALEX)
    assert wait_until(lambda: shown_name(app) == ALEX, 15)
    disconnect_keeping(app, SAM)
