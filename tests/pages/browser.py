"""A real headless Chromium driven as a person would, axe-core's checks, and e-mails read from the outbox.

Chromium and its driver are Debian's `chromium` and `chromium-driver` (.ci/run installs them); axe-core
(tests/pages/vendor, test-only) checks each page and state for serious or critical WCAG violations.
"""

from __future__ import annotations

import datetime as dt
import email
import re
import shutil
from email import policy
from pathlib import Path

from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")
# The WCAG 2.0-2.2 A and AA rules axe-core has, plus its best practices (landmarks, headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
LINK = re.compile(r'href="([^"]+)"')


def _between_pages(error: WebDriverException) -> bool:
    # Chromium answers this (not a stale element) when a form's answer replaces the document between
    # finding an element and reading it: the same race as a stale element, worded by the inspector.
    return isinstance(error, StaleElementReferenceException) or \
        "does not belong to the document" in (error.msg or "")


class Browser:
    """What a person does with the browser, plus the checks a test makes on what they see."""

    def __init__(self, driver, base: str):
        self.driver, self.base = driver, base

    def open(self, url: str) -> None:
        self.driver.get(url if url.startswith("http") else self.base + url)

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str = "main") -> str:
        return self.find(css).text

    def click(self, css: str) -> None:
        self.find(css).click()

    def click_text(self, text: str) -> None:
        """Follow the link or press the button showing `text`; returns once the next page has loaded."""
        xpath = f"//*[self::a or self::button][normalize-space()='{text}']"
        self.follow(self.driver.find_element(By.XPATH, xpath))

    def follow(self, element) -> None:
        """Click a link or a form's button and wait for the page it leads to, so that what the test reads
        next is never the page it left (both may hold the same elements). The page being left carries a
        mark on its window; the next document, in the same frame, starts without it."""
        self.driver.execute_script("window.agendaTestLeaving = true")
        element.click()
        self._until(lambda driver: driver.execute_script(
            "return !window.agendaTestLeaving && document.readyState === 'complete'"))

    def type(self, css: str, value: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def wait_for(self, css: str):
        return self._until(lambda driver: driver.find_element(By.CSS_SELECTOR, css))

    def wait_for_text(self, css: str, text: str) -> str:
        """The element's text once it shows `text` (the page before a form's answer may hold that element)."""
        def shown(driver):
            found = driver.find_element(By.CSS_SELECTOR, css).text
            return found if text in found else False
        return self._until(shown)

    def _until(self, look):
        """What `look(driver)` returns once it is something, within 10 s; an element not there yet, or
        read while the next page replaces the one it was found in, counts as not yet."""
        def attempt(driver):
            try:
                return look(driver)
            except NoSuchElementException:
                return False
            except WebDriverException as error:
                if _between_pages(error):
                    return False
                raise
        return WebDriverWait(self.driver, 10).until(attempt)

    def zone(self, name: str) -> None:
        """The browser's own time zone (what the page's script detects)."""
        self.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": name})

    def languages(self, accept_language: str) -> None:
        user_agent = self.driver.execute_script("return navigator.userAgent")
        self.driver.execute_cdp_cmd("Network.setUserAgentOverride",
                                    {"userAgent": user_agent, "acceptLanguage": accept_language})

    def width(self, pixels: int, height: int = 800) -> None:
        self.driver.set_window_size(pixels, height)

    def status(self) -> int:
        """The HTTP status of the page on screen (from the Navigation Timing entry)."""
        return self.driver.execute_script(
            "return performance.getEntriesByType('navigation')[0].responseStatus")

    def axe(self) -> list[dict]:
        """Serious or critical accessibility violations on the page as it is now."""
        if not self.driver.execute_script("return typeof window.axe !== 'undefined'"):
            self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.html)}))), e => done([{id: 'axe-error', impact: 'critical',"
            " help: String(e), nodes: []}]));", AXE_TAGS)
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def accessible(self) -> None:
        violations = self.axe()
        assert violations == [], violations


# E-mail, read from the outbox as the delivery job would send it.


class Mail:
    def __init__(self, notification_id: int, kind: str, raw: bytes):
        self.id, self.kind = notification_id, kind
        self.message = email.message_from_bytes(raw, policy=policy.default)
        self.html = next(p for p in self.message.walk() if p.get_content_type() == "text/html").get_content()

    @property
    def links(self) -> list[str]:
        return [link.replace("&amp;", "&") for link in LINK.findall(self.html)]


def read_mail(kind: str | None = None) -> list[Mail]:
    """The outbox's messages (optionally of one kind), composed as they would be sent now (those that no
    longer apply, such as a confirmation of an appointment since cancelled, are left out as the sender
    leaves them)."""
    from shared.config import get_settings
    from shared.db import unit_of_work
    from shared.models import Notification
    from shared.notifications.compose import compose
    from shared.notifications.context import Skip

    now = dt.datetime.now(dt.UTC)
    mails = []
    with unit_of_work() as uow:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.type == kind)
        for row in uow.session.scalars(query):
            try:
                raw = compose(uow.session, row.id, now=now, settings=get_settings()).raw
            except Skip:
                continue
            mails.append(Mail(row.id, row.type, raw))
    return mails
