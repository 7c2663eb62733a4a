"""The whole profile: every table in one model, and the checks that span tables (a rule names a
service that exists, every secret a table reads is named under ``[secrets]``)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from monitor.profile.alerts import AlertPolicy
from monitor.profile.auth import AuthPolicy
from monitor.profile.journeys import JourneyPolicy
from monitor.profile.load import LoadPolicy
from monitor.profile.network import RequestPolicy, RunDeadlines, TLSPolicy
from monitor.profile.reporting import GatePolicy, MetricsPolicy, SLOPolicy, StatusPagePolicy
from monitor.profile.rules import AccessRule, RateLimitRule, ValidationRule
from monitor.profile.services import CorsPolicy, SecurityPolicy, Service
from monitor.profile.validation import MAX_BYTES, MAX_COUNT, MAX_TIMEOUT_S, Strict


class Profile(Strict):
    name: str = Field(description="the target's name; taken from the file name targets/<name>.toml when not set")
    description: str = Field(default="", description="a line about this target, for people")
    sensitive: bool = Field(default=True, description="production: destructive and budget tests are skipped")
    allow_destructive: bool = Field(
        default=False,
        description="on a sensitive target, run the tests not marked nondestructive too (sign-up, payment)",
    )
    allow_budget: bool = Field(
        default=False, description="on a sensitive target, run the tests that spend its rate-limit or money budget too"
    )
    sandbox: bool = Field(default=False, description="start the local sandbox and point the services at it")
    timeout_s: float = Field(
        default=10.0, gt=0, le=MAX_TIMEOUT_S, description="one wall-clock deadline per request, connect to last byte"
    )
    retries: int = Field(default=2, ge=0, le=2, description="extra attempts, on connect, DNS and protocol errors only")
    retry_delay_s: float = Field(default=2.0, ge=0, le=MAX_TIMEOUT_S, description="pause before a retry")
    latency_samples: int = Field(
        default=5, ge=1, le=50, description="answers timed per service for the latency check (the median is judged)"
    )
    max_requests_per_run: int | None = Field(
        default=None,
        gt=0,
        le=MAX_COUNT,
        description=(
            "what one run may cost the target: once its checks have sent this many requests, the checks left are "
            "skipped, each saying so, and the run notes them; unset: no cap (the summary states the cost either way)"
        ),
    )
    max_answer_bytes: int = Field(
        default=1_048_576,
        gt=0,
        le=MAX_BYTES,
        description="read at most this much of an answer (health, API, pages); more fails",
    )
    max_script_bytes: int = Field(
        default=16_777_216,
        gt=0,
        le=MAX_BYTES,
        description="the cap for scripts and source maps that the secrets scan reads",
    )
    user_agent: str = Field(
        default="slurpy-monitor/0.1 (+synthetic)",
        description="the User-Agent of every request; ' target=<name>' is appended",
    )
    traffic_header: str = Field(
        default="X-Synthetic-Monitor",
        description="sent on every request (probes and browser) so analytics can leave it out",
    )
    tls: TLSPolicy = TLSPolicy()
    secrets: dict[str, str] = Field(default={}, description="logical name -> environment variable NAME")
    services: dict[str, Service] = Field(min_length=1)
    security: SecurityPolicy = SecurityPolicy()
    cors: CorsPolicy = CorsPolicy()
    rate_limits: list[RateLimitRule] = []
    validation: list[ValidationRule] = []
    access: list[AccessRule] = Field(
        default=[],
        description=(
            "sign-in-first routes the access check probes, and whether each checks CSRF; rules with auth = true add "
            "theirs"
        ),
    )
    auth: AuthPolicy = AuthPolicy()
    journeys: JourneyPolicy = JourneyPolicy()
    load: LoadPolicy = LoadPolicy()
    slo: SLOPolicy = SLOPolicy()
    status_page: StatusPagePolicy = StatusPagePolicy()
    metrics: MetricsPolicy = MetricsPolicy()
    alerts: AlertPolicy = AlertPolicy()
    request: RequestPolicy = RequestPolicy()
    gate: GatePolicy = GatePolicy()
    run_deadline_s: RunDeadlines = RunDeadlines()

    @model_validator(mode="after")
    def _rules_name_services(self) -> Profile:
        rules: list[RateLimitRule | ValidationRule | AccessRule] = [*self.rate_limits, *self.validation, *self.access]
        for rule in rules:
            if rule.service not in self.services:
                raise ValueError(f"rule for {rule.method} {rule.path} names unknown service {rule.service!r}")
            if isinstance(rule, AccessRule) and rule.csrf and self.auth.method == "none":
                raise ValueError(
                    f"[[access]] {rule.method} {rule.path} says csrf = true: its probes are signed in, "
                    'but [auth] has no method (set method = "supabase-password" or "bearer")'
                )
            if not isinstance(rule, AccessRule) and rule.auth and self.auth.method == "none":
                raise ValueError(
                    f"rule for {rule.method} {rule.path} says auth = true, but [auth] has no method "
                    '(set method = "supabase-password" or "bearer")'
                )
        unknown = [
            s for s in [*self.status_page.public_urls, *self.status_page.hidden_services] if s not in self.services
        ]
        if unknown:
            raise ValueError(f"[status_page] names unknown service(s) {', '.join(unknown)}")
        missing = [name for name in self.auth.secret_names if name not in self.secrets]
        if missing:
            raise ValueError(
                f"[auth] reads secret(s) {', '.join(missing)}: name their environment variables under [secrets]"
            )
        missing = [name for name in self.alerts.secret_names if name not in self.secrets]
        if missing:
            raise ValueError(
                f"[alerts] reads secret(s) {', '.join(missing)}: name their environment variables under [secrets]"
            )
        missing = [name for name in self.request.secret_names.values() if name not in self.secrets]
        if missing:
            raise ValueError(
                f"[request] headers read secret(s) {', '.join(missing)}: name their environment variables "
                "under [secrets]"
            )
        unknown = [s for s in self.request.services or [] if s not in self.services]
        if unknown:
            raise ValueError(f"[request] services names unknown service(s) {', '.join(unknown)}")
        return self

    @property
    def auth_origin(self) -> str | None:
        """The Origin signed-in probes send: the profile's, else the frontend's own (same-site)."""
        if self.auth.origin is not None:
            return self.auth.origin or None
        return self.services["frontend"].base_url if "frontend" in self.services else None

    @field_validator("secrets")
    @classmethod
    def _names_not_values(cls, value: dict[str, str]) -> dict[str, str]:
        for key, env_name in value.items():
            if not env_name.replace("_", "").isalnum() or not env_name.isupper():
                raise ValueError(f"{key}: must name an environment variable (UPPER_CASE), not hold a secret")
        return value

    @property
    def user_agent_header(self) -> str:
        return f"{self.user_agent} target={self.name}"
