"""A journey is a named series of steps a person would take; its result says which step broke
and what the page showed at that moment, or how long each step took.

Journeys that need the monitor account start from a :class:`SignedIn` session: the account is
signed in once through the sign-in page (:func:`sign_in`) and each journey's browser context
starts from the storage state that left behind."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NoReturn, Self
from urllib.parse import unquote, urlsplit

from playwright.sync_api import BrowserContext, Dialog, Page, Request, StorageState, expect
from playwright.sync_api import Error as PlaywrightError

from monitor import redact
from monitor.analysers.tls import browser_tls_error
from monitor.browser.pages import ChatPage, SignInPage
from monitor.probe import run_deadline
from monitor.profile import Profile
from monitor.results import Category, CheckResult, Verdict

_PAGE_STATE = """() => ({
  heading: document.querySelector('h1')?.innerText || '',
  notices: [...document.querySelectorAll('[role=alert],[role=status]')].map(e => e.innerText).join(' | '),
})"""

SIGN_IN_STEP = "sign in as the monitor account"


class JourneyStopped(Exception):
    """Ends a journey where it stands: raised by a step that broke (the journey has recorded which
    and what the page showed) and by :meth:`Journey.stop`. A journey's ``with`` block ends on it."""


def _first_lines(exc: BaseException, limit: int = 2) -> str:
    # pytest's assertion rewriting appends "assert <expression>" lines: the message says it better.
    lines = [
        line.strip()
        for line in str(exc).strip().splitlines()
        if line.strip() and not line.lstrip().startswith(("assert ", "+", "where ", "Call log:"))
    ]
    return " ".join(lines[:limit]) or type(exc).__name__


@dataclass(frozen=True)
class Mark:
    """Where a step began in what the watcher has seen: it quotes only what came after."""

    dialogs: int = 0
    navigations: int = 0


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class PageWatcher:
    """Uncaught JavaScript errors, alerts and main-frame navigations (each hop of a redirect chain
    is one) of the pages it watches. Alerts are dismissed as they open: an action waiting on a page
    blocked by one never returns."""

    def __init__(self, sign_in_path: str = "/sign-in") -> None:
        self.sign_in_path = sign_in_path
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.navigations: list[str] = []
        self.requests = 0  # what the watched pages sent: a journey's cost to the target

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("dialog", self._dismiss)
        page.on("request", lambda request: self._requested(page, request))

    def _dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _requested(self, page: Page, request: Request) -> None:
        self.requests += 1
        if request.is_navigation_request() and request.frame == page.main_frame:
            self.navigations.append(request.url)

    def mark(self) -> Mark:
        return Mark(len(self.dialogs), len(self.navigations))

    def describe(self, page: Page, since: Mark = Mark()) -> str:
        """What the page shows now (URL, main heading, alerts and status notices), and what happened
        since ``since``: the last alert and the pages it went through, never an earlier step's."""
        try:
            state = page.evaluate(_PAGE_STATE)
        except PlaywrightError:  # the page may be gone or mid-navigation; the URL is still worth showing
            state = {"heading": "", "notices": ""}
        parts = [f"URL {page.url}"]
        if state["heading"]:
            parts.append(f"heading {state['heading']!r}")
        if state["notices"]:
            parts.append(f"notice {state['notices']!r}")
        if dialogs := self.dialogs[since.dialogs :]:
            parts.append(f"alert {dialogs[-1]!r}")
        if hops := [_path_and_query(url) for url in self.navigations[since.navigations :]]:
            paths = [urlsplit(hop).path for hop in hops]
            away = [path for path in paths[:-1] if path != self.sign_in_path]
            if paths[-1] == self.sign_in_path and away:
                parts.append(f"redirected back to {self.sign_in_path} from {away[-1]}")
            if len(hops) > 1:
                parts.append(f"went through {' -> '.join(hops)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class SignedIn:
    """A session as the browser holds it after signing in through the sign-in page.

    * Browser: ``new_context(**session.context_args())`` starts signed in, with the session's
      cookies and each origin's localStorage (Playwright's storage state carries no
      sessionStorage: a target keeping its session only there cannot be resumed this way).
    * API probes, where the target's session is a bearer token:
      ``NetworkSettings.from_profile(profile).with_headers(**session.api_headers())``. Slurpy's is
      a Supabase access token, which supabase-js keeps in localStorage and @supabase/ssr in
      cookies, both under ``sb-<project ref>-auth-token`` (JSON holding ``access_token``; a cookie
      may be ``base64-``-encoded and split into ``.0``, ``.1``, …): ``bearer_token`` is read from
      there. A target whose browser session is a cookie only has none, and its API probes need a
      token sign-in of their own.
    """

    storage_state: StorageState
    bearer_token: str | None = None

    @classmethod
    def from_storage_state(cls, storage_state: StorageState) -> SignedIn:
        return cls(storage_state, bearer_token=_supabase_access_token(storage_state))

    def context_args(self) -> dict[str, Any]:
        return {"storage_state": self.storage_state}

    def api_headers(self) -> dict[str, str]:
        if self.bearer_token is None:
            raise LookupError(
                "the browser session holds no bearer token (no Supabase sb-*-auth-token in its "
                "cookies or localStorage): sign the API probe in with a token instead"
            )
        return {"Authorization": f"Bearer {self.bearer_token}"}

    def credentials(self) -> list[str]:
        """Values that would let someone act as this user: what kept artifacts must not show."""
        cookies = [
            c["value"]
            for c in self.storage_state.get("cookies", [])
            if c.get("httpOnly") or _supabase_key(c["name"]) is not None
        ]
        return [*cookies, *([self.bearer_token] if self.bearer_token else [])]


@dataclass(frozen=True)
class SignInFailed:
    """Signing in did not land where it should: ``reason`` says what happened and what the page showed."""

    reason: str
    tls: bool = False  # the browser refused the site's certificate: the reason is a TLS one


MonitorSession = SignedIn | SignInFailed


def _supabase_key(name: str) -> tuple[str, int] | None:
    """``sb-<ref>-auth-token`` or one of its chunks ``….<n>``: (the key, the chunk number)."""
    key, _, chunk = name.partition(".")
    if not (key.startswith("sb-") and key.endswith("-auth-token")):
        return None
    if chunk and not chunk.isdigit():
        return None
    return key, int(chunk or 0)


def _access_token(value: str) -> str | None:
    if value.startswith("base64-"):
        encoded = value.removeprefix("base64-")
        try:
            value = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
    try:
        data = json.loads(unquote(value))
    except ValueError:
        return None
    token = data.get("access_token") if isinstance(data, dict) else None
    return token if isinstance(token, str) and token else None


def _supabase_access_token(storage_state: StorageState) -> str | None:
    for origin in storage_state.get("origins", []):
        for entry in origin.get("localStorage", []):
            if _supabase_key(entry["name"]) is not None and (token := _access_token(entry["value"])):
                return token
    chunks: dict[str, list[tuple[int, str]]] = {}
    for cookie in storage_state.get("cookies", []):
        if (found := _supabase_key(cookie["name"])) is not None:
            chunks.setdefault(found[0], []).append((found[1], cookie["value"]))
    for parts in chunks.values():
        if token := _access_token("".join(value for _, value in sorted(parts))):
            return token
    return None


def sign_in(context: BrowserContext, email: str, password: str, timeout_s: float) -> MonitorSession:
    """Sign in through the sign-in page in ``context`` and keep what the browser then holds, or
    why it could not. The context is closed either way: made by pytest-playwright's
    ``new_context``, its trace and screenshot stay with the test when the test fails."""
    watcher = PageWatcher()
    page = context.new_page()
    page.set_default_timeout(run_deadline.cap(timeout_s) * 1000)
    watcher.watch(page)
    try:
        SignInPage(page).open().sign_in(email, password)
        # On the chat page itself: a session that is not kept bounces to /sign-in?redirect=/chat.
        page.wait_for_url(lambda url: urlsplit(url).path == ChatPage.path)
        session = SignedIn.from_storage_state(context.storage_state())
        redact.register(*session.credentials())
        return session
    except PlaywrightError as exc:
        run_deadline.check()  # cut off by the run deadline: the monitor's doing, not the sign-in's
        tls = browser_tls_error(str(exc))
        return (
            SignInFailed(tls, tls=True)
            if tls
            else SignInFailed(f"{_first_lines(exc, limit=1)}; page showed: {watcher.describe(page)}")
        )
    finally:
        context.close()


class Journey(PageWatcher):
    """``with Journey(...) as j:`` … ``with j.step("..."):`` …; ``j.result()`` judges it. A step
    that raises ends the journey (its ``with`` block) and is recorded with what the page showed;
    an uncaught JavaScript error on any page it opened fails it too. Each step ends once its page
    has loaded."""

    def __init__(self, name: str, profile: Profile, service: str = "frontend"):
        super().__init__(profile.security.sign_in_path)
        self.name, self.profile, self.service = name, profile, service
        self._page: Page | None = None
        self.steps: list[dict[str, Any]] = []
        self.failure: str | None = None
        self.category = Category.JOURNEY  # what a failure is filed under: tls when the browser refused the certificate
        self.details: dict[str, Any] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        return kind is not None and issubclass(kind, JourneyStopped)

    def open(self, context: BrowserContext) -> Page:
        """The journey's page, in ``context``, watched, waiting at most the journey timeout per action."""
        page = context.new_page()
        page.set_default_timeout(run_deadline.cap(self.profile.journeys.timeout_s) * 1000)
        self.watch(page)
        self._page = page
        return page

    @property
    def page(self) -> Page:
        if self._page is None:
            raise RuntimeError(f"journey {self.name!r} has no page yet: open() or begin() opens it")
        return self._page

    def begin(self, new_context: Callable[..., BrowserContext], session: MonitorSession | None = None) -> Page:
        """Open the journey's page in a fresh context from ``new_context``: signed in when given a
        session. A failed sign-in is the journey's first failed step: it takes no other."""
        if isinstance(session, SignInFailed):
            self.failure = f"at step {SIGN_IN_STEP!r}: {session.reason}"
            if session.tls:
                self.category = Category.TLS
        context_args = session.context_args() if isinstance(session, SignedIn) else {}
        return self.open(new_context(**context_args))

    def stop(self, reason: str) -> NoReturn:
        """End here, passing: what is left does not apply to this target (``reason`` is recorded)."""
        self.details["stopped"] = reason
        raise JourneyStopped(reason)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        if self.failure is not None:
            raise JourneyStopped(self.failure)
        started, seen = time.perf_counter(), self.mark()
        if self._page is not None:  # each step waits at most the journey timeout, and never past the run deadline
            wait_ms = run_deadline.cap(self.profile.journeys.timeout_s) * 1000
            self._page.set_default_timeout(wait_ms)
            expect.set_options(timeout=wait_ms)
        try:
            yield
            if self._page is not None:
                # A step ends on a loaded page: a step that only waited for a URL would otherwise let
                # the next one navigate away before the page's scripts ran, and their errors unseen.
                self._page.wait_for_load_state()
        except JourneyStopped:
            raise
        except Exception as exc:  # an expect() that failed, a Playwright timeout, a broken page
            run_deadline.check()  # cut off by the run deadline: the monitor's doing, not the page's
            tls = browser_tls_error(str(exc))
            if tls is not None:  # the page never came: nothing it showed is worth describing
                self.category = Category.TLS
                self.failure = f"at step '{description}': {tls}"
                raise JourneyStopped(self.failure) from exc
            shown = self.describe(self._page, since=seen) if self._page is not None else "no page open"
            self.failure = f"at step '{description}': {_first_lines(exc)}; page showed: {shown}"
            raise JourneyStopped(self.failure) from exc
        finally:
            self.steps.append({"step": description, "ms": round((time.perf_counter() - started) * 1000)})

    def result(self) -> CheckResult:
        url = self.profile.services[self.service].base_url
        elapsed = sum(step["ms"] for step in self.steps)
        label = f"{self.service} {self.name} journey"
        failure = self.failure
        if failure is None and self.page_errors:
            failure = f"the page threw a JavaScript error: {self.page_errors[0]}"
        if failure:
            category = self.category
            verdict, message = Verdict.FAIL, f"{label} FAILED [{category.value}]: {url}: {failure}"
        else:
            verdict, category, message = (
                Verdict.PASS,
                None,
                f"{label} ok: {url}: {len(self.steps)} steps in {elapsed} ms",
            )
            if "stopped" in self.details:  # what was left undone, and why, belongs on the one line
                message += f"; stopped {self.details['stopped']}"
        return CheckResult(
            check="journey",
            service=self.service,
            path=self.name,
            url=url,
            verdict=verdict,
            category=category,
            message=message,
            duration_ms=float(elapsed),
            details={"steps": self.steps, "requests": self.requests, **self.details},
        )
