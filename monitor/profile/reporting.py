"""What the history is judged against and shown as: SLOs, the post-deploy gate's baseline, the status
page, Prometheus metrics."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from monitor.profile.validation import MAX_COUNT, MAX_DAYS, MAX_DURATION_S, MAX_MS, Strict, http_url


class LatencyObjective(Strict):
    """A latency SLO: the 95th percentile of one check's measured times over the SLO window."""

    check: str = Field(description="the check id whose times are judged, e.g. latency:backend or journey:frontend:chat")
    p95_ms: float = Field(gt=0, le=MAX_MS, description="the 95th percentile above this misses the objective")
    measure: str = Field(
        default="samples_ms",
        description=(
            "where the times are: a details key holding a number or a list (samples_ms; done_ms for the chat "
            'journey: time to the stream\'s done frame), "step:<prefix>" for the wall time of the journey step whose '
            "name starts with <prefix> (the step's own code only), or duration_ms for the whole check"
        ),
    )


# The operations guide's latency lines: chat replies p95 2 s, the API p95 500 ms.
LATENCY_OBJECTIVES = {
    "api": LatencyObjective(check="latency:backend", p95_ms=500),
    # The chat journey's time from sending the message to the stream's done frame, as Chromium's
    # network events saw it (monitor.browser.stream_timing): what a person waits for. A step's time would
    # only time the code inside that step (an assertion takes 0-25 ms however slow the reply).
    "chat": LatencyObjective(check="journey:frontend:chat", p95_ms=2000, measure="done_ms"),
}


class SLOPolicy(Strict):
    """What "up enough" means for this target: the availability objective over a rolling window,
    and latency objectives (uptime, budget and burn rates: ``slurpy-monitor uptime``)."""

    availability: float = Field(
        default=0.999, gt=0, lt=1, description="share of known time up (99.9 % over 30 days = 43.2 minutes of budget)"
    )
    window_days: int = Field(
        default=30, gt=0, le=MAX_DAYS, description="the rolling window the error budget is counted over"
    )
    availability_suites: list[str] = Field(
        default=["smoke"],
        min_length=1,
        description=(
            "suites whose checks decide whether a service is up (a daily security finding is not an outage); "
            "every check still has its own uptime"
        ),
    )
    latency: dict[str, LatencyObjective] = Field(default=LATENCY_OBJECTIVES, description="named latency objectives")
    ad_hoc_sample_s: float = Field(
        default=300,
        gt=0,
        le=MAX_DURATION_S,
        description=(
            "a run no schedule started (by hand, a deploy gate) outside every expected slot counts as observing from "
            "its "
            "start until the next run, at most this long (5 minutes: what GitHub's finest cron would have covered)"
        ),
    )


class StatusPagePolicy(Strict):
    """The public status page (``slurpy-monitor status-page``): what it may show."""

    title: str = "Slurpy status"
    public_urls: list[str] = Field(
        default=[],
        description=(
            "services whose base URL the page shows; every other service's URL stays off the page (internal hosts)"
        ),
    )
    hidden_services: list[str] = Field(default=[], description="services left off the page entirely")
    base_url: str | None = Field(
        default=None,
        description=(
            "where the page is published (https://status.your-domain.com/): the feed's links and the badge URLs "
            "the page shows are made absolute with it; without it they are relative to the page"
        ),
    )

    _http = field_validator("base_url")(http_url)


class MetricsPolicy(Strict):
    """Prometheus metrics of each run (``--metrics-file`` for node_exporter's textfile collector)."""

    pushgateway: str | None = Field(
        default=None,
        description=(
            "also push each run's metrics to this Pushgateway (http://host:9091), job slurpy_monitor, grouped by target"
        ),
    )
    job: str = "slurpy_monitor"

    _http = field_validator("pushgateway")(http_url)


class GatePolicy(Strict):
    """The post-deploy gate (a run with ``--deploy-version``): latency compared with the same
    check's passing history on this target, and more samples than a scheduled run takes."""

    latency_samples: int = Field(
        default=20,
        ge=1,
        le=50,
        description=("latency samples per service when gating (a p95 needs 20; a scheduled run takes latency_samples)"),
    )
    baseline_days: float = Field(
        default=7, gt=0, le=MAX_DAYS, description="the baseline: passing runs of the same check over this many days"
    )
    baseline_min_runs: int = Field(
        default=5,
        ge=1,
        le=MAX_COUNT,
        description="fewer passing runs than this: no baseline yet (said, not passed silently)",
    )
    baseline_min_samples: int = Field(
        default=20, ge=1, le=MAX_COUNT, description="fewer samples in all than this: no baseline yet"
    )
    p50_ratio: float = Field(default=1.5, ge=1, le=100, description="a median over this many times the baseline's ...")
    p50_floor_ms: float = Field(
        default=50, ge=0, le=MAX_MS, description="... and over the baseline's by more than this is a regression"
    )
    p95_ratio: float = Field(default=1.5, ge=1, le=100, description="a p95 over this many times the baseline's ...")
    p95_floor_ms: float = Field(
        default=100, ge=0, le=MAX_MS, description="... and over the baseline's by more than this is a regression"
    )
    regression: Literal["fail", "warn"] = Field(default="fail", description="what a regression does to the gate")
