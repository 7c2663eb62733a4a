"""Page objects for the journeys: locators defined once, by role and label; actions that
navigate return the next page object; no assertions and no sleeps (Playwright waits)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from playwright.sync_api import Page

from monitor.analysers.ndjson import StreamReport, read_stream
from monitor.browser.stream_timing import StreamTimer


class BasePage:
    path = "/"

    def __init__(self, page: Page):
        self.page = page
        self.heading = page.get_by_role("heading", level=1)

    def open(self) -> Self:
        self.page.goto(self.path)
        return self


class LandingPage(BasePage):
    path = "/"

    def __init__(self, page: Page):
        super().__init__(page)
        self.sign_in_link = page.get_by_role("link", name="Sign in")
        self.sign_up_link = page.get_by_role("link", name="Sign up")

    def go_to_sign_up(self) -> SignUpPage:
        self.sign_up_link.click()
        return SignUpPage(self.page)


@dataclass
class NewUser:
    first_name: str
    last_name: str
    username: str
    email: str
    password: str


class SignUpPage(BasePage):
    path = "/sign-up"

    def __init__(self, page: Page):
        super().__init__(page)
        self.first_name = page.get_by_label("First name")
        self.last_name = page.get_by_label("Last name")
        self.username = page.get_by_label("Username")
        self.email = page.get_by_label("Email")
        self.password = page.get_by_label("Password")
        self.create_account = page.get_by_role("button", name="Create account")
        self.error = page.get_by_role("alert")

    def fill(self, user: NewUser) -> None:
        self.first_name.fill(user.first_name)
        self.last_name.fill(user.last_name)
        self.username.fill(user.username)
        self.email.fill(user.email)
        self.password.fill(user.password)

    def sign_up(self, user: NewUser) -> VerifyEmailPage:
        self.fill(user)
        self.create_account.click()
        return VerifyEmailPage(self.page)


class VerifyEmailPage(BasePage):
    path = "/email-verify-page"


class SignInPage(BasePage):
    path = "/sign-in"

    def __init__(self, page: Page):
        super().__init__(page)
        self.email = page.locator("#identifier")
        self.password = page.locator("#password")
        self.submit = page.get_by_role("button", name="Sign in")

    def sign_in(self, email: str, password: str) -> ChatPage:
        self.email.fill(email)
        self.password.fill(password)
        self.submit.click()
        return ChatPage(self.page)

    def sign_in_expecting_alert(self, email: str, password: str) -> str:
        """Failures are shown in a browser alert; returns its text. Something must dismiss the
        alert as it opens (a journey does): a click on a page blocked by an alert never returns."""
        self.email.fill(email)
        self.password.fill(password)
        with self.page.expect_event("dialog") as event:
            self.submit.click()
        return event.value.message


class ChatPage(BasePage):
    path = "/chat"

    def __init__(self, page: Page):
        super().__init__(page)
        self.greeting = self.heading
        self.message = page.get_by_role("textbox", name="Message")
        self.send_button = page.get_by_role("button", name="Send message")
        self.replies = page.get_by_role("article", name="Slurpy")

    def send(self, text: str) -> None:
        self.message.fill(text)
        self.send_button.click()

    def ask(self, text: str, stream_path: str, fallback: str) -> ChatReply:
        """Send ``text`` and read the whole streamed reply the page receives from ``stream_path``
        (whatever the page puts in the request), timed by Chromium's network events."""
        timer = StreamTimer(stream_path).attach(self.page)
        try:
            with self.page.expect_response(
                lambda r: r.url.endswith(stream_path) and r.request.method == "POST"
            ) as answer:
                self.send(text)
            response = answer.value
            stream = read_stream(response.text(), fallback)
            response.finished()
        finally:
            timer.detach()
        return ChatReply(response.status, stream, first_delta_ms=timer.first_data_ms, done_ms=timer.done_ms)


@dataclass(frozen=True)
class ChatReply:
    """One message's answer: the stream's HTTP status, what its NDJSON frames said, and how long
    after the request left its first frame and its end arrived (None: never, as far as Chromium saw)."""

    status: int
    stream: StreamReport
    first_delta_ms: float | None
    done_ms: float | None

    def done_within(self, threshold_ms: float) -> bool:
        return self.done_ms is not None and self.done_ms < threshold_ms

    def timing(self) -> str:
        def ms(value: float | None) -> str:
            return "never" if value is None else f"after {value:.0f} ms"

        return f"first delta {ms(self.first_delta_ms)}, done {ms(self.done_ms)}"

    @property
    def details(self) -> dict[str, Any]:
        """What a journey's record keeps of it."""
        return {"first_delta_ms": self.first_delta_ms, "done_ms": self.done_ms, "deltas": self.stream.deltas}


class PlansPage(BasePage):
    path = "/plans"

    def __init__(self, page: Page):
        super().__init__(page)
        self.free = page.get_by_role("region", name="Free")
        self.pro = page.get_by_role("region", name="Pro")
        self.go_pro = page.get_by_role("button", name="Go Pro")
        self.status = page.get_by_role("status")
        # The heading of the card that says it is the current plan.
        self.current_plan = (
            page.get_by_role("region").filter(has=page.get_by_label("Current plan")).get_by_role("heading")
        )

    def choose_pro(self) -> CheckoutPage:
        self.go_pro.click()
        return CheckoutPage(self.page)


class CheckoutPage(BasePage):
    """Stripe Checkout (or the sandbox's stand-in with the same labels)."""

    def __init__(self, page: Page):
        super().__init__(page)
        self.card_number = page.get_by_label("Card number")
        self.expiry = page.get_by_label("Expiration")
        self.cvc = page.get_by_label("CVC")
        self.name = page.get_by_label("Cardholder name")
        self.subscribe = page.get_by_role("button", name="Subscribe")
        self.error = page.get_by_role("alert")
        self.cancel_link = page.get_by_role("link", name="Cancel")

    def pay(self, card: str, name: str = "Slurpy Monitor") -> PlansPage:
        self.card_number.fill(card)
        self.expiry.fill("12 / 34")
        self.cvc.fill("123")
        self.name.fill(name)
        self.subscribe.click()
        return PlansPage(self.page)

    def cancel(self) -> PlansPage:
        self.cancel_link.click()
        return PlansPage(self.page)
