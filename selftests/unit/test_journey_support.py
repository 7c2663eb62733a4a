import json
import zipfile

import httpx
import pytest

from monitor import redact
from monitor.accounts import AccountApiError, TestAccounts, confirmation_link
from monitor.analysers.ndjson import read_stream
from monitor.probe import NetworkSettings, Probe
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
    profile = accounts_profile.model_copy(update={"journeys": accounts_profile.journeys.model_copy(
        update={"inbox_url": "http://inbox.test/outbox?to={email}"})})
    body = {"messages": [{"body": "Confirm: https://fe.test/auth/confirm?token=abc"}]}
    link = confirmation_link(api(lambda request: httpx.Response(200, json=body), profile), profile.journeys.inbox_url,
                             "monitor+1@sandbox.test", 1)
    assert link == "https://fe.test/auth/confirm?token=abc"
