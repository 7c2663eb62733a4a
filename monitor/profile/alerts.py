"""When results become incidents, and who hears of them (channels, maintenance, runbooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from monitor.profile.validation import MAX_COUNT, MAX_DAYS, MAX_TIMEOUT_S, Strict, http_url

SEVERITIES = ("info", "warning", "critical")


DEFAULT_API_URLS = {
    "github": "https://api.github.com",
    "pagerduty": "https://events.pagerduty.com",
    "opsgenie": "https://api.opsgenie.com",
}


class AlertChannel(Strict):
    """Where an alert goes. Secrets (webhook URLs, tokens, passwords) are logical names under
    ``[secrets]``, never values."""

    name: str = Field(description="shown in the run summary and kept with each delivery; unique in the profile")
    kind: Literal["slack", "webhook", "github", "email", "pagerduty", "opsgenie"]
    min_severity: Literal["info", "warning", "critical"] = Field(
        default="info", description="incidents below this severity are not sent here (e.g. SMS only for critical)"
    )
    url_secret: str | None = Field(default=None, description="slack/webhook: the secret holding the URL to POST to")
    token_secret: str | None = Field(
        default=None,
        description=(
            "github: the secret holding a token allowed to write issues; webhook: optional, sent as a bearer token; "
            "pagerduty: the secret holding the Events API v2 integration's routing key; opsgenie: the secret holding "
            "the API integration's key"
        ),
    )
    repo: str | None = Field(default=None, description="github: owner/name of the repository the issues are opened in")
    api_url: str = Field(
        default="",
        description=(
            "github, pagerduty, opsgenie: the API's base URL; default https://api.github.com, "
            "https://events.pagerduty.com "
            "(https://events.eu.pagerduty.com for an EU account), https://api.opsgenie.com (https://api.eu.opsgenie.com)"
        ),
    )
    labels: list[str] = Field(default=["slurpy-monitor"], description="github: labels of each incident's issue")
    host: str | None = Field(default=None, description="email: the SMTP server")
    port: int = Field(default=587, ge=1, le=65535, description="email: 587 (submission, STARTTLS)")
    starttls: bool = Field(default=True, description="email: upgrade to TLS before logging in (refused if not offered)")
    username_secret: str | None = Field(default=None, description="email: the secret holding the SMTP user name")
    password_secret: str | None = Field(default=None, description="email: the secret holding the SMTP password")
    sender: str | None = Field(default=None, description="email: the From address")
    to: list[str] = Field(default=[], description="email: the recipients")
    ca_file: str | None = Field(
        default=None, description="email: a CA bundle to trust for STARTTLS (a private relay); default the system's"
    )
    idempotent: bool = Field(
        default=False,
        description=(
            "webhook: the receiver keeps one copy per Idempotency-Key header (PagerDuty-style dedup); a message whose "
            "delivery was unconfirmed is then sent again, otherwise never"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _api_of_the_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("api_url") and data.get("kind") in DEFAULT_API_URLS:
            return {**data, "api_url": DEFAULT_API_URLS[data["kind"]]}
        return data

    @model_validator(mode="after")
    def _what_each_kind_needs(self) -> AlertChannel:
        needs = {
            "slack": ["url_secret"],
            "webhook": ["url_secret"],
            "github": ["repo", "token_secret"],
            "email": ["host", "sender", "to"],
            "pagerduty": ["token_secret"],
            "opsgenie": ["token_secret"],
        }[self.kind]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"channel {self.name!r} ({self.kind}) needs {', '.join(missing)}")
        if self.idempotent and self.kind != "webhook":
            raise ValueError(
                f"channel {self.name!r} ({self.kind}): idempotent is for webhooks (GitHub issues are "
                "recognised by a marker anyway; Slack and e-mail cannot drop a copy)"
            )
        return self

    @property
    def secret_names(self) -> list[str]:
        return [s for s in (self.url_secret, self.token_secret, self.username_secret, self.password_secret) if s]


class MaintenanceWindow(Strict):
    """While it lasts, alerts for the checks it names are neither opened, reminded nor resolved
    (results and history are kept as always); what is still wrong when it ends is alerted then."""

    start: datetime
    end: datetime
    checks: list[str] = Field(
        default=["*"],
        description='check ids or shell patterns ("health:backend:*", "missed-runs:*"); default every check',
    )
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a time zone (e.g. 2026-12-01T02:00:00Z)")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Runbook(Strict):
    """Who owns a failing check and what to do about it, told in every alert about it."""

    owner: str = Field(default="", description='a team, a person or a Slack handle ("@backend-oncall")')
    runbook: str = Field(default="", description="the runbook page's URL")

    @field_validator("runbook")
    @classmethod
    def _http_link(cls, value: str) -> str:
        if value:  # empty: no runbook page
            http_url(cls, value)
        return value


class AlertPolicy(Strict):
    """When a check's results become an incident, and who hears of it. Driven by the history, so a
    scheduled run, a deploy gate and the watch mode alert alike."""

    open_after: int = Field(default=2, ge=1, le=MAX_COUNT, description="consecutive failed runs that open an incident")
    burn_rate: bool = Field(
        default=True,
        description=(
            "also alert on the error budget's burn rate ([slo], as slurpy-monitor uptime computes it): 14.4x over 1 h "
            "confirmed by 5 m is critical (pages), 6x over 6 h confirmed by 30 m a warning (a ticket)"
        ),
    )
    resolve_after: int = Field(
        default=2, ge=1, le=MAX_COUNT, description="consecutive passing runs (flaky counts as passing) that resolve it"
    )
    warn_severity: Literal["none", "info", "warning", "critical"] = Field(
        default="warning",
        description="a run whose check only warned (a certificate in the warn band) counts as "
        'failing at this severity; "none": warnings never open an incident',
    )
    severity: dict[str, Literal["info", "warning", "critical"]] = Field(
        default={},
        description="check id or shell pattern -> severity of its failures (default critical); the "
        "first pattern that matches wins",
    )
    remind_every_h: float = Field(
        default=4, ge=0, le=MAX_DAYS * 24, description="reminder while an incident stays open; 0: never"
    )
    lookback_days: float = Field(
        default=7, gt=0, le=MAX_DAYS, description="how far back the history is read to find incidents"
    )
    missed_runs_after: int = Field(
        default=2,
        ge=1,
        le=MAX_COUNT,
        description=(
            "consecutive expected scheduled runs that never came (GitHub drops single runs) before a missed-runs alert"
        ),
    )
    heartbeat_secret: str | None = Field(
        default=None,
        description=(
            "the secret holding a dead-man's-switch URL (healthchecks.io ping, a Sentry cron check-in) pinged at "
            "the end of every run"
        ),
    )
    delivery_attempts: int = Field(default=3, ge=1, le=10, description="tries per message within one run")
    delivery_backoff_s: float = Field(
        default=1.0, ge=0, le=MAX_TIMEOUT_S, description="wait before the second try, doubled after"
    )
    delivery_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=MAX_TIMEOUT_S,
        description=(
            "one wall-clock deadline per delivery attempt, connect to last byte (the probe's kind of deadline)"
        ),
    )
    delivery_budget_s: float = Field(
        default=60.0,
        gt=0,
        le=900,
        description=(
            "the whole run's alerting, channels in parallel: what is not sent by then is recorded as not sent and "
            "tried by the next run"
        ),
    )
    channels: list[AlertChannel] = []
    maintenance: list[MaintenanceWindow] = []
    runbooks: dict[str, Runbook] = Field(
        default={},
        description=(
            'a check kind ("health"), a service ("backend") or a check-id pattern ("tls:*", "burn:*") -> '
            "owner and runbook; for each of the two, the first entry that matches and sets it wins"
        ),
    )

    @field_validator("channels")
    @classmethod
    def _unique_names(cls, value: list[AlertChannel]) -> list[AlertChannel]:
        names = [c.name for c in value]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ValueError(f"channel names must be unique: {', '.join(doubled)}")
        return value

    @property
    def secret_names(self) -> list[str]:
        return [s for c in self.channels for s in c.secret_names] + (
            [self.heartbeat_secret] if self.heartbeat_secret else []
        )
