"""Chat, the main feature: one short message; the streamed reply must be real text (not the UI's
canned fallback, no error frame, a done frame) and complete within the profile's threshold."""

import re

import pytest
from playwright.sync_api import expect

from monitor.browser.fixtures import StartJourney
from monitor.browser.journeys import MonitorSession
from monitor.browser.pages import ChatPage
from monitor.profile import Profile

pytestmark = pytest.mark.nondestructive


def test_chat(journey: StartJourney, profile: Profile, monitor_session: MonitorSession) -> None:
    policy = profile.journeys
    with journey("chat", monitor_session) as j:
        with j.step("open chat with the monitor's signed-in session"):
            chat = ChatPage(j.page).open()
            expect(chat.greeting).to_have_text(re.compile(r"^Hello, \S+"))
        with j.step("send a message and read the whole stream"):
            reply = chat.ask(policy.chat_message, stream_path=policy.chat_stream_path, fallback=policy.chat_fallback)
            j.details.update(reply.details)
        with j.step("the reply is real text, not the fallback"):
            assert reply.status == 200, f"stream answered {reply.status}"
            assert reply.stream.ok, reply.stream.describe()
            expect(chat.replies.last).to_have_text(reply.stream.text.strip())
        with j.step(f"the reply completes within {policy.chat_threshold_ms:g} ms"):
            assert reply.done_within(policy.chat_threshold_ms), reply.timing()
