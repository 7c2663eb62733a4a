"""Keep secrets out of what the suite leaves behind: every password, token and card number the
run handles is registered here, and kept artifacts (traces, logs) are scrubbed of them.

Text is masked in place. Images cannot be: where a kept trace shows that a *visible* secret
(a card number, which checkout fields display as typed) was on the page, the trace's screencast
frames and the screenshots beside it are dropped; the trace's DOM snapshots, scrubbed, still
show each page. Password fields render as dots, so passwords never force this.

A browser journey signs itself in, so the tokens its page holds never pass through the monitor's
hands to be registered: anything shaped like a session token (a ``Bearer`` credential, a JWT) is
masked as well."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

MASK = "********"
_values: set[str] = set()
_visible: set[str] = set()
_IMAGES = (".png", ".jpeg", ".jpg", ".webm")
_BEARER = re.compile(rb"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def register(*values: str, visible: bool = False) -> None:
    """``visible``: the page shows the value as typed (a card number), so images can carry it."""
    for value in values:
        if value and len(value) >= 4:
            forms = {value}
            if value.isdigit() and len(value) == 16:  # a card number is also typed in groups of four
                forms.add(" ".join(value[i:i + 4] for i in range(0, 16, 4)))
            _values.update(forms)
            if visible:
                _visible.update(forms)


def scrub(data: bytes, values: set[str] | None = None) -> bytes:
    for value in sorted(values if values is not None else _values, key=len, reverse=True):
        data = data.replace(value.encode(), MASK.encode())
    data = _BEARER.sub(rb"\g<1>" + MASK.encode(), data)
    return _JWT.sub(MASK.encode(), data)


def _shows_visible(data: bytes) -> bool:
    return any(value.encode() in data for value in _visible)


def scrub_tree(root: Path) -> int:
    """Rewrite every kept file under ``root`` without the registered values; returns files changed."""
    if not root.exists():
        return 0
    changed = 0
    for path in sorted(root.rglob("*")):
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
            "The trace's DOM snapshots (scrubbed) still show every page.\n")
    return 1
