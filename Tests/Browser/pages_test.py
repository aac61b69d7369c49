#!/usr/bin/env python3
"""End-to-end test of Stowage's web pages in a real (headless) Chromium.

Assumes a running server with token authentication, a user who has pushed two
versions (tags v1 and v2) of --package, and --token a token of that user with
read, write and delete scopes. Walks through sign-in, finding the package,
copying the pull command, deleting and restoring a version, the settings page,
generating a token and pushing with it, a mobile/dark rendering and sign-out.

Prints one line per step; exits 0 on success, 1 when a check fails (naming the
step and what was seen) and 2 when the browser cannot be started.
Needs Python 3.11, selenium 4, /usr/bin/chromium, /usr/bin/chromedriver and
skopeo; downloads nothing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 30
SKOPEO_SECONDS = 60
DESCRIPTION = "Demo <script>alert(1)</script> image"
TOKEN_NOTE = "browser test"
PUSH_TAG = "from-browser-token"


class CheckFailed(Exception):
    """A check of the page failed; the message says what was seen."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def where(error: BaseException) -> str:
    """'at line N (code)' of the innermost frame of this script in error's traceback."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename == __file__]
    return f"at line {frames[-1].lineno} ({frames[-1].line})" if frames else ""


class PagesTest:
    def __init__(self, args: argparse.Namespace) -> None:
        self.base = args.base.rstrip("/")
        self.host = urlsplit(self.base).netloc
        self.user = args.user
        self.token = args.token
        self.package = args.package.strip("/")
        self.layout = args.layout
        self.skopeo = args.skopeo
        self.shots = args.screenshots
        self.package_path = f"/-/packages/{self.package}"
        self.step_number = 0
        self.current_step = ""
        self.console: list[tuple[str, dict]] = []  # (step, log entry)
        self.expected_404: set[str] = set()  # page URLs that must answer 404
        self.v1_digest = ""
        os.makedirs(self.shots, exist_ok=True)
        self.driver = self.start_browser()

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def start_browser() -> webdriver.Chrome:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox",
                         "--disable-dev-shm-usage", "--window-size=1280,900"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(30)
        return driver

    @contextmanager
    def step(self, title: str):
        self.step_number += 1
        self.current_step = f"{self.step_number}. {title}"
        started = time.monotonic()
        print(f"[{self.step_number:2}] {title} ...", flush=True)
        try:
            yield
        except CheckFailed as failure:
            self.fail(str(failure))
        except TimeoutException as failure:
            self.fail(f"timed out waiting: {failure.msg or 'condition not met'}")
        except WebDriverException as failure:
            self.fail(f"browser error {where(failure)}: {failure.msg}")
        self.collect_console()
        print(f"     ok ({time.monotonic() - started:.1f} s)", flush=True)

    def note(self, text: str) -> None:
        print(f"     - {text}", flush=True)

    def fail(self, message: str) -> None:
        print(f"FAIL in step {self.current_step}: {message}", file=sys.stderr)
        try:
            print(f"     page: {self.driver.current_url}", file=sys.stderr)
            headings = self.driver.find_elements(By.TAG_NAME, "h1")
            if headings:
                print(f"     h1: {headings[0].text!r}", file=sys.stderr)
            errors = self.driver.find_elements(By.CSS_SELECTOR, "main .error")
            if errors:
                print(f"     error shown: {errors[0].text!r}", file=sys.stderr)
            name = f"failure-step{self.step_number}.png"
            self.driver.save_screenshot(os.path.join(self.shots, name))
            print(f"     screenshot: {os.path.join(self.shots, name)}", file=sys.stderr)
        except WebDriverException:
            pass
        self.driver.quit()
        sys.exit(1)

    def wait(self, seconds: float = WAIT_SECONDS) -> WebDriverWait:
        return WebDriverWait(self.driver, seconds)

    def url(self, path: str) -> str:
        return self.base + path

    def path(self) -> str:
        parts = urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def open(self, path: str) -> None:
        self.driver.get(self.url(path))
        self.wait().until(EC.presence_of_element_located((By.ID, "main")))

    def navigate_by(self, action: Callable[[], object], what: str) -> None:
        """Run action (a click, a key press) and wait for the next document.

        The old document is marked with a window property; the new one lacks
        it. Chromedriver sometimes reports an error for a click whose
        navigation already began ("Node with given id does not belong to the
        document"); such an error is ignored when the page did change.
        """
        self.driver.execute_script("window.stowageOldPage = true")
        try:
            action()
        except WebDriverException as error:
            if not self.left_old_page():
                raise CheckFailed(f"{what} failed: {error.msg}") from None
            self.note(f"ignored a chromedriver error for {what}, which did navigate: "
                      f"{error.msg.splitlines()[0]}")
        try:
            self.wait().until(lambda d: self.left_old_page()
                              and d.find_elements(By.ID, "main"))
        except TimeoutException:
            raise CheckFailed(f"{what} did not load a new page; the browser is "
                              f"still at {self.path()}") from None

    def left_old_page(self) -> bool:
        try:
            return self.driver.execute_script(
                "return window.stowageOldPage === undefined")
        except WebDriverException:
            return False  # between documents

    def follow(self, element: WebElement, path: str, what: str) -> None:
        """Click element and wait for a new document at path (query ignored)."""
        self.navigate_by(element.click, what)
        check(urlsplit(self.driver.current_url).path == path,
              f"{what} should lead to {path}, the browser is at {self.path()}")

    def find(self, css: str, what: str) -> WebElement:
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        check(found, f"{what} ({css}) is missing")
        return found[0]

    def h1(self) -> str:
        headings = self.driver.find_elements(By.TAG_NAME, "h1")
        return headings[0].text.strip() if headings else ""

    def nav_link(self, text: str) -> WebElement:
        links = self.driver.find_elements(By.CSS_SELECTOR, "header nav a")
        matching = [a for a in links if a.text.strip() == text]
        check(matching, f"navigation link {text!r} is missing; links: "
                        f"{[a.text for a in links]}")
        return matching[0]

    def screenshot(self, name: str) -> None:
        """A full-page PNG (or, should that fail, the viewport) in --screenshots."""
        target = os.path.join(self.shots, name)
        try:
            # Capturing beyond the viewport drops the vertical scroll bar, so
            # the page is laid out at the full window width: clip to that.
            metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            width = max(size["width"],
                        self.driver.execute_script("return window.innerWidth"))
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width,
                         "height": size["height"], "scale": 1}})
            data = base64.b64decode(shot["data"])
        except (WebDriverException, KeyError):
            data = self.driver.get_screenshot_as_png()
        with open(target, "wb") as file:
            file.write(data)
        self.note(f"screenshot {target}")

    def version_rows(self) -> dict[str, dict]:
        """The rows of #version-list by digest: {'tags': [...], 'link': a}."""
        listing = self.find("#version-list", "the version list")
        rows = {}
        for row in listing.find_elements(By.CSS_SELECTOR, ".row"):
            links = row.find_elements(By.CSS_SELECTOR, "a.title")
            if not links:
                continue
            href = links[0].get_attribute("href") or ""
            match = re.search(r"/-/versions/(sha256:[0-9a-f]{64})$", href)
            check(match, f"a version link points to {href!r}, expected "
                         f"{self.package_path}/-/versions/sha256:<64 hex>")
            check(urlsplit(href).path.startswith(self.package_path + "/-/versions/"),
                  f"a version link points to another package: {href!r}")
            tags = [chip.text.strip()
                    for chip in row.find_elements(By.CSS_SELECTOR, ".chip")]
            rows[match.group(1)] = {"tags": tags, "link": links[0]}
        return rows

    def digest_tagged(self, tag: str) -> str | None:
        for digest, row in self.version_rows().items():
            if tag in row["tags"]:
                return digest
        return None

    def run_skopeo(self, what: str, *arguments: str) -> str:
        command = [self.skopeo, "--insecure-policy", *arguments]
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=SKOPEO_SECONDS)
        except FileNotFoundError:
            raise CheckFailed(f"{what}: {self.skopeo} is not installed") from None
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"{what}: skopeo took over {SKOPEO_SECONDS} s") from None
        check(done.returncode == 0,
              f"{what}: skopeo exited {done.returncode}: {done.stderr.strip()[-800:]}")
        return done.stdout

    def collect_console(self) -> None:
        try:
            for entry in self.driver.get_log("browser"):
                self.console.append((self.current_step, entry))
        except WebDriverException:
            pass

    def color_scheme_is_dark(self) -> bool:
        return self.driver.execute_script(
            "return matchMedia('(prefers-color-scheme: dark)').matches")

    # -------------------------------------------------------------------- steps

    def anonymous_home(self) -> None:
        with self.step("anonymous: / does not list the private package"):
            self.open("/")
            titles = [a.text.strip() for a in
                      self.driver.find_elements(By.CSS_SELECTOR, "#packages a.title")]
            check(self.package not in titles,
                  f"the private package {self.package} is listed to anonymous visitors: {titles}")
            check(self.driver.find_elements(By.ID, "packages"),
                  "the package list #packages is missing from /")
            sign_in = self.find("#sign-in", "the 'Sign in' link")
            check(sign_in.is_displayed(), "the 'Sign in' link #sign-in is not visible")
            check(not self.driver.find_elements(By.ID, "sign-out"),
                  "an anonymous visitor sees a #sign-out button")

    def sign_in(self) -> None:
        with self.step(f"sign in as {self.user}"):
            self.follow(self.find("#sign-in", "the 'Sign in' link"), "/-/signin",
                        "the 'Sign in' link")
            token_input = self.find("#token", "the token input")
            check(token_input.get_attribute("type") == "password",
                  f"#token is type={token_input.get_attribute('type')!r}, not password")
            for field in ("user", "token"):
                check(self.driver.find_elements(By.CSS_SELECTOR, f"label[for={field}]"),
                      f"#{field} has no <label>")
            # With the keyboard alone: the first Tab reaches the skip link, the next ones the
            # header's links and then the form's fields in order; Enter sends it.
            self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
            first = self.driver.switch_to.active_element
            check(first.get_attribute("class") == "skip",
                  f"the first Tab focuses {first.get_attribute('outerHTML')[:80]!r}, not the skip link")
            for _ in range(12):
                if self.driver.switch_to.active_element.get_attribute("id") == "user":
                    break
                self.driver.switch_to.active_element.send_keys(Keys.TAB)
            check(self.driver.switch_to.active_element.get_attribute("id") == "user",
                  "Tab never reached the user name field")
            self.driver.switch_to.active_element.send_keys(self.user, Keys.TAB)
            check(self.driver.switch_to.active_element.get_attribute("id") == "token",
                  "Tab from the user name does not reach the token field")
            self.navigate_by(lambda: self.driver.switch_to.active_element.send_keys(self.token, Keys.ENTER),
                             "Enter in the token field")
            self.note("signed in with the keyboard alone")
            try:
                sign_out = self.wait().until(
                    EC.visibility_of_element_located((By.ID, "sign-out")))
            except TimeoutException:
                errors = self.driver.find_elements(By.CSS_SELECTOR, "main .error")
                raise CheckFailed(
                    "no #sign-out button after signing in; the page says "
                    f"{errors[0].text if errors else self.h1()!r}") from None
            check(self.user in sign_out.text,
                  f"#sign-out reads {sign_out.text!r}, without the user name {self.user!r}")
            check(not self.driver.find_elements(By.ID, "sign-in"),
                  "the 'Sign in' link is still shown after signing in")
            self.note(f"landed on {self.path()}; header shows {sign_out.text!r}")

    def find_package(self) -> None:
        with self.step("find the package on /-/packages with the search box"):
            self.follow(self.nav_link("Packages"), "/-/packages", "the 'Packages' link")
            titles = [a.text.strip() for a in
                      self.driver.find_elements(By.CSS_SELECTOR, "#packages .row a.title")]
            check(self.package in titles,
                  f"{self.package} is not in #packages after signing in: {titles}")
            self.screenshot("packages.png")
            name = self.package.split("/", 1)[-1]
            search = self.find("#q", "the search box")
            search.clear()
            search.send_keys(name)
            self.navigate_by(lambda: search.send_keys(Keys.ENTER), "searching")
            check("q=" in self.driver.current_url,
                  f"searching did not submit q: at {self.path()}")
            links = [a for a in self.driver.find_elements(
                By.CSS_SELECTOR, "#packages .row a.title") if a.text.strip() == self.package]
            check(links, f"searching for {name!r} does not list {self.package}: "
                         f"{self.find('#packages', 'the package list').text!r}")
            href = urlsplit(links[0].get_attribute("href")).path
            check(href == self.package_path,
                  f"the package link points to {href!r}, not {self.package_path!r}")
            self.follow(links[0], self.package_path, "the package link")

    def package_page(self) -> None:
        with self.step("package page: pull command, copy button, escaped description, versions"):
            check(self.h1() == self.package, f"the h1 reads {self.h1()!r}")
            pull = self.find("pre#pull-command", "the pull command").text.strip()
            pattern = rf"docker pull {re.escape(self.host)}/{re.escape(self.package)}:[\w][\w.-]*"
            check(re.fullmatch(pattern, pull),
                  f"#pull-command reads {pull!r}, expected 'docker pull "
                  f"{self.host}/{self.package}:TAG'")
            self.note(f"pull command: {pull}")

            self.driver.execute_cdp_cmd("Browser.grantPermissions", {
                "origin": self.base,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
            self.clipboard("writeText", "(not copied yet)")  # so a stale copy cannot pass
            self.find("#copy-pull", "the copy button").click()
            try:
                self.wait().until(EC.text_to_be_present_in_element(
                    (By.ID, "pull-command-status"), "Copied to the clipboard"))
            except TimeoutException:
                status = self.driver.find_elements(By.ID, "pull-command-status")
                raise CheckFailed("#pull-command-status reads "
                                  f"{status[0].text if status else None!r}, not "
                                  "'Copied to the clipboard'") from None
            copied = self.clipboard("readText")
            if copied is None:
                self.note("clipboard read-back is not possible here; "
                          "only the status text was checked")
            else:
                check(copied.strip() == pull,
                      f"the clipboard holds {copied!r}, not the pull command {pull!r}")
                self.note("clipboard read back: equals the pull command")

            main = self.find("#main", "<main>")
            check(DESCRIPTION in main.text,
                  f"the description {DESCRIPTION!r} is not shown as text; main starts "
                  f"{main.text[:300]!r}")
            check(not main.find_elements(By.TAG_NAME, "script"),
                  "the description was injected as a <script> element")
            self.assert_no_alert()

            rows = self.version_rows()
            check(len(rows) >= 2, f"#version-list has {len(rows)} versions, expected 2+")
            tagged = {tag: digest for digest, row in rows.items() for tag in row["tags"]}
            check("v1" in tagged and "v2" in tagged,
                  f"#version-list lacks tag v1 or v2: {[r['tags'] for r in rows.values()]}")
            check(tagged["v1"] != tagged["v2"], "v1 and v2 have the same digest")
            self.v1_digest = tagged["v1"]
            self.note(f"{len(rows)} versions; v1 = {self.v1_digest}")
            self.screenshot("package.png")

    def clipboard(self, method: str, *arguments: str) -> str | None:
        """Call navigator.clipboard.readText/writeText; None (and a note) if impossible."""
        try:
            result = self.driver.execute_async_script("""
                const [method, ...args] = arguments;
                const done = arguments[arguments.length - 1];
                if (!navigator.clipboard || !navigator.clipboard[method]) {
                  done({error: `navigator.clipboard.${method} is unavailable`}); return;
                }
                navigator.clipboard[method](...args.slice(0, -1)).then(
                  (text) => done({text: text ?? ''}),
                  (error) => done({error: String(error)}));
            """, method, *arguments)
        except WebDriverException as error:
            self.note(f"clipboard {method} failed: {error.msg}")
            return None
        if "error" in result:
            self.note(f"clipboard {method} failed: {result['error']}")
            return None
        return result["text"]

    def assert_no_alert(self) -> None:
        try:
            alert = self.driver.switch_to.alert
        except NoAlertPresentException:
            return
        text = alert.text
        alert.dismiss()
        raise CheckFailed(f"a JavaScript alert popped up: {text!r}")

    def delete_version(self) -> None:
        with self.step("open version v1 and delete it"):
            rows = self.version_rows()
            version_path = f"{self.package_path}/-/versions/{self.v1_digest}"
            self.follow(rows[self.v1_digest]["link"], version_path, "the v1 version link")
            main = self.find("#main", "<main>")
            check(self.v1_digest in main.text,
                  f"the version page does not show the digest {self.v1_digest}")
            chips = [c.text.strip() for c in main.find_elements(By.CSS_SELECTOR, ".chip")]
            check("v1" in chips, f"the version page does not show tag v1; chips: {chips}")
            self.screenshot("version.png")
            button = self.find("form #delete-version", "the 'Delete this version' button")
            check("Delete this version" in button.text,
                  f"#delete-version reads {button.text!r}")
            self.follow(button, self.package_path, "'Delete this version'")
            self.assert_no_alert()
            rows = self.version_rows()
            check(self.v1_digest not in rows,
                  f"{self.v1_digest} is still in #version-list after deleting it")
            check(self.digest_tagged("v1") is None, "tag v1 is still in #version-list")
            check(self.digest_tagged("v2") is not None, "tag v2 vanished with v1")

    def restore_version(self) -> None:
        with self.step("find v1 under Deleted and restore it"):
            self.follow(self.nav_link("Deleted"), "/-/deleted", "the 'Deleted' link")
            listing = self.find("#deleted-list", "the deleted list")
            short = self.v1_digest[: len("sha256:") + 12]
            rows = [row for row in listing.find_elements(By.CSS_SELECTOR, ".row")
                    if self.package in row.text and short in row.text]
            check(rows, f"#deleted-list has no row with {self.package} and {short}: "
                        f"{listing.text!r}")
            buttons = rows[0].find_elements(
                By.CSS_SELECTOR, f'button[aria-label^="Restore {self.package}"]')
            check(buttons, "the deleted row has no button with aria-label "
                           f"'Restore {self.package}...': {rows[0].get_attribute('innerHTML')!r}")
            check(buttons[0].text.strip() == "Restore",
                  f"the restore button reads {buttons[0].text!r}")
            self.note(f"row: {rows[0].text!r}; button aria-label: "
                      f"{buttons[0].get_attribute('aria-label')!r}")
            self.screenshot("deleted.png")
            self.follow(buttons[0], self.package_path, "'Restore'")
            check(self.digest_tagged("v1") == self.v1_digest,
                  "v1 is not back in #version-list after restoring: "
                  f"{[r['tags'] for r in self.version_rows().values()]}")

    def pull_restored(self) -> None:
        with self.step("skopeo inspects the restored v1"):
            manifest = self.run_skopeo(
                "skopeo inspect of v1", "inspect", "--raw", "--tls-verify=false",
                "--creds", f"{self.user}:{self.token}",
                f"docker://{self.host}/{self.package}:v1")
            digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
            check(digest == self.v1_digest,
                  f"v1 now resolves to {digest}, not the restored {self.v1_digest}")
            self.note(f"v1 manifest digest {digest}")

    def settings(self) -> None:
        with self.step("package settings: visibility form and delete confirmation"):
            self.follow(self.find("#package-settings", "the 'Package settings' link"),
                        f"{self.package_path}/-/settings", "the 'Package settings' link")
            radios = self.driver.find_elements(
                By.CSS_SELECTOR, "form input[type=radio][name=visibility]")
            values = {r.get_attribute("value"): r.is_selected() for r in radios}
            check({"public", "private"} <= values.keys(),
                  f"the visibility form lacks public/private radios: {values}")
            check(values["private"], f"the new package is not private: {values}")
            self.screenshot("settings.png")
            delete = self.find("#delete-package", "the delete-package button")
            confirm = self.find("#confirm", "the confirmation input")
            check(not delete.is_enabled(), "#delete-package is enabled before confirming")
            confirm.send_keys(self.package[:-1])
            check(not delete.is_enabled(),
                  "#delete-package is enabled with a wrong (truncated) name")
            confirm.send_keys(self.package[-1])
            self.wait(3).until(lambda d: delete.is_enabled(),
                               "#delete-package stays disabled with the name typed")
            confirm.clear()
            confirm.send_keys("x")  # clear() fires no input event; typing does
            self.wait(3).until(lambda d: not delete.is_enabled(),
                               "#delete-package stays enabled after changing the name")

    def tokens(self) -> None:
        with self.step("generate a token on /-/tokens and push with it"):
            self.follow(self.nav_link("Tokens"), "/-/tokens", "the 'Tokens' link")
            check(not self.driver.find_elements(By.ID, "new-token"),
                  "#new-token is shown before generating a token")
            self.screenshot("tokens.png")
            self.find("#description", "the note input").send_keys(TOKEN_NOTE)
            for scope in ("read:packages", "write:packages"):
                box = self.find(f'input[name=scope][value="{scope}"]', f"the {scope} checkbox")
                if not box.is_selected():
                    box.click()
            Select(self.find("#expiry", "the expiry select")).select_by_value("7")
            self.follow(self.find("#generate-token", "the 'Generate token' button"),
                        "/-/tokens", "'Generate token'")
            shown = self.find("pre#new-token", "the new token").text.strip()
            check(re.fullmatch(r"stw_[0-9a-f]{12}_\S+", shown),
                  f"#new-token reads {shown!r}, not a stw_<id>_<secret> token")
            token_id = shown.split("_")[1]
            self.note(f"generated token id {token_id}")

            self.open("/-/tokens")
            check(shown not in self.driver.page_source,
                  "the new token is still in the page after reloading /-/tokens")
            secret = shown.split("_", 2)[2]
            check(secret not in self.driver.page_source,
                  "the token's secret is still in the page after reloading")
            table = self.find("#token-list", "the token list")
            rows = [r.text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")
                    if token_id in r.text]
            check(rows, f"#token-list has no row for token {token_id}: {table.text!r}")
            row = rows[0]
            check(TOKEN_NOTE in row, f"the row of token {token_id} lacks the note "
                                     f"{TOKEN_NOTE!r}: {row!r}")
            check("read:packages" in row and "write:packages" in row
                  and "delete:packages" not in row,
                  f"the row of token {token_id} shows other scopes: {row!r}")
            self.note(f"listed: {row!r}")

            if not self.layout:
                self.note("no --layout given: skipped pushing with the new token")
                return
            self.run_skopeo(
                "skopeo push with the new token", "copy", "--dest-tls-verify=false",
                "--dest-creds", f"{self.user}:{shown}", f"oci:{self.layout}:v1",
                f"docker://{self.host}/{self.package}:{PUSH_TAG}")
            self.note(f"pushed {self.package}:{PUSH_TAG} with the new token")

    def mobile_dark(self) -> None:
        with self.step("package page at 360 px in the dark colour scheme"):
            self.driver.set_window_size(360, 800)
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            try:
                self.open(self.package_path)
                check(self.color_scheme_is_dark(), "prefers-color-scheme: dark is not in effect")
                width = self.driver.execute_script("return window.innerWidth")
                check(width <= 400, f"the viewport is {width} px wide, not about 360")
                background = self.driver.execute_script(
                    "return getComputedStyle(document.body).backgroundColor")
                check(background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"),
                      f"the body background is {background} in the dark scheme")
                overflow = self.driver.execute_script(
                    "const root = document.documentElement;"
                    "return root.scrollWidth - root.clientWidth")
                check(overflow <= 0,
                      f"the page scrolls sideways by {overflow} px at {width} px wide")
                if self.layout:
                    check(self.digest_tagged(PUSH_TAG) is not None,
                          f"tag {PUSH_TAG} pushed with the new token is not listed")
                self.note(f"viewport {width} px, body background {background}")
                self.screenshot("package-mobile-dark.png")
            finally:
                self.driver.set_window_size(1280, 900)
                self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                    "features": [{"name": "prefers-color-scheme", "value": "light"}]})
            check(not self.color_scheme_is_dark(), "could not switch back to light")

    def sign_out(self) -> None:
        with self.step("sign out; the private package is then not found"):
            self.open(self.package_path)
            sign_out = self.find("#sign-out", "the sign-out button")
            self.navigate_by(sign_out.click, "the sign-out button")
            try:
                self.wait().until(EC.visibility_of_element_located((By.ID, "sign-in")))
            except TimeoutException:
                raise CheckFailed("no visible #sign-in after signing out "
                                  f"(at {self.path()})") from None
            check(not self.driver.find_elements(By.ID, "sign-out"),
                  "#sign-out is still shown after signing out")
            self.expected_404.add(self.url(self.package_path))
            self.open(self.package_path)
            check(self.h1() == "Not found",
                  f"{self.package_path} shows h1 {self.h1()!r} after signing out, not 'Not found'")
            check(self.find("#sign-in", "the 'Sign in' link").is_displayed(),
                  "#sign-in is not visible on the 'Not found' page")

    def console_log(self) -> None:
        with self.step("browser console has no CSP violations or errors"):
            self.collect_console()
            problems = []
            for step, entry in self.console:
                message = entry.get("message", "")
                if "Content Security Policy" in message or "Refused to" in message:
                    problems.append((step, entry))
                elif entry.get("level") == "SEVERE" and not self.expected_error(entry):
                    problems.append((step, entry))
            check(not problems, "console entries:\n" + "\n".join(
                f"       [{step}] {e.get('level')} {e.get('source')}: {e.get('message')}"
                for step, e in problems))
            ignored = sum(1 for _, e in self.console if e.get("level") == "SEVERE")
            self.note(f"{len(self.console)} console entries, {ignored} expected 404s ignored")

    def expected_error(self, entry: dict) -> bool:
        """A 404 for the favicon or for a page the test expects to be missing."""
        message = entry.get("message", "")
        if entry.get("source") != "network" or "404" not in message:
            return False
        resource = message.split(" ", 1)[0]
        return "favicon" in resource or resource in self.expected_404

    def run(self) -> None:
        started = time.monotonic()
        try:
            self.anonymous_home()
            self.sign_in()
            self.find_package()
            self.package_page()
            self.delete_version()
            self.restore_version()
            self.pull_restored()
            self.settings()
            self.tokens()
            self.mobile_dark()
            self.sign_out()
            self.console_log()
        finally:
            try:
                self.driver.quit()
            except WebDriverException:
                pass
        print(f"PASS: {self.step_number} steps in {time.monotonic() - started:.1f} s")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:5101")
    parser.add_argument("--user", required=True)
    parser.add_argument("--token", required=True,
                        help="a token of --user with read, write and delete scopes")
    parser.add_argument("--package", required=True, help="e.g. alice/app/web")
    parser.add_argument("--screenshots", required=True, help="directory for PNG files")
    parser.add_argument("--layout", help="OCI layout directory with tag v1, pushed "
                        f"as PACKAGE:{PUSH_TAG} with a token generated in the browser")
    parser.add_argument("--skopeo", default="skopeo", help="the skopeo binary")
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    if args.layout and not os.path.isfile(os.path.join(args.layout, "index.json")):
        print(f"FAIL: --layout {args.layout} is not an OCI layout (no index.json)",
              file=sys.stderr)
        return 2
    try:
        test = PagesTest(args)
    except WebDriverException as error:
        print(f"FAIL: could not start {CHROMIUM} with {CHROMEDRIVER}: {error.msg}",
              file=sys.stderr)
        return 2
    try:
        test.run()
    except Exception:  # an unexpected error is a failure of the current step
        print(f"FAIL in step {test.current_step}: unexpected error", file=sys.stderr)
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
