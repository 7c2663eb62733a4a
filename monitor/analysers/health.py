"""Is this health answer healthy? Judged by the body, not just the status code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.profile import HealthEndpoint
from monitor.results import Category

_MISSING = object()


@dataclass
class HealthVerdict:
    problems: list[str] = field(default_factory=list)
    category: Category | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, category: Category, problem: str) -> None:
        # The first problem decides the category: a 503 is an http-status failure even if
        # its body is also unhealthy.
        self.category = self.category or category
        self.problems.append(problem)

    def describe(self) -> str:
        return "; ".join(self.problems)


def lookup(data: Any, dotted: str) -> Any:
    """``lookup({"a": {"b": 1}}, "a.b") == 1``; a missing key gives the ``_MISSING`` sentinel."""
    node = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _parent(dotted: str) -> str:
    return dotted.rpartition(".")[0]


def _status(path: str, value: Any) -> str | None:
    """``None`` when this dependency status says up; else how it is down, for the message:
    ``sli_checks.database (connection refused)``. Raises ``ValueError`` when it is no status."""
    if isinstance(value, bool):
        return None if value else path
    if isinstance(value, Mapping) and "ok" in value:
        if value["ok"] is True:
            return None
        error = value.get("error")
        return f"{path} ({error})" if error else path
    raise ValueError(f'dependency {path}: expected true or an object with "ok", got {_short(value)}')


def _is_group(value: Any) -> bool:
    """``{"database": {"ok": true}, "qdrant": false}``: statuses by name, not one status itself."""
    return (
        isinstance(value, Mapping)
        and "ok" not in value
        and all(isinstance(entry, (bool, Mapping)) for entry in value.values())
    )


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "…"


def judge_dependencies(data: Mapping[str, Any], paths: list[str]) -> list[str]:
    """Problems with the dependency checks the profile names; nothing else in the body counts (a
    feature flag's ``false`` is not a dependency). A group (an object of statuses, such as
    ``sli_checks``) that is missing or empty means the deployment checked nothing: a failure."""
    problems: list[str] = []
    unchecked: dict[str, list[str]] = {}  # group that is missing or empty -> dependencies expected in it
    failing: list[str] = []
    for path in paths:
        value = lookup(data, path)
        if value is _MISSING:
            parent = _parent(path)
            holder = lookup(data, parent) if parent else data
            if holder is _MISSING or holder == {}:
                unchecked.setdefault(parent, []).append(path)
            else:
                held = ", ".join(holder) if isinstance(holder, Mapping) else _short(holder)
                problems.append(f"dependency {path} was not checked: {parent or 'the body'} has only {held}")
            continue
        if value == {}:
            unchecked.setdefault(path, [])
            continue
        entries = [(f"{path}.{key}", entry) for key, entry in value.items()] if _is_group(value) else [(path, value)]
        for name, entry in entries:
            try:
                down = _status(name, entry)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if down:
                failing.append(down)
    lines = [f"failing dependencies: {', '.join(failing)}"] if failing else []
    for group, expected in unchecked.items():
        state = "missing" if group and lookup(data, group) is _MISSING else "empty"
        wanted = f" (expected {', '.join(expected)})" if expected else ""
        lines.append(f"no dependency was checked: {group or 'the body'} is {state}{wanted}")
    return lines + problems


def _snippet(body: bytes, limit: int = 60) -> str:
    text = body.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def judge_health(endpoint: HealthEndpoint, status: int, headers: Mapping[str, str], body: bytes) -> HealthVerdict:
    verdict = HealthVerdict()
    lowered = {k.lower(): v for k, v in headers.items()}
    if status not in endpoint.status:
        expected = " or ".join(str(s) for s in endpoint.status)
        # A health endpoint is public: asking for credentials means something stands in front of it.
        guarded = (
            (
                " (a protected deployment, e.g. a preview behind Vercel Deployment Protection or Cloudflare "
                "Access, needs its bypass header under [request] headers)"
            )
            if status in (401, 403)
            else ""
        )
        verdict.add(Category.HTTP_STATUS, f"expected status {expected}, got {status}{guarded}")
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
    if endpoint.json_rules:
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
    # The most specific cause first: a named dependency or an error the body reports.
    for problem in judge_dependencies(data, endpoint.dependencies):
        verdict.add(Category.BODY, problem)
    for key in endpoint.json_absent:
        got = lookup(data, key)
        if got is not _MISSING:
            verdict.add(Category.BODY, f"expected no {key}, got {key} = {_short(got, 120)}")
    missing = [key for key in endpoint.json_required if lookup(data, key) is _MISSING]
    if missing:
        verdict.add(Category.BODY, f"missing required key(s): {', '.join(missing)}")
    for key, wanted in endpoint.json_equals.items():
        got = lookup(data, key)
        if got is _MISSING:
            verdict.add(Category.BODY, f"expected {key} == {json.dumps(wanted)}, key is missing")
        elif got != wanted:
            verdict.add(Category.BODY, f"expected {key} == {json.dumps(wanted)}, got {json.dumps(got)}")
