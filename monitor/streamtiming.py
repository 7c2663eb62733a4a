"""Time a streamed response in Chromium from the network's own events (CDP): when the request
left, when its first body bytes arrived (the first NDJSON frame) and when it finished. Playwright's
Response only exposes header and end times, and a streaming server sends headers first."""
from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Page


@dataclass
class StreamTimer:
    path_suffix: str
    sent: float | None = None
    first_data: float | None = None
    finished: float | None = None
    _request_id: str | None = field(default=None, repr=False)

    def attach(self, page: Page) -> "StreamTimer":
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.on("Network.requestWillBeSent", self._sent)
        session.on("Network.dataReceived", self._data)
        session.on("Network.loadingFinished", self._finished)
        return self

    def _sent(self, event: dict) -> None:
        if event["request"]["url"].endswith(self.path_suffix) and event["request"]["method"] == "POST":
            self._request_id, self.sent = event["requestId"], event["timestamp"]

    def _data(self, event: dict) -> None:
        if event["requestId"] == self._request_id and self.first_data is None and event.get("dataLength", 0) > 0:
            self.first_data = event["timestamp"]

    def _finished(self, event: dict) -> None:
        if event["requestId"] == self._request_id:
            self.finished = event["timestamp"]

    @property
    def first_data_ms(self) -> float | None:
        return None if self.sent is None or self.first_data is None else round((self.first_data - self.sent) * 1000, 1)

    @property
    def done_ms(self) -> float | None:
        return None if self.sent is None or self.finished is None else round((self.finished - self.sent) * 1000, 1)
