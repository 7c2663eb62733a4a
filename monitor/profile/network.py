"""How the monitor talks to a target: TLS trust and bands, the headers every request carries, and
how long a suite's checks may run."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from monitor.profile.validation import MAX_DAYS, MAX_DURATION_S, Strict


class TLSPolicy(Strict):
    warn_days: int = Field(
        default=30, ge=0, le=MAX_DAYS, description="a certificate expiring within this many days warns"
    )
    fail_days: int = Field(default=7, ge=0, le=MAX_DAYS, description="within this many days it fails")
    ca_bundle: str | None = Field(default=None, description="PEM file to trust instead of the system store")

    @model_validator(mode="after")
    def _bands(self) -> TLSPolicy:
        if self.warn_days < self.fail_days:
            raise ValueError(f"warn_days ({self.warn_days}) must be >= fail_days ({self.fail_days})")
        return self


SECRET_PREFIX = "secret:"
# Headers the monitor sets itself: a profile header must not replace them.
OWN_HEADERS = ("user-agent", "authorization", "cookie", "origin", "host", "content-length")


class RequestPolicy(Strict):
    """Headers every request to the target carries, e.g. a protected preview's bypass
    (Vercel Deployment Protection, Cloudflare Access service tokens). Values only ever come
    from secrets: ``"x-vercel-protection-bypass" = "secret:vercel_bypass"`` reads the variable
    ``[secrets] vercel_bypass`` names."""

    headers: dict[str, str] = Field(
        default={},
        description=(
            'header name -> "secret:<name under [secrets]>"; sent by the probes (to the services listed in '
            "services), the browser and the load users, and scrubbed from every output"
        ),
    )
    services: list[str] | None = Field(
        default=None,
        description=(
            "the services the probes send the headers to (default: every service); the browser and the load users "
            "send them on every request, as Playwright and Locust set headers per session, not per host"
        ),
    )

    @field_validator("headers")
    @classmethod
    def _from_secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for name, source in value.items():
            if not name or not all(c.isalnum() or c in "-_" for c in name):
                raise ValueError(f"{name!r} is not a header name")
            if name.lower() in OWN_HEADERS:
                raise ValueError(f"{name!r}: the monitor sets this header itself")
            if not source.startswith(SECRET_PREFIX) or not source.removeprefix(SECRET_PREFIX):
                raise ValueError(
                    f'{name}: a header\'s value comes from a secret only: write "secret:<name>" with '
                    "<name> under [secrets] (never the value itself)"
                )
        return value

    @property
    def secret_names(self) -> dict[str, str]:
        """header name -> logical secret name."""
        return {name: source.removeprefix(SECRET_PREFIX) for name, source in self.headers.items()}


class RunDeadlines(Strict):
    """How long a suite's checks may run, counted from the start of the run (seconds). A check still
    running then is stopped and recorded as ``error [monitor]: run deadline``, so are the checks not
    yet started, and the run ends: a target that hangs every request cannot hold a scheduled job
    past its own ``timeout-minutes`` (smoke 5, security and journeys 15), whose kill records nothing."""

    smoke: float = Field(default=180, gt=0, le=MAX_DURATION_S, description="the smoke suite (its job allows 5 minutes)")
    security: float = Field(default=600, gt=0, le=MAX_DURATION_S, description="the security suite (job: 15 minutes)")
    journeys: float = Field(default=600, gt=0, le=MAX_DURATION_S, description="the journeys (job: 15 minutes)")

    def for_suite(self, suite: str) -> float:
        """A suite without its own deadline (a new folder under tests/) gets the longest of them."""
        return float(getattr(self, suite, None) or max(self.smoke, self.security, self.journeys))
