"""The load suite's traffic, thresholds and bounds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from monitor.profile.validation import MAX_COUNT, MAX_DURATION_S, MAX_MS, Strict


class LoadThreshold(Strict):
    """What one kind of request must hold under load (a k6-style threshold, one line each)."""

    p95_ms: float = Field(gt=0, le=MAX_MS, description="95th percentile response time above this fails")
    p99_ms: float | None = Field(
        default=None, gt=0, le=MAX_MS, description="99th percentile above this fails; unset: not judged"
    )
    max_failure_ratio: float = Field(default=0.01, ge=0, le=1, description="failed / all requests above this fails")
    min_rps: float | None = Field(
        default=None, gt=0, le=MAX_COUNT * 10, description="requests per second below this fails; unset: not judged"
    )


# The operations guide's "when to scale" lines: pages 1 s, API 500 ms, chat p95 2 s, errors 1 %.
# p99 at twice p95 is this project's choice (k6's examples use p95 500 ms / p99 1.5 s).
LOAD_THRESHOLDS = {
    "pages": LoadThreshold(p95_ms=1000, p99_ms=2000),
    "api": LoadThreshold(p95_ms=500, p99_ms=1000),
    "chat": LoadThreshold(p95_ms=2000, p99_ms=4000),
}
LOAD_SCENARIOS = ("visitor", "health", "chat", "plans")


_Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION_S)]


class LoadPolicy(Strict):
    """The load suite (``load/``): the traffic it models, the thresholds it holds the target to,
    and the bounds no run may exceed. Every run is a budget activity (see ``sensitive``)."""

    users: int = Field(
        default=10, gt=0, le=MAX_COUNT, description="the gate: does the target hold its thresholds at this many users"
    )
    spawn_rate: float = Field(default=2, gt=0, le=MAX_COUNT, description="users started per second")
    run_time_s: float = Field(default=120, gt=0, le=MAX_DURATION_S, description="how long the gate holds its users")
    max_users: int = Field(
        default=50, gt=0, le=MAX_COUNT, description="no run, ramp or capacity search goes past this many users"
    )
    max_duration_s: float = Field(default=900, gt=0, le=MAX_DURATION_S, description="no run lasts longer than this")
    thresholds: dict[str, LoadThreshold] = Field(
        default=LOAD_THRESHOLDS,
        description="per request kind: pages (HTML), api (JSON and health), chat (stream to done)",
    )
    weights: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(
        default={"visitor": 6, "health": 1, "chat": 2, "plans": 1},
        description="relative share of each scenario's users",
    )
    think_time_s: tuple[_Seconds, _Seconds] = Field(
        default=(2, 8), description="a person's pause between pages (min, max)"
    )
    health_interval_s: float = Field(
        default=10, ge=0, le=MAX_DURATION_S, description="pause between one poller's rounds of health checks"
    )
    health_services: list[str] | None = Field(default=None, description="services the pollers poll; unset: every one")
    chat_margin: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="share of the chat route's per-user rate limit the chat users may use together",
    )
    public_pages: list[str] = ["/", "/sign-in", "/sign-up"]
    chat_page: str = "/chat"
    plans_page: str = "/plans"
    sign_in_path: str | None = Field(
        default=None,
        description="POST {identifier, password} -> session cookie; unset: no signed-in scenarios (chat, plans)",
    )
    token_cookie: str = Field(
        default="sb-access-token",
        description=(
            "the session cookie the chat page reads its bearer token from; chat posts carry it as Authorization, with "
            "[auth]'s CSRF cookie/header pair and a same-site Origin, as the page does"
        ),
    )
    chat_body: dict[str, Any] = Field(
        default={"text": "Hi Slurpy, this is the load test checking in.", "mode": "friend"},
        description="JSON the chat page posts (a session_id is added per user)",
    )
    settle_s: float = Field(
        default=10,
        ge=0,
        le=MAX_DURATION_S,
        description="not judged: the first seconds after the users of a run or a "
        "capacity stage have all started (new connections, warm-up)",
    )
    capacity_start_users: int = Field(default=5, gt=0, le=MAX_COUNT, description="the capacity search's first stage")
    capacity_step_users: int = Field(
        default=5, gt=0, le=MAX_COUNT, description="users added per stage of the capacity search"
    )
    capacity_stage_s: float = Field(
        default=60, gt=0, le=MAX_DURATION_S, description="each stage of the capacity search lasts this long"
    )
    step_users: int = Field(default=5, gt=0, le=MAX_COUNT, description="step ramp: users added per step")
    step_s: float = Field(default=30, gt=0, le=MAX_DURATION_S, description="step ramp: time per step")
    cpu_limit_percent: float = Field(
        default=90,
        gt=0,
        le=100,
        description="a generator process above this CPU makes the run inconclusive (Locust warns at 90)",
    )
    max_loop_lag_ms: float = Field(
        default=100,
        gt=0,
        le=MAX_MS,
        description="a generator whose event loop runs this late (median "
        "over 2 s) makes the run inconclusive: its timings "
        "would include its own wait",
    )

    @field_validator("thresholds")
    @classmethod
    def _known_kinds(cls, value: dict[str, LoadThreshold]) -> dict[str, LoadThreshold]:
        unknown = set(value) - set(LOAD_THRESHOLDS)
        if unknown:
            raise ValueError(f"unknown request kind(s) {sorted(unknown)}; known: {', '.join(LOAD_THRESHOLDS)}")
        return {**LOAD_THRESHOLDS, **value}

    @field_validator("weights")
    @classmethod
    def _known_scenarios(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(LOAD_SCENARIOS)
        if unknown or any(w < 0 for w in value.values()):
            raise ValueError(f"scenario weights must be >= 0 for {', '.join(LOAD_SCENARIOS)}; got {value}")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> LoadPolicy:
        if self.users > self.max_users:
            raise ValueError(f"users ({self.users}) is over max_users ({self.max_users})")
        if self.run_time_s > self.max_duration_s:
            raise ValueError(f"run_time_s ({self.run_time_s:g}) is over max_duration_s ({self.max_duration_s:g})")
        if self.think_time_s[0] > self.think_time_s[1]:
            raise ValueError(f"think_time_s: min {self.think_time_s[0]:g} is over max {self.think_time_s[1]:g}")
        return self
