"""Browser set-up for the journeys: pytest-playwright's fixtures, extended by name."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from monitor import redact
from monitor.accounts import AccountApiError, TestAccounts, new_run_id
from monitor.journeys import Journey, _Stop
from monitor.pages import NewUser, SignInPage

DEBIAN_CHROMIUM = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium")
# Flags for a root, headless machine with a closed network (see shared/engineering.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def base_url(profile):
    return profile.services["frontend"].base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    """Playwright's own Chromium where it is installed, else Debian's (which `./run` installs)."""
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if not Path(playwright.chromium.executable_path).exists():
        found = next((path for path in DEBIAN_CHROMIUM if Path(path).exists()), None)
        if found is None:
            pytest.fail("no Chromium: run `python -m playwright install chromium` or `apt-get install "
                        "chromium-headless-shell` (./run does this for you)", pytrace=False)
        args["executable_path"] = found
    return args


@pytest.fixture(scope="session", autouse=True)
def _mask_test_cards(profile):
    """Card numbers are typed into checkout: keep them out of kept traces like passwords."""
    redact.register(profile.journeys.success_card, profile.journeys.declined_card, visible=True)


@pytest.fixture(scope="session")
def run_id():
    return new_run_id()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, profile, run_id):
    return {
        **browser_context_args,
        # Tag every request so product analytics can leave synthetic traffic out.
        "user_agent": f"{profile.user_agent_header} journeys",
        "extra_http_headers": {profile.traffic_header: run_id},
        # The sandbox's certificates come from its own CA, which Chromium does not know; the
        # TLS smoke check judges certificates, the journeys judge pages.
        "ignore_https_errors": profile.sandbox,
    }


@pytest.fixture(autouse=True)
def _step_timeouts(request, profile):
    if "page" in request.fixturenames:
        from playwright.sync_api import expect

        expect.set_options(timeout=profile.journeys.timeout_s * 1000)


@pytest.fixture
def journey(page, profile, verdict):
    """``with journey("sign-in") as j: with j.step("..."): ...`` records and judges the journey."""

    @contextmanager
    def run(name: str):
        page.set_default_timeout(profile.journeys.timeout_s * 1000)
        recorder = Journey(name, page, profile)
        try:
            yield recorder
        except _Stop:
            pass
        try:
            verdict(recorder.result())
        except pytest.fail.Exception as failed:
            raise failed from None  # the result's message says it all; no chained Playwright traceback

    return run


@pytest.fixture(scope="session")
def monitor_account(read_secret):
    return NewUser("", "", "", read_secret("monitor_email"), read_secret("monitor_password"))


@pytest.fixture(scope="session")
def monitor_session(browser, browser_context_args, profile, monitor_account):
    """Sign the monitor account in once per session; journeys reuse the stored state. A failure is
    kept and reported by the first journey step that needs the session."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.set_default_timeout(profile.journeys.timeout_s * 1000)
    try:
        SignInPage(page).open().sign_in(monitor_account.email, monitor_account.password)
        page.wait_for_url("**/chat")
        return {"state": context.storage_state(), "error": None}
    except Exception as exc:  # reported by the journeys that needed it, with what the page showed
        return {"state": None, "error": f"signing in the monitor account failed: {str(exc).splitlines()[0]} "
                                        f"(page at {page.url})"}
    finally:
        context.close()


@pytest.fixture(scope="session")
def test_accounts(probe, profile, read_secret):
    try:
        return TestAccounts(probe, profile, read_secret("admin_token"))
    except AccountApiError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def synthetic_user(test_accounts, profile, run_id, request):
    """A fresh identity for this journey; its account is deleted at the end, pass or fail."""
    suffix = request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")
    email = profile.journeys.synthetic_email.format(run_id=f"{run_id}-{suffix}")
    password = "Mon-" + os.urandom(9).hex()
    redact.register(password)
    yield NewUser("Sam", "Synthetic", f"monitor-{run_id}-{suffix}", email, password)
    test_accounts.delete(email)
