"""Slurpy's three services as the contract describes them (healthy), with fault hooks.

Each fault hook breaks one observable behaviour the way real deployments break it; which
fault breaks what is listed in ``faults.py``.
"""
from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from slurpy_sandbox import web
from slurpy_sandbox.faults import FaultState
from slurpy_sandbox.validation import guarded_json, valid_chat

ALLOWED_ORIGINS = ["https://your-domain.com", "https://www.your-domain.com", "http://localhost:3000"]
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "origin-when-cross-origin",
    "X-DNS-Prefetch-Control": "on",
    "X-XSS-Protection": "1; mode=block",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; connect-src 'self' https://*.supabase.co; "
                               "frame-ancestors 'self'; object-src 'none'; base-uri 'self'",
}
RATE_LIMITS = {  # path -> requests per minute (the contract's table)
    "/api/proxy-chat-stream": 20,
    "/api/proxy-chat": 60,
    "/api/stripe/create-session": 10,
    "/api/journal": 20,
}
WINDOW_S = 60


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2FuZGJveC1zaWduYXR1cmU"


# Public by design: the Stripe publishable key and the Supabase anon key. The planted secrets are
# assembled at run time so that no secret-shaped literal sits in the repository.
PUBLIC_CONFIG = {
    "stripePublishableKey": "pk_test_51SandboxPublishableKey0000000000",
    "supabaseAnonKey": _jwt({"iss": "supabase", "role": "anon", "ref": "sandbox"}),
}
PLANTED = {
    "stripe": "sk_" + "live_" + "51SandboxPlantedSecretKeyDoNotShip0000",
    "service_role": _jwt({"iss": "supabase", "role": "service" + "_role", "ref": "sandbox"}),
}


async def _health_delay(faults: FaultState, service: str) -> None:
    if faults.is_on(f"{service}-slow-health"):
        await asyncio.sleep(faults.param(f"{service}-slow-health", "delay_ms") / 1000)
    if faults.is_on(f"{service}-health-hang"):
        await asyncio.sleep(faults.param(f"{service}-health-hang", "hang_s"))


class FixedWindowLimiter:
    """Per client and route, a fixed one-minute window, keyed on the TCP peer address."""

    def __init__(self) -> None:
        self.windows: dict[tuple[str, str], tuple[float, int]] = {}

    def reset(self) -> None:
        self.windows.clear()

    def hit(self, key: str, path: str, limit: int) -> tuple[bool, int, float]:
        now = time.monotonic()
        start, count = self.windows.get((key, path), (now, 0))
        if now - start >= WINDOW_S:
            start, count = now, 0
        count += 1
        self.windows[(key, path)] = (start, count)
        return count <= limit, max(0, limit - count), WINDOW_S - (now - start)


PAGES = {  # path -> (title, body, page script)
    "/": ("Slurpy", "<h1>Slurpy</h1><p>Your AI companion.</p><a href=/sign-in>Sign in</a> <a href=/sign-up>Sign up</a>",
          None),
    "/sign-in": ("Sign in", "<h1>Sign in</h1><form><label for=identifier>Email</label>"
                            "<input id=identifier name=identifier type=email autocomplete=username>"
                            "<label for=password>Password</label><input id=password name=password type=password>"
                            "<button type=submit>Sign in</button></form>", "sign-in"),
}


def frontend_app(faults: FaultState, env: web.WebEnv) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    web.install(app, faults, env)  # first, so the policy middleware below wraps its answers too
    limiter = FixedWindowLimiter()
    faults.on_clear.append(limiter.reset)
    bad_instance = _BadInstance(faults)

    def cors_headers(origin: str) -> dict[str, str]:
        if faults.is_on("frontend-cors-wildcard-credentials"):
            return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
        if origin in ALLOWED_ORIGINS:
            return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
        return {}

    @app.middleware("http")
    async def policy(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path != "/api/stripe/webhook":  # Stripe's own callback is not the monitor's traffic
            env.traffic["tagged" if "x-synthetic-monitor" in request.headers else "untagged"] += 1
        origin = request.headers.get("origin")
        api = request.url.path.startswith("/api/")
        if api and origin and request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            allowed = cors_headers(origin)
            if not allowed:
                response: Response = JSONResponse({"error": "forbidden"}, status_code=403)
            else:
                response = Response(status_code=204, headers={
                    **allowed, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Headers": "Content-Type, Authorization", "Access-Control-Max-Age": "600"})
        else:
            limit = RATE_LIMITS.get(request.url.path) if request.method == "POST" else None
            if (broken := bad_instance.answer(request)) is not None:
                response = broken
            elif limit and not faults.is_on("frontend-rate-limit-off"):
                # Per client, as the contract says: by user when signed in, else by peer address.
                user = env.store.session_user(request.cookies.get(web.SESSION_COOKIE))
                key = f"user:{user.id}" if user else f"ip:{request.client.host if request.client else '?'}"
                if faults.is_on("frontend-rate-limit-trusts-xff") and user is None:
                    key = "ip:" + request.headers.get("x-forwarded-for", key).split(",")[0].strip()
                allowed_now, remaining, reset = limiter.hit(key, request.url.path, limit)
                limit_headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
                if not allowed_now:
                    if not faults.is_on("frontend-rate-limit-no-retry-after"):
                        limit_headers["Retry-After"] = str(max(1, int(reset + 0.999)))
                    response = JSONResponse({"error": "too many requests"}, status_code=429, headers=limit_headers)
                else:
                    response = await call_next(request)
                    response.headers.update(limit_headers)
            else:
                response = await call_next(request)
            if api and origin:
                response.headers.update(cors_headers(origin))
        _apply_security_headers(faults, response)
        return response

    @app.get("/api/health")
    async def api_health() -> Response:
        await _health_delay(faults, "frontend")
        if faults.is_on("frontend-health-missing-keys"):
            return JSONResponse({"ok": True})
        database_ok = not faults.is_on("frontend-health-5xx")
        database = {"ok": database_ok, "latency": 4}
        if not database_ok:
            database["error"] = "connection refused"
        body = {
            "ok": database_ok,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "sli_checks": {"database": database, "backend": {"ok": True, "latency": 7}},
            "slo_status": {"availability": database_ok, "latency_ok": True},
        }
        return JSONResponse(body, status_code=200 if database_ok else 503)

    @app.get("/health")
    async def liveness() -> Response:
        await _health_delay(faults, "frontend")
        return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})

    for path, (title, body, script) in PAGES.items():
        app.add_api_route(path, _page_route(faults, path, title, body, script), methods=["GET"])

    @app.get("/_next/static/chunks/main-app.js")
    async def bundle() -> Response:
        config = dict(PUBLIC_CONFIG)
        if faults.is_on("frontend-leaks-stripe-secret"):
            config["stripeSecretKey"] = PLANTED["stripe"]
        script = (f"(()=>{{window.__SLURPY_CONFIG__={json.dumps(config)};"
                  "document.documentElement.dataset.ready='1';})();\n//# sourceMappingURL=main-app.js.map\n")
        return Response(script, media_type="application/javascript")

    @app.get("/_next/static/chunks/main-app.js.map")
    async def source_map() -> Response:
        source = "export const config = {anon: process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY};"
        if faults.is_on("frontend-leaks-service-role-jwt"):
            source += f"\nconst admin = createClient(url, '{PLANTED['service_role']}');"
        return JSONResponse({"version": 3, "sources": ["app/config.ts"], "sourcesContent": [source], "mappings": ""})

    @app.post("/api/proxy-chat")
    async def proxy_chat(request: Request) -> Response:
        data, error = await guarded_json(faults, request, valid_chat)
        if error:
            return error
        return JSONResponse({"reply": "I'm listening. Tell me more about that."})

    @app.post("/api/journal")
    async def journal(request: Request) -> Response:
        data, error = await guarded_json(faults, request, lambda data: isinstance(data.get("content"), str))
        if error:
            return error
        return JSONResponse({"ok": True}, status_code=201)

    return app


def _page_route(faults: FaultState, path: str, title: str, body: str, script: str | None):
    async def page() -> Response:
        response = HTMLResponse(web.layout(title, body, script))
        if path == "/sign-in":
            insecure = faults.is_on("frontend-insecure-cookie")
            response.set_cookie("slurpy-csrf", "sandbox-csrf-token", path="/", secure=not insecure,
                                httponly=not insecure, samesite=None if insecure else "lax")
        return response

    page.__name__ = f"page_{path.strip('/') or 'home'}"
    return page


def _apply_security_headers(faults: FaultState, response: Response) -> None:
    headers = dict(SECURITY_HEADERS)
    if faults.is_on("frontend-missing-csp"):
        del headers["Content-Security-Policy"]
    if faults.is_on("frontend-weak-hsts"):
        headers["Strict-Transport-Security"] = "max-age=86400"
    if faults.is_on("frontend-csp-unsafe-inline"):
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "script-src 'self'", "script-src 'self' 'unsafe-inline' 'unsafe-eval'")
    response.headers.update(headers)
    if faults.is_on("frontend-conflicting-xfo"):
        response.headers.append("X-Frame-Options", "DENY")  # a proxy adds its own on top of the app's
    response.headers["Server"] = "nginx/1.18.0" if faults.is_on("frontend-version-disclosure") else "Vercel"


class _ApiPolicy:
    """Backend and MCP: Starlette's CORSMiddleware as Slurpy configures it (or, under a fault, as a
    sloppy deployment does), nosniff on every answer, and API docs hidden."""

    def __init__(self, app: ASGIApp, faults: FaultState, service: str):
        self.faults, self.service, self.app = faults, service, app
        common = dict(allow_credentials=True, allow_methods=["GET", "POST"], allow_headers=["*"], max_age=600)
        self.strict = CORSMiddleware(self._inner, allow_origins=ALLOWED_ORIGINS, **common)
        self.reflect_any = CORSMiddleware(self._inner, allow_origin_regex=".*", **common)
        self.suffix_match = CORSMiddleware(self._inner, allow_origins=ALLOWED_ORIGINS,
                                           allow_origin_regex=r"https?://.*your-domain\.com", **common)

    async def _inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        docs = scope["type"] == "http" and scope["path"] in ("/docs", "/openapi.json", "/redoc")
        if docs and not self.faults.is_on(f"{self.service}-docs-public"):
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.faults.is_on(f"{self.service}-cors-reflects-any-origin"):
            cors = self.reflect_any
        elif self.faults.is_on(f"{self.service}-cors-suffix-match"):
            cors = self.suffix_match
        else:
            cors = self.strict

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start" and not self.faults.is_on(f"{self.service}-missing-nosniff"):
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await cors(scope, receive, send_with_headers)


def backend_app(faults: FaultState, env: web.WebEnv) -> ASGIApp:
    app = FastAPI(title="Slurpy backend (sandbox)")

    @app.get("/health/healthz")
    async def healthz() -> dict:
        await _health_delay(faults, "backend")
        qdrant = not faults.is_on("backend-degraded")
        return {"ok": qdrant, "supabase": True, "qdrant": qdrant}

    return _ApiPolicy(_KneeInFlight(app, faults), faults, "backend")


def mcp_app(faults: FaultState, env: web.WebEnv) -> ASGIApp:
    app = FastAPI(title="Slurpy MCP (sandbox)")

    @app.get("/healthz")
    async def healthz() -> Response:
        await _health_delay(faults, "mcp")
        if faults.is_on("mcp-health-not-json"):
            return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>")
        status = "starting" if faults.is_on("mcp-wrong-body") else "ok"
        return JSONResponse({"status": status})

    @app.get("/stats")
    async def stats() -> dict:
        return {"qdrant": {"collections": 1, "points": 1024}}

    @app.post("/chat/stream")
    async def chat_stream(request: Request) -> Response:
        message = (await request.json()).get("message", "")

        async def frames():
            if faults.is_on("chat-too-slow"):
                await asyncio.sleep(faults.param("chat-too-slow", "delay_ms") / 1000)
            if not faults.is_on("chat-stream-empty"):
                words = f"Thank you for sharing that. You said: {message[:60]}".split()
                for i, word in enumerate(words):
                    yield json.dumps({"type": "delta", "delta": word + " ", "id": i}) + "\n"
                    await asyncio.sleep(0.01)
            if faults.is_on("chat-stream-error-frame"):
                yield json.dumps({"type": "error", "reason": "pipeline_error"}) + "\n"
                return
            yield json.dumps({"type": "done"}) + "\n"

        return StreamingResponse(frames(), media_type="application/x-ndjson")

    return _ApiPolicy(app, faults, "mcp")


# -- load faults: what only many requests at once can show -------------------------------------
class _KneeInFlight:
    """``backend-latency-knee``: every request in flight past the knee slows each arriving one by
    ms_per_request, as a worker pool too small for the load does; base_ms is the work every request
    takes (0: one probe alone is never slowed)."""

    def __init__(self, app: ASGIApp, faults: FaultState):
        self.app, self.faults, self.in_flight = app, faults, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.is_on("backend-latency-knee"):
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            over = max(0, self.in_flight - self.faults.param("backend-latency-knee", "knee"))
            delay_ms = self.faults.param("backend-latency-knee", "base_ms") + over * self.faults.param(
                "backend-latency-knee", "ms_per_request")
            if delay_ms:
                await asyncio.sleep(delay_ms / 1000)
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class _BadInstance:
    """``frontend-failing-fraction``: every round(1/fraction)-th page answer is a load balancer's
    502, counted rather than drawn so that a run's failure ratio is exact."""

    def __init__(self, faults: FaultState):
        self.faults, self.pages = faults, 0

    def answer(self, request: Request) -> Response | None:
        path = request.url.path
        page = request.method == "GET" and path != "/health" and not path.startswith(("/api/", "/_next/", "/__stripe/"))
        if not page or not self.faults.is_on("frontend-failing-fraction"):
            return None
        self.pages += 1
        if self.pages % max(1, round(1 / self.faults.param("frontend-failing-fraction", "fraction"))):
            return None
        return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", status_code=502)


def http_redirect_app(faults: FaultState, https_port: Callable[[], int]) -> FastAPI:
    """The frontend's plain-HTTP listener: redirect everything to https on the same host."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST"])
    async def redirect(request: Request, path: str) -> Response:
        if faults.is_on("frontend-http-serves-content"):
            return HTMLResponse(web.layout("Slurpy", PAGES["/"][1]))
        host = request.url.hostname
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"https://{host}:{https_port()}/{path}{query}", status_code=308)

    return app


APPS = {"frontend": frontend_app, "backend": backend_app, "mcp": mcp_app}
