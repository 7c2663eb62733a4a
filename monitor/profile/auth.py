"""How the monitor signs in for probes of sign-in-first routes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from monitor.profile.validation import MAX_DURATION_S, Strict, http_url


class AuthPolicy(Strict):
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
        value = http_url(cls, value)
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
