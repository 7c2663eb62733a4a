"""What an alert tells the person who gets it to do: who owns the failing check and where its
runbook is (``[alerts.runbooks]``), the cause in words, and the one command that runs the same
check from a laptop against the same target."""

from __future__ import annotations

import re
import shlex
from fnmatch import fnmatchcase
from typing import Any

from monitor.profile import AlertPolicy
from monitor.results import CAUSES, Category

# The test that runs each kind of check (its cases are parametrized by the catalogue's labels).
TESTS = {
    "health": "tests/smoke/test_health.py::test_health",
    "latency": "tests/smoke/test_latency.py::test_latency",
    "tls": "tests/smoke/test_tls.py::test_certificate",
    "version": "tests/smoke/test_version.py::test_served_version_is_the_deployed_one",
    "headers": "tests/security/test_headers.py::test_security_headers",
    "https_redirect": "tests/security/test_https.py::test_http_redirects_to_https",
    "cookies": "tests/security/test_https.py::test_cookie_attributes",
    "cors": "tests/security/test_cors.py::test_cors_policy",
    "rate_limit": "tests/security/test_rate_limits.py::test_rate_limit",
    "validation": "tests/security/test_validation.py::test_input_validation",
    "secrets": "tests/security/test_exposure.py::test_no_leaked_secrets",
    "exposure": "tests/security/test_exposure.py::test_exposure",
    "access": "tests/security/test_access.py::test_access_control",
}
_CATEGORY = re.compile(r"\[([a-z ]+)\]")


def node_id(check_id: str) -> str | None:
    """The pytest node that runs this check (the catalogue's case label is its parameter id)."""
    kind, _, rest = check_id.partition(":")
    service, _, path = rest.partition(":")
    if kind == "journey":
        return f"tests/journeys/test_{path.replace('-', '_')}.py::test_{path.replace('-', '_')}"
    test = TESTS.get(kind)
    if test is None or not service:
        return None
    label = f"{service}{path}" if path.startswith("/") else f"{service} {path}" if path else service
    return f"{test}[{label}]"


def reproduce(check_id: str, target: str) -> str:
    """One line to paste in the monitor's checkout; empty when no single check can show it."""
    if check_id.startswith("burn:"):
        return f"slurpy-monitor uptime --target {shlex.quote(target)}"
    if check_id.startswith("missed-runs:"):
        return f"slurpy-monitor history gaps --target {shlex.quote(target)}"
    node = node_id(check_id)
    if node is None:
        return ""
    extra = " --deploy-version <the version deployed>" if check_id.startswith("version:") else ""
    return f"./run suites {shlex.quote(node)} --target {shlex.quote(target)} --no-alerts{extra}"


def cause(check_id: str, last_error: str) -> str:
    """The failure's category in words, read from the check's message (``FAILED [body]: ...``)."""
    if check_id.startswith("burn:"):
        return "the error budget is burning fast"
    if check_id.startswith("missed-runs:"):
        return "scheduled runs did not come"
    found = _CATEGORY.search(last_error)
    if found and found.group(1) in Category.__members__.values():
        return CAUSES[Category(found.group(1))]
    return ""


def guidance(alerts: AlertPolicy, check_id: str, service: str, target: str, last_error: str) -> dict[str, Any]:
    """owner, runbook, cause and reproduce for one incident; each "" when not known."""
    kind = check_id.split(":", 1)[0]
    facts = {"owner": "", "runbook": ""}
    for key, entry in alerts.runbooks.items():
        if key in (kind, service) or fnmatchcase(check_id, key):
            for name in facts:
                facts[name] = facts[name] or getattr(entry, name)
    return {**facts, "cause": cause(check_id, last_error), "reproduce": reproduce(check_id, target)}
