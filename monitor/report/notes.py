"""What people write about an incident, the way statuspage.io and Upptime let them post
"Investigating / Identified / Monitoring / Resolved": one Markdown file per incident on the data
branch, ``incidents/<id>.md``, where ``<id>`` is the incident's anchor on the status page
(``backend-20260310T1100Z``). A file whose id matches no incident the monitor found is an
incident of its own (something users saw that no check caught)::

    # Sign-ins failing for some users
    services: frontend

    ## Investigating · 2026-03-10 11:05 UTC
    We are looking into failed sign-ins.

    ## Resolved · 2026-03-10 11:40 UTC
    A bad deploy was rolled back.

The text is shown as plain paragraphs (never as HTML): what anyone with push access writes must
not become script on a public page. A file that does not follow the format is left off the page,
and the problem is named (file, line, what was expected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

STATUSES = ("Investigating", "Identified", "Monitoring", "Update", "Resolved")
_HEADING = re.compile(r"^##\s+(?P<status>\w+)\s*[·|-]\s*(?P<at>\d{4}-\d{2}-\d{2} \d{2}:\d{2})(?:\s*UTC)?\s*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*[0-9]{8}T[0-9]{4}Z$")


@dataclass(frozen=True)
class Update:
    status: str
    at: datetime
    text: str


@dataclass
class Note:
    id: str
    title: str = ""
    services: list[str] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)  # oldest first

    @property
    def resolved(self) -> bool:
        return bool(self.updates) and self.updates[-1].status == "Resolved"


class NoteError(ValueError):
    pass


def parse(note_id: str, text: str, source: str = "") -> Note:
    where = source or f"incidents/{note_id}.md"
    note = Note(note_id)
    current: tuple[str, datetime, list[str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            match = _HEADING.match(line)
            if not match or match["status"] not in STATUSES:
                raise NoteError(
                    f"{where}:{number}: expected '## <{' | '.join(STATUSES)}> · YYYY-MM-DD HH:MM UTC', "
                    f"got {line.strip()!r}"
                )
            if current:
                note.updates.append(Update(current[0], current[1], "\n".join(current[2]).strip()))
            current = (match["status"], datetime.strptime(match["at"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC), [])
        elif current is not None:
            current[2].append(line)
        elif line.startswith("# ") and not note.title:
            note.title = line[2:].strip()
        elif line.lower().startswith("services:"):
            note.services = [s.strip() for s in line.split(":", 1)[1].split(",") if s.strip()]
        elif line.strip():
            raise NoteError(
                f"{where}:{number}: before the first update only '# title' and 'services: a, b' may "
                f"stand, got {line.strip()!r}"
            )
    if current:
        note.updates.append(Update(current[0], current[1], "\n".join(current[2]).strip()))
    if not note.updates:
        raise NoteError(f"{where}: no update (a line '## Investigating · YYYY-MM-DD HH:MM UTC' and text under it)")
    note.updates.sort(key=lambda u: u.at)
    return note


def read(folder: Path | None) -> tuple[dict[str, Note], list[str]]:
    """Every note in ``folder`` by id, and the problems with the files left out."""
    if folder is None or not folder.is_dir():
        return {}, []
    notes, problems = {}, []
    for path in sorted(folder.glob("*.md")):
        if not _ID.match(path.stem):
            problems.append(
                f"{path}: the name must be an incident id shown on the status page, e.g. backend-20260310T1100Z.md"
            )
            continue
        try:
            notes[path.stem] = parse(path.stem, path.read_text(encoding="utf-8"), str(path))
        except (NoteError, UnicodeDecodeError) as exc:
            problems.append(str(exc))
    return notes, problems
