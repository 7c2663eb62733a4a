import base64
import json
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import StorageState, StorageStateCookie

from monitor import redact
from monitor.analysers.ndjson import read_stream
from monitor.browser.accounts import AccountApiError, TestAccounts, confirmation_link
from monitor.browser.journeys import SIGN_IN_STEP, Journey, SignedIn, SignInFailed
from monitor.browser.pages import ChatReply
from monitor.browser.stream_timing import StreamTimer
from monitor.probe import NetworkSettings, Probe
from monitor.profile import load_profile
from monitor.results import Category, Verdict

FALLBACK = "I'm here to help!"


def frames(*items) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


def test_a_healthy_stream_is_real_text():
    report = read_stream(
        frames(
            {"type": "delta", "delta": "Hello ", "id": 0},
            {"type": "delta", "delta": "there", "id": 1},
            {"type": "done"},
        ),
        FALLBACK,
    )
    assert report.ok and report.text == "Hello there" and report.deltas == 2


@pytest.mark.parametrize(
    "body,problem",
    [
        (frames({"type": "done"}), "no text arrived"),
        (
            frames({"type": "delta", "delta": "Hi"}, {"type": "error", "reason": "rate_limited"}),
            "error frame (reason: rate_limited)",
        ),
        (frames({"type": "delta", "delta": "Hi"}), "never sent its done frame"),
        (frames({"type": "delta", "delta": FALLBACK}, {"type": "done"}), "not real text"),
        (frames({"type": "delta", "delta": "Proxy error: upstream"}, {"type": "done"}), "not real text"),
        ('{"type": "delta", "delta": "Hi"}\nnot json\n{"type": "done"}\n', "line 2 is not JSON"),
        (frames({"type": "delta", "delta": "Hi"}, {"type": "usage"}, {"type": "done"}), "unknown frame type 'usage'"),
    ],
)
def test_broken_streams_say_why(body, problem):
    report = read_stream(body, FALLBACK)
    assert not report.ok and problem in report.describe()


def test_redaction_scrubs_files_and_trace_zips_keeping_images_when_nothing_visible_leaked(tmp_path):
    redact.register("s3cret-password")
    (tmp_path / "log.txt").write_text("login with s3cret-password")
    with zipfile.ZipFile(tmp_path / "trace.zip", "w") as archive:
        archive.writestr("trace.network", '{"postData": "{\\"password\\": \\"s3cret-password\\"}"}')
        archive.writestr("resources/page.jpeg", b"\xff\xd8 frame")
    (tmp_path / "test-failed-1.png").write_bytes(b"png")
    assert redact.scrub_tree(tmp_path) == 2
    assert (tmp_path / "log.txt").read_text() == "login with ********"
    with zipfile.ZipFile(tmp_path / "trace.zip") as archive:
        assert b"s3cret" not in archive.read("trace.network")
        assert archive.read("resources/page.jpeg") == b"\xff\xd8 frame"  # a password field shows dots
    assert (tmp_path / "test-failed-1.png").exists()
    assert redact.scrub_tree(tmp_path) == 0


def test_a_visible_card_number_drops_frames_and_screenshots(tmp_path):
    redact.register("4000000000000002", visible=True)
    trace = '{"type":"input","text":"4000 0000 0000 0002"}\n{"type":"screencast-frame","sha1":"f.jpeg"}\n'
    with zipfile.ZipFile(tmp_path / "trace.zip", "w") as archive:
        archive.writestr("trace.trace", trace)
        archive.writestr("resources/f.jpeg", b"\xff\xd8 frame")
    (tmp_path / "test-failed-1.png").write_bytes(b"png")
    assert redact.scrub_tree(tmp_path) == 1
    with zipfile.ZipFile(tmp_path / "trace.zip") as archive:
        assert archive.namelist() == ["trace.trace"]
        assert archive.read("trace.trace") == b'{"type":"input","text":"********"}\n'
    assert not (tmp_path / "test-failed-1.png").exists()
    assert (tmp_path / "images-removed.txt").exists()


@pytest.fixture
def accounts_profile():
    return load_profile("sandbox", url_overrides={"frontend": "https://fe.test"})


def api(handler, profile):
    return Probe(NetworkSettings.from_profile(profile), transport=httpx.MockTransport(handler), sleep=lambda _: None)


def test_test_accounts_api_calls(accounts_profile):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.raw_path.decode(), request.headers.get("authorization")))
        if request.method == "GET":
            return httpx.Response(200, json={"accounts": ["monitor+1@sandbox.test"]})
        return httpx.Response(201 if request.method == "POST" else 404)

    accounts = TestAccounts(api(handler, accounts_profile), accounts_profile, "tok")
    accounts.create("monitor+1@sandbox.test", "pw", "Sam")
    assert accounts.list() == ["monitor+1@sandbox.test"]
    assert accounts.delete("monitor+1@sandbox.test") is False  # already gone is fine
    assert seen[0] == ("POST", "/api/test-accounts", "Bearer tok")
    assert seen[2][1] == "/api/test-accounts/monitor%2B1%40sandbox.test"


def test_test_accounts_api_errors_are_plain(accounts_profile):
    accounts = TestAccounts(api(lambda request: httpx.Response(401), accounts_profile), accounts_profile, "bad")
    with pytest.raises(AccountApiError, match="answered 401"):
        accounts.list()


def test_confirmation_link_from_the_inbox(accounts_profile):
    profile = accounts_profile.model_copy(
        update={
            "journeys": accounts_profile.journeys.model_copy(
                update={"inbox_url": "http://inbox.test/outbox?to={email}"}
            )
        }
    )
    body = {"messages": [{"body": "Confirm: https://fe.test/auth/confirm?token=abc"}]}
    link = confirmation_link(
        api(lambda request: httpx.Response(200, json=body), profile),
        profile.journeys.inbox_url,
        "monitor+1@sandbox.test",
        1,
    )
    assert link == "https://fe.test/auth/confirm?token=abc"


# -- the chat reply's timing, from Chromium's network events ---------------------------------


def test_stream_timer_times_the_latest_post_to_the_stream_from_chromiums_events():
    timer = StreamTimer("/api/proxy-chat-stream")
    timer.request_will_be_sent(
        {
            "requestId": "1",
            "timestamp": 10.0,
            "request": {"url": "https://fe.test/api/proxy-chat-stream", "method": "OPTIONS"},
        }
    )
    timer.request_will_be_sent(
        {
            "requestId": "2",
            "timestamp": 10.5,
            "request": {"url": "https://fe.test/api/proxy-chat-stream", "method": "POST"},
        }
    )
    timer.data_received({"requestId": "9", "timestamp": 10.55, "dataLength": 10})  # another request
    timer.data_received({"requestId": "2", "timestamp": 10.6, "dataLength": 0})
    timer.data_received({"requestId": "2", "timestamp": 10.625, "dataLength": 40})
    timer.data_received({"requestId": "2", "timestamp": 10.9, "dataLength": 40})
    assert (timer.first_data_ms, timer.done_ms) == (125.0, None)
    timer.loading_finished({"requestId": "2", "timestamp": 11.75})
    assert (timer.first_data_ms, timer.done_ms) == (125.0, 1250.0)


def test_a_stream_never_sent_is_never_timed():
    timer = StreamTimer("/api/proxy-chat-stream")
    timer.loading_finished({"requestId": "1", "timestamp": 1.0})
    assert (timer.first_data_ms, timer.done_ms) == (None, None)


def test_a_chat_reply_is_done_within_a_threshold_only_if_it_finished():
    stream = read_stream(frames({"type": "delta", "delta": "Hi", "id": 0}, {"type": "done"}), FALLBACK)
    reply = ChatReply(200, stream, first_delta_ms=40.2, done_ms=1999.6)
    assert reply.done_within(2000) and not reply.done_within(1999.6)
    assert reply.timing() == "first delta after 40 ms, done after 2000 ms"
    assert reply.details == {"first_delta_ms": 40.2, "done_ms": 1999.6, "deltas": 1}
    never = ChatReply(200, stream, first_delta_ms=None, done_ms=None)
    assert not never.done_within(2000) and never.timing() == "first delta never, done never"


# -- the signed-in session: what the browser holds, for a browser context or an API probe -----


def cookie(name: str, value: str, http_only: bool = False) -> StorageStateCookie:
    return {
        "name": name,
        "value": value,
        "domain": "fe.test",
        "path": "/",
        "expires": -1,
        "httpOnly": http_only,
        "secure": True,
        "sameSite": "Lax",
    }


def supabase_session(token: str) -> str:
    return json.dumps({"access_token": token, "token_type": "bearer", "refresh_token": "r3fresh-t0ken"})


def test_a_cookie_session_starts_a_browser_context_but_carries_no_bearer_token():
    state: StorageState = {
        "cookies": [cookie("slurpy-session", "s3ssion-value", http_only=True), cookie("slurpy-csrf", "csrf-value")],
        "origins": [],
    }
    session = SignedIn.from_storage_state(state)
    assert session.context_args() == {"storage_state": state}
    assert session.bearer_token is None
    assert session.credentials() == ["s3ssion-value"]  # what scripts may read is no session
    with pytest.raises(LookupError, match="no bearer token"):
        session.api_headers()


def test_supabase_js_keeps_its_access_token_in_local_storage():
    state: StorageState = {
        "cookies": [],
        "origins": [
            {
                "origin": "https://fe.test",
                "localStorage": [
                    {"name": "sb-abcdref-auth-token-code-verifier", "value": '"verifier"'},
                    {"name": "sb-abcdref-auth-token", "value": supabase_session("eyJ.access.token")},
                ],
            }
        ],
    }
    session = SignedIn.from_storage_state(state)
    assert session.bearer_token == "eyJ.access.token"
    settings = NetworkSettings(target="t").with_headers(**session.api_headers())
    assert settings.headers == {"Authorization": "Bearer eyJ.access.token"}
    assert "eyJ.access.token" in session.credentials()


def test_supabase_ssr_keeps_it_in_cookies_base64_encoded_and_chunked():
    encoded = "base64-" + base64.urlsafe_b64encode(supabase_session("eyJ.chunked.token").encode()).decode().rstrip("=")
    chunks = [encoded[:30], encoded[30:]]
    state: StorageState = {
        "cookies": [cookie("sb-ref-auth-token.1", chunks[1]), cookie("sb-ref-auth-token.0", chunks[0])],
        "origins": [],
    }
    session = SignedIn.from_storage_state(state)
    assert session.bearer_token == "eyJ.chunked.token"
    assert set(chunks) <= set(session.credentials())


def test_older_supabase_ssr_cookies_hold_url_encoded_json():
    state: StorageState = {
        "cookies": [cookie("sb-ref-auth-token", quote(supabase_session("eyJ.plain.token")))],
        "origins": [],
    }
    assert SignedIn.from_storage_state(state).bearer_token == "eyJ.plain.token"


def test_an_unreadable_supabase_entry_is_no_token():
    state: StorageState = {
        "cookies": [cookie("sb-ref-auth-token", "base64-%%%"), cookie("sb-ref-auth-token.x", "{}")],
        "origins": [{"origin": "https://fe.test", "localStorage": [{"name": "sb-ref-auth-token", "value": "[1]"}]}],
    }
    assert SignedIn.from_storage_state(state).bearer_token is None


# -- the journey recorder (Playwright's page and context stood in for) -------------------------


class FakeDialog:
    def __init__(self, message: str):
        self.message, self.dismissed = message, False

    def dismiss(self) -> None:
        self.dismissed = True


class FakePage:
    def __init__(self, url: str = "https://fe.test/chat", heading: str = "Hello, Sam", notices: str = ""):
        self.url, self.state = url, {"heading": heading, "notices": notices}
        self.handlers: dict[str, Callable[[Any], None]] = {}
        self.timeout: float | None = None
        self.errors_while_loading: list[str] = []
        self.main_frame: object = None

    def on(self, event: str, handler) -> None:
        self.handlers[event] = handler

    def emit(self, event: str, value) -> None:
        self.handlers[event](value)

    def evaluate(self, script: str) -> dict:
        return self.state

    def set_default_timeout(self, ms: float) -> None:
        self.timeout = ms

    def wait_for_load_state(self) -> None:
        for error in self.errors_while_loading:
            self.emit("pageerror", error)
        self.errors_while_loading = []


class FakeContexts:
    """Stands in for pytest-playwright's ``new_context``: remembers the arguments of each context."""

    def __init__(self, page: FakePage):
        self.page = page
        self.made: list[dict[str, Any]] = []

    def __call__(self, **kwargs):
        self.made.append(kwargs)
        return self

    def new_page(self) -> FakePage:
        return self.page


@pytest.fixture
def journey_profile():
    return load_profile("sandbox", url_overrides={"frontend": "https://fe.test"})


def test_a_journey_that_finishes_passes_with_its_steps(journey_profile):
    contexts = FakeContexts(FakePage())
    with Journey("chat", journey_profile) as j:
        j.begin(contexts)
        with j.step("open chat"):
            pass
    result = j.result()
    assert result.verdict is Verdict.PASS and result.id == "journey:frontend:chat"
    assert [s["step"] for s in result.details["steps"]] == ["open chat"]
    assert contexts.made == [{}] and contexts.page.timeout == journey_profile.journeys.timeout_s * 1000


def test_a_broken_step_ends_the_journey_saying_which_and_what_the_page_showed(journey_profile):
    page = FakePage(url="https://fe.test/sign-in", heading="Sign in", notices="Try again")
    ran: list[str] = []
    with Journey("sign-in", journey_profile) as j:
        j.begin(FakeContexts(page))
        with j.step("sign in"):
            page.emit("dialog", dialog := FakeDialog("Invalid email or password"))
            assert False, "expected the chat page"
        ran.append("after")  # never reached: the with block ends at the broken step
    assert ran == [] and dialog.dismissed
    result = j.result()
    assert result.verdict is Verdict.FAIL and result.category is Category.JOURNEY
    assert result.message == (
        "frontend sign-in journey FAILED [journey]: https://fe.test: at step 'sign in': "
        "expected the chat page; page showed: URL https://fe.test/sign-in, heading 'Sign in', "
        "notice 'Try again', alert 'Invalid email or password'"
    )


class FakeRequest:
    def __init__(self, url: str, frame, navigation: bool = True):
        self.url, self.frame, self.navigation = url, frame, navigation

    def is_navigation_request(self) -> bool:
        return self.navigation


def test_a_failed_step_quotes_only_what_it_saw_and_names_a_redirect_back_to_sign_in(journey_profile):
    """The sign-in journey's wrong-password alert belongs to its own step: when the right password
    then bounces back to sign-in, the failure says that, not the earlier alert."""
    page = FakePage(url="https://fe.test/sign-in?redirect=%2Fchat", heading="Sign in")
    page.main_frame = frame = object()
    with Journey("sign-in", journey_profile) as j:
        j.begin(FakeContexts(page))
        with j.step("a wrong password is refused with an alert"):
            page.emit("dialog", FakeDialog("Invalid login credentials"))
        with j.step("the right password lands on chat"):
            page.emit("request", FakeRequest("https://fe.test/chat", frame))
            page.emit("request", FakeRequest("https://fe.test/api/me", frame, navigation=False))
            page.emit("request", FakeRequest("https://fe.test/sign-in?redirect=%2Fchat", frame))
            page.emit("request", FakeRequest("https://fe.test/ad-frame", object()))
            assert False, "expected URL /chat"
    message = j.result().message
    assert "Invalid login credentials" not in message
    assert message.endswith(
        "page showed: URL https://fe.test/sign-in?redirect=%2Fchat, heading 'Sign in', "
        "redirected back to /sign-in from /chat, went through /chat -> /sign-in?redirect=%2Fchat"
    )


def test_an_uncaught_javascript_error_fails_a_journey_whose_steps_passed(journey_profile):
    page = FakePage()
    with Journey("chat", journey_profile) as j:
        j.begin(FakeContexts(page))
        with j.step("open chat"):
            page.emit("pageerror", "TypeError: window.__slurpy is undefined")
    result = j.result()
    assert result.verdict is Verdict.FAIL
    assert "the page threw a JavaScript error: https://fe.test/chat: TypeError" in result.message


def test_a_step_ends_once_its_page_has_loaded_so_errors_while_loading_are_seen(journey_profile):
    page = FakePage()
    with Journey("sign-up", journey_profile) as j:
        j.begin(FakeContexts(page))
        with j.step("sign in as the new user"):
            page.errors_while_loading.append("TypeError: greeting is not a function")
    assert "the page threw a JavaScript error: https://fe.test/chat: TypeError" in j.result().message


def test_a_journey_stopped_on_purpose_passes_and_says_where(journey_profile):
    with Journey("payment", journey_profile) as j:
        j.begin(FakeContexts(FakePage()))
        with j.step("Go Pro opens checkout"):
            pass
        j.stop("at checkout: sensitive target without Stripe test mode")
    result = j.result()
    assert result.verdict is Verdict.PASS and result.details["stopped"].startswith("at checkout")
    assert result.message.endswith("; stopped at checkout: sensitive target without Stripe test mode")


def test_a_journey_starts_from_a_signed_in_session(journey_profile):
    state: StorageState = {"cookies": [cookie("slurpy-session", "s3ssion-value", http_only=True)], "origins": []}
    contexts = FakeContexts(FakePage())
    with Journey("chat", journey_profile) as j:
        j.begin(contexts, SignedIn.from_storage_state(state))
    assert contexts.made == [{"storage_state": state}]


def test_a_failed_sign_in_is_the_journeys_first_failed_step_and_it_takes_no_other(journey_profile):
    ran: list[str] = []
    with Journey("chat", journey_profile) as j:
        j.begin(
            FakeContexts(FakePage()), SignInFailed("Timeout 5000ms exceeded.; page showed: URL https://fe.test/sign-in")
        )
        with j.step("open chat"):
            ran.append("open chat")
    assert ran == [] and j.steps == []
    result = j.result()
    assert result.verdict is Verdict.FAIL
    assert result.message.endswith(
        f"at step '{SIGN_IN_STEP}': Timeout 5000ms exceeded.; page showed: URL https://fe.test/sign-in"
    )


def test_only_a_stop_ends_a_journey_quietly(journey_profile):
    with pytest.raises(KeyError), Journey("chat", journey_profile):
        raise KeyError("a bug in the monitor is not a journey failure")
