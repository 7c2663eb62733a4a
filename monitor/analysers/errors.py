"""Does an error answer give away internals (stack traces, exception text, file paths, debug pages)?"""

from __future__ import annotations

import json
import re

# An address only the server side knows: loopback, a private or link-local IPv4 address, a name with
# no dot (a container's), an internal suffix, or any explicit port.
_INTERNAL_URL = re.compile(
    r"\bhttps?://(?:localhost|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+"
    r"|169\.254\.\d+\.\d+|[A-Za-z0-9-]+(?=[:/\s\"']|$)|[\w.-]+\.(?:internal|local|svc|lan|cluster\.local)\b|[\w.-]+:\d+)[^\s\"'<>]*"
)
LEAKS = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a Python stack frame", re.compile(r'File "[^"]+", line \d+')),
    ("a JavaScript stack frame", re.compile(r"\bat [\w.<>$]+ \(?[^\s()]+\.(?:js|ts|mjs):\d+:\d+\)?")),
    # ``ConnectError: …``, and the repr a handler prints with f"{exc!r}": ``ReadTimeout('timed out')``
    ("exception text", re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Timeout)\b(?:\s*:|\()")),
    ("an upstream URL", _INTERNAL_URL),
    (
        "a server file path",
        re.compile(r"(?:/home/|/usr/(?:local/)?lib/|/app/|/var/task/|node_modules/|site-packages/|[A-Z]:\\\\)"),
    ),
    (
        "a framework debug page",
        re.compile(r"Werkzeug Debugger|Django Version:|DEBUG = True|Whoops!|<title>Error</title>", re.I),
    ),
)


_ANY_URL = re.compile(r"\bhttps?://[^\s\"'<>]+")


def error_leaks(body: str, status: int | None = None) -> list[str]:
    """What an error body gives away. On a 5xx any URL counts as the upstream that failed (a gateway
    error has no reason to name one); on a 4xx only an internal one does (a link to the docs is fine)."""
    found = [f"{what} ({match.group(0)[:40]!r})" for what, pattern in LEAKS if (match := pattern.search(body))]
    named_upstream = any(f.startswith("an upstream URL") for f in found)
    if status is not None and status >= 500 and not named_upstream and (match := _ANY_URL.search(body)):
        found.append(f"an upstream URL ({match.group(0)[:40]!r})")
    return found


def judge_error_answer(label: str, status: int, content_type: str, body: str) -> list[str]:
    """A refused request must get a 4xx JSON error that gives nothing away."""
    problems = []
    if not 400 <= status < 500:
        problems.append(f"{label}: expected a 4xx, got {status}")
    try:
        json.loads(body)
    except ValueError:
        problems.append(f"{label}: error body is not JSON ({content_type or 'no content-type'})")
    leaks = error_leaks(body, status)
    if leaks:
        problems.append(f"{label}: error body reveals {', '.join(leaks)}")
    return problems
