"""Keep secrets out of everything the monitor leaves behind: the one way to do it.

Every secret the profile names (``[secrets]``: channel URLs, tokens, passwords, header values,
whatever field reads one) is registered when the run starts (a :class:`monitor.profile.Secrets`
made for the profile does it), and so is every password, token and card number the run handles
later. What leaves the process is scrubbed
of them: check results as they enter the pipeline (results file, both histories, alerts), run
notes, the terminal, test reports (JUnit, Allure), log lines (:func:`install_log_filter`),
delivery errors (a receiver that echoes its secret URL path back), and kept artifacts (traces,
logs). A URL's credentials (``user:pass@``) are masked wherever they appear, registered or not.

Text is masked in place. Images cannot be: where a kept trace shows that a *visible* secret
(a card number, which checkout fields display as typed) was on the page, the trace's screencast
frames and the screenshots beside it are dropped; the trace's DOM snapshots, scrubbed, still
show each page. Password fields render as dots, so passwords never force this.

A browser journey signs itself in, so the tokens its page holds never pass through the monitor's
hands to be registered: anything shaped like a session token (a ``Bearer`` credential, a JWT) is
masked as well."""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MASK = "********"
_values: set[str] = set()
_visible: set[str] = set()
_encoded: list[bytes] = []  # _values encoded, longest first: what scrub() replaces, rebuilt by register()
_IMAGES = (".png", ".jpeg", ".jpg", ".webm")
_BEARER = re.compile(rb"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# Credentials inside a URL (scheme://user:password@host): masked wherever a URL is printed.
_USERINFO = re.compile(rb"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@\"'<>]+@")
# A secret URL's path is the secret part (a Slack or webhook URL): receivers echo it back alone
# ("Cannot POST /hook/<secret>"). Paths and segments shorter than this are too common to mask.
_MIN_URL_PART = 8


def _url_parts(value: str) -> set[str]:
    """The parts of a secret URL that can travel without the rest: its credentials, its path
    (with and without the query), long path segments and query values."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return set()
    if not parts.scheme or not parts.netloc:
        return set()
    found = {parts.username or "", parts.password or ""}
    found |= {parts.path, f"{parts.path}?{parts.query}" if parts.query else ""}
    found |= {segment for segment in parts.path.split("/") if len(segment) >= 16}
    found |= {v for _, v in parse_qsl(parts.query)}
    return {part for part in found if len(part) >= _MIN_URL_PART}


def register(*values: str, visible: bool = False) -> None:
    """``visible``: the page shows the value as typed (a card number), so images can carry it."""
    for value in values:
        if value and len(value) >= 4:
            forms = {value} | _url_parts(value)
            if value.isdigit() and len(value) == 16:  # a card number is also typed in groups of four
                forms.add(" ".join(value[i : i + 4] for i in range(0, 16, 4)))
            _values.update(forms)
            _encoded[:] = [v.encode() for v in sorted(_values, key=len, reverse=True)]
            if visible:
                _visible.update(forms)


def scrub(data: bytes, values: set[str] | None = None) -> bytes:
    encoded = _encoded if values is None else [v.encode() for v in sorted(values, key=len, reverse=True)]
    for value in encoded:
        data = data.replace(value, MASK.encode())
    data = _USERINFO.sub(rb"\g<1>" + MASK.encode() + b"@", data)
    data = _BEARER.sub(rb"\g<1>" + MASK.encode(), data)
    return _JWT.sub(MASK.encode(), data)


def text(value: str) -> str:
    """``value`` without any registered secret, URL credentials or session token."""
    return scrub(value.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")


def scrub_json(data: Any) -> Any:
    """A JSON-like value (a result's details, a message) with every string scrubbed."""
    if isinstance(data, str):
        return text(data)
    if isinstance(data, Mapping):
        return {text(k) if isinstance(k, str) else k: scrub_json(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return type(data)(scrub_json(v) for v in data)
    return data


def has_url_credentials(url: str) -> bool:
    return _USERINFO.search(url.encode("utf-8", "surrogatepass")) is not None


class _ScrubFilter(logging.Filter):
    """Rewrites a log record's message without secrets (httpx logs every URL it requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to logging's own handling
            return True
        clean = text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_SCRUB = _ScrubFilter()


def install_log_filter() -> None:
    """Scrub every log record as it is made, whichever library logs it and whichever handler
    shows it (httpx logs "HTTP Request: POST <url>" for every request, secret URLs included):
    a filter on one logger or handler would miss the others, and pytest makes new capture
    handlers for every test."""
    make = logging.getLogRecordFactory()
    if getattr(make, "_slurpy_scrubbed", False):
        return

    def scrubbed(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _SCRUB.filter(record)
        return record

    scrubbed._slurpy_scrubbed = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(scrubbed)


def _shows_visible(data: bytes) -> bool:
    return any(value.encode() in data for value in _visible)


def scrub_tree(root: Path) -> int:
    """Rewrite every kept file under ``root`` (or ``root`` itself, a file) without the registered
    values; returns files changed."""
    if not root.exists():
        return 0
    changed = 0
    for path in [root] if root.is_file() else sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in _IMAGES:
            continue
        if path.suffix == ".zip":
            changed += _scrub_zip(path)
            continue
        data = path.read_bytes()
        if (clean := scrub(data)) != data:
            path.write_bytes(clean)
            changed += 1
    return changed


def _scrub_zip(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    drop_images = any(_shows_visible(data) for info, data in members if not info.filename.endswith(_IMAGES))
    cleaned = []
    for info, data in members:
        if info.filename.endswith(_IMAGES):
            if not drop_images:
                cleaned.append((info, data))
            continue
        if drop_images and info.filename.endswith(".trace"):
            data = b"\n".join(line for line in data.split(b"\n") if b'"screencast-frame"' not in line)
        cleaned.append((info, scrub(data)))
    if [(i.filename, d) for i, d in cleaned] == [(i.filename, d) for i, d in members]:
        return 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in cleaned:
            archive.writestr(info, data)
    if drop_images:
        for image in path.parent.glob("*.png"):
            image.unlink()
        (path.parent / "images-removed.txt").write_text(
            "Screenshots and screencast frames were removed: the page showed a card number as typed. "
            "The trace's DOM snapshots (scrubbed) still show every page.\n"
        )
    return 1
