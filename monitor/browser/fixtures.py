"""The pytest plugin the journeys run on: pytest-playwright's fixtures extended by name, and the
project's own (``journey``, the monitor account's session, synthetic users and their accounts).

pytest-playwright is registered before this plugin (:mod:`monitor.plugins.browser` sees to it), so
the fixtures here that share its names (``browser_type_launch_args``, ``browser_context_args``) are
the later, more specific ones and receive its values to extend, as a conftest's would. Every
fixture here is requested only by the journeys, so other suites never start a browser or need
their accounts."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import pytest
from playwright.sync_api import BrowserContext, Playwright, expect

from monitor import redact
from monitor.browser.accounts import AccountApiError, TestAccounts, missing_prerequisite, new_run_id
from monitor.browser.chromium import NoChromium, launch_args
from monitor.browser.trust import TrustError, trusting_home
from monitor.plugins.target import target_of
from monitor.probe import Probe
from monitor.profile import MissingSecret, Profile, Secrets
from monitor.results import CheckResult

# The journey recorder and the page objects are imported by the fixtures that use them: every
# suite's run registers this plugin, only the journeys' runs call them.
if TYPE_CHECKING:
    from monitor.browser.journeys import Journey, MonitorSession
    from monitor.browser.pages import NewUser


class StartJourney(Protocol):
    """What the ``journey`` fixture gives a test: ``journey(name)``, or ``journey(name, monitor_session)``
    to start signed in, is a context manager yielding the :class:`Journey` that records it."""

    def __call__(self, name: str, session: MonitorSession | None = None) -> AbstractContextManager[Journey]: ...


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
    playwright: Playwright,
    profile: Profile,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Playwright's own Chromium where it is installed, else Debian's (which `./run` installs);
    trusting the profile's private CA, if it names one, for this run only."""
    args = dict(browser_type_launch_args)
    if profile.tls.ca_bundle:
        try:
            home = trusting_home(profile.tls.ca_bundle, tmp_path_factory.mktemp("browser-home"))
        except TrustError as exc:
            pytest.fail(str(exc), pytrace=False)
        args["env"] = {**os.environ, "HOME": str(home)}
    try:
        args.update(launch_args(playwright))
    except NoChromium as exc:
        pytest.fail(str(exc), pytrace=False)
    return args


@pytest.fixture(scope="session")
def _mask_test_cards(profile: Profile) -> None:
    """Card numbers are typed into checkout: keep them out of kept traces like passwords."""
    redact.register(profile.journeys.success_card, profile.journeys.declined_card, visible=True)


@pytest.fixture(scope="session")
def run_id() -> str:
    return new_run_id()


@pytest.fixture(scope="session")
def base_url(profile: Profile) -> str:
    """The frontend's URL, by name over pytest-playwright's own (this plugin registers after it,
    in pytest_configure), so its fallback fixture never runs."""
    return profile.services["frontend"].base_url


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], profile: Profile, run_id: str, request_headers: dict[str, str]
) -> dict[str, Any]:
    return {
        **browser_context_args,
        # Tag every request so product analytics can leave synthetic traffic out; and the
        # profile's [request] headers (a protected preview's bypass), on every request the page makes.
        "user_agent": f"{profile.user_agent_header} journeys",
        "extra_http_headers": {**request_headers, profile.traffic_header: run_id},
    }


@pytest.fixture
def journey(
    new_context: Callable[..., BrowserContext],
    profile: Profile,
    verdict: Callable[[CheckResult], CheckResult],
    _mask_test_cards: None,
) -> StartJourney:
    """``with journey("sign-in") as j:``, or ``journey("chat", monitor_session)`` to start signed in;
    then ``with j.step("..."):`` on ``j.page``. Records and judges the journey. Its contexts come
    from pytest-playwright's ``new_context``, so a failed journey keeps their traces and screenshots."""
    from monitor.browser.journeys import Journey

    expect.set_options(timeout=profile.journeys.timeout_s * 1000)

    @contextmanager
    def run(name: str, session: MonitorSession | None = None) -> Iterator[Journey]:
        with Journey(name, profile) as recorder:
            recorder.begin(new_context, session)
            yield recorder
        try:
            verdict(recorder.result())
        except pytest.fail.Exception as failed:
            raise failed from None  # the result's message says it all; no chained Playwright traceback

    return run


@pytest.fixture(scope="session")
def monitor_account(read_secret: Callable[[str], str]) -> NewUser:
    from monitor.browser.pages import NewUser

    return NewUser("", "", "", read_secret("monitor_email"), read_secret("monitor_password"))


@pytest.fixture(scope="session")
def _monitor_sessions() -> dict[str, MonitorSession]:
    return {}


@pytest.fixture
def monitor_session(
    _monitor_sessions: dict[str, MonitorSession],
    new_context: Callable[..., BrowserContext],
    profile: Profile,
    monitor_account: NewUser,
) -> MonitorSession:
    """The monitor account, signed in once per session (per xdist worker) by the first journey that
    needs it, through that journey's ``new_context``: a failed sign-in keeps its trace and
    screenshot with that journey. Later journeys start from the same storage state (or failure)."""
    if "monitor" not in _monitor_sessions:
        from monitor.browser.journeys import sign_in

        _monitor_sessions["monitor"] = sign_in(
            new_context(), monitor_account.email, monitor_account.password, profile.journeys.timeout_s
        )
    return _monitor_sessions["monitor"]


@pytest.fixture(scope="session")
def test_accounts(probe: Probe, profile: Profile, read_secret: Callable[[str], str]) -> TestAccounts:
    try:
        return TestAccounts(probe, profile, read_secret("admin_token"))
    except AccountApiError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def synthetic_user(
    test_accounts: TestAccounts, profile: Profile, run_id: str, request: pytest.FixtureRequest
) -> Iterator[NewUser]:
    """A fresh identity for this journey; its account is deleted at the end, pass or fail."""
    from monitor.browser.pages import NewUser

    suffix = request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")
    email = profile.journeys.synthetic_email.format(run_id=f"{run_id}-{suffix}")
    password = "Mon-" + os.urandom(9).hex()
    redact.register(password)
    yield NewUser("Sam", "Synthetic", f"monitor-{run_id}-{suffix}", email, password)
    test_accounts.delete(email)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A journey that creates accounts needs the test-account API and its token: when either is
    missing, one skip with the root reason, before any fixture (and so any browser) starts."""
    if not {"synthetic_user", "test_accounts"} & set(getattr(item, "fixturenames", ())):
        return
    target = target_of(item.config)
    if reason := missing_prerequisite(target.profile):
        pytest.skip(reason)
    try:
        Secrets(target.profile, provided=target.live().secrets).get("admin_token")
    except MissingSecret as exc:
        if exc.fatal:
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
