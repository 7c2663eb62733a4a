"""Supabase Auth (GoTrue) as far as a client sees it: ``POST /auth/v1/token`` with the ``apikey``
header, the password grant and the refresh grant, and the access tokens it issues (HS256 JWTs
with the user's id in ``sub``), which the frontend's API routes accept as ``Authorization: Bearer``.
Refresh tokens are single-use, as GoTrue rotates them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from slurpy_sandbox.store import Store, User

LIFETIME_S = 3600  # GoTrue's default JWT expiry


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    def __init__(self, store: Store, lifetime_s: int = LIFETIME_S):
        self.store, self.lifetime_s = store, lifetime_s
        self._key = secrets.token_bytes(32)
        self._refresh: dict[str, tuple[int, bool]] = {}  # refresh token -> (user id, used)
        self.issued: list[str] = []  # every token handed out: nothing the monitor keeps may hold one

    def access_token(self, user: User) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = _b64(
            json.dumps(
                {
                    "sub": str(user.id),
                    "email": user.email,
                    "role": "authenticated",
                    "aud": "authenticated",
                    "iat": now,
                    "exp": now + self.lifetime_s,
                }
            ).encode()
        )
        signature = _b64(hmac.new(self._key, f"{header}.{claims}".encode(), hashlib.sha256).digest())
        token = f"{header}.{claims}.{signature}"
        self.issued.append(token)
        return token

    def session(self, user: User) -> dict:
        refresh = secrets.token_urlsafe(24)
        self._refresh[refresh] = (user.id, False)
        self.issued.append(refresh)
        return {
            "access_token": self.access_token(user),
            "token_type": "bearer",
            "expires_in": self.lifetime_s,
            "expires_at": int(time.time()) + self.lifetime_s,
            "refresh_token": refresh,
            "user": {"id": str(user.id), "email": user.email, "role": "authenticated"},
        }

    def user_of(self, bearer: str | None) -> User | None:
        """The user a valid, unexpired access token names."""
        try:
            header, claims, signature = (bearer or "").split(".")
            expected = hmac.new(self._key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(_unb64(signature), expected):
                return None
            data = json.loads(_unb64(claims))
        except ValueError:
            return None
        if data.get("exp", 0) <= time.time():
            return None
        return self.store.by_id(int(data["sub"]))

    def refreshed(self, refresh: str) -> dict | None:
        user_id, used = self._refresh.get(refresh, (None, True))
        if used or user_id is None:
            return None
        self._refresh[refresh] = (user_id, True)
        user = self.store.by_id(user_id)
        return self.session(user) if user else None


def install(app: FastAPI, tokens: Tokens, anon_key: str) -> None:
    def grant_error(description: str) -> Response:
        return JSONResponse({"error": "invalid_grant", "error_description": description}, status_code=400)

    @app.post("/auth/v1/token")
    async def token(request: Request, grant_type: str = "") -> Response:
        if not hmac.compare_digest(request.headers.get("apikey", ""), anon_key):
            return JSONResponse({"message": "Invalid API key"}, status_code=401)
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Could not read the body"}, status_code=400
            )
        if grant_type == "password":
            user, _ = tokens.store.authenticate(str(data.get("email", "")), str(data.get("password", "")))
            return JSONResponse(tokens.session(user)) if user else grant_error("Invalid login credentials")
        if grant_type == "refresh_token":
            session = tokens.refreshed(str(data.get("refresh_token", "")))
            return JSONResponse(session) if session else grant_error("Invalid Refresh Token: Already Used")
        return JSONResponse(
            {"error": "unsupported_grant_type", "error_description": f"grant_type={grant_type}"}, status_code=400
        )
