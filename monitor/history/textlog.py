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
import os
import zlib
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


@dataclass(frozen=True)
class SetAside:
    """A line the reader could not use: kept as it was (the file is never rewritten, and the
    SQLite history keeps a copy), with where it was and why."""

    file: str
    line: int
    reason: str
    raw: bytes

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class Read:
    lines: list[dict[str, Any]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # each line's number in its file
    raw: list[bytes] = field(default_factory=list)  # each line as it was written
    set_aside: list[SetAside] = field(default_factory=list)

    @property
    def skipped(self) -> list[str]:
        return [str(line) for line in self.set_aside]


def read_file(path: Path) -> Read:
    """Every whole line of a text history or results file; a torn or foreign line is set aside
    with its place and the reason, never guessed at, and the rest is read. A compacted month cut
    off part-way (a full disk, a killed compaction) gives what it held up to the cut."""
    read = Read()
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw, problem = _gunzip(raw)
        if problem:
            read.set_aside.append(SetAside(str(path), raw.count(b"\n") + 1, problem, b""))
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            read.set_aside.append(SetAside(str(path), number, "not a whole JSON line (torn by a killed writer?)", line))
            continue
        if not isinstance(data, dict) or not (data.get("kind") == RUN or "verdict" in data):
            read.set_aside.append(SetAside(str(path), number, "neither a run nor a check result", line))
            continue
        read.lines.append(data)
        read.numbers.append(number)
        read.raw.append(line)
    read.set_aside.sort(key=lambda s: s.line)
    return read


def _gunzip(data: bytes) -> tuple[bytes, str]:
    """Every member of a gzip file (a month compacted twice has two), as far as it goes: what a
    cut-off member held up to the cut, and the problem, if any."""
    out = bytearray()
    while data:
        member = zlib.decompressobj(wbits=47)  # 32 + 15: a gzip header, the largest window
        try:
            out += member.decompress(data)
        except zlib.error as exc:
            return bytes(out), f"compressed file damaged here ({exc})"
        if not member.eof:
            return bytes(out), "compressed file cut off here (a full disk or a killed compaction?)"
        data = member.unused_data
    return bytes(out), ""


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


PENDING_SUFFIX = ".text-history-pending"


def pending_marker(results: Path, run_id: str) -> Path:
    """Left beside a results file by a run whose records the text history could not all take."""
    return results.with_name(f"{results.name}.{run_id}{PENDING_SUFFIX}")


def _records_of(path: Path, run_id: str) -> tuple[int, bool, bool]:
    """(whole check records, a start line, a finish line) of ``run_id`` in ``path``."""
    if not path.exists():
        return 0, False, False
    records, started, finished = 0, False, False
    for data in read_file(path).lines:
        if data.get("run_id") != run_id:
            continue
        if data.get("kind") == RUN:
            started = True
            finished = finished or bool(data.get("finished"))
        else:
            records += 1
    return records, started, finished


def catch_up(marker: Path) -> int:
    """Append to the text history what a run left only in its results file (see
    :func:`pending_marker`), then remove the marker; returns the records appended. Idempotent by run
    id: the run's records already in its day file are counted and only the rest is appended (a torn
    line is not a record, so its record is appended again). The marker is claimed by renaming it
    first, so two runs catching up at once append nothing twice; if appending fails again (the disk
    is still full) it is put back for the next run, and the error raised."""
    claimed = marker.with_name(f"{marker.name}.claimed-{os.getpid()}")
    try:
        os.rename(marker, claimed)
    except FileNotFoundError:
        return 0  # another run took it
    try:
        pending = json.loads(claimed.read_text(encoding="utf-8"))
        run_id, day = pending["run_id"], Path(pending["day_file"])
        mine = [
            data
            for data in read_file(Path(pending["results"])).lines
            if data.get("run_id") == run_id and data.get("kind") != RUN
        ]
        kept, started, finished = _records_of(day, run_id)
        if not started:
            append_line(day, pending["start_line"])
        for data in mine[kept:]:
            append_line(day, data)
        if not finished and pending.get("finish_line"):
            append_line(day, pending["finish_line"])
    except BaseException:
        os.replace(claimed, marker)
        raise
    claimed.unlink()
    return max(len(mine) - kept, 0)
