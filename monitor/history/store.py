"""The results history: every record of every run in one SQLite file (stdlib ``sqlite3``).

WAL mode, one short ``BEGIN IMMEDIATE`` transaction per record: writers (two overlapping runs,
an import) queue behind each other for at most ``busy_timeout_s`` and lose nothing; readers never
wait; a process killed midway leaves every committed record and no half of one. Records are
keyed by (run id, position in the run), so adding a run again (re-importing its results file or
its text history) adds nothing.

``synchronous=NORMAL``: a commit survives the process being killed; only a power loss can take
the last commits back (the text history on the data branch is the copy that survives runners).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import struct
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from monitor.history import textlog
from monitor.history.observation import Drawn, Observation, RunChecks, Seen, measured, seen_checks
from monitor.history.schedule import ObservedRun, Slot, Status, timeline
from monitor.results import CheckResult, UnusableRecord, Verdict, utc_time

# 2: run_checks, what each run's records of a suite amount to (kept as they are written), and the
# index results_by_run_check. 3: results.samples, a record's ``samples_ms`` as numbers. An older file
# gains what it lacks when a writer opens it; a reader that may not write works run_checks out in
# memory and reads the samples from the records' details.
SCHEMA_VERSION = 3
_VERDICTS = {v.value: v for v in Verdict}
BUSY_TIMEOUT_S = 5.0
_MMAP_BYTES = 1 << 30

# What the SLO reader walks: a target's runs in start order, then each run's records by key. Not
# part of the versioned schema: a writer adds it to a history file made before it.
_RUNS_BY_START = "CREATE INDEX IF NOT EXISTS runs_by_start ON runs (target, started, run_id)"
# The samples of one check's records (a latency objective's), read from the index alone; only the
# records that have some, or that are the details' to say (NULL), are in it.
_SAMPLES_WHERE = "(samples IS NULL OR length(samples) > 0)"
_RESULTS_SAMPLES = (
    f"CREATE INDEX IF NOT EXISTS results_samples ON results (target, check_id, run_id, samples) WHERE {_SAMPLES_WHERE}"
)

# One row per (run, suite, target): each check's worst verdict and its failed records' categories
# (:func:`_encode`), so uptime reads a row per run rather than every record. ``first_seq`` keeps a
# run's suites in the order its records came.
_RUN_CHECKS = """CREATE TABLE {schema}run_checks (
    run_id TEXT NOT NULL, suite TEXT NOT NULL, target TEXT NOT NULL, first_seq INTEGER NOT NULL, checks TEXT NOT NULL,
    PRIMARY KEY (run_id, suite, target)) WITHOUT ROWID"""
# The records of one kind of check (the latency chart's) and those that carry a deploy version, in a
# span of runs: found in the index, only the rows wanted are fetched (:meth:`HistoryStore.drawn`).
_RESULTS_BY_RUN_CHECK = "CREATE INDEX results_by_run_check ON results (run_id, check_name, check_id, deploy_version)"
_FIELD, _LINE, _LIST = "\x1f", "\x1e", "\x1d"

_SCHEMA = [
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, target TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
        deploy_version TEXT NOT NULL DEFAULT '', runner TEXT NOT NULL DEFAULT '', schedule TEXT NOT NULL DEFAULT '')""",
    "CREATE TABLE run_suites (run_id TEXT NOT NULL, suite TEXT NOT NULL, PRIMARY KEY (run_id, suite)) WITHOUT ROWID",
    """CREATE TABLE results (
        run_id TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL, target TEXT NOT NULL, suite TEXT NOT NULL,
        check_id TEXT NOT NULL, check_name TEXT NOT NULL, service TEXT NOT NULL, path TEXT NOT NULL,
        verdict TEXT NOT NULL, category TEXT, duration_ms REAL, attempts INTEGER NOT NULL, url TEXT NOT NULL,
        message TEXT NOT NULL, details TEXT NOT NULL, deploy_version TEXT NOT NULL, runner TEXT NOT NULL,
        samples BLOB, PRIMARY KEY (run_id, seq))""",
    "CREATE INDEX results_by_check ON results (target, check_id, time)",
    _RUNS_BY_START,
    _RESULTS_SAMPLES,
    "CREATE TABLE imported (sha256 TEXT PRIMARY KEY) WITHOUT ROWID",
    _RUN_CHECKS.format(schema=""),
    _RESULTS_BY_RUN_CHECK,
    """CREATE VIEW records AS SELECT results.*, runs.started, runs.finished, runs.schedule
        FROM results JOIN runs USING (run_id)""",
]
_RESULT_COLUMNS = (
    "run_id",
    "seq",
    "time",
    "target",
    "suite",
    "check_id",
    "check_name",
    "service",
    "path",
    "verdict",
    "category",
    "duration_ms",
    "attempts",
    "url",
    "message",
    "details",
    "deploy_version",
    "runner",
)
_INSERT_RESULT = (
    f"INSERT OR IGNORE INTO results ({', '.join(_RESULT_COLUMNS)}, samples)"
    f" VALUES ({', '.join('?' * (len(_RESULT_COLUMNS) + 1))})"
)
# A record's samples_ms as measured() takes them out of its details as stored (JSON), packed as
# little-endian doubles: the latency objectives and the chart read thousands of records, and a JSON
# parse each (SQLite's, then Python's) was most of their time. NULL: read them from the details (a
# value measured() refuses, or a file written before version 3).
_SAMPLES = "samples_ms"
_ADD_SAMPLES = "ALTER TABLE results ADD COLUMN samples BLOB"
_UPSERT_RUN = """INSERT INTO runs (run_id, target, started, finished, deploy_version, runner, schedule)
    VALUES (:run_id, :target, :started, :finished, :deploy_version, :runner, :schedule)
    ON CONFLICT (run_id) DO UPDATE SET started = excluded.started, finished = coalesce(excluded.finished, finished),
        deploy_version = excluded.deploy_version, runner = excluded.runner, schedule = excluded.schedule"""


# Lines an import could not use, as they were written (a newer monitor's records come back whole
# once that monitor reads them). Beside the versioned schema, like the alert tables: an older
# history file gains it when it first needs it.
_SET_ASIDE_TABLE = """CREATE TABLE IF NOT EXISTS set_aside (
    file TEXT NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL, raw BLOB NOT NULL, PRIMARY KEY (file, line))"""


class HistoryError(Exception):
    """The history file cannot be used; the message names the file and says what to do."""


def rebuild_hint(path: Path) -> str:
    return f"slurpy-monitor history rebuild --from <text history folder> --to {path}"


def _explain(path: Path, exc: BaseException, busy_timeout_s: float) -> HistoryError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        what = (
            f"is locked by another process (waited {busy_timeout_s:g} s): let the other run finish, or stop "
            "whatever holds it open (a sqlite3 shell, a stuck run)"
        )
    elif "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        what = (
            f"is read-only: make it and its folder writable (chmod u+w {path} {path.parent}) "
            "or point --history at a writable file"
        )
    elif "not a database" in text or "malformed" in text or "encrypted" in text:
        what = (
            f"is corrupt ({exc}): move it aside (mv {path} {path}.corrupt) and rebuild it "
            f"({rebuild_hint(path)}), or let the next run start a new one"
        )
    elif "unable to open" in text:
        what = "cannot be opened: check that its folder exists and is writable, or point --history elsewhere"
    else:
        what = f"cannot be used: {exc}"
    return HistoryError(f"history {path} {what}")


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    target: str
    started: str  # ISO 8601, UTC
    finished: str | None = None
    deploy_version: str = ""
    runner: str = ""
    schedule: str = ""

    def to_line(self) -> dict[str, Any]:
        return {"kind": textlog.RUN, **asdict(self)}

    @classmethod
    def from_line(cls, data: dict[str, Any]) -> RunInfo:
        """A run line from any monitor; :class:`UnusableRecord` if it cannot be used."""
        for name in ("run_id", "target", "started"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise UnusableRecord(
                    f"run line: field {name!r} is "
                    + ("missing" if name not in data else "null" if data[name] is None else f"{data[name]!r:.60}")
                )
        times = {
            n: utc_time(data[n], f"run line: field {n!r}") for n in ("started", "finished") if data.get(n) is not None
        }

        def text(name: str) -> str:
            return data[name] if isinstance(data.get(name), str) else ""

        return cls(
            run_id=data["run_id"],
            target=data["target"],
            started=times["started"],
            finished=times.get("finished"),
            deploy_version=text("deploy_version"),
            runner=text("runner"),
            schedule=text("schedule"),
        )


@dataclass
class Imported:
    runs: int = 0
    records: int = 0
    files_unchanged: int = 0
    set_aside: list[textlog.SetAside] = field(default_factory=list)

    @property
    def skipped_lines(self) -> list[str]:
        """ "file:line: why" for each line set aside."""
        return [str(line) for line in self.set_aside]


def _row(result: CheckResult, seq: int) -> tuple:
    details = json.dumps(result.details, sort_keys=True)
    return (
        result.run_id,
        seq,
        result.time,
        result.target,
        result.suite,
        result.id,
        result.check,
        result.service,
        result.path,
        result.verdict.value,
        result.category.value if result.category else None,
        result.duration_ms,
        result.attempts,
        result.url,
        result.message,
        details,
        result.deploy_version,
        result.runner,
        _pack_numbers(result.details.get(_SAMPLES)) or _pack_samples(details, result.duration_ms),
    )


def _pack_numbers(value: Any) -> bytes | None:
    """A list of plain numbers packed as they are (what they read back as from the JSON details);
    None for anything else, which :func:`_pack_samples` works out from the JSON."""
    if type(value) is not list or not all(type(v) is float or type(v) is int for v in value):
        return None
    try:
        return struct.pack(f"<{len(value)}d", *value)
    except OverflowError:
        return None  # an integer too big for a double: refused by measured() too


def _json_path(measure: str) -> str:
    """Where ``measure``'s value is in a record's details (see :func:`_measured`)."""
    key = "steps" if measure.startswith("step:") else measure
    return "$" if '"' in key or "\\" in key else f'$."{key}"'


def _measured(path: str, kind: str | None, value: Any, duration_ms: float | None, measure: str) -> tuple[float, ...]:
    """:func:`measured` of a record from what SQLite took out of its details at ``path``: the
    value's JSON type (None: not there) and the value (JSON text for a list or an object)."""
    if kind == "array" and path != "$" and measure != "duration_ms" and not measure.startswith("step:"):
        return tuple(map(float, json.loads(value)))  # a list of times (what measured() makes of one)
    if kind in ("array", "object"):
        value = json.loads(value)
    if path == "$":
        return measured(value, duration_ms, measure)
    key = "steps" if measure.startswith("step:") else measure
    return measured({} if kind is None else {key: value}, duration_ms, measure)


def _pack_samples(details: str, duration_ms: float | None) -> bytes | None:
    """The ``samples`` column of a record whose details are ``details`` (JSON text)."""
    if f'"{_SAMPLES}"' not in details:
        return b""  # not there, as a key or anywhere in a value: measured() finds none
    try:
        data = json.loads(details)
        if not isinstance(data, dict):
            return b""  # no key to find: SQLite's JSON path finds nothing either
        times = measured(data, duration_ms, _SAMPLES)
    except (TypeError, ValueError, OverflowError):
        return None  # what measured() refuses is refused again when read, as it always was
    return struct.pack(f"<{len(times)}d", *times)


_SAMPLES_PATH = _json_path(_SAMPLES)


@cache
def _unpacker(size: int) -> Callable[[bytes], tuple[float, ...]]:
    return struct.Struct(f"<{size // 8}d").unpack  # one format a length: thousands of records share a few


def _parser() -> Callable[[str], datetime]:
    """ISO 8601 text to a time, each text parsed once per read: a run's records share its start,
    and often their own times."""
    return lru_cache(maxsize=None)(datetime.fromisoformat)


def _unpack_samples(blob: bytes) -> tuple[float, ...]:
    return _unpacker(len(blob))(blob)


def _encode(checks: tuple[Seen, ...]) -> str:
    return _LINE.join(_FIELD.join((s.check_id, s.check, s.service, str(s.rank), _LIST.join(s.failed))) for s in checks)


def _decode(text: str) -> tuple[Seen, ...]:
    found = []
    for line in text.split(_LINE) if text else ():
        check_id, check, service, rank, failed = line.split(_FIELD)
        found.append(Seen(check_id, check, service, int(rank), tuple(failed.split(_LIST)) if failed else ()))
    return tuple(found)


_RECORDS_FOR_CHECKS = "SELECT run_id, suite, target, seq, check_id, check_name, service, verdict, category FROM results"


def _run_checks(db: sqlite3.Connection, run_ids: Iterable[str] | None = None, schema: str = "") -> None:
    """(Re)write the run_checks rows of ``run_ids`` (all runs: None) from their records."""
    if run_ids is None:
        rows = db.execute(_RECORDS_FOR_CHECKS + " ORDER BY run_id, seq").fetchall()
    else:
        run_ids = sorted(set(run_ids))  # one statement for all of them: an import brings thousands
        rows = db.execute(
            _RECORDS_FOR_CHECKS + " WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, seq",
            (json.dumps(run_ids),),
        ).fetchall()
    grouped: dict[tuple[str, str, str], list[tuple]] = {}
    for run_id, suite, target, seq, *record in rows:
        grouped.setdefault((run_id, suite, target), []).append((seq, *record))
    if run_ids is not None:
        db.executemany(f"DELETE FROM {schema}run_checks WHERE run_id = ?", [(r,) for r in set(run_ids)])
    db.executemany(
        f"INSERT OR REPLACE INTO {schema}run_checks VALUES (?, ?, ?, ?, ?)",
        [(*key, mine[0][0], _encode(seen_checks(r[1:] for r in mine))) for key, mine in grouped.items()],
    )


def _add_to_run_checks(db: sqlite3.Connection, result: CheckResult, seq: int) -> None:
    """One new record into its run's row: the same as working the row out again from all its records."""
    key = (result.run_id, result.suite, result.target)
    row = db.execute(
        "SELECT first_seq, checks FROM run_checks WHERE run_id = ? AND suite = ? AND target = ?", key
    ).fetchone()
    new = seen_checks(
        [
            (
                result.id,
                result.check,
                result.service,
                result.verdict.value,
                result.category.value if result.category else None,
            )
        ]
    )
    if row is None:
        db.execute("INSERT INTO run_checks VALUES (?, ?, ?, ?, ?)", (*key, seq, _encode(new)))
        return
    merged = {(s.check_id, s.check, s.service): s for s in _decode(row[1])}
    for s in new:
        known = merged.get((s.check_id, s.check, s.service))
        merged[s.check_id, s.check, s.service] = (
            s
            if known is None
            else s._replace(rank=min(s.rank, known.rank), failed=tuple(sorted({*s.failed, *known.failed})))
        )
    checks = tuple(merged[k] for k in sorted(merged))
    db.execute(
        "UPDATE run_checks SET first_seq = ?, checks = ? WHERE run_id = ? AND suite = ? AND target = ?",
        (min(seq, row[0]), _encode(checks), *key),
    )


class HistoryStore:
    """``read_only``: for commands that only read (uptime, the status page): the file is opened
    without asking for write access, so a history on a read-only mount, or one the reader may not
    write, is readable; a missing file reads as an empty history and is not created."""

    def __init__(self, path: Path, busy_timeout_s: float | None = None, read_only: bool = False):
        self.path = Path(path)
        self.busy_timeout_s = BUSY_TIMEOUT_S if busy_timeout_s is None else busy_timeout_s
        self.read_only = read_only
        self._db: sqlite3.Connection | None = None
        self._samples_kept: bool | None = None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._samples_kept = None

    @contextmanager
    def _explained(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise _explain(self.path, exc, self.busy_timeout_s) from exc

    def _connect(self) -> sqlite3.Connection:
        if self._db is None and self.read_only:
            with self._explained():
                self._db = self._open_read_only()
        if self._db is None:
            with self._explained():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    self._ensure_schema(db)
                    db.execute(_RUNS_BY_START)
                    db.execute(_RESULTS_SAMPLES)
                except BaseException:
                    db.close()
                    raise
            self._db = db
        return self._db

    def _has_samples(self, db: sqlite3.Connection) -> bool:
        """Whether the file keeps the samples as numbers (version 3), asked once per connection: it
        cannot stop keeping them, and a reader that opened an older file reads the details either way."""
        if self._samples_kept is None:
            self._samples_kept = any(name == "samples" for _, name, *_ in db.execute("PRAGMA table_info(results)"))
        return self._samples_kept

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.is_file():
            return self._empty()
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError:
            # A WAL history whose folder cannot be written (a read-only mount) and that has no shared
            # memory file yet: SQLite cannot set up its locks. Read the file as it is (immutable):
            # what a writer that crashed left only in its -wal file is not seen.
            db.close()
            db = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 and not db.execute("SELECT 1 FROM sqlite_master").fetchone():
            db.close()
            return self._empty()
        try:
            # Readers walk indexes and fetch rows all over the file: mapped, a page is read without a
            # system call and a copy (the SLO reader's queries measured 10-40 % faster).
            db.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
            self._ensure_schema(db)
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _empty() -> sqlite3.Connection:
        """An empty history, in memory: what a reader sees before the first run wrote one."""
        db = sqlite3.connect(":memory:", isolation_level=None)
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return db

    def _ensure_schema(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version == 0 and not db.execute("SELECT 1 FROM sqlite_master").fetchone():
            self._in_transaction(db, lambda: self._create(db))
            return
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"history {self.path} has schema version {version}, newer than this slurpy-monitor's "
                f"({SCHEMA_VERSION}): upgrade slurpy-monitor, or point --history at another file"
            )
        if version in (1, 2) and self.read_only:
            # Read as it is: what version 2 adds, worked out in memory for this reader; the samples
            # that version 3 keeps as numbers are read from the records' details.
            if version == 1:
                db.execute(_RUN_CHECKS.format(schema="temp."))
                _run_checks(db, schema="temp.")
            return
        if version in (1, 2):
            self._in_transaction(db, lambda: self._migrate(db))
            return
        raise HistoryError(
            f"history {self.path} has an older schema (version {version}, this slurpy-monitor writes "
            f"{SCHEMA_VERSION}): move it aside (mv {self.path} {self.path}.old) and rebuild it "
            f"({rebuild_hint(self.path)}); its runs' results files can be re-imported too"
        )

    @staticmethod
    def _in_transaction(db: sqlite3.Connection, change: Callable[[], None]) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            change()
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA user_version").fetchone()[0] == 0:  # no other writer created it meanwhile
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Version 1 to 2: run_checks, worked out from the records already there. Version 2 to 3:
        each record's samples, taken out of its details."""
        version = db.execute("PRAGMA user_version").fetchone()[0]  # another writer may have migrated it meanwhile
        if version == 1:
            db.execute(_RUN_CHECKS.format(schema=""))
            db.execute(_RESULTS_BY_RUN_CHECK)
            _run_checks(db)
        if version in (1, 2):
            db.execute(_ADD_SAMPLES)
            # records without the key (most of them) in one statement, the others one by one
            db.execute(f"""UPDATE results SET samples = X'' WHERE instr(details, '"{_SAMPLES}"') = 0""")
            db.executemany(
                "UPDATE results SET samples = ? WHERE rowid = ?",
                [
                    (_pack_samples(details, duration_ms), rowid)
                    for rowid, details, duration_ms in db.execute(
                        "SELECT rowid, details, duration_ms FROM results WHERE samples IS NULL"
                    ).fetchall()
                ],
            )
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        with self._explained():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # writing

    def begin_run(self, run: RunInfo) -> None:
        with self._write() as db:
            db.execute(_UPSERT_RUN, asdict(run))

    def add(self, result: CheckResult, seq: int) -> None:
        with self._write() as db:
            if db.execute(_INSERT_RESULT, _row(result, seq)).rowcount:
                _add_to_run_checks(db, result, seq)
            db.execute("INSERT OR IGNORE INTO run_suites VALUES (?, ?)", (result.run_id, result.suite))

    def finish_run(self, run_id: str, finished: str) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET finished = ? WHERE run_id = ?", (finished, run_id))

    def import_lines(
        self,
        lines: Iterable[dict[str, Any]],
        origin: str,
        numbers: Sequence[int] = (),
        raw: Sequence[bytes] = (),
        where: str = "",
    ) -> Imported:
        """Add runs and records from text-history or results-file lines; what is already there stays.
        A record's position is its place among its run's records in ``lines``; records without a
        run id (files older than run ids) belong to a run named after ``origin``. A line this
        monitor cannot use (a newer monitor's verdict, a null, a missing field) is set aside with
        its file (``where``, else ``origin``) and number (``numbers``, else its place), and kept as
        written (``raw``) in the ``set_aside`` table; the rest is imported."""
        runs: dict[str, RunInfo] = {}
        rows: list[tuple] = []
        seen: dict[str, list[CheckResult]] = {}
        set_aside: list[textlog.SetAside] = []
        for index, data in enumerate(lines):
            try:
                if data.get("kind") == textlog.RUN:
                    info = RunInfo.from_line(data)
                    known = runs.get(info.run_id)
                    runs[info.run_id] = (
                        info
                        if known is None or info.finished
                        else RunInfo(**{**asdict(info), "finished": known.finished})
                    )
                    continue
                result = CheckResult.from_record({k: v for k, v in data.items() if k != "kind"})
            except UnusableRecord as exc:
                number = numbers[index] if index < len(numbers) else index + 1
                text = raw[index] if index < len(raw) else json.dumps(data, sort_keys=True).encode()
                set_aside.append(textlog.SetAside(where or origin, number, str(exc), text))
                continue
            result.run_id = result.run_id or f"file:{origin}"
            mine = seen.setdefault(result.run_id, [])
            rows.append(_row(result, len(mine)))
            mine.append(result)
        imported = Imported(set_aside=set_aside)
        with self._write() as db:
            if set_aside:
                db.execute(_SET_ASIDE_TABLE)
                db.executemany(
                    "INSERT OR REPLACE INTO set_aside VALUES (?, ?, ?, ?)",
                    [(s.file, s.line, s.reason, s.raw) for s in set_aside],
                )
            before = db.total_changes
            db.executemany(_INSERT_RESULT, rows)
            imported.records = db.total_changes - before
            if imported.records:
                _run_checks(db, seen)
            for run_id, results in seen.items():
                db.executemany("INSERT OR IGNORE INTO run_suites VALUES (?, ?)", {(run_id, r.suite) for r in results})
                if run_id not in runs:  # a results file: the run is known only by its records
                    first = results[0]
                    times = sorted(r.time for r in results)
                    before = db.total_changes
                    db.execute(
                        "INSERT OR IGNORE INTO runs (run_id, target, started, finished, deploy_version, runner)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (run_id, first.target, times[0], times[-1], first.deploy_version, first.runner),
                    )
                    imported.runs += db.total_changes - before
            for info in runs.values():
                new = db.execute("SELECT 1 FROM runs WHERE run_id = ?", (info.run_id,)).fetchone() is None
                db.execute(_UPSERT_RUN, asdict(info))
                imported.runs += new
        return imported

    def import_file(self, path: Path) -> Imported:
        """Import a results file or a text-history file; a file imported before unchanged is skipped."""
        digest = hashlib.sha256(path.read_bytes()).hexdigest()  # an unreadable input is not the history's fault
        db = self._connect()
        with self._explained():
            if db.execute("SELECT 1 FROM imported WHERE sha256 = ?", (digest,)).fetchone():
                return Imported(files_unchanged=1)
        read = textlog.read_file(path)
        imported = self.import_lines(read.lines, origin=path.name, numbers=read.numbers, raw=read.raw, where=str(path))
        imported.set_aside = sorted(read.set_aside + imported.set_aside, key=lambda s: s.line)
        if read.set_aside:
            with self._write() as db:
                db.execute(_SET_ASIDE_TABLE)
                db.executemany(
                    "INSERT OR REPLACE INTO set_aside VALUES (?, ?, ?, ?)",
                    [(s.file, s.line, s.reason, s.raw) for s in read.set_aside],
                )
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO imported VALUES (?)", (digest,))
        return imported

    # reading

    def count(self) -> int:
        with self._explained():
            return self._connect().execute("SELECT count(*) FROM results").fetchone()[0]

    def runs(self) -> list[RunInfo]:
        with self._explained():
            rows = (
                self._connect()
                .execute(
                    "SELECT run_id, target, started, finished, deploy_version, runner, schedule "
                    "FROM runs ORDER BY started"
                )
                .fetchall()
            )
        return [RunInfo(*row) for row in rows]

    def results(self, run_id: str | None = None) -> list[CheckResult]:
        query = f"SELECT {', '.join(_RESULT_COLUMNS)} FROM results"
        with self._explained():
            rows = (
                self._connect()
                .execute(
                    query + (" WHERE run_id = ?" if run_id else "") + " ORDER BY run_id, seq",
                    (run_id,) if run_id else (),
                )
                .fetchall()
            )
        results = []
        for row in rows:
            data = dict(zip(_RESULT_COLUMNS, row, strict=False))
            data.update(check=data.pop("check_name"), details=json.loads(data["details"]))
            del data["seq"], data["check_id"]
            results.append(CheckResult.from_dict(data))
        return results

    def suites(self) -> list[tuple[str, str]]:
        """(target, suite) pairs that have scheduled runs."""
        with self._explained():
            return (
                self._connect()
                .execute(
                    "SELECT DISTINCT runs.target, suite FROM runs JOIN run_suites USING (run_id) "
                    "WHERE schedule != '' ORDER BY 1, 2"
                )
                .fetchall()
            )

    def observed(self, target: str, suite: str) -> list[ObservedRun]:
        """Each run of this suite: down if a check failed, up if any passed, else (only skips or
        the monitor's own errors) unknown."""
        with self._explained():
            rows = (
                self._connect()
                .execute(
                    """SELECT runs.run_id, runs.started, runs.schedule,
                          sum(results.verdict = 'fail'), sum(results.verdict IN ('pass', 'flaky', 'warn'))
                   FROM runs JOIN results ON results.run_id = runs.run_id AND results.suite = ?
                   WHERE runs.target = ? GROUP BY runs.run_id ORDER BY runs.started""",
                    (suite, target),
                )
                .fetchall()
            )
        return [
            ObservedRun(
                run_id,
                datetime.fromisoformat(started),
                schedule,
                Status.DOWN if failed else Status.UP if passed else Status.UNKNOWN,
            )
            for run_id, started, schedule, failed, passed in rows
        ]

    def observations(
        self,
        target: str,
        since: datetime,
        measures: Mapping[str, str] | None = None,
        findings: bool = False,
        runs: Collection[str] | None = None,
        check_ids: Collection[str] | None = None,
    ) -> list[Observation]:
        """Every record of ``target`` from runs that started at or after ``since``, oldest run first,
        each run's records in the order they were made: the one record type SLO figures, the status
        page and alerting read. ``measures``: check id or kind -> the measure (see
        :func:`monitor.history.observation.measured`) whose times its records carry in
        ``latency_ms``; only those records' JSON details are read (by check id, else ``samples_ms``).
        ``findings``: each record's message and URL too, and a failing or warning one's
        ``details.problems`` (what alerting words an incident with). Only the records of the
        ``runs`` named, if given. Only the records of the ``check_ids`` named, if given: found
        through the index by check id (a latency objective's records, one a run, are read without
        walking every run's records). What the status page draws: :meth:`drawn`."""
        measures = measures or {}
        wanted = sorted(measures)
        marks = ", ".join("?" * len(wanted))
        # Only the measure's value is taken out of a record's details, by SQLite (a number, or JSON
        # text for a list; for "step:" the steps): what it amounts to is measured()'s to say.
        path = "CASE" + " WHEN r.check_id = ? THEN ?" * len(wanted)
        path += f" WHEN r.check_id IN ({marks}) OR r.check_name IN ({marks}) THEN ? END"
        paths = [v for c in wanted for v in (c, _json_path(measures[c]))] + [*wanted, *wanted, _SAMPLES_PATH]
        where, params = "", []
        if runs is not None:
            where += f" AND runs.run_id IN ({', '.join('?' * len(runs))})"
            params += sorted(runs)
        if check_ids is not None:
            where += f" AND r.check_id IN ({', '.join('?' * len(check_ids))})"
            params += sorted(check_ids)
        found = (
            "r.message, r.url, CASE WHEN r.verdict IN ('fail', 'warn') THEN json_extract(r.details, '$.problems') END"
            if findings
            else "'', '', NULL"
        )
        with self._explained():
            db = self._connect()
            # CROSS JOIN keeps runs the outer loop: walked in start order by runs_by_start, each run's
            # records by their key, so only the records within a run need sorting. A few check ids'
            # records: the other way round, found by results_by_check, their runs by key, then sorted.
            joined = (
                "results r CROSS JOIN runs ON runs.run_id = r.run_id"
                if check_ids is not None
                else "runs CROSS JOIN results r ON r.run_id = runs.run_id"
            )
            # The samples kept as numbers spare the details' JSON (a file read as an older version
            # wrote it has none: NULL, the details are read).
            samples = "r.samples" if self._has_samples(db) else "NULL"
            unless = f"CASE WHEN {samples} IS NOT NULL AND {path} = ? THEN NULL ELSE"
            rows = db.execute(
                f"""SELECT runs.run_id, runs.started, runs.schedule, r.suite, r.check_id, r.check_name, r.service,
                           r.verdict, r.category, r.time, {path}, {samples},
                           {unless} json_type(r.details, {path}) END, {unless} json_extract(r.details, {path}) END,
                           r.duration_ms, r.deploy_version, {found}
                    FROM {joined}
                    WHERE runs.target = ? AND r.target = ? AND runs.started >= ?{where}
                    ORDER BY runs.started, runs.run_id, r.seq""",
                (
                    *paths,
                    *[*paths, _SAMPLES_PATH, *paths] * 2,
                    target,
                    target,
                    since.isoformat(timespec="milliseconds"),
                    *params,
                ),
            ).fetchall()
        parse = _parser()
        out = []
        for (
            run_id,
            started,
            schedule,
            suite,
            check_id,
            check,
            service,
            verdict,
            category,
            time,
            path,
            kept,
            kind,
            value,
            duration,
            version,
            message,
            url,
            problems,
        ) in rows:
            began, at = parse(started), parse(time)
            times = (
                ()
                if path is None
                else _unpack_samples(kept)
                if kept is not None and path == _SAMPLES_PATH
                else _measured(path, kind, value, duration, measures.get(check_id, _SAMPLES))
            )
            listed = json.loads(problems) if problems else ()
            out.append(
                Observation(
                    run_id,
                    began,
                    schedule,
                    suite,
                    check_id,
                    check,
                    service,
                    _VERDICTS[verdict],
                    category,
                    at,
                    times,
                    version,
                    message,
                    url,
                    tuple(str(p) for p in listed) if isinstance(listed, list) else (),
                )
            )
        return out

    def drawn(self, target: str, since: datetime, kind: str, measures: Mapping[str, str]) -> Drawn:
        """What the status page draws of the runs of ``target`` that started at or after ``since``
        (as :meth:`observations` finds them): the times of the records of the checks of ``kind``
        (their check name: the latency chart's), each those of its check id's measure in
        ``measures`` (else ``samples_ms``) as :meth:`observations` gives them, and every record's
        deploy version.

        Two walks of the span's runs in the index by run: the kind's records found by check name,
        then the deploy versions, read from the index alone (only a record that carries one is
        fetched). A record's details are read only where its times are not kept as numbers (another
        measure, or a file of an older version read as it is)."""
        others = sorted(check for check, measure in measures.items() if measure != _SAMPLES)
        path = ("CASE r.check_id" + " WHEN ? THEN ?" * len(others) + " ELSE ? END") if others else "?"
        paths = [v for check in others for v in (check, _json_path(measures[check]))] + [_SAMPLES_PATH]
        with self._explained():
            db = self._connect()
            # SQLite picks the primary key, which fetches every record of a run, unless told (a version 1
            # file read as it is has no such index)
            indexed = (
                "INDEXED BY results_by_run_check"
                if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'results_by_run_check'").fetchone()
                else ""
            )
            walk = f"""FROM runs CROSS JOIN results r {indexed} ON r.run_id = runs.run_id
                       WHERE runs.target = ? AND r.target = ? AND runs.started >= ?"""
            span = (target, target, since.isoformat(timespec="milliseconds"))
            samples = "r.samples" if self._has_samples(db) else "NULL"
            unkept = f"{samples} IS NULL OR r.check_id IN ({', '.join('?' * len(others))})"
            timed = db.execute(
                f"""SELECT runs.started, r.service, r.check_id, {samples},
                           CASE WHEN {unkept} THEN json_type(r.details, {path}) END,
                           CASE WHEN {unkept} THEN json_extract(r.details, {path}) END, r.duration_ms
                    {walk} AND r.check_name = ?""",
                (*others, *paths, *others, *paths, *span, kind),
            ).fetchall()
            versions = db.execute(
                f"SELECT runs.started, r.service, r.deploy_version {walk} AND r.deploy_version != ''", span
            ).fetchall()
        began = _parser()

        latency = []
        for started, service, check_id, kept, found, value, duration in timed:
            measure = measures.get(check_id, _SAMPLES)
            times = (
                _unpack_samples(kept)
                if kept is not None and measure == _SAMPLES
                else _measured(_json_path(measure), found, value, duration, measure)
            )
            if times:
                latency.append((service, began(started), times))
        return Drawn(latency, [(service, began(started), version) for started, service, version in versions])

    def run_checks(self, target: str, since: datetime) -> list[RunChecks]:
        """What each run of ``target`` that started at or after ``since`` found, suite by suite:
        runs in the order :meth:`observations` gives their records, without reading a record.
        Runs whose checks said the same share one ``checks`` tuple."""
        with self._explained():
            rows = (
                self._connect()
                .execute(
                    """SELECT runs.run_id, runs.started, runs.schedule, c.suite, c.checks, c.first_seq
                    FROM runs CROSS JOIN run_checks c ON c.run_id = runs.run_id
                    WHERE runs.target = ? AND c.target = ? AND runs.started >= ?
                    ORDER BY runs.started, runs.run_id""",
                    (target, target, since.isoformat(timespec="milliseconds")),
                )
                .fetchall()
            )
        # Each run's suites in the order their records came: sorted here, where the rows come in
        # order already but for a run's few suites (SQLite would sort every row in a temporary
        # b-tree); text sorts as SQLite's BINARY order does.
        rows.sort(key=itemgetter(1, 0, 5))
        parse = _parser()
        decoded: dict[str, tuple[Seen, ...]] = {}
        found = []
        for run_id, started, schedule, suite, checks, _ in rows:
            began = parse(started)
            mine = decoded.get(checks) or decoded.setdefault(checks, _decode(checks))
            found.append(RunChecks(run_id, began, schedule, suite, mine))
        return found

    def samples(self, target: str, check_id: str, since: datetime) -> list[tuple[datetime, tuple[float, ...]]] | None:
        """(run start, ``samples_ms``) of each record of ``check_id`` that has some, in the runs of
        ``target`` that started at or after ``since`` (as :meth:`observations` finds them), in no
        particular order: what a latency objective reads, from two indexes. None when the file keeps
        some of them only in their details (a file of an older version read as it is, a value
        measured() refuses): :meth:`observations` reads those."""
        with self._explained():
            db = self._connect()
            if not self._has_samples(db):
                return None
            # The span's runs walked by runs_by_start, each one's record found in results_samples: the
            # check's records in the whole history, then their runs, cost as much as the history is long
            # (this statement over 31 days of 5-minute runs: 16 ms in a 90-day history, 9 ms this way;
            # 7.5 and 8.7 in a 30-day one).
            rows = db.execute(
                f"""SELECT runs.started, r.samples FROM runs CROSS JOIN results r ON r.run_id = runs.run_id
                    WHERE runs.target = ? AND runs.started >= ?
                      AND r.target = ? AND r.check_id = ? AND {_SAMPLES_WHERE.replace("samples", "r.samples")}""",
                (target, since.isoformat(timespec="milliseconds"), target, check_id),
            ).fetchall()
        if any(kept is None for _, kept in rows):
            return None
        parse = _parser()
        return [(parse(started), _unpack_samples(kept)) for started, kept in rows]

    def passing_runs(
        self, target: str, check_id: str, since: datetime, measure: str = "samples_ms", not_version: str = ""
    ) -> list[tuple[str, datetime, tuple[float, ...]]]:
        """(run id, run start, the record's ``measure`` values) of each passing record of
        ``check_id`` on ``target`` since ``since``: a post-deploy gate's baseline. Left out: runs
        of the version ``not_version`` (the deploy being judged, and its post-deploy watch), and
        runs whose gate found them slower than their own baseline (``baseline:<service>`` failed
        or warned), so a slow deploy that was let through does not become the next baseline."""
        service = check_id.split(":")[1] if check_id.count(":") else ""
        with self._explained():
            rows = (
                self._connect()
                .execute(
                    """SELECT r.run_id, runs.started, r.details FROM results r JOIN runs USING (run_id)
                   WHERE r.target = ? AND r.check_id = ? AND r.verdict IN ('pass', 'flaky') AND r.time >= ?
                     AND (? = '' OR r.deploy_version != ?)
                     AND NOT EXISTS (SELECT 1 FROM results b WHERE b.run_id = r.run_id AND b.check_id = ?
                                     AND b.verdict IN ('fail', 'warn'))
                   ORDER BY runs.started""",
                    (target, check_id, since.isoformat(), not_version, not_version, f"baseline:{service}"),
                )
                .fetchall()
            )
        found = []
        for run_id, started, details in rows:
            values = json.loads(details).get(measure) or []
            found.append((run_id, datetime.fromisoformat(started), tuple(float(v) for v in values)))
        return found

    def timeline(self, target: str, suite: str, now: datetime) -> list[Slot]:
        return timeline(self.observed(target, suite), now)


def rebuild(text_root: Path, path: Path) -> Imported:
    """A new SQLite history from the text history, swapped in whole: the old file stays usable
    until the new one is complete. Rebuild while no run writes to ``path``."""
    scratch = path.with_name(path.name + ".rebuilding")
    for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
        leftover.unlink(missing_ok=True)
    total = Imported()
    with HistoryStore(scratch) as store:
        for file in textlog.history_files(text_root):
            imported = store.import_file(file)
            total.runs += imported.runs
            total.records += imported.records
            total.set_aside += imported.set_aside
        store._connect().execute("PRAGMA journal_mode=DELETE")  # one self-contained file to move into place
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)  # an old WAL must never be replayed onto the new file
    os.replace(scratch, path)
    return total
