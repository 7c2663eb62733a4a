"""Read the chat pipeline's NDJSON stream: assembled text, whether it finished, and why not."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

BROKEN_TEXT = ("proxy error", "pipeline error", "internal server error")


@dataclass
class StreamReport:
    text: str = ""
    deltas: int = 0
    done: bool = False
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        return "; ".join(self.problems) if self.problems else f"{self.deltas} deltas, {len(self.text)} characters, done"


def read_stream(body: str, fallback: str) -> StreamReport:
    report = StreamReport()
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        try:
            frame = json.loads(line)
        except ValueError:
            report.problems.append(f"line {number} is not JSON: {line[:60]!r}")
            continue
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "delta":
            report.deltas += 1
            report.text += str(frame.get("delta", ""))
        elif kind == "done":
            report.done = True
        elif kind == "error":
            report.error = str(frame.get("reason", "unknown"))
        else:
            report.problems.append(f"line {number} has unknown frame type {kind!r}")
    text = report.text.strip()
    if report.error:
        report.problems.insert(0, f"stream ended in an error frame (reason: {report.error})")
    elif not report.done:
        report.problems.insert(0, "stream never sent its done frame")
    if not text:
        report.problems.append("no text arrived: the page would show its canned fallback")
    elif text == fallback.strip() or any(bad in text.lower() for bad in BROKEN_TEXT):
        report.problems.append(f"reply is not real text: {text[:60]!r}")
    return report
