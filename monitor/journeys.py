"""A journey is a named series of steps a person would take; its result says which step broke
and what the page showed at that moment, or how long each step took."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

from playwright.sync_api import Dialog, Page

from monitor.profile import Profile
from monitor.results import Category, CheckResult, Verdict

_PAGE_STATE = """() => ({
  heading: document.querySelector('h1')?.innerText || '',
  notices: [...document.querySelectorAll('[role=alert],[role=status]')].map(e => e.innerText).join(' | '),
})"""


class _Stop(Exception):
    """A step failed; the journey goes no further."""


def _first_lines(exc: BaseException, limit: int = 2) -> str:
    # pytest's assertion rewriting appends "assert <expression>" lines: the message says it better.
    lines = [line.strip() for line in str(exc).strip().splitlines()
             if line.strip() and not line.lstrip().startswith(("assert ", "+", "where ", "Call log:"))]
    return " ".join(lines[:limit]) or type(exc).__name__


class Journey:
    def __init__(self, name: str, page: Page, profile: Profile, service: str = "frontend"):
        self.name, self.page, self.profile, self.service = name, page, profile, service
        self.steps: list[dict[str, Any]] = []
        self.failure: str | None = None
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.details: dict[str, Any] = {}
        self.watch(page)

    def watch(self, page: Page) -> None:
        """Collect uncaught JavaScript errors and alerts from this page (a journey may open several).
        Alerts are dismissed as they open: an action waiting on a page blocked by one never returns."""
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("dialog", self._dismiss)

    def _dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except _Stop:
            raise
        except Exception as exc:  # an expect() that failed, a Playwright timeout, a broken page
            self.failure = f"at step '{description}': {_first_lines(exc)}; page showed: {self._page_state()}"
            raise _Stop from exc
        finally:
            self.steps.append({"step": description, "ms": round((time.perf_counter() - started) * 1000)})

    def _page_state(self) -> str:
        try:
            state = self.page.evaluate(_PAGE_STATE)
        except Exception:  # the page may be gone or mid-navigation; the URL is still worth showing
            state = {"heading": "", "notices": ""}
        parts = [f"URL {self.page.url}"]
        if state["heading"]:
            parts.append(f"heading {state['heading']!r}")
        if state["notices"]:
            parts.append(f"notice {state['notices']!r}")
        if self.dialogs:
            parts.append(f"alert {self.dialogs[-1]!r}")
        return ", ".join(parts)

    def result(self) -> CheckResult:
        url = self.profile.services[self.service].base_url
        elapsed = sum(step["ms"] for step in self.steps)
        common = dict(check="journey", service=self.service, path=self.name, url=url, duration_ms=float(elapsed),
                      details={"steps": self.steps, **self.details})
        label = f"{self.service} {self.name} journey"
        if self.failure is None and self.page_errors:
            self.failure = f"the page threw a JavaScript error: {self.page_errors[0]}"
        if self.failure:
            return CheckResult(verdict=Verdict.FAIL, category=Category.JOURNEY,
                               message=f"{label} FAILED [journey]: {url}: {self.failure}", **common)
        return CheckResult(verdict=Verdict.PASS, message=f"{label} ok: {url}: {len(self.steps)} steps in {elapsed} ms",
                           **common)
