"""Does an error answer give away internals (stack traces, exception text, file paths, debug pages)?"""
from __future__ import annotations

import json
import re

LEAKS = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a Python stack frame", re.compile(r'File "[^"]+", line \d+')),
    ("a JavaScript stack frame", re.compile(r"\bat [\w.<>$]+ \(?[^\s()]+\.(?:js|ts|mjs):\d+:\d+\)?")),
    ("exception text", re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b\s*:")),
    ("a server file path", re.compile(r"(?:/home/|/usr/(?:local/)?lib/|/app/|/var/task/|node_modules/|site-packages/|[A-Z]:\\\\)")),
    ("a framework debug page", re.compile(r"Werkzeug Debugger|Django Version:|DEBUG = True|Whoops!|<title>Error</title>", re.I)),
)


def error_leaks(body: str) -> list[str]:
    return [f"{what} ({match.group(0)[:40]!r})" for what, pattern in LEAKS if (match := pattern.search(body))]


def judge_error_answer(label: str, status: int, content_type: str, body: str) -> list[str]:
    """A refused request must get a 4xx JSON error that gives nothing away."""
    problems = []
    if not 400 <= status < 500:
        problems.append(f"{label}: expected a 4xx, got {status}")
    try:
        json.loads(body)
    except ValueError:
        problems.append(f"{label}: error body is not JSON ({content_type or 'no content-type'})")
    leaks = error_leaks(body)
    if leaks:
        problems.append(f"{label}: error body reveals {', '.join(leaks)}")
    return problems
