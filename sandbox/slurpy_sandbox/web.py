"""The frontend's user-facing side for journeys: sign-up with e-mail confirmation, sign-in with
sessions, the chat page streaming NDJSON from the MCP stand-in, plans, a Stripe Checkout stand-in
that sends a Stripe-signed webhook, and the test-account API a monitor cleans up through."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse

from slurpy_sandbox.faults import FaultState
from slurpy_sandbox.gotrue import Tokens
from slurpy_sandbox.guard import CSRF_COOKIE, Guard, WriteRoute, chat_text
from slurpy_sandbox.store import Store, User

SESSION_COOKIE = "slurpy-session"
# What the page's own script sends to the API routes, as the real page does with supabase-js: the
# session's access token (readable by the page) and the double-submit CSRF token.
TOKEN_COOKIE = "sb-access-token"
PROTECTED = ("/chat", "/profile", "/calendar", "/journal", "/insights", "/plans")
PRO_PRICE = "price_pro_monthly"
SUCCESS_CARD = "4242424242424242"  # Stripe test mode: this card succeeds, every other is declined


@dataclass
class WebEnv:
    store: Store
    tokens: Tokens
    admin_token: str
    webhook_secret: str
    self_url: Callable[[], str]  # the frontend's own https URL (webhooks are posted to it)
    mcp_url: Callable[[], str]
    ca_path: str
    protection_bypass: str = ""  # what a protected preview's edge wants in x-vercel-protection-bypass
    synthetic_like: str = "monitor+%"
    checkouts: dict[str, dict] = field(default_factory=dict)
    # Every request the sandbox frontend saw, by whether it carried the synthetic-traffic tag.
    traffic: dict[str, int] = field(default_factory=lambda: {"tagged": 0, "untagged": 0})


def layout(title: str, body: str, script: str | None = None) -> str:
    scripts = '<script src="/_next/static/chunks/main-app.js" defer></script>'
    if script:
        scripts += f'<script src="/_next/static/pages/{script}.js" defer></script>'
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)} · Slurpy</title>"
        f"{scripts}</head><body><main>{body}</main></body></html>"
    )


API_HEADERS = """
function cookie(name) {
  const found = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : '';
}
function apiHeaders() {
  return {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + cookie(TOKEN_COOKIE),
          'x-csrf': cookie(CSRF_COOKIE)};
}
""".replace("TOKEN_COOKIE", repr(TOKEN_COOKIE)).replace("CSRF_COOKIE", repr(CSRF_COOKIE))

SCRIPTS = {
    "sign-in": """
document.querySelector('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const answer = await fetch('/api/auth/sign-in', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({identifier: document.querySelector('#identifier').value,
                          password: document.querySelector('#password').value})});
  const data = await answer.json();
  if (!answer.ok) { alert(data.error || 'Sign in failed'); return; }
  location.href = new URLSearchParams(location.search).get('redirect') || '/chat';
});
""",
    "chat": API_HEADERS
    + """
const log = document.querySelector('[role=log]');
function bubble(who, text) {
  const article = document.createElement('article');
  article.setAttribute('aria-label', who); article.textContent = text; log.appendChild(article); return article;
}
document.querySelector('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.querySelector('#message');
  const message = input.value; input.value = '';
  bubble('You', message);
  let reply = '';
  try {
    const answer = await fetch('/api/proxy-chat-stream', {method: 'POST', headers: apiHeaders(),
      body: JSON.stringify({text: message, mode: 'friend', session_id: 'web'})});
    const reader = answer.body.getReader(); const decoder = new TextDecoder(); let buffer = '';
    for (;;) {
      const {value, done} = await reader.read(); if (done) break;
      buffer += decoder.decode(value, {stream: true});
      const lines = buffer.split('\\n'); buffer = lines.pop();
      for (const line of lines) { if (!line.trim()) continue; const frame = JSON.parse(line);
        if (frame.type === 'delta') reply += frame.delta; }
    }
  } catch (error) { reply = ''; }
  bubble('Slurpy', reply.trim() || "I'm here to help!");
});
""",
    "plans": API_HEADERS
    + """
const goPro = document.querySelector('[data-price]');
if (goPro && !document.body.dataset.broken) goPro.addEventListener('click', async () => {
  const answer = await fetch('/api/stripe/create-session', {method: 'POST', headers: apiHeaders(),
    body: JSON.stringify({price_id: goPro.dataset.price})});
  const data = await answer.json();
  if (answer.ok) location.href = data.url; else alert(data.error);
});
if (new URLSearchParams(location.search).get('success')) {
  const poll = setInterval(async () => {
    const me = await (await fetch('/api/me')).json();
    if (me.plan === 'pro') { clearInterval(poll); location.replace('/plans?success=1&upgraded=1'); }
  }, 250);
  if (new URLSearchParams(location.search).get('upgraded')) clearInterval(poll);
}
""",
    "broken": "window.__slurpy.user.greeting();\n",
}


def install(app: FastAPI, faults: FaultState, env: WebEnv, guard: Guard, routes: dict[str, WriteRoute]) -> None:
    store = env.store

    def user_of(request: Request) -> User | None:
        return store.session_user(request.cookies.get(SESSION_COOKIE))

    @app.middleware("http")
    async def protect(request: Request, call_next):
        path = request.url.path
        if any(path == p or path.startswith(p + "/") for p in PROTECTED) and user_of(request) is None:
            return RedirectResponse(f"/sign-in?redirect={quote(path)}", status_code=307)
        return await call_next(request)

    @app.get("/_next/static/pages/{name}.js")
    async def page_script(name: str) -> Response:
        if name not in SCRIPTS:
            return Response(status_code=404)
        return Response(SCRIPTS[name], media_type="application/javascript")

    # -- sign-up ---------------------------------------------------------------------------
    def sign_up_page(error: str = "", values: dict | None = None) -> HTMLResponse:
        values = values or {}
        hidden = " hidden" if faults.is_on("signup-button-hidden") else ""  # CSP forbids inline styles
        fields = "".join(
            f"<label for={name}>{label}</label><input id={name} name={name} type={kind} "
            f'value="{html.escape(values.get(name, "")) if kind != "password" else ""}">'
            for name, label, kind in (
                ("firstName", "First name", "text"),
                ("lastName", "Last name", "text"),
                ("username", "Username", "text"),
                ("email", "Email", "email"),
                ("password", "Password", "password"),
            )
        )
        alert = f"<p role=alert>{html.escape(error)}</p>" if error else ""
        return HTMLResponse(
            layout(
                "Sign up",
                f"<h1>Create your account</h1>{alert}<form method=post action=/sign-up>"
                f"{fields}<button type=submit{hidden}>Create account</button></form>",
            ),
            status_code=400 if error else 200,
        )

    @app.get("/sign-up")
    async def sign_up_form() -> HTMLResponse:
        return sign_up_page()

    @app.post("/sign-up")
    async def sign_up(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if faults.is_on("signup-rejects-valid"):
            return sign_up_page("Something went wrong. Please try again.", form)
        email, password = form.get("email", "").strip(), form.get("password", "")
        if "@" not in email or len(password) < 8 or not form.get("firstName"):
            return sign_up_page("Please fill in every field; passwords need 8 characters.", form)
        token = store.create_user(
            email, password, form["firstName"], form.get("lastName", ""), form.get("username", "")
        )
        if token is None:
            return sign_up_page("This email is already in use.", form)
        if faults.is_on("confirmation-link-broken"):
            token = token[:-4] + "xxxx"
        link = f"{env.self_url()}/auth/confirm?token={token}"
        store.send(email, "Confirm your Slurpy account", f"Welcome to Slurpy! Confirm your address: {link}")
        return RedirectResponse(f"/email-verify-page?email={quote(email)}", status_code=303)

    @app.get("/email-verify-page")
    async def verify_page(email: str = "") -> HTMLResponse:
        return HTMLResponse(
            layout(
                "Check your email",
                f"<h1>Check your email</h1><p>We sent a confirmation link to {html.escape(email)}.</p>",
            )
        )

    @app.get("/auth/confirm")
    async def confirm(token: str = "") -> Response:
        if not store.confirm(token):
            return HTMLResponse(layout("Link expired", "<h1>Invalid or expired link</h1>"), status_code=400)
        return RedirectResponse("/sign-in?confirmed=1", status_code=303)

    # -- sign-in ---------------------------------------------------------------------------
    @app.post("/api/auth/sign-in")
    async def sign_in(request: Request) -> Response:
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "Bad JSON"}, status_code=400)
        user, error = store.authenticate(str(data.get("identifier", "")), str(data.get("password", "")))
        if faults.is_on("signin-rejects-valid-password"):
            user, error = None, "Invalid email or password"
        if user is None:
            return JSONResponse({"error": error}, status_code=401)
        response = JSONResponse({"ok": True})
        path = "/api/auth" if faults.is_on("session-not-kept") else "/"
        response.set_cookie(
            SESSION_COOKIE,
            store.new_session(user),
            path=path,
            secure=True,
            samesite="lax",
            httponly=not faults.is_on("session-cookie-readable-by-scripts"),
        )
        response.set_cookie(TOKEN_COOKIE, env.tokens.access_token(user), path=path, secure=True, samesite="lax")
        response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(18), path=path, secure=True, samesite="lax")
        return response

    @app.get("/api/me")
    async def me(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"email": user.email, "first_name": user.first_name, "plan": user.plan})

    # -- chat ------------------------------------------------------------------------------
    @app.get("/chat")
    async def chat(request: Request) -> HTMLResponse:
        user = user_of(request)
        assert user is not None  # the protect middleware redirects anonymous visitors
        script = "broken" if faults.is_on("chat-page-js-error") else None
        body = (
            f"<h1>Hello, {html.escape(user.first_name)}</h1><section role=log aria-label=Conversation></section>"
            "<form><label for=message>Message</label><input id=message name=message autocomplete=off>"
            '<button type=submit aria-label="Send message">➤</button></form>'
        )
        page = layout("Chat", body, "chat")
        if script:
            page = page.replace("</head>", f'<script src="/_next/static/pages/{script}.js" defer></script></head>')
        return HTMLResponse(page)

    @app.post("/api/proxy-chat-stream")
    async def proxy_chat_stream(request: Request) -> Response:
        admitted = await guard(request, routes["/api/proxy-chat-stream"])
        if isinstance(admitted, Response):
            return admitted
        assert admitted.user is not None  # sign-in first
        upstream = {"user_id": str(admitted.user.id), "message": chat_text(admitted.data)}

        async def relay():
            async with (
                httpx.AsyncClient(verify=ssl.create_default_context(cafile=env.ca_path), timeout=30) as client,
                client.stream("POST", f"{env.mcp_url()}/v1/mcp/stream", json=upstream) as answer,
            ):
                async for line in answer.aiter_lines():
                    if line:
                        yield line + "\n"

        return StreamingResponse(relay(), media_type="application/x-ndjson")

    # -- plans and checkout ----------------------------------------------------------------
    @app.get("/plans")
    async def plans(request: Request, success: str = "", canceled: str = "") -> HTMLResponse:
        user = user_of(request)
        assert user is not None  # the protect middleware redirects anonymous visitors
        current = '<p aria-label="Current plan">Current plan</p>'
        banner = (
            "<p role=status>Payment successful</p>"
            if success
            else "<p role=status>Payment canceled</p>"
            if canceled
            else ""
        )
        body = (
            f"<h1>Choose your plan</h1>{banner}"
            f"<section aria-label=Free><h2>Free</h2>{current if user.plan == 'free' else ''}</section>"
            f"<section aria-label=Pro><h2>Pro</h2><p>$17/mo</p>{current if user.plan == 'pro' else ''}"
            f"<button type=button data-price={PRO_PRICE}>Go Pro</button></section>"
            "<section aria-label=Elite><h2>Elite</h2><p>Coming soon</p></section>"
        )
        page = layout("Plans", body, "plans")
        if faults.is_on("go-pro-does-nothing"):
            page = page.replace("<body>", "<body data-broken=1>")
        return HTMLResponse(page)

    @app.post("/api/stripe/create-session")
    async def create_session(request: Request) -> Response:
        admitted = await guard(request, routes["/api/stripe/create-session"])
        if isinstance(admitted, Response):
            return admitted
        assert admitted.user is not None  # sign-in first
        return JSONResponse(_create_checkout(env, admitted.user, admitted.data["price_id"]))

    @app.get("/__stripe/checkout/{session_id}")
    async def checkout(session_id: str) -> HTMLResponse:
        return _checkout_page(env, session_id)

    @app.post("/__stripe/checkout/{session_id}")
    async def pay(session_id: str, request: Request) -> Response:
        session = env.checkouts.get(session_id)
        if session is None:
            return _checkout_page(env, session_id)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        card = "".join(ch for ch in form.get("cardNumber", "") if ch.isdigit())
        if card != SUCCESS_CARD or faults.is_on("checkout-declines-success-card"):
            return _checkout_page(env, session_id, error="Your card was declined.")
        if not faults.is_on("webhook-never-sent"):
            asyncio.get_running_loop().create_task(_send_webhook(env, session_id, session))
        return RedirectResponse("/plans?success=1", status_code=303)

    @app.post("/api/stripe/webhook")
    async def webhook(request: Request) -> Response:
        import stripe  # heavy (~0.4 s); only the webhook needs it, so sandbox start stays quick

        payload = await request.body()
        try:
            event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), env.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError):
            return JSONResponse({"error": "bad signature"}, status_code=400)
        if event["type"] == "checkout.session.completed":
            store.set_plan(event["data"]["object"]["customer_email"], "pro")
        return JSONResponse({"received": True})

    # -- test accounts (what a monitor creates and cleans up through) -------------------------
    def admin(request: Request) -> bool:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        return bool(given) and hmac.compare_digest(given, env.admin_token)

    def synthetic(email: str) -> bool:
        prefix = env.synthetic_like.rstrip("%")
        return email.lower().startswith(prefix)

    @app.get("/api/test-accounts")
    async def list_accounts(request: Request) -> Response:
        if not admin(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"accounts": store.emails_like(env.synthetic_like)})

    @app.post("/api/test-accounts")
    async def create_account(request: Request) -> Response:
        if not admin(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        data = await request.json()
        if not synthetic(data.get("email", "")):
            return JSONResponse({"error": "only synthetic addresses"}, status_code=400)
        if (
            store.create_user(data["email"], data["password"], data.get("first_name", "Monitor"), confirmed=True)
            is None
        ):
            return JSONResponse({"error": "already in use"}, status_code=409)
        return JSONResponse({"email": data["email"]}, status_code=201)

    @app.delete("/api/test-accounts/{email}")
    async def delete_account(email: str, request: Request) -> Response:
        if not admin(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if not synthetic(email):
            return JSONResponse({"error": "only synthetic addresses"}, status_code=400)
        return Response(status_code=204 if store.delete_user(email) else 404)


def _create_checkout(env: WebEnv, user: User, price: str) -> dict:
    session_id = "cs_test_" + secrets.token_hex(12)
    env.checkouts[session_id] = {"email": user.email, "price": price}
    return {"id": session_id, "url": f"{env.self_url()}/__stripe/checkout/{session_id}"}


def _checkout_page(env: WebEnv, session_id: str, error: str = "") -> HTMLResponse:
    session = env.checkouts.get(session_id)
    if session is None:
        return HTMLResponse(layout("Checkout", "<h1>This checkout session has expired</h1>"), status_code=404)
    alert = f"<p role=alert>{html.escape(error)}</p>" if error else ""
    fields = "".join(
        f"<label for={name}>{label}</label><input id={name} name={name} autocomplete={auto}>"
        for name, label, auto in (
            ("cardNumber", "Card number", "cc-number"),
            ("cardExpiry", "Expiration", "cc-exp"),
            ("cardCvc", "CVC", "cc-csc"),
            ("billingName", "Cardholder name", "cc-name"),
        )
    )
    body = (
        f"<h1>Subscribe to Slurpy Pro</h1><p>$17.00 per month</p><p>{html.escape(session['email'])}</p>{alert}"
        f"<form method=post>{fields}<button type=submit>Subscribe</button></form>"
        "<a href=/plans?canceled=1>Cancel</a>"
    )
    return HTMLResponse(layout("Checkout", body), status_code=402 if error else 200)


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header Stripe sends: HMAC-SHA256 of ``"{t}.{body}"``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def _send_webhook(env: WebEnv, session_id: str, session: dict) -> None:
    event = {
        "id": "evt_" + secrets.token_hex(8),
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "customer_email": session["email"],
                "mode": "subscription",
                "payment_status": "paid",
            }
        },
    }
    payload = json.dumps(event).encode()
    await asyncio.sleep(0.2)  # Stripe calls back shortly after the redirect, not before it
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=env.ca_path), timeout=10) as client:
        await client.post(
            f"{env.self_url()}/api/stripe/webhook",
            content=payload,
            headers={
                "Stripe-Signature": sign_payload(payload, env.webhook_secret, int(time.time())),
                "Content-Type": "application/json",
            },
        )
