"""Is this health answer healthy? Judged by the body, not just the status code."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from monitor.profile import HealthEndpoint
from monitor.results import Category

_MISSING = object()


@dataclass
class HealthVerdict:
    problems: list[str] = field(default_factory=list)
    category: Category | None = None
    failing: list[str] = field(default_factory=list)  # dependencies the body itself reports as down

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, category: Category, problem: str) -> None:
        # The first problem decides the category: a 503 is an http-status failure even if
        # its body is also unhealthy.
        self.category = self.category or category
        self.problems.append(problem)

    def describe(self) -> str:
        text = "; ".join(self.problems)
        if self.failing:
            text += f"; the service reports failing: {', '.join(self.failing)}"
        return text


def lookup(data: Any, dotted: str) -> Any:
    """``lookup({"a": {"b": 1}}, "a.b") == 1``; a missing key gives the ``_MISSING`` sentinel."""
    node = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def failing_dependencies(data: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every ``false`` the body reports, with the error text next to it if any.

    ``{"ok": false, "supabase": true, "qdrant": false}`` -> ``["ok", "qdrant"]``;
    ``{"sli_checks": {"db": {"ok": false, "error": "timeout"}}}`` -> ``["sli_checks.db (timeout)"]``.
    """
    found: list[str] = []
    if not isinstance(data, Mapping):
        return found
    for key, value in data.items():
        path = f"{prefix}{key}"
        if value is False:
            found.append(path)
        elif isinstance(value, Mapping):
            if value.get("ok") is False:
                error = value.get("error")
                found.append(f"{path} ({error})" if error else path)
            else:
                found.extend(failing_dependencies(value, prefix=f"{path}."))
    return found


def _snippet(body: bytes, limit: int = 60) -> str:
    text = body.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def judge_health(endpoint: HealthEndpoint, status: int, headers: Mapping[str, str], body: bytes) -> HealthVerdict:
    verdict = HealthVerdict()
    lowered = {k.lower(): v for k, v in headers.items()}
    if status not in endpoint.status:
        expected = " or ".join(str(s) for s in endpoint.status)
        verdict.add(Category.HTTP_STATUS, f"expected status {expected}, got {status}")
    content_type = lowered.get("content-type", "")
    if endpoint.content_type and not content_type.lower().startswith(endpoint.content_type.lower()):
        verdict.add(Category.BODY, f"expected content-type {endpoint.content_type}, got {content_type or 'none'}")
    for name, wanted in endpoint.headers.items():
        got = lowered.get(name.lower())
        if got is None or wanted.lower() not in got.lower():
            verdict.add(Category.BODY, f"expected header {name}: {wanted}, got {got if got is not None else 'none'}")
    if endpoint.text_equals is not None:
        text = body.decode("utf-8", errors="replace").strip()
        if text != endpoint.text_equals:
            verdict.add(Category.BODY, f"expected body {endpoint.text_equals!r}, got {_snippet(body)}")
    if endpoint.json_equals or endpoint.json_required:
        _judge_json(endpoint, body, verdict)
    return verdict


def _judge_json(endpoint: HealthEndpoint, body: bytes, verdict: HealthVerdict) -> None:
    try:
        data = json.loads(body)
    except ValueError:
        verdict.add(Category.BODY, f"expected a JSON body, got {_snippet(body)}")
        return
    if not isinstance(data, dict):
        verdict.add(Category.BODY, f"expected a JSON object, got {_snippet(body)}")
        return
    missing = [key for key in endpoint.json_required if lookup(data, key) is _MISSING]
    if missing:
        verdict.add(Category.BODY, f"missing required key(s): {', '.join(missing)}")
    for key, wanted in endpoint.json_equals.items():
        got = lookup(data, key)
        if got is _MISSING:
            verdict.add(Category.BODY, f"expected {key} == {json.dumps(wanted)}, key is missing")
        elif got != wanted:
            verdict.add(Category.BODY, f"expected {key} == {json.dumps(wanted)}, got {json.dumps(got)}")
    if not verdict.ok:
        verdict.failing = [path for path in failing_dependencies(data) if path not in endpoint.json_equals]
