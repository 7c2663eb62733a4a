"""Sign-up with a synthetic identity: the form, "Check your email", the duplicate-address error,
the confirmation link from the test inbox, and signing in as the new user. The account is
deleted afterwards, pass or fail."""

import re

from playwright.sync_api import expect

from monitor.browser.accounts import confirmation_link
from monitor.browser.fixtures import StartJourney
from monitor.browser.pages import LandingPage, NewUser, SignInPage, SignUpPage
from monitor.probe import Probe
from monitor.profile import Profile


def test_sign_up(journey: StartJourney, probe: Probe, profile: Profile, synthetic_user: NewUser) -> None:
    with journey("sign-up") as j:
        with j.step("from the landing page, fill the sign-up form and create the account"):
            verify = LandingPage(j.page).open().go_to_sign_up().sign_up(synthetic_user)
            expect(verify.heading).to_have_text("Check your email")
        with j.step("the same address again is refused inline"):
            again = SignUpPage(j.page).open()
            again.sign_up(synthetic_user)
            expect(again.error).to_contain_text("already in use")
        if profile.journeys.inbox_url:
            with j.step("follow the confirmation link from the test inbox"):
                j.page.goto(
                    confirmation_link(
                        probe, profile.journeys.inbox_url, synthetic_user.email, profile.journeys.timeout_s
                    )
                )
                expect(j.page).to_have_url(re.compile(r"/sign-in"))
            with j.step("sign in as the new user"):
                chat = SignInPage(j.page).sign_in(synthetic_user.email, synthetic_user.password)
                expect(chat.greeting).to_have_text(f"Hello, {synthetic_user.first_name}")
