"""The services of a target and what each must answer: health rules, latency, its version, and what the
security suite probes on it (headers, cookies, CORS, private paths, the secrets scan)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from monitor.profile.validation import (
    MAX_BYTES,
    MAX_COUNT,
    MAX_DAYS,
    MAX_MS,
    MAX_TIMEOUT_S,
    Strict,
    absolute_path,
    origins_only,
)

# The security headers every answer of a page must send unless a service says otherwise
# (the operations guide's policy); the headers analyser grades against the same tuple.
FULL_POLICY = (
    "strict-transport-security",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "content-security-policy",
)
HSTS_FLOOR_S = 15552000  # 180 days, Mozilla Observatory's floor
READ_ONLY_METHODS = ("GET", "HEAD")


class HealthEndpoint(Strict):
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

    _absolute = field_validator("path")(absolute_path)

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


class PrivatePath(Strict):
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


class ServiceSecurity(Strict):
    """What the security suite probes on one service; an empty list means "not checked here"."""

    header_paths: list[str] = Field(default=[], description="paths whose answers are graded for security headers")
    required_headers: list[str] = Field(
        default=list(FULL_POLICY),
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
    scan_concurrency: int = Field(
        default=4,
        ge=1,
        le=32,
        description="files the secrets scan fetches from the service at once (each is still fetched once; "
        "1 fetches one after another)",
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

    _cors_origins = field_validator("cors_origins")(origins_only)

    @field_validator("required_headers")
    @classmethod
    def _known_headers(cls, value: list[str]) -> list[str]:
        unknown = [h for h in value if h.lower() not in FULL_POLICY]
        if unknown:
            raise ValueError(f"unknown header(s) {unknown}; known: {', '.join(FULL_POLICY)}")
        return [h.lower() for h in value]


class VersionSource(Strict):
    """Where a service reports the version it runs: the post-deploy gate fails when it is not
    the version just deployed (a stale deploy passes every other check)."""

    path: str = Field(description="URL path that reports the version, e.g. /api/health")
    json_field: str | None = Field(default=None, description="dotted JSON field holding it, e.g. version or build.sha")
    header: str | None = Field(default=None, description="response header holding it, e.g. X-App-Version")

    _absolute = field_validator("path")(absolute_path)

    @model_validator(mode="after")
    def _one_place(self) -> VersionSource:
        if (self.json_field is None) == (self.header is None):
            raise ValueError("set exactly one of json_field (a JSON body field) or header (a response header)")
        return self


class Service(Strict):
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


class SecurityPolicy(Strict):
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

    _sign_in_absolute = field_validator("sign_in_path")(absolute_path)

    @model_validator(mode="before")
    @classmethod
    def _public_docs_gone(cls, value: Any) -> Any:
        if isinstance(value, dict) and "public_docs" in value:
            raise ValueError(
                "public_docs is gone: list what must stay private per service, in "
                "[services.<name>.security] private_paths (docs that may be public are left out)"
            )
        return value


class CorsPolicy(Strict):
    allowed_origins: list[str] = Field(
        default=[], description="origins every service allows unless its security.cors_origins says otherwise"
    )
    credentials: bool = Field(default=True, description="allowed origins get Access-Control-Allow-Credentials: true")

    _allowed_origins = field_validator("allowed_origins")(origins_only)
