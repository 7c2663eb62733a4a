"""The structured record every check produces.

A check never just passes or fails: it returns a :class:`CheckResult`. Producers (the pytest
plugin, later Locust and the watch mode) hand them to a :class:`monitor.pipeline.RunRecorder`,
whose sinks (the JSON-lines file, the summary, later history and alerts) read them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from monitor import redact


class Verdict(StrEnum):
    PASS = "pass"
    FLAKY = "flaky"  # passed, but only after a retry on a network error
    WARN = "warn"  # healthy now, needs attention (e.g. certificate expiring inside the warn band)
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"  # the monitor itself broke, or could not reach what it judges: not a verdict on the target

    @property
    def ok(self) -> bool:
        return self in (Verdict.PASS, Verdict.FLAKY, Verdict.WARN)


class Category(StrEnum):
    """Why a check failed, split by phase as blackbox_exporter does."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    PROTOCOL = "protocol"  # connected, but the answer was not HTTP, was malformed or was cut off
    HTTP_STATUS = "http status"
    BODY = "body"
    LATENCY = "latency"
    CERTIFICATE = "certificate"
    HEADERS = "headers"
    REDIRECT = "redirect"
    COOKIE = "cookie"
    CORS = "cors"
    RATE_LIMIT = "rate limit"
    VALIDATION = "validation"
    SECRET = "secret"
    EXPOSURE = "exposure"
    ACCESS = "access"  # a sign-in-first route served a caller without a session, or a request CSRF must refuse
    JOURNEY = "journey"
    VERSION = "version"  # the deployment serves another version than the one just deployed
    MONITOR = "monitor"


# Each category in the words of someone reading an alert or the status page, not an engineer's
# phase name ("connect" means nothing to a reader; "could not connect" does).
CAUSES = {
    Category.DNS: "its name did not resolve",
    Category.CONNECT: "could not connect",
    Category.TLS: "the secure connection failed",
    Category.TIMEOUT: "no answer in time",
    Category.PROTOCOL: "a broken or cut-off answer",
    Category.HTTP_STATUS: "answered with an error status",
    Category.BODY: "answered, but reported itself unhealthy",
    Category.LATENCY: "too slow",
    Category.CERTIFICATE: "its certificate is expiring or invalid",
    Category.HEADERS: "security headers missing or weak",
    Category.REDIRECT: "plain http not redirected to https",
    Category.COOKIE: "cookies without their security flags",
    Category.CORS: "cross-origin policy too open",
    Category.RATE_LIMIT: "rate limiting not working",
    Category.VALIDATION: "bad input not refused cleanly",
    Category.ACCESS: "a protected route served a caller it must refuse",
    Category.SECRET: "a secret exposed in public files",
    Category.EXPOSURE: "a private page or version exposed",
    Category.JOURNEY: "a user journey broke",
    Category.VERSION: "not serving the version just deployed",
    Category.MONITOR: "the monitor could not check it",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CheckResult:
    check: str
    service: str
    verdict: Verdict
    message: str
    target: str = ""
    url: str = ""
    path: str = ""
    duration_ms: float | None = None  # wall time of the whole check, as its runner measured it
    category: Category | None = None
    attempts: int = 1  # the most attempts any one of its requests needed
    time: str = field(default_factory=lambda: utc_now().isoformat(timespec="milliseconds"))
    details: dict[str, Any] = field(default_factory=dict)  # check-specific measures: median_ms, samples_ms, …
    run_id: str = ""
    suite: str = ""  # the folder of the test that made it: smoke, security, journeys
    deploy_version: str = ""  # the version the run was told was just deployed (--deploy-version)
    runner: str = ""  # where the run ran (--runner, $SLURPY_RUNNER or the host name)

    @property
    def id(self) -> str:
        """Stable identity of the check across runs: ``health:frontend:/api/health``."""
        return ":".join(part for part in (self.check, self.service, self.path) if part)

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    def scrub(self) -> CheckResult:
        """Remove every registered secret from the free text (message, URL, details), in place:
        done as a record enters the pipeline, before any sink or report sees it."""
        self.message, self.url = redact.text(self.message), redact.text(self.url)
        self.details = redact.scrub_json(self.details)
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # Plain values only: this dict travels from xdist workers through execnet.
        data["verdict"] = self.verdict.value
        data["category"] = self.category.value if self.category else None
        data["id"] = self.id
        return data

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> CheckResult:
        """A record from a results file or text history, written by this monitor or another one (an
        older one, a newer one): fields it does not know are left out, a null where a default
        exists takes the default; anything it cannot use raises :class:`UnusableRecord` saying what."""
        for name in _REQUIRED:
            if data.get(name) is None:
                raise UnusableRecord(f"field {name!r} is {'null' if name in data else 'missing'}")
        kept: dict[str, Any] = {}
        for name, value in data.items():
            if name not in _FIELD_TYPES or value is None:
                continue
            expected = _FIELD_TYPES[name]
            if isinstance(value, bool) and bool not in expected or not isinstance(value, expected):
                raise UnusableRecord(
                    f"field {name!r} is {type(value).__name__} {value!r:.60}, expected "
                    + " or ".join(t.__name__ for t in expected)
                )
            kept[name] = value
        try:
            kept["verdict"] = Verdict(kept["verdict"])
        except ValueError:
            raise UnusableRecord(f"unknown verdict {kept['verdict']!r} (written by a newer monitor?)") from None
        if kept.get("category"):
            try:
                kept["category"] = Category(kept["category"])
            except ValueError:
                raise UnusableRecord(f"unknown category {kept['category']!r} (written by a newer monitor?)") from None
        if "time" in kept:
            kept["time"] = utc_time(kept["time"], "field 'time'")
        return cls(**kept)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        data = {k: v for k, v in data.items() if k != "id"}
        data["verdict"] = Verdict(data["verdict"])
        if data.get("category"):
            data["category"] = Category(data["category"])
        return cls(**data)


class UnusableRecord(ValueError):
    """A record this monitor cannot use; the message says which field and why."""


def utc_time(value: Any, what: str) -> str:
    """A time from a line as the history keeps it: ISO 8601 in UTC (the history compares run
    starts as text, and a time without its offset cannot be placed), so this monitor's own, in UTC
    already, unchanged; one with another offset turned to UTC; :class:`UnusableRecord` for one
    without an offset or that is not a time."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise UnusableRecord(f"{what} is not an ISO 8601 time: {value!r:.60}") from None
    if parsed.tzinfo is None:
        raise UnusableRecord(f"{what} has no UTC offset, so when it was is not known: {value!r:.60}")
    return value if parsed.utcoffset() == timedelta(0) else parsed.astimezone(UTC).isoformat()


_REQUIRED = ("check", "service", "verdict", "message")
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "check": (str,),
    "service": (str,),
    "verdict": (str,),
    "message": (str,),
    "target": (str,),
    "url": (str,),
    "path": (str,),
    "duration_ms": (int, float),
    "category": (str,),
    "attempts": (int,),
    "time": (str,),
    "details": (dict,),
    "run_id": (str,),
    "suite": (str,),
    "deploy_version": (str,),
    "runner": (str,),
}


def read_jsonl(path: Path) -> list[CheckResult]:
    with path.open(encoding="utf-8") as fh:
        return [CheckResult.from_dict(json.loads(line)) for line in fh if line.strip()]
