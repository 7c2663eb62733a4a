"""Sign-in with the monitor account: protected pages redirect, a wrong password is refused in an
alert, the right one lands on chat with the greeting."""

import re

import pytest
from playwright.sync_api import expect

from monitor.analysers.cookies import judge_browser_cookies
from monitor.browser.fixtures import StartJourney
from monitor.browser.pages import ChatPage, NewUser, SignInPage
from monitor.profile import Profile

pytestmark = pytest.mark.nondestructive


def test_sign_in(journey: StartJourney, monitor_account: NewUser, profile: Profile) -> None:
    session_cookies = profile.services["frontend"].security.session_cookies
    with journey("sign-in") as j:
        with j.step("a protected page without a session redirects to sign-in"):
            ChatPage(j.page).open()
            expect(j.page).to_have_url(re.compile(r"/sign-in\?redirect=(/|%2F)chat$"))
        with j.step("a wrong password is refused with an alert"):
            alert = SignInPage(j.page).sign_in_expecting_alert(monitor_account.email, "not-the-password")
            assert "invalid" in alert.lower(), f"alert said {alert!r}"
        with j.step("the right password lands on chat"):
            chat = SignInPage(j.page).sign_in(monitor_account.email, monitor_account.password)
            expect(j.page).to_have_url(re.compile(r"^[^?]*/chat$"))
        with j.step("chat greets the user by first name"):
            expect(chat.greeting).to_have_text(re.compile(r"^Hello, \S+"))
        if session_cookies:  # judged where the browser holds them, whichever response set them
            with j.step("the session cookies the profile names are Secure, HttpOnly and SameSite"):
                problems, found = judge_browser_cookies(j.page.context.cookies(), session_cookies)
                j.details["session_cookies"] = found
                assert not problems, "; ".join(problems)
