import json
import zipfile

import httpx
import pytest

from monitor import redact
from monitor.accounts import AccountApiError, TestAccounts, confirmation_link
from monitor.analysers.ndjson import read_stream
from monitor.probe import Probe
from monitor.profile import load_profile

FALLBACK = "I'm here to help!"


def frames(*items) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


def test_a_healthy_stream_is_real_text():
    report = read_stream(frames({"type": "delta", "delta": "Hello ", "id": 0}, {"type": "delta", "delta": "there", "id": 1},
                                {"type": "done"}), FALLBACK)
    assert report.ok and report.text == "Hello there" and report.deltas == 2


@pytest.mark.parametrize("body,problem", [
    (frames({"type": "done"}), "no text arrived"),
    (frames({"type": "delta", "delta": "Hi"}, {"type": "error", "reason": "rate_limited"}), "error frame (reason: rate_limited)"),
    (frames({"type": "delta", "delta": "Hi"}), "never sent its done frame"),
    (frames({"type": "delta", "delta": FALLBACK}, {"type": "done"}), "not real text"),
    (frames({"type": "delta", "delta": "Proxy error: upstream"}, {"type": "done"}), "not real text"),
    ('{"type": "delta", "delta": "Hi"}\nnot json\n{"type": "done"}\n', "line 2 is not JSON"),
    (frames({"type": "delta", "delta": "Hi"}, {"type": "usage"}, {"type": "done"}), "unknown frame type 'usage'"),
])
def test_broken_streams_say_why(body, problem):
    report = read_stream(body, FALLBACK)
    assert not report.ok and problem in report.describe()


def test_redaction_scrubs_files_and_trace_zips_but_not_images(tmp_path):
    redact.register("s3cret-password", "4242424242424242")
    (tmp_path / "log.txt").write_text("login with s3cret-password and card 4242 4242 4242 4242")
    with zipfile.ZipFile(tmp_path / "trace.zip", "w") as archive:
        archive.writestr("trace.network", '{"postData": "{\\"password\\": \\"s3cret-password\\"}"}')
        archive.writestr("resources/page.jpeg", b"\xff\xd8 binary s3cret-password")
    assert redact.scrub_tree(tmp_path) == 2
    assert (tmp_path / "log.txt").read_text() == "login with ******** and card ********"
    with zipfile.ZipFile(tmp_path / "trace.zip") as archive:
        assert b"s3cret" not in archive.read("trace.network")
        assert archive.read("resources/page.jpeg").endswith(b"s3cret-password")  # images are left as they are
    assert redact.scrub_tree(tmp_path) == 0


@pytest.fixture
def accounts_profile():
    return load_profile("sandbox", url_overrides={"frontend": "https://fe.test"})


def api(handler, profile):
    return Probe(profile, transport=httpx.MockTransport(handler), sleep=lambda _: None)


def test_test_accounts_api_calls(accounts_profile):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.raw_path.decode(), request.headers.get("authorization")))
        if request.method == "GET":
            return httpx.Response(200, json={"accounts": ["monitor+1@sandbox.test"]})
        return httpx.Response(201 if request.method == "POST" else 404)

    accounts = TestAccounts(api(handler, accounts_profile), "tok")
    accounts.create("monitor+1@sandbox.test", "pw", "Sam")
    assert accounts.list() == ["monitor+1@sandbox.test"]
    assert accounts.delete("monitor+1@sandbox.test") is False  # already gone is fine
    assert seen[0] == ("POST", "/api/test-accounts", "Bearer tok")
    assert seen[2][1] == "/api/test-accounts/monitor%2B1%40sandbox.test"


def test_test_accounts_api_errors_are_plain(accounts_profile):
    accounts = TestAccounts(api(lambda request: httpx.Response(401), accounts_profile), "bad")
    with pytest.raises(AccountApiError, match="answered 401"):
        accounts.list()


def test_confirmation_link_from_the_inbox(accounts_profile):
    profile = accounts_profile.model_copy(update={"journeys": accounts_profile.journeys.model_copy(
        update={"inbox_url": "http://inbox.test/outbox?to={email}"})})
    body = {"messages": [{"body": "Confirm: https://fe.test/auth/confirm?token=abc"}]}
    link = confirmation_link(api(lambda request: httpx.Response(200, json=body), profile), "monitor+1@sandbox.test", 1)
    assert link == "https://fe.test/auth/confirm?token=abc"
