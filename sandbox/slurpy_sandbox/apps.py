"""Slurpy's three services as the contract describes them (healthy), with fault hooks.

Each fault hook breaks one observable behaviour the way real deployments break it; which
fault breaks what is listed in ``faults.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from slurpy_sandbox import gotrue, web
from slurpy_sandbox.faults import PROTECTION_HEADER, FaultState
from slurpy_sandbox.guard import (
    MAX_BODY,
    Guard,
    WriteRoute,
    valid_chat,
    valid_chat_stream,
    valid_checkout,
    valid_journal,
    valid_safety_event,
)

# CORS, per service as the contract says: the frontend's CORS_ORIGINS (its own origins; the sandbox
# adds the origin it actually listens on, because its pages post to its API), plus the development
# origins its middleware always adds; the backend's list from the operations guide; MCP's
# FRONTEND_ORIGIN, the frontend's production origin only.
FRONTEND_ORIGINS = ["https://your-domain.com", "https://www.your-domain.com"]
DEV_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000", "https://localhost:3000"]
BACKEND_ORIGINS = [*FRONTEND_ORIGINS, "http://localhost:3000"]
MCP_ORIGINS = ["https://your-domain.com"]
# The write routes the frontend wraps in its CORS route wrapper; nothing else carries CORS headers.
CORS_ROUTES = {
    ("POST", path)
    for path in ("/api/proxy-chat", "/api/proxy-chat-stream", "/api/journal", "/api/stripe/create-session")
}
PREFLIGHT_ALLOWS = {
    "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
    "Access-Control-Allow-Headers": "content-type,authorization,x-csrf",
}

# next.config.mjs's headers (the operations guide's): on every answer, and all that preflights and
# redirects get, because the middleware that sets the rest does not pass those through.
CONFIG_HEADERS = {
    "X-DNS-Prefetch-Control": "on",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "origin-when-cross-origin",
}
CSP = (
    "default-src 'none'; base-uri 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self' https://*.supabase.co https://api.openai.com "
    "https://*.qdrant.io https://*.stripe.com; frame-src https://*.stripe.com; worker-src 'self' blob:; "
    "media-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; upgrade-insecure-requests"
)


def middleware_headers(nonce: str) -> dict[str, str]:
    """What the real app's middleware sends on the answers it passes through, over next.config's."""
    return {
        **CONFIG_HEADERS,
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Content-Security-Policy": CSP.format(nonce=nonce),
    }


# The frontend's scripts as a Next.js build lays them out: the main bundle imports a settings chunk
# at run time, which imports a billing chunk; the build manifest names each page's chunk.
CHUNKS_PATH = "/_next/static/chunks/"
MAIN_BUNDLE = CHUNKS_PATH + "main-app.js"
BUILD_MANIFEST = "/_next/static/sandbox-build/_buildManifest.js"
SETTINGS_CHUNK = "app-settings-7c1e.js"
BILLING_CHUNK = "app-billing-2b9d.js"
PAGE_CHUNKS = {"/": "pages/index-5e2f.js", "/sign-in": "pages/sign-in-a41c.js", "/plans": "pages/plans-9d03.js"}
# The root layout's chunk as `next dev` serves it (eval-wrapped modules with inline maps).
DEV_CHUNK = "app/layout.js"
# The contract's limits, per signed-in user and clock-aligned minute. /api/safety/events, the one
# public write route, has no limiter in the real app, and none here.
WRITE_ROUTES = {
    "/api/proxy-chat-stream": WriteRoute(valid_chat_stream, limit=20),
    "/api/proxy-chat": WriteRoute(valid_chat, limit=60),
    "/api/stripe/create-session": WriteRoute(valid_checkout, limit=10),
    "/api/journal": WriteRoute(valid_journal, limit=20),
    "/api/safety/events": WriteRoute(
        valid_safety_event, public=True, max_body=16 * 1024, invalid="Invalid safety event"
    ),
}


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
    "openai": "sk-" + "proj-" + "SandboxPlantedOpenAIKeyDoNotShip000000000",
    "webhook": "whsec_" + "SandboxPlantedWebhookSecret00000000",
    "dev_module": "sk_" + "test_" + "51SandboxPlantedDevModuleKey000000",
}


async def _health_delay(faults: FaultState, service: str) -> None:
    if faults.is_on(f"{service}-slow-health"):
        await asyncio.sleep(faults.param(f"{service}-slow-health", "delay_ms") / 1000)
    if faults.is_on(f"{service}-health-hang"):
        await asyncio.sleep(faults.param(f"{service}-health-hang", "hang_s"))


def _broken_health(faults: FaultState, service: str) -> Response | None:
    """Health answers that go wrong below the JSON: a body that drips, one that never ends, one
    cut short of its Content-Length (a proxy that dropped the upstream)."""
    if faults.is_on(f"{service}-health-drip"):
        interval_s = faults.param(f"{service}-health-drip", "interval_s")

        async def drip():
            yield b'{"ok": true'
            while True:
                await asyncio.sleep(interval_s)
                yield b" "

        return StreamingResponse(drip(), media_type="application/json")
    if faults.is_on(f"{service}-health-endless-body"):

        async def endless():
            yield b'{"status": "ok", "padding": "'
            while True:
                yield b"x" * 65536
                await asyncio.sleep(0)  # let the loop see the client hang up, and serve everyone else

        return StreamingResponse(endless(), media_type="application/json")
    if faults.is_on(f"{service}-health-cut-off"):
        return _CutOff(json.dumps({"ok": True, "supabase": True, "qdrant": True}), media_type="application/json")
    return None


class _CutOff(Response):
    """Announces its whole body, sends half of it and stops: the server then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})


PAGES = {  # path -> (title, body, page script)
    "/": (
        "Slurpy",
        "<h1>Slurpy</h1><p>Your AI companion.</p><a href=/sign-in>Sign in</a> <a href=/sign-up>Sign up</a>",
        None,
    ),
    "/sign-in": (
        "Sign in",
        "<h1>Sign in</h1><form><label for=identifier>Email</label>"
        "<input id=identifier name=identifier type=email autocomplete=username>"
        "<label for=password>Password</label><input id=password name=password type=password>"
        "<button type=submit>Sign in</button></form>",
        "sign-in",
    ),
}


def frontend_app(faults: FaultState, env: web.WebEnv) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    guard = Guard(faults, env.tokens, FRONTEND_ORIGINS)
    web.install(
        app, faults, env, guard, WRITE_ROUTES
    )  # first, so the layers below (CORS, headers) wrap its answers too
    gotrue.install(app, env.tokens, PUBLIC_CONFIG["supabaseAnonKey"])
    bad_instance = _BadInstance(faults)  # the load suite's failing-fraction fault: one bad instance behind the balancer

    # Starlette runs the middleware registered last first: security headers around everything,
    # then CORS (the route wrapper's 403 comes before the guard's sign-in, limiter, CSRF and body
    # checks, as in the real app), then the failing instance.
    @app.middleware("http")
    async def failing_fraction(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        broken = bad_instance.answer(request)
        return broken if broken is not None else await call_next(request)

    app.middleware("http")(_frontend_cors(faults, env))

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path != "/api/stripe/webhook":  # Stripe's own callback is not the monitor's traffic
            env.traffic["tagged" if "x-synthetic-monitor" in request.headers else "untagged"] += 1
        response = await call_next(request)
        _apply_security_headers(faults, request, response)
        return response

    # Registered last, so it runs first: a protected preview's edge answers before the app does.
    # The token endpoint stands in for Supabase (another host) and the webhook is the sandbox's
    # own call: neither is behind the preview's protection.
    @app.middleware("http")
    async def deployment_protection(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if (
            faults.is_on("frontend-requires-protection-header")
            and not request.url.path.startswith(("/auth/v1/", "/api/stripe/webhook"))
            and not secrets.compare_digest(
                request.headers.get(PROTECTION_HEADER, "").encode(), env.protection_bypass.encode()
            )
        ):
            return HTMLResponse(
                "<!doctype html><title>Authentication Required</title><p>Vercel Authentication: this "
                "deployment is protected.</p>",
                status_code=401,
                headers={"Server": "Vercel"},
            )
        return await call_next(request)

    @app.get("/api/health")
    async def api_health() -> Response:
        await _health_delay(faults, "frontend")
        if faults.is_on("frontend-health-missing-keys"):
            return JSONResponse({"ok": True})
        checks: dict[str, dict[str, Any]] = {
            "database": {"ok": True, "latency": 4},
            "qdrant": {"ok": True, "latency": 6},
            "openai": {"ok": True, "latency": 48},
        }
        if faults.is_on("frontend-health-5xx"):
            checks["database"] = {"ok": False, "latency": 5000, "error": "connection refused"}
        if faults.is_on("frontend-health-no-dependencies"):
            checks = {}  # no dependency configured: nothing checked, and the real app still says ok
        ok = all(check["ok"] for check in checks.values())
        body = {
            "ok": ok,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            # A feature flag, off on a healthy deployment: a monitor must not read it as a dependency.
            "emotionCalib": {"loaded": False, "labels": 0},
            "sli_checks": checks,
            "slo_status": {"availability": ok, "latency_ok": True},
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/health")
    async def liveness() -> Response:
        await _health_delay(faults, "frontend")
        return PlainTextResponse(
            "ok", headers={"Cache-Control": "no-store, no-cache, must-revalidate, proxy-revalidate"}
        )

    for path, (title, body, script) in PAGES.items():
        app.add_api_route(path, _page_route(faults, path, title, body, script), methods=["GET"])

    @app.get(MAIN_BUNDLE)
    async def bundle() -> Response:
        config = dict(PUBLIC_CONFIG)
        if faults.is_on("frontend-leaks-stripe-secret"):
            config["stripeSecretKey"] = PLANTED["stripe"]
        script = (
            f"(()=>{{window.__SLURPY_CONFIG__={json.dumps(config)};"
            "document.documentElement.dataset.ready='1';})();\n"
            f'window.__slurpySettings=()=>import("{CHUNKS_PATH}{SETTINGS_CHUNK}");\n'
            "//# sourceMappingURL=main-app.js.map\n"
        )
        return Response(script, media_type="application/javascript")

    @app.get(MAIN_BUNDLE + ".map")
    async def source_map() -> Response:
        source = "export const config = {anon: process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY};"
        if faults.is_on("frontend-leaks-service-role-jwt"):
            source += f"\nconst admin = createClient(url, '{PLANTED['service_role']}');"
        return JSONResponse({"version": 3, "sources": ["app/config.ts"], "sourcesContent": [source], "mappings": ""})

    @app.get(BUILD_MANIFEST)
    async def build_manifest() -> Response:
        pages = {page: [f"static/chunks/{chunk}"] for page, chunk in PAGE_CHUNKS.items()}
        script = (
            f"self.__BUILD_MANIFEST={json.dumps({**pages, 'sortedPages': sorted(pages)})};"
            "self.__BUILD_MANIFEST_CB&&self.__BUILD_MANIFEST_CB();\n"
        )
        return Response(script, media_type="application/javascript")

    @app.get(CHUNKS_PATH + "{name:path}")
    async def chunk(name: str) -> Response:
        if name == SETTINGS_CHUNK:
            script = (
                f"export const settings={{theme:'calm'}};\nexport const billing=()=>import(\"./{BILLING_CHUNK}\");\n"
            )
        elif name == BILLING_CHUNK:
            script = "export const checkout=(price)=>fetch('/api/stripe/create-session',{method:'POST',body:price});\n"
            if faults.is_on("frontend-leaks-openai-key-in-lazy-chunk"):
                script += (
                    f"export const coach=new OpenAI({{apiKey:'{PLANTED['openai']}',dangerouslyAllowBrowser:true}});\n"
                )
        elif name in PAGE_CHUNKS.values():
            script = _page_chunk(faults, name)
        elif name == DEV_CHUNK:
            script = _dev_chunk(faults)
        else:
            return Response(status_code=404)
        return Response(script, media_type="application/javascript")

    @app.post("/api/proxy-chat")
    async def proxy_chat(request: Request) -> Response:
        admitted = await guard(request, WRITE_ROUTES["/api/proxy-chat"])
        if isinstance(admitted, Response):
            return admitted
        return JSONResponse({"reply": "I'm listening. Tell me more about that."})

    @app.post("/api/journal")
    async def journal(request: Request) -> Response:
        admitted = await guard(request, WRITE_ROUTES["/api/journal"])
        if isinstance(admitted, Response):
            return admitted
        return JSONResponse({"ok": True}, status_code=201)

    @app.post("/api/safety/events")
    async def safety_event(request: Request) -> Response:
        admitted = await guard(request, WRITE_ROUTES["/api/safety/events"])
        if isinstance(admitted, Response):
            return admitted
        return JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})

    return app


def _page_chunk(faults: FaultState, name: str) -> str:
    """A page's own chunk, as the build manifest names it. The plans page's carries its source map
    inline (a ``data:`` URL), as a build with ``devtool: 'inline-source-map'`` ships it."""
    script = f'(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([["{name}"],{{}}]);\n'
    if name != PAGE_CHUNKS["/plans"]:
        return script
    source = "export default function Plans() { return <PlanCards onUpgrade={startCheckout} />; }"
    if faults.is_on("frontend-leaks-webhook-secret-in-inline-map"):
        source += f"\nconst webhookSecret = '{PLANTED['webhook']}';"
    inline = json.dumps({"version": 3, "sources": ["app/plans/page.tsx"], "sourcesContent": [source], "mappings": ""})
    return (
        script
        + "//# sourceMappingURL=data:application/json;charset=utf-8;base64,"
        + base64.b64encode(inline.encode()).decode()
        + "\n"
    )


def _dev_module(path: str, code: str, source: str) -> str:
    """One module as ``next dev`` ships it: its compiled code in an ``eval()`` string that ends with
    an inline base64 source map and a ``sourceURL`` comment (each line break an escaped ``\\n``)."""
    inline = json.dumps(
        {"version": 3, "sources": [f"webpack://_N_E/{path}"], "sourcesContent": [source], "mappings": "AAAA"}
    )
    body = (
        f"__webpack_require__.r(__webpack_exports__);\n{code}\n//# sourceMappingURL=data:application/json;"
        f"charset=utf-8;base64,{base64.b64encode(inline.encode()).decode()}\n"
        f"//# sourceURL=webpack-internal:///(app-pages-browser)/{path}\n"
    )
    return (
        f'"(app-pages-browser)/{path}":\n(function(module, __webpack_exports__, __webpack_require__) {{\n'
        f'"use strict";\neval(__webpack_require__.ts({json.dumps(body)}));\n}})'
    )


def _dev_chunk(faults: FaultState) -> str:
    """The root layout's chunk from a development build: React's own dev module explains lazy() with
    ``import('./MyComponent')`` in an error text (prose, not a chunk), and the layout's map carries its
    original source, where a constant the compiled code dropped still sits."""
    react = (
        'const lazyHint = "Expected the result of a dynamic import() call. Instead received: %s. '
        "Your code should look like: const MyComponent = lazy(() => import('./MyComponent'))\";"
    )
    layout = "export default function RootLayout({ children }) { return children; }"
    original = layout
    if faults.is_on("frontend-leaks-secret-in-dev-module"):
        original += f"\nconst billingKey = '{PLANTED['dev_module']}'; // server only, unused here"
    modules = [
        _dev_module("./node_modules/react/cjs/react.development.js", react, react),
        _dev_module("./app/layout.tsx", layout, original),
    ]
    return (
        f'(self["webpackChunk_N_E"] = self["webpackChunk_N_E"] || []).push([["{DEV_CHUNK[:-3]}"],{{\n'
        + ",\n".join(modules)
        + "\n}]);\n"
    )


def _next_page(title: str, body: str, script: str | None) -> str:
    """A page as ``next dev`` serves it: the main bundle under a cache-busting query string that
    changes with every answer, the build manifest, and the layout's eval-wrapped chunk."""
    page = web.layout(title, body, script).replace(f'src="{MAIN_BUNDLE}"', f'src="{MAIN_BUNDLE}?v={time.time_ns()}"')
    return page.replace(
        "</head>",
        f'<script src="{BUILD_MANIFEST}" defer></script><script src="{CHUNKS_PATH}{DEV_CHUNK}" defer></script></head>',
    )


def _page_route(faults: FaultState, path: str, title: str, body: str, script: str | None):
    async def page() -> Response:
        response = HTMLResponse(_next_page(title, body, script))
        if path == "/sign-in":
            insecure = faults.is_on("frontend-insecure-cookie")
            response.set_cookie(
                "slurpy-csrf",
                "sandbox-csrf-token",
                path="/",
                secure=not insecure,
                httponly=not insecure,
                samesite=None if insecure else "lax",
            )
        return response

    page.__name__ = f"page_{path.strip('/') or 'home'}"
    return page


def _frontend_cors(faults: FaultState, env: web.WebEnv) -> Callable:
    """The frontend's two CORS layers: its middleware answers every ``/api/*`` preflight, and a
    route wrapper on the write routes refuses actual requests from other origins with 403 before
    the handler runs, or adds the CORS headers to the handler's answer."""
    forbidden = {"error": "forbidden"}

    async def cors(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        origin = request.headers.get("origin")
        own = [*FRONTEND_ORIGINS, env.self_url()]
        middleware_list = [*own, *DEV_ORIGINS]
        # Under the fault the wrapper reads CORS_ORIGINS alone: the development origins pass the
        # preflight and are refused by the route.
        route_list = own if faults.is_on("frontend-cors-preflight-list-differs") else middleware_list
        wildcard = faults.is_on("frontend-cors-wildcard-credentials")
        # CORS_ORIGINS="*" (set to make a preview deployment work): every list that reads it lets any origin in.
        any_origin = faults.is_on("frontend-cors-origins-wildcard")
        if request.url.path.startswith("/api/") and request.method == "OPTIONS":
            if wildcard:
                return Response(status_code=204, headers={**_cors_grant("*"), **PREFLIGHT_ALLOWS})
            if origin is not None and (origin in middleware_list or any_origin):
                return Response(status_code=204, headers={**_cors_grant(origin), **PREFLIGHT_ALLOWS})
            return JSONResponse(forbidden, status_code=403)
        if origin is None or (request.method, request.url.path) not in CORS_ROUTES:
            return await call_next(request)
        if wildcard:
            grant = _cors_grant("*")
        elif origin in route_list or any_origin or faults.is_on("frontend-cors-route-echoes-any-origin"):
            grant = _cors_grant(origin)
        else:
            return JSONResponse(forbidden, status_code=403)
        response = await call_next(request)
        response.headers.update(grant)
        return response

    return cors


def _cors_grant(origin: str) -> dict[str, str]:
    grant = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
    if origin != "*":
        grant["Vary"] = "Origin"
    return grant


def _apply_security_headers(faults: FaultState, request: Request, response: Response) -> None:
    preflight = request.method == "OPTIONS" and request.url.path.startswith("/api/")
    if preflight or 300 <= response.status_code < 400:
        headers = dict(CONFIG_HEADERS)
    else:
        headers = middleware_headers(base64.b64encode(secrets.token_bytes(16)).decode())
        if faults.is_on("frontend-missing-csp"):
            del headers["Content-Security-Policy"]
        if faults.is_on("frontend-weak-hsts"):
            headers["Strict-Transport-Security"] = "max-age=86400"
        if faults.is_on("frontend-csp-unsafe-inline"):
            headers["Content-Security-Policy"] = re.sub(
                r"script-src [^;]*",
                "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
                headers["Content-Security-Policy"],
            )
    response.headers.update(headers)
    if faults.is_on("frontend-conflicting-xfo"):
        response.headers.append("X-Frame-Options", "SAMEORIGIN")  # a proxy adds its own on top of the app's
    if response.headers.get("content-type", "").startswith("text/html"):
        response.headers["X-Powered-By"] = "Next.js"
    response.headers["Server"] = "nginx/1.18.0" if faults.is_on("frontend-version-disclosure") else "Vercel"


class _ApiPolicy:
    """Backend and MCP: Starlette's CORSMiddleware as Slurpy configures it (or, under a fault, as a
    sloppy deployment does), nosniff on every answer, and API docs hidden."""

    def __init__(self, app: ASGIApp, faults: FaultState, service: str, origins: list[str]):
        self.faults, self.service, self.app = faults, service, app
        common: dict[str, Any] = dict(
            allow_credentials=True, allow_methods=["GET", "POST"], allow_headers=["*"], max_age=600
        )
        self.strict = CORSMiddleware(self._inner, allow_origins=origins, **common)
        self.reflect_any = CORSMiddleware(self._inner, allow_origin_regex=".*", **common)
        self.suffix_match = CORSMiddleware(
            self._inner, allow_origins=origins, allow_origin_regex=r"https?://.*your-domain\.com", **common
        )

    async def _inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        docs = scope["type"] == "http" and scope["path"] in ("/docs", "/openapi.json", "/redoc")
        if docs and scope["path"] == "/openapi.json" and self.faults.is_on(f"{self.service}-openapi-502"):
            await PlainTextResponse("Bad Gateway", status_code=502)(scope, receive, send)
            return
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

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and not self.faults.is_on(f"{self.service}-missing-nosniff"):
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await cors(scope, receive, send_with_headers)


def backend_app(faults: FaultState, env: web.WebEnv) -> ASGIApp:
    app = FastAPI(title="Slurpy backend (sandbox)")

    @app.get("/health/healthz")
    async def healthz() -> Response:
        await _health_delay(faults, "backend")
        if broken := _broken_health(faults, "backend"):
            return broken
        qdrant = not faults.is_on("backend-degraded")
        return JSONResponse({"ok": qdrant, "supabase": True, "qdrant": qdrant})

    return _ApiPolicy(_KneeInFlight(app, faults), faults, "backend", BACKEND_ORIGINS)


class ChatRequest(BaseModel):
    user_id: str
    message: str


def mcp_app(faults: FaultState, env: web.WebEnv) -> ASGIApp:
    app = FastAPI(title="Slurpy MCP (sandbox)")

    @app.get("/healthz")
    async def healthz() -> Response:
        await _health_delay(faults, "mcp")
        if broken := _broken_health(faults, "mcp"):
            return broken
        if faults.is_on("mcp-health-not-json"):
            return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>")
        status = "starting" if faults.is_on("mcp-wrong-body") else "ok"
        return JSONResponse({"status": status})

    @app.get("/stats")
    async def stats() -> dict:
        if faults.is_on("mcp-stats-qdrant-down"):
            # The real server catches the failure and still answers 200, while /healthz says ok.
            return {"service": "slurpy-mcp", "error": "Qdrant unreachable: [Errno 111] Connection refused"}
        return {"qdrant": {"collections": 1, "points": 1024}}

    @app.post("/v1/mcp/chat")
    async def chat(chat: ChatRequest, request: Request) -> Response:
        # FastAPI has validated the schema (422) before this runs: the size comes second.
        unbounded = faults.is_on("mcp-chat-no-size-limit") or faults.is_on("mcp-chat-502-names-upstream")
        if int(request.headers.get("content-length") or 0) > MAX_BODY and not unbounded:
            return JSONResponse({"detail": "Payload too large"}, status_code=413)
        if faults.is_on("mcp-chat-502-names-upstream"):  # the real server's proxy error, word for word in shape
            return JSONResponse(
                {"detail": "upstream http://127.0.0.1:8001/v1/chat/completions failed: ReadTimeout('timed out')"},
                status_code=502,
            )
        return JSONResponse({"reply": f"Thank you for sharing that. You said: {chat.message[:60]}", "emotions": []})

    @app.post("/v1/mcp/stream")
    async def chat_stream(chat: ChatRequest) -> Response:
        message = chat.message

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

    return _ApiPolicy(app, faults, "mcp", MCP_ORIGINS)


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
                "backend-latency-knee", "ms_per_request"
            )
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
