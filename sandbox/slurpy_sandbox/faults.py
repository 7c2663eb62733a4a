"""The sandbox's fault switches: each one breaks one observable behaviour the way real
deployments break, and names the checks that must catch it.

The fault matrix (selftests) reads this registry: on each fault, exactly the checks listed in
``catches`` must report the listed verdict and category, and every other check must pass.
Check ids are ``CheckResult.id`` values for the sandbox profile (the contract's paths).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from monitor.layout import TARGETS
from monitor.profile import Profile, load_profile

SERVICES = ("frontend", "backend", "mcp")
HEALTH_IDS = {
    "frontend": ("health:frontend:/api/health", "health:frontend:/health"),
    "backend": ("health:backend:/health/healthz",),
    "mcp": ("health:mcp:/healthz", "health:mcp:/stats"),
}
# A slow fault exceeds the shipped sandbox profile's thresholds by these margins, so the two
# cannot drift apart. The profile is read when a fault is switched on, not at import.
SLOW_MARGIN_MS = 300
CHAT_MARGIN_MS = 1000


@dataclass(frozen=True)
class Fault:
    name: str
    service: str
    suite: str
    description: str
    catches: dict[str, tuple[str, str]]  # check id -> (verdict, category)
    params: dict[str, Any] = field(default_factory=dict)  # a callable value is computed at switch-on
    says: tuple[str, ...] = ()  # words each catching check's message must hold (e.g. the header that escapes)
    down: bool = False  # the service stops listening (connection refused)
    cert: str | None = None  # which certificate the service presents instead of the valid one

    def defaults(self) -> dict[str, Any]:
        return {key: value() if callable(value) else value for key, value in self.params.items()}


@cache
def shipped_sandbox_profile() -> Profile:
    return load_profile("sandbox", directory=TARGETS)


def _fail(category: str, *ids: str) -> dict[str, tuple[str, str]]:
    return {check_id: ("fail", category) for check_id in ids}


def _smoke_faults() -> list[Fault]:
    faults: list[Fault] = []
    for service in SERVICES:
        faults.append(
            Fault(
                f"{service}-down",
                service,
                "smoke",
                f"{service} stops listening: connections are refused, as when the process crashed",
                _fail("connect", *HEALTH_IDS[service], f"latency:{service}", f"tls:{service}"),
                down=True,
            )
        )
        faults.append(
            Fault(
                f"{service}-slow-health",
                service,
                "smoke",
                f"{service} health answers correctly but only after delay_ms (threshold + {SLOW_MARGIN_MS} ms by "
                "default)",
                _fail("latency", f"latency:{service}"),
                params={
                    "delay_ms": lambda service=service: (
                        int(shipped_sandbox_profile().services[service].latency_ms) + SLOW_MARGIN_MS
                    )
                },
            )
        )
    faults += [
        Fault(
            "frontend-health-5xx",
            "frontend",
            "smoke",
            "frontend /api/health answers 503 with ok:false: its database check fails (every latency sample, "
            "taken on /api/health, is then a quick 503: an error, not a fast answer)",
            _fail("http status", "health:frontend:/api/health", "latency:frontend"),
        ),
        Fault(
            "frontend-health-missing-keys",
            "frontend",
            "smoke",
            'frontend /api/health answers 200 {"ok": true} only, like an old build: no sli_checks, slo_status, '
            "timestamp",
            _fail("body", "health:frontend:/api/health"),
        ),
        Fault(
            "frontend-health-no-dependencies",
            "frontend",
            "smoke",
            'frontend /api/health answers 200 ok:true with "sli_checks": {}: a deployment missing its '
            "configuration checked no dependency at all",
            _fail("body", "health:frontend:/api/health"),
        ),
        Fault(
            "backend-degraded",
            "backend",
            "smoke",
            "backend /health/healthz answers 200 but ok:false with qdrant:false (the status code lies)",
            _fail("body", "health:backend:/health/healthz"),
        ),
        Fault(
            "backend-health-hang",
            "backend",
            "smoke",
            "backend /health/healthz accepts the request and never answers (hang_s), past the request timeout",
            _fail("timeout", "health:backend:/health/healthz", "latency:backend"),
            params={"hang_s": 60},
        ),
        # Below the JSON: the probe's own bounds (one deadline per request, a cap on what it
        # reads, protocol errors named as such) are what catch these.
        Fault(
            "backend-health-drip",
            "backend",
            "smoke",
            "backend /health/healthz sends its headers, then one body byte every interval_s (a quarter of the "
            "request deadline, so no single read ever times out)",
            _fail("timeout", "health:backend:/health/healthz", "latency:backend"),
            params={"interval_s": lambda: shipped_sandbox_profile().timeout_s / 4},
        ),
        Fault(
            "mcp-health-endless-body",
            "mcp",
            "smoke",
            "mcp /healthz streams a JSON body that never ends",
            _fail("body", "health:mcp:/healthz", "latency:mcp"),
        ),
        Fault(
            "backend-health-cut-off",
            "backend",
            "smoke",
            "backend /health/healthz sends half the body its Content-Length announces, then closes",
            _fail("protocol", "health:backend:/health/healthz", "latency:backend"),
        ),
        Fault(
            "mcp-wrong-body",
            "mcp",
            "smoke",
            'mcp /healthz answers 200 {"status": "starting"}',
            _fail("body", "health:mcp:/healthz"),
        ),
        Fault(
            "mcp-health-not-json",
            "mcp",
            "smoke",
            "mcp /healthz answers 200 with an HTML error page from a proxy instead of JSON",
            _fail("body", "health:mcp:/healthz"),
        ),
        Fault(
            "mcp-stats-qdrant-down",
            "mcp",
            "smoke",
            'mcp cannot reach its vector store: /stats answers 200 {"service": "slurpy-mcp", "error": …} '
            "while /healthz still says ok",
            _fail("body", "health:mcp:/stats"),
        ),
        Fault(
            "frontend-cert-expiring",
            "frontend",
            "smoke",
            "frontend presents a certificate that expires in 20 days (inside the 30-day warn band)",
            {"tls:frontend": ("warn", "certificate")},
            cert="expiring",
        ),
        Fault(
            "frontend-cert-fail-window",
            "frontend",
            "smoke",
            "frontend presents a certificate that expires in 3 days (inside the 7-day fail band)",
            _fail("certificate", "tls:frontend"),
            cert="fail-window",
        ),
        Fault(
            "frontend-cert-expired",
            "frontend",
            "smoke",
            "frontend presents a certificate that expired yesterday: browsers refuse the site",
            _fail("tls", *HEALTH_IDS["frontend"], "latency:frontend", "tls:frontend"),
            cert="expired",
        ),
        Fault(
            "frontend-cert-wrong-host",
            "frontend",
            "smoke",
            "frontend presents a valid certificate for another host name (slurpy.invalid)",
            _fail("tls", *HEALTH_IDS["frontend"], "latency:frontend", "tls:frontend"),
            cert="wrong-host",
        ),
    ]
    return faults


FRONTEND_HEADER_IDS = ("headers:frontend:/", "headers:frontend:/sign-in", "headers:frontend:/api/health")
RATE_LIMIT_IDS = (
    "rate_limit:frontend:POST /api/proxy-chat-stream",
    "rate_limit:frontend:POST /api/stripe/create-session",
    "rate_limit:frontend:POST /api/journal",
)
ACCESS_IDS = {
    path: f"access:frontend:POST {path}"
    for path in ("/api/proxy-chat-stream", "/api/stripe/create-session", "/api/journal")
}
# Headers proxies and CDNs set to pass on the client's address; each is a fault of its own, so the
# matrix proves the monitor tries every one (this list is the sandbox's, not the monitor's).
CLIENT_ADDRESS_HEADERS = (
    "X-Forwarded-For",
    "X-Real-IP",
    "CF-Connecting-IP",
    "True-Client-IP",
    "Fastly-Client-IP",
    "X-Client-IP",
    "X-Cluster-Client-IP",
    "Forwarded",
)
TRUSTS_HEADER = {f"frontend-rate-limit-trusts-{header.lower()}": header for header in CLIENT_ADDRESS_HEADERS}


def _security_faults() -> list[Fault]:
    def fault(name: str, description: str, catches: dict[str, tuple[str, str]], says: tuple[str, ...] = ()) -> Fault:
        return Fault(name, name.split("-")[0], "security", description, catches, says=says)

    return [
        fault(
            "frontend-missing-csp",
            "the frontend stops sending Content-Security-Policy (the middleware sets it inside "
            "a try whose failure silently drops it)",
            _fail("headers", *FRONTEND_HEADER_IDS),
        ),
        fault(
            "frontend-weak-hsts",
            "Strict-Transport-Security max-age=86400: one day, far under the 180-day floor",
            _fail("headers", *FRONTEND_HEADER_IDS),
        ),
        fault(
            "frontend-conflicting-xfo",
            "a proxy adds X-Frame-Options: SAMEORIGIN next to the app's DENY",
            _fail("headers", *FRONTEND_HEADER_IDS),
        ),
        fault(
            "frontend-csp-unsafe-inline",
            "CSP script-src trades its nonce for 'unsafe-inline' 'unsafe-eval' to make a widget work",
            _fail("headers", *FRONTEND_HEADER_IDS),
        ),
        fault(
            "backend-missing-nosniff",
            "the backend stops sending X-Content-Type-Options: nosniff",
            _fail("headers", "headers:backend:/health/healthz"),
        ),
        fault(
            "mcp-missing-nosniff",
            "the MCP server stops sending X-Content-Type-Options: nosniff",
            _fail("headers", "headers:mcp:/healthz"),
        ),
        fault(
            "frontend-http-serves-content",
            "plain http:// serves the site instead of redirecting to https",
            _fail("redirect", "https_redirect:frontend"),
        ),
        fault(
            "frontend-insecure-cookie",
            "the sign-in page sets its cookie without Secure, HttpOnly or SameSite",
            _fail("cookie", "cookies:frontend:/sign-in"),
        ),
        fault(
            "frontend-cors-wildcard-credentials",
            "frontend /api/* preflights and write routes answer "
            "Access-Control-Allow-Origin: * with credentials, to any origin",
            _fail("cors", "cors:frontend"),
        ),
        fault(
            "frontend-cors-route-echoes-any-origin",
            "the frontend's preflights refuse other origins, but its write "
            "routes serve a request from any origin and echo it, with credentials",
            _fail("cors", "cors:frontend"),
        ),
        fault(
            "frontend-cors-preflight-list-differs",
            "the route wrapper reads CORS_ORIGINS alone while the middleware "
            "adds the localhost origins: http://localhost:3000 passes the "
            "preflight and its POST is refused with 403",
            _fail("cors", "cors:frontend"),
        ),
        fault(
            "backend-cors-reflects-any-origin",
            "backend CORS echoes whatever Origin it is sent (allow_origin_regex='.*')",
            _fail("cors", "cors:backend"),
        ),
        fault(
            "mcp-cors-suffix-match",
            "MCP CORS accepts any origin ending in your-domain.com (an unanchored regex)",
            _fail("cors", "cors:mcp"),
        ),
        fault(
            "frontend-rate-limit-off",
            "the frontend's rate limiter is disabled: no 429, ever",
            _fail("rate limit", *RATE_LIMIT_IDS),
        ),
        *(
            fault(
                name,
                f"the limiter keys a request that carries {header} on that header (which any client can "
                f"set) instead of on the signed-in user",
                _fail("rate limit", *RATE_LIMIT_IDS),
                says=(f"escaped by setting {header} (",),
            )
            for name, header in TRUSTS_HEADER.items()
        ),
        fault(
            "frontend-rate-limit-no-retry-after",
            "429 answers come without Retry-After",
            _fail("rate limit", *RATE_LIMIT_IDS),
        ),
        fault(
            "frontend-journal-open-to-anonymous",
            "/api/journal lost its sign-in check: an anonymous caller "
            "reaches the route's schema check (400) instead of a 401",
            _fail("access", ACCESS_IDS["/api/journal"]),
            says=("sign-in not enforced: an anonymous request",),
        ),
        fault(
            "frontend-e2e-bypass-auth",
            "NEXT_PUBLIC_E2E_BYPASS_AUTH=true: the chat route lets anonymous callers "
            "in as a test user and skips its double-submit check",
            _fail("access", ACCESS_IDS["/api/proxy-chat-stream"]),
            says=("sign-in not enforced", "CSRF not enforced: a signed-in request whose slurpy.csrf cookie"),
        ),
        fault(
            "frontend-csrf-not-checked",
            "lib/csrf.ts is not called: neither the Origin nor the double-submit pair "
            "is checked (the CORS wrapper still refuses foreign origins)",
            _fail("access", *ACCESS_IDS.values()),
            says=("CSRF not enforced",),
        ),
        fault(
            "frontend-bearer-not-verified",
            "the routes decode the bearer token without verifying its signature: a forged token passes as a user",
            _fail("access", *ACCESS_IDS.values()),
            says=("bearer token check not enforced: a forged bearer token",),
        ),
        fault(
            "frontend-cors-origins-wildcard",
            'CORS_ORIGINS="*" (set for a preview): the CORS layers and the '
            "CSRF origin check, which read the same list, let any origin in",
            {**_fail("cors", "cors:frontend"), **_fail("access", *ACCESS_IDS.values())},
        ),
        fault(
            "frontend-500-traceback",
            "bad JSON makes /api/* answer 500 with a Python traceback",
            _fail("validation", "validation:frontend:POST /api/proxy-chat-stream"),
        ),
        fault(
            "mcp-chat-no-size-limit",
            "MCP /v1/mcp/chat has no size limit; its schema refuses a body without "
            "user_id, which hides that from a probe that is not otherwise valid",
            _fail("validation", "validation:mcp:POST /v1/mcp/chat"),
            says=("padded past 65536 bytes: expected a 4xx",),
        ),
        fault(
            "mcp-chat-502-names-upstream",
            "MCP /v1/mcp/chat as the real server runs it: no size limit, and when "
            "its model upstream fails it answers 502 naming the upstream URL and the "
            "exception",
            _fail("validation", "validation:mcp:POST /v1/mcp/chat"),
            says=("expected a 4xx, got 502", "reveals exception text", "an upstream URL"),
        ),
        fault(
            "frontend-leaks-stripe-secret",
            "the JS bundle inlines a Stripe secret key (a NEXT_PUBLIC_ mistake)",
            _fail("secret", "secrets:frontend"),
        ),
        fault(
            "frontend-leaks-service-role-jwt",
            "the served source map carries the Supabase service_role key",
            _fail("secret", "secrets:frontend"),
        ),
        fault(
            "frontend-leaks-openai-key-in-lazy-chunk",
            "a chunk loaded only at run time (imported by a chunk that the main bundle imports) carries an OpenAI "
            "API key: no page names it in a <script> tag",
            _fail("secret", "secrets:frontend"),
        ),
        fault(
            "frontend-leaks-webhook-secret-in-inline-map",
            "the plans page's chunk, named only in the build manifest, carries its source map inline (a data: URL) "
            "and the map's sources hold the Stripe webhook secret",
            _fail("secret", "secrets:frontend"),
        ),
        fault(
            "frontend-leaks-secret-in-dev-module",
            "a development build (next dev): the layout's module, an eval() string, carries its source map inline, "
            "followed by its sourceURL comment, and the map's original source holds a Stripe secret key",
            _fail("secret", "secrets:frontend"),
            says=("Stripe secret key sk_test_", "(inline source map)"),
        ),
        fault(
            "frontend-version-disclosure",
            "the frontend answers Server: nginx/1.18.0",
            _fail("exposure", "exposure:frontend"),
        ),
        fault(
            "backend-docs-public",
            "the backend serves /docs and /openapi.json publicly",
            _fail("exposure", "exposure:backend"),
        ),
        fault(
            "mcp-docs-public",
            "the MCP server serves /docs and /openapi.json publicly",
            _fail("exposure", "exposure:mcp"),
        ),
        fault(
            "backend-openapi-502",
            "a proxy sends the backend's /openapi.json to a dead upstream: 502, so nobody "
            "can tell whether it is public",
            _fail("http status", "exposure:backend"),
        ),
    ]


JOURNEY_IDS = {name: f"journey:frontend:{name}" for name in ("sign-up", "sign-in", "chat", "payment")}


def _journey_faults() -> list[Fault]:
    def fault(name: str, service: str, description: str, *journeys: str, says: tuple[str, ...] = (), **params) -> Fault:
        return Fault(
            name,
            service,
            "journeys",
            description,
            _fail("journey", *(JOURNEY_IDS[j] for j in journeys)),
            params=params,
            says=says,
        )

    signed_in = ("sign-up", "sign-in", "chat", "payment")  # every journey that signs somebody in
    return [
        fault("signup-rejects-valid", "frontend", "sign-up answers 'Something went wrong' to valid input", "sign-up"),
        fault(
            "signup-button-hidden",
            "frontend",
            "the sign-up page loads but 'Create account' is hidden (a CSS regression)",
            "sign-up",
        ),
        fault(
            "confirmation-link-broken",
            "frontend",
            "the link in the confirmation e-mail carries a mangled token",
            "sign-up",
        ),
        fault("signin-rejects-valid-password", "frontend", "sign-in refuses the right password", *signed_in),
        fault(
            "session-not-kept",
            "frontend",
            "sign-in sets its session cookie on /api/auth only: every page bounces back to sign-in",
            *signed_in,
            says=("redirected back to /sign-in from /chat",),
        ),
        fault(
            "session-cookie-readable-by-scripts",
            "frontend",
            "sign-in sets the slurpy-session cookie without HttpOnly: any injected script can read the session",
            "sign-in",
            says=("session cookie slurpy-session lacks HttpOnly",),
        ),
        fault(
            "chat-page-js-error",
            "frontend",
            "the chat page throws a JavaScript error on load (every journey that "
            "lands on chat after signing in sees it)",
            *signed_in,
        ),
        fault(
            "chat-stream-empty",
            "mcp",
            "the chat stream sends done with no text: the UI shows its canned fallback",
            "chat",
        ),
        fault("chat-stream-error-frame", "mcp", "the chat stream ends in an error frame (pipeline_error)", "chat"),
        fault(
            "chat-too-slow",
            "mcp",
            f"the chat pipeline answers after delay_ms (chat threshold + {CHAT_MARGIN_MS} ms)",
            "chat",
            delay_ms=lambda: int(shipped_sandbox_profile().journeys.chat_threshold_ms) + CHAT_MARGIN_MS,
        ),
        fault("go-pro-does-nothing", "frontend", "'Go Pro' has no click handler: nothing happens", "payment"),
        fault("checkout-declines-success-card", "frontend", "checkout declines the success test card", "payment"),
        fault(
            "webhook-never-sent",
            "frontend",
            "payment succeeds but Stripe's webhook never arrives: the plan stays Free",
            "payment",
        ),
    ]


def _load_faults() -> list[Fault]:
    """Faults only load finds: invisible to one probe, plain under many users. Their ``catches``
    name the load suite's records (``load:<kind>:<service>``), proven by selftests/test_load.py."""
    return [
        Fault(
            "backend-latency-knee",
            "backend",
            "load",
            "backend answers slow down by ms_per_request for every request in flight past the knee (a worker pool "
            "that is too small), each after base_ms of work: a single probe is never slowed",
            {"load:api:backend": ("fail", "latency")},
            params={"knee": 50, "ms_per_request": 600, "base_ms": 0},
        ),
        Fault(
            "frontend-failing-fraction",
            "frontend",
            "load",
            "one frontend page answer in every 1/fraction is a 502 (one bad instance behind the load balancer)",
            {"load:pages:frontend": ("fail", "http status")},
            params={"fraction": 0.05},
        ),
    ]


PROTECTION_HEADER = "x-vercel-protection-bypass"
PROTECTION_SECRET_ENV = "SLURPY_SANDBOX_PROTECTION_BYPASS"


def _gate_faults() -> list[Fault]:
    """Faults of the deployment a post-deploy gate meets, proven by selftests/test_gate.py: their
    ``catches`` name what fails when the monitor does NOT do what the fault asks of it."""
    return [
        Fault(
            "frontend-requires-protection-header",
            "frontend",
            "gate",
            f"the frontend is a protected preview (Vercel Deployment Protection): every request without "
            f"{PROTECTION_HEADER} set to the sandbox's bypass secret gets 401 from the edge, before the app",
            _fail("http status", *HEALTH_IDS["frontend"], "latency:frontend"),
        ),
    ]


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in [*_smoke_faults(), *_security_faults(), *_journey_faults(), *_load_faults(), *_gate_faults()]
}


class UnknownFault(KeyError):
    def __str__(self) -> str:
        return f"unknown fault {self.args[0]!r}; known faults: {', '.join(sorted(FAULTS))}"


class FaultState:
    """Which faults are on, with their parameters. Lives in the sandbox process only."""

    def __init__(self) -> None:
        self.active: dict[str, dict[str, Any]] = {}
        self.on_clear: list[Callable[[], None]] = []  # e.g. rate-limit windows: a clear sandbox starts fresh

    def switch_on(self, name: str, params: dict[str, Any] | None = None) -> None:
        if name not in FAULTS:
            raise UnknownFault(name)
        self.active[name] = {**FAULTS[name].defaults(), **(params or {})}

    def switch_off(self, name: str) -> None:
        if name not in FAULTS:
            raise UnknownFault(name)
        self.active.pop(name, None)

    def clear(self) -> None:
        self.active.clear()
        for reset in self.on_clear:
            reset()

    def is_on(self, name: str) -> bool:
        return name in self.active

    def param(self, name: str, key: str) -> Any:
        return self.active[name][key]

    def is_down(self, service: str) -> bool:
        return any(FAULTS[n].down and FAULTS[n].service == service for n in self.active)

    def certificate(self, service: str) -> str:
        for name in self.active:
            fault = FAULTS[name]
            if fault.cert and fault.service == service:
                return fault.cert
        return "valid"


def trusted_header(faults: FaultState) -> str | None:
    """The client-address header a trusting limiter believes, if such a fault is on."""
    return next((header for name, header in TRUSTS_HEADER.items() if faults.is_on(name)), None)


def parse_fault_option(option: str) -> tuple[str, dict[str, Any]]:
    """``backend-slow-health:delay_ms=300`` -> ``("backend-slow-health", {"delay_ms": 300})``."""
    name, _, rest = option.partition(":")
    params: dict[str, Any] = {}
    for pair in filter(None, rest.split(",")):
        key, _, value = pair.partition("=")
        try:
            params[key] = int(value)
        except ValueError:
            try:
                params[key] = float(value)
            except ValueError:
                params[key] = value
    if name not in FAULTS:
        raise UnknownFault(name)
    return name, params
