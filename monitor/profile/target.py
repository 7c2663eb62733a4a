"""Target profiles: everything a check expects of a deployment, read from ``targets/<name>.toml``.

Nothing a check compares against is written in a test: URLs, paths, healthy-body rules,
thresholds and TLS bands all come from here. Secrets never do; a profile only *names* the
environment variables that hold them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor import redact
from monitor.analysers.headers import FULL_POLICY, HSTS_FLOOR_S

SHIPPED_TARGETS = Path(__file__).resolve().parent.parent / "targets"
TARGETS_DIR_ENV = "SLURPY_TARGETS_DIR"
TARGET_ENV = "SLURPY_TARGET"
URL_ENV_PREFIX = "SLURPY_URL_"


class ProfileError(Exception):
    """A profile that cannot be used. ``lines`` holds one human-readable problem each."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class _Strict(BaseModel):
    # inf and nan are refused wherever a number is read: "timeout_s = inf" is no deadline at all.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# Upper bounds for numbers a profile sets: a typo (1e308, an extra zero run) is refused with the
# range instead of hanging a run or exhausting memory. Generous: no deployment needs more.
MAX_TIMEOUT_S = 600.0
MAX_DURATION_S = 86_400.0
MAX_MS = 600_000.0
MAX_BYTES = 1 << 30
MAX_COUNT = 100_000
MAX_DAYS = 3650

SAFE_CREDENTIALS = (
    'sign in with [auth] (method = "bearer" or "supabase-password", secrets named under '
    "[secrets]) or send a request header whose value comes from [secrets]"
)


def url_credentials_refused(where: str) -> str:
    """The one line said when a URL carries ``user:password@``: it would be written into every
    results file, history, report, log line and browser trace."""
    return (
        f"{where}: a URL must not hold credentials (user:password@host): they would be written into every "
        f"report and trace; {SAFE_CREDENTIALS}"
    )


def _urls_with_credentials(value: Any, where: str = "") -> list[str]:
    """Fields (dotted paths) anywhere in a raw profile whose string holds a URL with credentials."""
    if isinstance(value, str):
        return [where or "(top level)"] if redact.has_url_credentials(value) else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _urls_with_credentials(v, f"{where}.{k}" if where else str(k))]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _urls_with_credentials(v, f"{where}.{i}")]
    return []


def _absolute_path(cls: type, value: str) -> str:
    """A path on the service's base URL: ``/api/health``, never a whole URL."""
    if not value.startswith("/"):
        raise ValueError("must start with '/'")
    return value


class HealthEndpoint(_Strict):
    """One health URL and what a healthy answer must look like (Gatus-style, one rule a line).
    JSON keys are dotted paths into the body: ``"slo_status.availability"``."""

    path: str
    status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default=[200], min_length=1, description="the statuses a healthy answer may have"
    )
    content_type: str | None = Field(
        default=None, description="the Content-Type a healthy answer starts with, e.g. application/json"
    )
    json_equals: dict[str, Any] = Field(
        default={}, description="dotted JSON key -> the value a healthy body holds, e.g. { ok = true }"
    )
    json_required: list[str] = Field(
        default=[], description="dotted JSON keys a healthy body holds, whatever their value"
    )
    json_absent: list[str] = Field(
        default=[],
        description=(
            'keys a healthy body never holds, e.g. "error" (MCP /stats answers {"service", "error"} '
            "when it cannot reach its vector store); the message quotes the value found"
        ),
    )
    dependencies: list[str] = Field(
        default=[],
        description=(
            "the dependency checks that must be in the body, each up: a path to a bool (must be true) or to an "
            'object with "ok" (must be true; its "error" is quoted), e.g. "sli_checks.database"; a path to an '
            'object without "ok" is a group: not empty, every entry in it up. Only these are reported as failing '
            "dependencies, and an empty group fails: a deployment that checked nothing is not healthy"
        ),
    )
    text_equals: str | None = Field(
        default=None, description="a plain-text body, exactly (e.g. ok); a body is text or JSON, not both"
    )
    headers: dict[str, str] = Field(
        default={}, description='header -> a value it must contain, e.g. { Cache-Control = "no-store" }'
    )

    _absolute = field_validator("path")(_absolute_path)

    @model_validator(mode="after")
    def _one_body_kind(self) -> HealthEndpoint:
        if self.text_equals is not None and self.json_rules:
            raise ValueError(
                "a body is either text (text_equals) or JSON (json_equals/json_required/json_absent/"
                "dependencies), not both"
            )
        return self

    @property
    def json_rules(self) -> bool:
        return bool(self.json_equals or self.json_required or self.json_absent or self.dependencies)


HEADER_NAMES = FULL_POLICY  # one home: the headers analyser
READ_ONLY_METHODS = ("GET", "HEAD")


class PrivatePath(_Strict):
    """A path that must not answer an anonymous caller. Written ``"/docs"`` or ``"HEAD /backup.sql"``."""

    method: Literal["GET", "HEAD"] = "GET"
    path: str

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            method, _, path = value.strip().rpartition(" ")
            value = {"method": method.strip() or "GET", "path": path}
        if isinstance(value, dict) and isinstance(value.get("method"), str):
            method = value["method"].upper()
            if method not in READ_ONLY_METHODS:
                # The target may be production: a DELETE or POST to "see if it is public" can change it.
                raise ValueError(f"method {value['method']!r}: a monitor only reads, use GET or HEAD")
            value = {**value, "method": method}
        return value

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must start with '/', got {value!r}")
        return value

    @property
    def label(self) -> str:
        return self.path if self.method == "GET" else f"{self.method} {self.path}"


def _origins(value: list[str] | None) -> list[str] | None:
    """An origin is what a browser sends in ``Origin``: scheme, host, optional port; nothing more
    (``https://your-domain.com/`` never matches one)."""
    for origin in value or []:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or origin != f"{parts.scheme}://{parts.netloc}":
            raise ValueError(f"{origin!r} is not an origin: scheme://host[:port], no path or trailing slash")
    return value


class ServiceSecurity(_Strict):
    """What the security suite probes on one service; an empty list means "not checked here"."""

    header_paths: list[str] = Field(default=[], description="paths whose answers are graded for security headers")
    required_headers: list[str] = Field(
        default=list(HEADER_NAMES),
        description="the security headers each of those answers must send (an API needs fewer)",
    )
    http_url: str | None = Field(default=None, description="plain-HTTP URL that must redirect to the https base URL")
    cookie_paths: list[str] = Field(
        default=[],
        description="pages that set cookies: each cookie must be Secure and SameSite "
        "(a listed page that sets none fails)",
    )
    session_cookies: list[str] = Field(default=[], description="cookie names that must also be HttpOnly")
    cors_path: str | None = Field(
        default=None, description="a route whose CORS answers are probed (preflight and actual request)"
    )
    cors_method: Literal["GET", "HEAD", "POST"] = Field(
        default="POST",
        description="the route's own method, used for the actual request (a GET to a POST-only route "
        "is 405 and shows nothing); never a destructive one",
    )
    cors_origins: list[str] | None = Field(
        default=None,
        description="origins this service allows; replaces [cors] allowed_origins for it (the frontend "
        "and MCP are configured separately and allow different lists)",
    )
    pages: list[str] = Field(
        default=[],
        description="HTML pages scanned for leaked secrets, with every same-origin "
        "script they load (also at run time: import(), chunk paths, the Next.js build manifest) "
        "and every source map",
    )
    scan_max_files: int = Field(
        default=200, gt=0, le=MAX_COUNT, description="the secrets scan fetches at most this many files"
    )
    scan_max_bytes: int = Field(
        default=50_000_000,
        gt=0,
        le=MAX_BYTES,
        description="and reads at most this many bytes in all (a dev build's main bundle alone can be 8 MB)",
    )
    private_paths: list[PrivatePath] = Field(
        default=["/docs", "/openapi.json"],
        validate_default=True,
        description="paths that must not be public: an anonymous GET (or 'HEAD /path') must answer 401, 403 or 404; "
        "2xx is public, anything else is reported. Only GET and HEAD are accepted: FastAPI answers HEAD "
        "with 405, so use GET there",
    )

    @model_validator(mode="before")
    @classmethod
    def _docs_paths_renamed(cls, value: Any) -> Any:
        if isinstance(value, dict) and "docs_paths" in value:
            raise ValueError("docs_paths is now private_paths: every path that must not be public, not only docs")
        return value

    _cors_origins = field_validator("cors_origins")(_origins)

    @field_validator("required_headers")
    @classmethod
    def _known_headers(cls, value: list[str]) -> list[str]:
        unknown = [h for h in value if h.lower() not in HEADER_NAMES]
        if unknown:
            raise ValueError(f"unknown header(s) {unknown}; known: {', '.join(HEADER_NAMES)}")
        return [h.lower() for h in value]


class VersionSource(_Strict):
    """Where a service reports the version it runs: the post-deploy gate fails when it is not
    the version just deployed (a stale deploy passes every other check)."""

    path: str = Field(description="URL path that reports the version, e.g. /api/health")
    json_field: str | None = Field(default=None, description="dotted JSON field holding it, e.g. version or build.sha")
    header: str | None = Field(default=None, description="response header holding it, e.g. X-App-Version")

    _absolute = field_validator("path")(_absolute_path)

    @model_validator(mode="after")
    def _one_place(self) -> VersionSource:
        if (self.json_field is None) == (self.header is None):
            raise ValueError("set exactly one of json_field (a JSON body field) or header (a response header)")
        return self


class Service(_Strict):
    base_url: str
    health: list[HealthEndpoint] = Field(min_length=1)
    latency_ms: float = Field(gt=0, le=MAX_MS, description="median response time above this fails")
    latency_path: str | None = Field(
        default=None,
        description=(
            "sampled for latency instead of the first health path; its answers must have the status of the health "
            "endpoint at that path, or 200 if it is not one"
        ),
    )
    warm_up: bool = Field(
        default=True,
        description=(
            "one unjudged request before the health and latency checks of this service, so a cold deployment's "
            "first answer (a post-deploy gate meets it) neither times out a health check nor counts as a sample; "
            "its outcome is kept in the result's details"
        ),
    )
    timeout_s: float | None = Field(
        default=None,
        gt=0,
        le=MAX_TIMEOUT_S,
        description="this service's request deadline, instead of the profile's timeout_s",
    )
    security: ServiceSecurity = ServiceSecurity()
    version: VersionSource | None = Field(default=None, description="where the service reports its version, if it does")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL with a host, got {value!r}")
        return value.rstrip("/")

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def latency_url(self) -> str:
        return self.url(self.latency_path or self.health[0].path)

    @property
    def latency_status(self) -> list[int]:
        """What a healthy answer at the latency URL looks like: an error answer is not fast enough."""
        path = self.latency_path or self.health[0].path
        return next((endpoint.status for endpoint in self.health if endpoint.path == path), [200])


class TLSPolicy(_Strict):
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


class SecurityPolicy(_Strict):
    hsts_min_age: int = Field(
        default=HSTS_FLOOR_S, ge=0, le=MAX_DAYS * 86_400, description="180 days, Mozilla Observatory's floor"
    )
    hsts_include_subdomains: bool = Field(default=False, description="HSTS must carry includeSubDomains")
    hsts_preload: bool = Field(default=False, description="HSTS must carry preload")
    csp_allow_unsafe: bool = Field(default=False, description="tolerate 'unsafe-inline'/'unsafe-eval' in script-src")
    allow_version_disclosure: bool = Field(default=False, description="tolerate a version in Server / X-Powered-By")
    sign_in_path: str = Field(
        default="/sign-in",
        description=(
            "the page anonymous visitors are sent to: a redirect there counts as a refusal (a private path, a "
            "sign-in-first route)"
        ),
    )

    _sign_in_absolute = field_validator("sign_in_path")(_absolute_path)

    @model_validator(mode="before")
    @classmethod
    def _public_docs_gone(cls, value: Any) -> Any:
        if isinstance(value, dict) and "public_docs" in value:
            raise ValueError(
                "public_docs is gone: list what must stay private per service, in "
                "[services.<name>.security] private_paths (docs that may be public are left out)"
            )
        return value


class CorsPolicy(_Strict):
    allowed_origins: list[str] = Field(
        default=[], description="origins every service allows unless its security.cors_origins says otherwise"
    )
    credentials: bool = Field(default=True, description="allowed origins get Access-Control-Allow-Credentials: true")

    _allowed_origins = field_validator("allowed_origins")(_origins)


def _signed_in() -> Any:
    return Field(
        default=False,
        description="the route is sign-in first: probe it with the monitor's session from "
        "[auth] (an anonymous probe only ever sees 401 there)",
    )


class RateLimitRule(_Strict):
    service: str
    method: str = "POST"
    path: str
    limit: int = Field(gt=0, le=MAX_COUNT, description="requests a caller may send per window; limit + 1 must get 429")
    window_s: int = Field(
        gt=0, le=MAX_DURATION_S, description="fixed windows aligned to the clock (a 60 s window ends on the minute)"
    )
    auth: bool = _signed_in()
    json_body: dict[str, Any] = Field(
        default={}, description="a cheap body the limiter counts before any expensive work"
    )
    body_is_invalid: bool = Field(
        default=True,
        description="the route refuses json_body (4xx) after counting it, so no "
        "model or payment work runs; a 2xx stops the check at once",
    )
    error_field: str | None = Field(
        default=None,
        description=(
            'a field the 429\'s JSON body must carry (e.g. "error"); unset: any JSON or empty body, its shape reported'
        ),
    )


class ValidationRule(_Strict):
    service: str
    method: str = "POST"
    path: str
    auth: bool = _signed_in()
    valid_body: dict[str, Any] = Field(
        description="a body the route accepts; only ever sent padded past max_body_bytes, "
        "so only a size limit can refuse it"
    )
    pad_field: str | None = Field(
        default=None,
        description="the string field of valid_body to pad, one without a length "
        "limit of its own; default: its first string field",
    )
    wrong_types: dict[str, Any] = Field(description="a body with the right keys and wrong value types")
    max_body_bytes: int = Field(
        default=65536,
        gt=0,
        le=MAX_BYTES,
        description="the route's body limit; the oversized probe is valid_body padded past it",
    )

    @model_validator(mode="after")
    def _pad_field_is_a_string(self) -> ValidationRule:
        if self.pad_field is not None and not isinstance(self.valid_body.get(self.pad_field), str):
            raise ValueError(f"pad_field {self.pad_field!r} must name a string field of valid_body")
        if self.pad_field is None and not any(isinstance(v, str) for v in self.valid_body.values()):
            raise ValueError("valid_body needs a string field to pad past max_body_bytes (or set pad_field)")
        return self

    @property
    def padded_field(self) -> str:
        return self.pad_field or next(k for k, v in self.valid_body.items() if isinstance(v, str))


class AccessRule(_Strict):
    """A sign-in-first route whose gates the access check probes: an anonymous request and one with a
    forged bearer token must be refused (401/403, or a redirect to sign-in); where ``csrf`` is set, a
    signed-in request with a foreign Origin, a mismatched double-submit pair, or the cookie without
    its header must be refused with 403. Every rule with ``auth = true`` implies one (without csrf)."""

    service: str
    method: str = "POST"
    path: str
    csrf: bool = Field(default=False, description="the route checks CSRF (Origin and the [auth] double-submit pair)")
    json_body: dict[str, Any] = Field(
        default={},
        description=(
            "a body the route refuses after its gates (a schema error), so a gate left open does no work: its 400 "
            "shows the probe got through"
        ),
    )

    _absolute = field_validator("path")(_absolute_path)


class AuthPolicy(_Strict):
    """How the monitor gets a session for probes of sign-in-first routes. Secrets by their
    logical names in [secrets], never values."""

    method: Literal["none", "supabase-password", "bearer"] = Field(
        default="none",
        description="supabase-password: Supabase Auth's password grant with the monitor account; "
        "bearer: a ready token from an environment variable; none: anonymous probes only",
    )
    supabase_url: str | None = Field(
        default=None,
        description="the Supabase project URL; the monitor signs in with "
        "POST <supabase_url>/auth/v1/token?grant_type=password",
    )
    anon_key_secret: str = Field(
        default="supabase_anon_key", description="[secrets] name of the anon key (apikey header)"
    )
    email_secret: str = Field(default="monitor_email", description="[secrets] name of the monitor account's e-mail")
    password_secret: str = Field(default="monitor_password", description="[secrets] name of its password")
    token_secret: str = Field(default="monitor_token", description="[secrets] name of the bearer token (method bearer)")
    origin: str | None = Field(
        default=None,
        description="Origin that signed-in probes send, same-site for the CSRF "
        "check; default: the frontend service's base URL; empty: none",
    )
    csrf_cookie: str = Field(default="slurpy.csrf", description="double-submit cookie name (empty: not sent)")
    csrf_header: str = Field(
        default="x-csrf", description="header that must repeat the cookie's value (empty: not sent)"
    )
    refresh_margin_s: float = Field(
        default=60, ge=0, le=MAX_DURATION_S, description="refresh a token this long before it expires"
    )

    @field_validator("supabase_url")
    @classmethod
    def _supabase_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _method_needs(self) -> AuthPolicy:
        if self.method == "supabase-password" and not self.supabase_url:
            raise ValueError("method supabase-password needs supabase_url (your Supabase project URL)")
        return self

    @property
    def secret_names(self) -> list[str]:
        if self.method == "supabase-password":
            return [self.anon_key_secret, self.email_secret, self.password_secret]
        return [self.token_secret] if self.method == "bearer" else []


class JourneyPolicy(_Strict):
    """What the browser journeys need to know about the target."""

    timeout_s: float = Field(
        default=60, gt=0, le=MAX_TIMEOUT_S, description="a whole journey; Playwright waits at most this long for a step"
    )
    chat_threshold_ms: float = Field(
        default=2000, gt=0, le=MAX_MS, description="streamed reply complete within (chat p95 SLO)"
    )
    chat_message: str = Field(
        default="Hi Slurpy, this is the synthetic monitor checking in.", description="what the chat journey sends"
    )
    chat_stream_path: str = Field(
        default="/api/proxy-chat-stream", description="the route the chat page streams its reply from"
    )
    chat_fallback: str = Field(
        default="I'm here to help!", description="the canned text the UI shows when no reply came: never a pass"
    )
    synthetic_email: str = Field(
        default="monitor+{run_id}@example.com",
        description="address pattern for accounts the monitor creates; must hold {run_id}",
    )
    inbox_url: str | None = Field(
        default=None, description="test inbox API, {email} is replaced; JSON {messages: [{body}]}"
    )
    test_accounts_path: str | None = Field(
        default=None, description="admin API to create/list/delete synthetic accounts"
    )
    stripe_test_mode: bool = Field(default=False, description="checkout runs in Stripe test mode: the monitor may pay")
    pro_price: str = Field(default="$17", description="the Pro price checkout must show")
    success_card: str = Field(default="4242424242424242", description="Stripe test card that succeeds (test mode only)")
    declined_card: str = Field(default="4000000000000002", description="Stripe test card that is declined")

    @field_validator("synthetic_email")
    @classmethod
    def _has_run_id(cls, value: str) -> str:
        if "{run_id}" not in value or "@" not in value:
            raise ValueError("must be an address holding {run_id}, e.g. monitor+{run_id}@your-domain.com")
        return value

    @property
    def synthetic_prefix(self) -> str:
        return self.synthetic_email.split("{run_id}")[0]


class LoadThreshold(_Strict):
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


class LoadPolicy(_Strict):
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


class LatencyObjective(_Strict):
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
    # network events saw it (monitor.streamtiming): what a person waits for. A step's time would
    # only time the code inside that step (an assertion takes 0-25 ms however slow the reply).
    "chat": LatencyObjective(check="journey:frontend:chat", p95_ms=2000, measure="done_ms"),
}


class SLOPolicy(_Strict):
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


class StatusPagePolicy(_Strict):
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

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value


class MetricsPolicy(_Strict):
    """Prometheus metrics of each run (``--metrics-file`` for node_exporter's textfile collector)."""

    pushgateway: str | None = Field(
        default=None,
        description=(
            "also push each run's metrics to this Pushgateway (http://host:9091), job slurpy_monitor, grouped by target"
        ),
    )
    job: str = "slurpy_monitor"

    @field_validator("pushgateway")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value


SECRET_PREFIX = "secret:"
# Headers the monitor sets itself: a profile header must not replace them.
OWN_HEADERS = ("user-agent", "authorization", "cookie", "origin", "host", "content-length")


class RequestPolicy(_Strict):
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


class GatePolicy(_Strict):
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


SEVERITIES = ("info", "warning", "critical")


DEFAULT_API_URLS = {
    "github": "https://api.github.com",
    "pagerduty": "https://events.pagerduty.com",
    "opsgenie": "https://api.opsgenie.com",
}


class AlertChannel(_Strict):
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


class MaintenanceWindow(_Strict):
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


class Runbook(_Strict):
    """Who owns a failing check and what to do about it, told in every alert about it."""

    owner: str = Field(default="", description='a team, a person or a Slack handle ("@backend-oncall")')
    runbook: str = Field(default="", description="the runbook page's URL")

    @field_validator("runbook")
    @classmethod
    def _http_link(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value


class AlertPolicy(_Strict):
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


class RunDeadlines(_Strict):
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


class Profile(_Strict):
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


def targets_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where profiles live: ``$SLURPY_TARGETS_DIR``, read when asked, else the shipped ``targets/``."""
    return Path(env.get(TARGETS_DIR_ENV) or SHIPPED_TARGETS)


def available_targets(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or targets_dir()).glob("*.toml"))


def url_overrides_from_env(env: Mapping[str, str]) -> dict[str, str]:
    return {
        key[len(URL_ENV_PREFIX) :].lower(): value
        for key, value in env.items()
        if key.startswith(URL_ENV_PREFIX) and value
    }


def parse_url_options(options: list[str]) -> dict[str, str]:
    """``["frontend=https://pr-12.example"]`` -> ``{"frontend": "https://pr-12.example"}``."""
    overrides: dict[str, str] = {}
    for option in options:
        service, sep, url = option.partition("=")
        if not sep or not service or not url:
            raise ProfileError(
                [f"--url {redact.text(option)!r}: expected SERVICE=URL, e.g. frontend=https://preview.example.com"]
            )
        if redact.has_url_credentials(url):
            raise ProfileError([url_credentials_refused(f"--url {redact.text(option)}")])
        overrides[service.strip()] = url.strip()
    return overrides


def load_profile(
    name: str, *, directory: Path | None = None, url_overrides: Mapping[str, str] | None = None
) -> Profile:
    directory = directory or targets_dir()
    path = directory / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(available_targets(directory)) or "none"
        raise ProfileError([f"unknown target {name!r}: no {path}. Targets that exist: {known}"])
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError(
            [
                f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}): a profile is "
                "a TOML text file; save it as UTF-8"
            ]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([f"{path}: not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ProfileError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    raw.setdefault("name", name)
    problems: list[str] = [url_credentials_refused(f"{path}: {field}") for field in _urls_with_credentials(raw)]
    services: dict[str, Any] = raw["services"] if isinstance(raw.get("services"), dict) else {}
    for service, url in (url_overrides or {}).items():
        if service not in services or not isinstance(services[service], dict):
            problems.append(
                f"{path}: URL override for unknown service {service!r} (profile has: {', '.join(services) or 'none'})"
            )
        elif redact.has_url_credentials(url):
            problems.append(url_credentials_refused(f"URL override for {service} ({redact.text(url)})"))
        else:
            services[service]["base_url"] = url
    if problems:
        raise ProfileError(problems)
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "(top level)"
            problems.append(f"{path}: {field}: {error['msg']}")
        raise ProfileError(problems) from None
    return profile


def resolve_target_name(option: str | None, env: Mapping[str, str] = os.environ) -> str:
    return option or env.get(TARGET_ENV) or "sandbox"
