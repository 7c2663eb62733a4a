"""The scheduled smoke job as the workflow runs it: monitor.yml's smoke job rehearsed with act in
host mode (testkit/act_harness.py), 5 times, against a sandbox running outside the job (as a
real target would), the data branch (a bare repository on disk) holding two days of history at
the default schedule. Where its seconds go, step by step from act's own log (min / median /
max), the smoke run's own split (pytest's session = the checks; the rest = interpreter start,
imports, collection, history, alerts), and beside it, paired in the same round, the reference:
`slurpy-monitor run smoke` alone from this checkout's warm environment.

PYTHONDONTWRITEBYTECODE, set on this machine, is removed from the job (GitHub's runners do not
set it): the job's first Python process writes the bytecode its later ones reuse, as there.
GitHub's own steps around the job (set-up, the real checkout, setup-uv's cache restore, upload)
cannot run here and are listed as estimates."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import templates, write_month  # noqa: E402

from slurpy_sandbox import STATE_ENV, Sandbox  # noqa: E402
from testkit.act_harness import DATA_BRANCH, Rehearsal  # noqa: E402
from testkit.profiles import production_profile  # noqa: E402

ROUNDS = 5
SCHEDULE = {"schedule": "*/5 * * * *"}
STEPS = {  # act's step name (its start) -> what the figure is called
    "Install": "uv sync --frozen --no-default-groups (warm uv cache, fresh venv)",
    "History from the data branch": "history-branch checkout (git fetch + worktree)",
    "The last two days": "history import --days 2 (results) + alert state",
    "Run smoke": "slurpy-monitor run smoke",
    "Expected runs": "history gaps (step summary)",
    "Push the history": "history-branch publish (commit + push)",
    "Upload results": "upload-artifact (stand-in: a copy)",
}
GITHUB_SIDE_S = {
    "set up job (runner assignment not counted)": 2,
    "actions/checkout": 2,
    "setup-uv with enable-cache (download uv, restore the cache)": 4,
    "upload-artifact": 2,
    "post setup-uv (save the cache when it changed)": 1,
}
SESSION = re.compile(r"=+ .*\bin ([0-9.]+)s\b.*=+")


def seed_data_branch(rehearsal: Rehearsal, shapes: dict[str, list[dict]], tmp: Path) -> None:
    """The data branch as a running schedule leaves it: its last two days of text history."""
    seed = tmp / "seed"
    write_month(seed / "history", shapes, days=2)
    today = datetime.now(UTC).date()
    for target in (seed / "history").iterdir():  # dated yesterday and today: the import's window
        for name, day in zip(sorted(target.glob("*.jsonl")), [today - timedelta(days=1), today], strict=False):
            name.rename(name.with_name(f"{day:%Y-%m-%d}.jsonl"))
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q", "-b", DATA_BRANCH], cwd=seed, check=True)
    subprocess.run([*git, "add", "-A"], cwd=seed, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "two days"], cwd=seed, check=True)
    subprocess.run(
        [*git, "push", "-q", rehearsal.origin.as_uri(), DATA_BRANCH], cwd=seed, check=True, capture_output=True
    )


def reference(sandbox: Sandbox, tmp: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "slurpy-monitor"),
            "run",
            "smoke",
            "--target",
            "production",
            "--history",
            "none",
            "--no-alerts",
            "--results",
            str(tmp / "ref.jsonl"),
        ],
        cwd=ROOT,
        env={**os.environ, STATE_ENV: str(sandbox.state_file), "SLURPY_TARGETS_DIR": str(tmp / "targets")},
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}"


def main() -> None:
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    shapes = templates()
    sandbox = Sandbox.start()
    figures: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            (tmp / "targets").mkdir()
            (tmp / "targets" / "production.toml").write_text(production_profile())
            rehearsal = Rehearsal(tmp / "rehearsal")
            rehearsal.commit({"targets/production.toml": production_profile()}, "the production profile (the sandbox)")
            seed_data_branch(rehearsal, shapes, tmp)
            for _ in range(ROUNDS):
                job = rehearsal.run("monitor.yml", "schedule", SCHEDULE, env={STATE_ENV: str(sandbox.state_file)})
                if not job.ok:
                    sys.exit(f"the rehearsed job failed:\n{job.output()[-3000:]}")
                steps = {label: job.step(prefix).seconds for prefix, label in STEPS.items()}
                session = float(SESSION.findall(job.output())[-1])
                steps["  of which pytest's session (the checks)"] = session
                steps["  of which start, imports, collection, history, alerts"] = (
                    steps["slurpy-monitor run smoke"] - session
                )
                steps["act and the stand-ins (the rest of the job's wall time)"] = job.wall_s - sum(
                    s.seconds for s in job.steps if s.stage == "Main" and not s.name.startswith("  ")
                )
                steps["the whole job under act (wall)"] = job.wall_s
                steps["reference: slurpy-monitor run smoke alone, warm environment"] = reference(sandbox, tmp)
                for label, seconds in steps.items():
                    figures.setdefault(label, []).append(seconds)
            rehearsal.close()
    finally:
        sandbox.stop()
    print(f"scheduled smoke job (monitor.yml via act, host mode), {ROUNDS} rounds:   min median    max (s)")
    for label, values in figures.items():
        print(f"  {label:62} {spread(values)}")
    whole = statistics.median(figures["the whole job under act (wall)"])
    github = sum(GITHUB_SIDE_S.values())
    for label, seconds in GITHUB_SIDE_S.items():
        print(f"  estimated on GitHub: {label:41} {seconds:6.2f}")
    print(
        f"whole job on a warm GitHub runner: ~{whole:.1f} s measured here + ~{github} s of GitHub's own steps = "
        f"~{whole + github:.0f} s (aim <= 45 s: one billed minute)"
    )


if __name__ == "__main__":
    main()
