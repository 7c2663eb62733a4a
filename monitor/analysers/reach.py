"""Did a probe reach what its check judges? A 401, 403, 404 or 405 comes from a gate in front of
the route's own logic (sign-in, CSRF, routing, methods), so it says nothing about the limiter or
the validator behind it: the check is inconclusive, never a pass or the target's failure, and
says what to fix."""

from __future__ import annotations

import json

GATES = (401, 403, 404, 405)


def error_text(body: str) -> str | None:
    """The ``error`` field of a JSON error body, if there is one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("error") if isinstance(data, dict) and isinstance(data.get("error"), str) else None


def short(body: str) -> str:
    """A body for one line of a message: compact JSON, or the start of the text."""
    try:
        return json.dumps(json.loads(body), separators=(",", ":"))[:80]
    except ValueError:
        return repr(body[:60])


def gate(status: int, body: str, *, method: str, signed_in: bool) -> str | None:
    """What to fix when ``status`` is a gate's answer; None when the answer came from past the gates."""
    if status == 401:
        if signed_in:
            return (
                "the route refused the monitor's session (check [auth]: is the monitor account a user of "
                "this deployment?)"
            )
        return "this route needs a signed-in probe (set auth = true and [auth] in the profile)"
    if status == 403:
        if error_text(body) == "csrf":
            return "the app's CSRF check refused the probe (check [auth] origin, csrf_cookie and csrf_header)"
        return "refused in front of the route's own checks (a CORS wrapper, a WAF, or the account lacks a permission)"
    if status == 404:
        return "there is no such route here (check the rule's path)"
    if status == 405:
        return f"the route does not take {method} (check the rule's method)"
    return None
