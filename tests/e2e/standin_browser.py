#!/usr/bin/env python3
"""A stand-in for the system web browser in the end-to-end tests.

The app opens the authorization URL with the OS (`xdg-open`, which runs `$BROWSER` or the
default `x-scheme-handler/http` application). This program is registered as both. Like a
person with a browser it:

1. loads the URL over HTTP (cookies kept),
2. signs in when the page is a login form (a password field): fills the login name and password
   it was given and presses the form's button,
3. reads the consent page and presses the button labelled Approve or Continue (or Deny, when
   the test asks; a page that offers declining only as a link, such as "[ Cancel ]", gets that
   link followed), submitting the form as the page describes it,
4. does not follow the final redirect to `com.example.photolink:` itself: it hands that URL to
   the OS (`gio open URL`, as GTK browsers do, or `xdg-open URL`), which starts the registered
   link handler;
5. follows a redirect to a loopback address of another origin than the sign-in page
   (`http://127.0.0.1:{port}/...`, the app's own listener, RFC 8252 §7.3) and records the page
   it got there (`page` event: status, title, text and the caching and security headers), or
   that nothing answered (`page-unreachable`).

What it should do comes from `control.json` in its state directory, written by the test:
    {"decision": "approve" | "deny",   # which button to press (default approve)
     "hold": false,                    # wait for a `release` file before pressing it (or Done)
     "handoff": "gio" | "xdg-open",    # how the final URL goes to the OS (default gio)
     "login": "alice", "password": "…",  # what a login form gets (defaults below)
     "pick": ["p2", "p5"],             # on a page of check boxes (a photo picker): tick
                                       # those values, press Done, and record the answer
     "account_name": "Sam Lee"}        # typed into a consent page's `account_name` field
                                       # (else the page's own value is kept)
What it did is appended, one JSON object a line, to `browser.log` in the same directory.
Authorization codes are redacted in the log.

Only the standard library is used, so any Python 3 runs it.
"""

from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path

APPROVE_LABEL = re.compile(r"\b(approve|allow|authori[sz]e|accept|continue)\b", re.IGNORECASE)
DENY_LABEL = re.compile(r"\b(deny|decline|reject|cancel)\b", re.IGNORECASE)
ACCOUNT_NAME_FIELD = "account_name"
LOGIN_FIELD = re.compile(r"^(login|username|user|email)$", re.IGNORECASE)
DEFAULT_LOGIN = "alice"
DEFAULT_PASSWORD = "correct horse battery staple"
HOLD_LIMIT_SECONDS = 120
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10
MAX_PAGES = 6
HTTP_TIMEOUT_SECONDS = 15


class Form:
    """One <form> of a page: where it goes, its fields, and its submit buttons."""

    def __init__(self, action: str, method: str) -> None:
        self.action = action
        self.method = method
        self.fields: list[tuple[str, str]] = []
        self.buttons: list[dict] = []
        # Every check box, checked or not: (name, value).
        self.checkboxes: list[tuple[str, str]] = []
        # Names of the text and password inputs, which a login form fills in.
        self.text_inputs: list[str] = []
        self.password_inputs: list[str] = []


class PageParser(html.parser.HTMLParser):
    """Collects forms (fields and submit buttons with their visible labels), links and the title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[dict] = []
        self.title = ""
        self._form: Form | None = None
        self._button: dict | None = None
        self._link: dict | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "title":
            self._in_title = True
        elif tag == "a" and a.get("href"):
            self._link = {"href": a["href"], "label": ""}
            self.links.append(self._link)
        elif self._form is None:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                self._form.buttons.append(
                    {"name": a.get("name", ""), "value": a.get("value", ""), "label": a.get("value", "")}
                )
            elif kind in ("checkbox", "radio"):
                if kind == "checkbox" and a.get("name"):
                    self._form.checkboxes.append((a["name"], a.get("value", "on")))
                if "checked" in a and a.get("name"):
                    self._form.fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("button", "reset", "file") and a.get("name"):
                self._form.fields.append((a["name"], a.get("value", "")))
                if kind == "password":
                    self._form.password_inputs.append(a["name"])
                elif kind in ("text", "email"):
                    self._form.text_inputs.append(a["name"])
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._button = {"name": a.get("name", ""), "value": a.get("value", ""), "label": ""}
            self._form.buttons.append(self._button)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None
        elif tag == "a":
            self._link = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["label"] = (self._button["label"] + " " + data).strip()
        if self._link is not None:
            self._link["label"] = (self._link["label"] + " " + data).strip()
        if self._in_title:
            self.title += data.strip()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Leaves redirects to the caller, which decides what a browser would do with them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def redact(url: str) -> str:
    """The URL with any authorization code replaced, fit for a log."""
    return re.sub(r"([?&]code=)[^&#]*", r"\1[redacted]", url)


class Browser:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.log_path = state_dir / "browser.log"
        control_path = state_dir / "control.json"
        self.control = json.loads(control_path.read_text()) if control_path.exists() else {}
        self.http = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
        )
        # Where the sign-in started: a redirect to another loopback origin is the app's listener.
        self.start_origin: str | None = None
        # Pages acted on so far (a login page shown again and again must not loop forever).
        self.pages = 0

    def log(self, event: str, **details) -> None:
        record = {"time": time.time(), "pid": os.getpid(), "event": event, **details}
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")

    def fetch(self, request: urllib.request.Request) -> tuple[int, Message, str, str]:
        """Status, headers, body text and final URL; redirects come back unfollowed."""
        try:
            with self.http.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                body = response.read().decode("utf-8", "replace")
                return response.status, response.headers, body, response.url
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace") if error.fp else ""
            return error.code, error.headers, body, request.full_url

    def navigate(self, url: str) -> int:
        """Opens the URL the OS handed over (the authorization request)."""
        self.log("visit", url=redact(url))
        self.start_origin = origin(url)
        return self.load(urllib.request.Request(url))

    def load(self, request: urllib.request.Request, after_submit: bool = False) -> int:
        """Loads a page, following redirects as a browser does, and acts on the page it ends on.

        A redirect to a non-web URL goes to the OS; one to a loopback address of another origin
        than the sign-in's is the app's listener. After a form was submitted, the answer must be
        a redirect (a sign-in server answers a form that way).
        """
        status, headers, body, page_url = self.fetch(request)
        if after_submit and status not in REDIRECTS:
            self.log("no-redirect", status=status, text=visible_text(body)[:500])
            return 1
        hops = 0
        while status in REDIRECTS:
            if not headers.get("Location"):
                self.log("redirect-without-location", status=status)
                return 1
            target = urllib.parse.urljoin(page_url, headers["Location"])
            if not target.startswith(("http://", "https://")):
                return self.hand_to_os(target)
            if is_loopback(target) and origin(target) != self.start_origin:
                return self.show_app_page(target)
            hops += 1
            if hops > MAX_REDIRECTS:
                self.log("too-many-redirects", url=redact(target))
                return 1
            status, headers, body, page_url = self.fetch(urllib.request.Request(target))
        if status != 200:
            self.log("page-error", status=status, text=visible_text(body)[:500])
            return 1
        self.pages += 1
        if self.pages > MAX_PAGES:
            self.log("too-many-pages", text=visible_text(body)[:500])
            return 1
        page = PageParser()
        page.feed(body)
        login_form = next((form for form in page.forms if form.password_inputs), None)
        if login_form is not None:
            return self.sign_in(page_url, page, login_form)
        picker_form = next((form for form in page.forms if form.checkboxes), None)
        if picker_form is not None and "pick" in self.control:
            return self.pick(page_url, page, picker_form)
        return self.consent(page_url, page, body)

    def pick(self, page_url: str, page: PageParser, form: Form) -> int:
        """Ticks the check boxes whose values the test named and presses Done, as a person
        choosing photos does; the answer is the picker's last page, recorded."""
        wanted = list(self.control["pick"])
        offered = [value for _, value in form.checkboxes]
        fields = list(form.fields) + [(name, value) for name, value in form.checkboxes if value in wanted]
        button = next((b for b in form.buttons if re.search(r"\bdone\b", b["label"], re.IGNORECASE)), None)
        self.log("picker-page", title=page.title, offered=len(offered), picked=[v for v in wanted if v in offered])
        if button is None or any(value not in offered for value in wanted):
            self.log("no-pick", buttons=[b["label"] for b in form.buttons])
            return 1
        if button["name"]:
            fields.append((button["name"], button["value"]))
        if self.control.get("hold"):
            self.wait_for_release()
        action = urllib.parse.urljoin(page_url, form.action or page_url)
        request = urllib.request.Request(
            action,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method=form.method.upper(),
        )
        status, _, body, _ = self.fetch(request)
        self.log("picked", status=status, text=visible_text(body)[:500])
        return 0 if status == 200 else 1

    def sign_in(self, page_url: str, page: PageParser, form: Form) -> int:
        """Fills a login form's name and password fields and submits it with its button."""
        credentials = {
            **{name: self.control.get("login", DEFAULT_LOGIN) for name in form.text_inputs if LOGIN_FIELD.match(name)},
            **{name: self.control.get("password", DEFAULT_PASSWORD) for name in form.password_inputs},
        }
        fields = [(name, credentials.get(name, value)) for name, value in form.fields]
        button = form.buttons[0] if form.buttons else {"name": "", "value": "", "label": ""}
        if button["name"]:
            fields.append((button["name"], button["value"]))
        self.log("login-page", title=page.title, filled=sorted(credentials))
        return self.submit(page_url, form, fields, event="login", button=button["label"])

    def consent(self, page_url: str, page: PageParser, body: str) -> int:
        decision = self.control.get("decision", "approve")
        wanted = APPROVE_LABEL if decision == "approve" else DENY_LABEL
        choices = [(form, button) for form in page.forms for button in form.buttons]
        self.log(
            "consent-page",
            title=page.title,
            buttons=[button["label"] for _, button in choices],
            links=[link["label"] for link in page.links],
            text=visible_text(body)[-500:],
        )
        chosen = next(((f, b) for f, b in choices if wanted.search(b["label"])), None)
        # Some servers offer declining only as a link ("[ Cancel ]"): follow it as a person would.
        link = next((link for link in page.links if DENY_LABEL.search(link["label"])), None)
        if chosen is None and not (decision == "deny" and link is not None):
            self.log("no-button", decision=decision, text=visible_text(body)[:500])
            return 1
        if self.control.get("hold"):
            self.wait_for_release()
        if chosen is None:
            target = urllib.parse.urljoin(page_url, link["href"])
            self.log("submit", decision=decision, button=link["label"], action=target, method="get")
            return self.load(urllib.request.Request(target), after_submit=True)
        form, button = chosen
        account_name = self.control.get("account_name")
        fields = [
            (name, account_name if name == ACCOUNT_NAME_FIELD and account_name else value)
            for name, value in form.fields
        ]
        if account_name:
            self.log("account-name-typed", name=account_name)
        if button["name"]:
            fields.append((button["name"], button["value"]))
        return self.submit(page_url, form, fields, event="submit", button=button["label"], decision=decision)

    def submit(self, page_url: str, form: Form, fields: list[tuple[str, str]], event: str, **details) -> int:
        """Sends a form as the page describes it, then follows where the server sends the browser."""
        action = urllib.parse.urljoin(page_url, form.action or page_url)
        data = urllib.parse.urlencode(fields)
        self.log(event, **details, action=action, method=form.method)
        if form.method == "post":
            request = urllib.request.Request(
                action,
                data=data.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                method="POST",
            )
        else:
            request = urllib.request.Request(action + ("&" if "?" in action else "?") + data)
        return self.load(request, after_submit=True)

    def show_app_page(self, url: str) -> int:
        """Loads the page a native app's loopback listener answers the redirect with."""
        try:
            status, headers, body, _ = self.fetch(urllib.request.Request(url))
        except OSError as error:
            self.log("page-unreachable", url=redact(url), error=type(error).__name__)
            return 1
        page = PageParser()
        page.feed(body)
        self.log(
            "page",
            url=redact(url),
            status=status,
            title=page.title,
            text=visible_text(body)[:500],
            headers={name: headers.get(name) for name in SHOWN_HEADERS},
        )
        return 0 if status == 200 else 1

    def wait_for_release(self) -> None:
        self.log("holding")
        release = self.state_dir / "release"
        deadline = time.monotonic() + HOLD_LIMIT_SECONDS
        while not release.exists():
            if time.monotonic() > deadline:
                self.log("hold-timeout")
                break
            time.sleep(0.05)
        self.log("released")

    def hand_to_os(self, url: str) -> int:
        """Passes a non-web URL to the OS, as a browser does for an external protocol."""
        command = ["gio", "open", url] if self.control.get("handoff", "gio") == "gio" else ["xdg-open", url]
        # Output goes to a file, not a pipe: the program the OS starts inherits it, and a pipe
        # would keep this browser waiting for as long as that program runs (a cold start).
        with tempfile.TemporaryFile() as errors:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                                  timeout=60)
            errors.seek(0)
            stderr = errors.read().decode("utf-8", "replace")
        self.log(
            "handoff",
            command=[*command[:-1], redact(url)],
            returncode=done.returncode,
            stderr=stderr.strip()[:500],
        )
        return done.returncode


SHOWN_HEADERS = ("Cache-Control", "Content-Security-Policy", "Referrer-Policy", "Content-Type")


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_loopback(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1")


def visible_text(body: str) -> str:
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", body)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("url")
    args = parser.parse_args()
    browser = Browser(args.state_dir)
    try:
        return browser.navigate(args.url)
    except Exception as error:  # record anything unexpected where the test looks
        browser.log("crash", error=repr(error))
        raise


if __name__ == "__main__":
    sys.exit(main())
