"""Payment: plans -> Go Pro -> checkout. In Stripe test mode: the declined card is refused and
does not upgrade; the success card returns to /plans?success=1 and the plan shows Pro once the
signed webhook arrived. Without Stripe test mode (journeys.stripe_test_mode) the journey stops at
checkout, and its result says so."""

import re

from playwright.sync_api import expect

from monitor.browser.accounts import TestAccounts
from monitor.browser.fixtures import StartJourney
from monitor.browser.pages import NewUser, PlansPage, SignInPage
from monitor.profile import Profile


def test_payment(journey: StartJourney, profile: Profile, test_accounts: TestAccounts, synthetic_user: NewUser) -> None:
    policy = profile.journeys
    with journey("payment") as j:
        with j.step("a fresh synthetic account signs in"):
            test_accounts.create(synthetic_user.email, synthetic_user.password, synthetic_user.first_name)
            SignInPage(j.page).open().sign_in(synthetic_user.email, synthetic_user.password)
            expect(j.page).to_have_url(re.compile(r"^[^?]*/chat$"))
        with j.step("plans show Free as the current plan"):
            plans = PlansPage(j.page).open()
            expect(plans.heading).to_have_text("Choose your plan")
            expect(plans.current_plan).to_have_text("Free")
        with j.step("Go Pro opens checkout with the Pro price"):
            checkout = plans.choose_pro()
            expect(j.page.get_by_text(re.compile(re.escape(policy.pro_price)))).to_be_visible()
            expect(checkout.subscribe).to_be_visible()
        if not policy.stripe_test_mode:  # test cards mean nothing to a live Stripe account: paying needs test mode
            j.stop("at checkout: the profile does not set journeys.stripe_test_mode, so no test card is paid")
        with j.step("the declined test card is refused"):
            checkout.pay(policy.declined_card)
            expect(checkout.error).to_contain_text("declined")
        with j.step("a declined payment does not upgrade"):
            plans = checkout.cancel()
            expect(plans.current_plan).to_have_text("Free")
        with j.step("the success test card returns to plans with success"):
            plans.choose_pro().pay(policy.success_card)
            expect(j.page).to_have_url(re.compile(r"/plans\?success=1"))
            expect(plans.status).to_have_text("Payment successful")
        with j.step("the plan shows Pro once the signed webhook arrived"):
            expect(plans.current_plan).to_have_text("Pro")
