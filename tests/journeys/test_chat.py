"""Chat, the main feature: one short message; the streamed reply must be real text (not the UI's
canned fallback, no error frame, a done frame) and complete within the profile's threshold."""
import re

import pytest
from playwright.sync_api import expect

from monitor.analysers.ndjson import read_stream
from monitor.pages import ChatPage
from monitor.streamtiming import StreamTimer

pytestmark = pytest.mark.nondestructive


def test_chat(journey, page, context, profile, monitor_session):
    chat_policy = profile.journeys
    with journey("chat") as j:
        with j.step("reuse the monitor's signed-in session"):
            assert monitor_session["error"] is None, monitor_session["error"]
            context.add_cookies(monitor_session["state"]["cookies"])
            chat = ChatPage(page).open()
            expect(chat.greeting).to_have_text(re.compile(r"^Hello, \S+"))
        with j.step("send a message and read the whole stream"):
            timer = StreamTimer(chat_policy.chat_stream_path).attach(page)
            with page.expect_response(lambda r: r.url.endswith(chat_policy.chat_stream_path)) as answer:
                chat.send(chat_policy.chat_message)
            response = answer.value
            report = read_stream(response.text(), chat_policy.chat_fallback)
            response.finished()
            j.details.update(first_delta_ms=timer.first_data_ms, done_ms=timer.done_ms, deltas=report.deltas)
        with j.step("the reply is real text, not the fallback"):
            assert response.status == 200, f"stream answered {response.status}"
            assert report.ok, report.describe()
            expect(chat.replies.last).to_have_text(report.text.strip())
        with j.step(f"the reply completes within {chat_policy.chat_threshold_ms:g} ms"):
            assert timer.done_ms is not None and timer.done_ms < chat_policy.chat_threshold_ms, (
                f"first delta after {timer.first_data_ms or 0:.0f} ms, done after {timer.done_ms or 0:.0f} ms")
