"""The history as text: one JSON object a line, in one file per target per day
(``<root>/<target>/<YYYY-MM-DD>.jsonl``), appended to and never rewritten, so a git branch holding
them merges by concatenation (``merge=union``) and the SQLite history can be rebuilt from them.

Two kinds of line: a run (``{"kind": "run", "run_id", "target", "started", "finished",
"deploy_version", "runner", "schedule"}``, written when the run starts and again when it
finishes) and a check result (a results-file record, :meth:`CheckResult.to_dict`). All lines of a
run go to the file of the day it started, in the order its records were made. Old months are
compacted into ``<target>/<YYYY-MM>.jsonl.gz``, read the same way.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

RUN = "run"


def day_file(root: Path, target: str, when: datetime) -> Path:
    return root / target / f"{when:%Y-%m-%d}.jsonl"


def append_line(path: Path, data: dict[str, Any]) -> None:
    """Append one line and flush it. A line torn by a kill stays unterminated; the next writer
    ends it first, so it never glues itself to a whole record (readers skip it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as fh:
        if fh.tell():
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
        fh.write(json.dumps(data, sort_keys=True).encode() + b"\n")


@dataclass
class Read:
    lines: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file:line: why", for torn or foreign lines


def read_file(path: Path) -> Read:
    """Every whole line of a text history or results file; torn or unreadable lines are skipped
    and listed, never guessed at."""
    read = Read()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            read.skipped.append(f"{path}:{number}: not a whole JSON line (torn by a killed writer?)")
            continue
        if not isinstance(data, dict) or not (data.get("kind") == RUN or "verdict" in data):
            read.skipped.append(f"{path}:{number}: neither a run nor a check result")
            continue
        read.lines.append(data)
    return read


def history_files(root: Path, since: date | None = None) -> Iterator[Path]:
    """Compacted months first, then day files, oldest first within each target; with ``since``,
    only the day files from that day on."""
    for target in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else ():
        if since is None:
            yield from sorted(target.glob("*.jsonl.gz"))
        yield from sorted(p for p in target.glob("*.jsonl") if since is None or date.fromisoformat(p.stem) >= since)


def compact(root: Path, before: date) -> list[Path]:
    """Fold every day file older than ``before`` into its month's ``.jsonl.gz`` (gzip members
    append, so a month compacted twice is still one file) and remove the day files.
    Returns the month files written."""
    written: set[Path] = set()
    for path in list(history_files(root)):
        if path.suffix != ".jsonl":
            continue
        day = date.fromisoformat(path.stem)
        if day >= before:
            continue
        month = path.with_name(f"{day:%Y-%m}.jsonl.gz")
        data = path.read_bytes()
        with gzip.open(month, "ab") as out:
            out.write(data if data.endswith(b"\n") or not data else data + b"\n")
        path.unlink()
        written.add(month)
    return sorted(written)
