"""Routes the guards and the access check probe: rate limits, input validation, sign-in-first gates."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from monitor.profile.validation import MAX_BYTES, MAX_COUNT, MAX_DURATION_S, Strict, absolute_path


def _signed_in() -> Any:
    return Field(
        default=False,
        description="the route is sign-in first: probe it with the monitor's session from "
        "[auth] (an anonymous probe only ever sees 401 there)",
    )


class RateLimitRule(Strict):
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


class ValidationRule(Strict):
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


class AccessRule(Strict):
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

    _absolute = field_validator("path")(absolute_path)
