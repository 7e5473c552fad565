"""Several linked accounts through the real window, the system browser and the keyring.

The demo provider makes each name typed on its consent page an account of its own: the
stand-in browser keeps the page's default (Alex Rivera) for the first and types "Sam Lee" for
the second.
"""

from __future__ import annotations

import urllib.parse

from desktop import wait_until

ALEX = "Alex Rivera"
SAM = "Sam Lee"


# Read in one script, so that a list drawn again meanwhile cannot mix two states of it.
READ_ACCOUNTS = """
return [...document.querySelectorAll('[data-testid="account"]')].map((element) => ({
  text: element.innerText,
  state: element.dataset.state,
  chosen: element.getAttribute("aria-current") === "true" || element.getAttribute("aria-selected") === "true",
}));
"""


def accounts(app) -> list[dict]:
    """The window's account list: each account's text, state and whether it is the chosen one."""
    return app.driver.execute_script(READ_ACCOUNTS)


def shown_name(app) -> str:
    """The name of the account whose status and gallery the window shows."""
    return app.driver.execute_script('return document.getElementById("account-name").textContent')


def choose(app, name: str) -> None:
    """Clicks the account named `name` in the list (found afresh: the list is drawn anew with
    each status)."""

    def click(driver) -> bool:
        element = next((e for e in app.find_all("account") if name in e.text), None)
        if element is None or not element.is_displayed():
            return False
        element.click()
        return True

    app.wait_for(click, f"the account {name!r} to be clickable")


def named(app, name: str) -> dict | None:
    return next((account for account in accounts(app) if name in account["text"]), None)


def wait_for_accounts(app, expected: dict[str, str], what: str) -> None:
    """Waits until the list holds exactly the accounts `expected` names, in those states."""

    def holds() -> bool:
        listed = accounts(app)
        return len(listed) == len(expected) and all(
            (found := named(app, name)) is not None and found["state"] == state for name, state in expected.items()
        )

    assert wait_until(holds, 30), f"{what}: {accounts(app)}"


def disconnect_keeping(app, kept: str) -> None:
    """Disconnects the chosen account; `kept`, the only other one, is then shown, connected,
    with its photos."""
    app.click("disconnect")
    wait_for_accounts(app, {kept: "connected"}, f"{kept} kept after the other account went")
    app.wait_for_state("connected")
    assert shown_name(app) == kept
    assert app.wait_for_photos() >= 1, f"{kept}'s gallery after the other account was disconnected"


def link_alex_then_sam(app, browser) -> None:
    app.launch()
    app.click("connect")
    app.wait_for_state("connected")
    wait_for_accounts(app, {ALEX: "connected"}, "Alex linked")
    app.wait_for_photos()

    browser.configure(account_name=SAM)
    app.click("add-account")
    wait_for_accounts(app, {ALEX: "connected", SAM: "connected"}, "Sam linked beside Alex")
    app.wait_for_state("connected")


def test_two_accounts_are_listed_and_restored_and_disconnecting_one_keeps_the_other(app, browser, provider):
    link_alex_then_sam(app, browser)

    assert named(app, SAM)["chosen"], accounts(app)
    assert not named(app, ALEX)["chosen"], accounts(app)
    assert shown_name(app) == SAM
    assert app.wait_for_photos() >= 1, "Sam's gallery"
    assert [event["name"] for event in browser.events("account-name-typed")] == [SAM]
    added = urllib.parse.urlsplit(browser.visits()[-1]["url"])
    assert added.netloc == urllib.parse.urlsplit(provider.issuer).netloc
    visits = len(browser.visits())

    app.restart()

    wait_for_accounts(app, {ALEX: "connected", SAM: "connected"}, "both restored")
    app.wait_for_state("connected")
    assert len(browser.visits()) == visits, "restoring must not send the person to the browser"

    # Choose Sam, then disconnect Sam only.
    choose(app, SAM)
    assert wait_until(lambda: (named(app, SAM) or {}).get("chosen"), 15), accounts(app)
    assert wait_until(lambda: shown_name(app) == SAM, 15)
    disconnect_keeping(app, ALEX)


def test_choosing_an_account_shows_its_name_and_gallery(app, browser, provider):
    link_alex_then_sam(app, browser)

    choose(app, ALEX)

    assert wait_until(lambda: (named(app, ALEX) or {}).get("chosen"), 15), accounts(app)
    assert wait_until(lambda: shown_name(app) == ALEX, 15)
    assert app.state() == "connected"
    assert app.wait_for_photos() >= 1


def test_the_embedded_demo_provider_links_several_accounts_with_nothing_configured(embedded_app, browser):
    """The README's run command: no provider.toml, the built-in Demo Photos."""
    link_alex_then_sam(embedded_app, browser)

    assert [account["chosen"] for account in accounts(embedded_app)] == [False, True]
    assert embedded_app.wait_for_photos() >= 1
