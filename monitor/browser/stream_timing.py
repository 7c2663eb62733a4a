"""Time a streamed response in Chromium from the network's own events (CDP): when the request
left, when its first body bytes arrived (the first NDJSON frame) and when it finished. Playwright's
Response only exposes header and end times, and a streaming server sends headers first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import CDPSession, Page


@dataclass
class StreamTimer:
    """Times the latest ``POST`` whose URL ends with ``path_suffix``; times are Chromium's
    monotonic network clock, in seconds."""

    path_suffix: str
    sent: float | None = None
    first_data: float | None = None
    finished: float | None = None
    _request_id: str | None = field(default=None, repr=False)
    _session: CDPSession | None = field(default=None, repr=False)

    def attach(self, page: Page) -> StreamTimer:
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.on("Network.requestWillBeSent", self.request_will_be_sent)
        session.on("Network.dataReceived", self.data_received)
        session.on("Network.loadingFinished", self.loading_finished)
        self._session = session
        return self

    def detach(self) -> None:
        """Stop timing once every event Chromium sent before now has been handled: Playwright
        learns that a response finished on its own CDP session, and this session's event may not
        have been read yet. A reply on this session comes after every event sent on it before."""
        if self._session is not None:
            self._session.send("Runtime.evaluate", {"expression": "0"})
            self._session.detach()
            self._session = None

    def request_will_be_sent(self, event: dict[str, Any]) -> None:
        if event["request"]["url"].endswith(self.path_suffix) and event["request"]["method"] == "POST":
            self._request_id, self.sent = event["requestId"], event["timestamp"]
            self.first_data = self.finished = None

    def data_received(self, event: dict[str, Any]) -> None:
        if event["requestId"] == self._request_id and self.first_data is None and event.get("dataLength", 0) > 0:
            self.first_data = event["timestamp"]

    def loading_finished(self, event: dict[str, Any]) -> None:
        if event["requestId"] == self._request_id:
            self.finished = event["timestamp"]

    @property
    def first_data_ms(self) -> float | None:
        return None if self.sent is None or self.first_data is None else round((self.first_data - self.sent) * 1000, 1)

    @property
    def done_ms(self) -> float | None:
        return None if self.sent is None or self.finished is None else round((self.finished - self.sent) * 1000, 1)
