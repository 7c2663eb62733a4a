"""The scheduled smoke job's wall time on a warm GitHub runner, estimated from its steps measured
here (each 3 times, median): install from a warm uv cache into a fresh environment, the data
branch (holding two days of history at the default schedule) checked out and those two days
imported into SQLite, the smoke run, the gaps report, and the history pushed (to a local bare
repository: the network's share is not measured). The
steps GitHub runs around them (job set-up, checkout, setup-uv, cache restore and save, artifact
upload) cannot be measured here and are listed with the estimate used."""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import templates, write_month  # noqa: E402

GITHUB_SIDE_S = {"set up job": 3, "actions/checkout": 2, "setup-uv (cache restore)": 3,
                 "upload-artifact": 3, "git fetch + push over the network": 2}


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def seed_data_branch(bare: Path, tmp: Path, shapes: dict[str, list[dict]]) -> None:
    """The data branch as a running schedule leaves it: the last two days of text history."""
    seed = tmp / "seed"
    write_month(seed / "history", shapes, days=2)
    today = datetime.now(UTC).date()
    for target in (seed / "history").iterdir():  # dated yesterday and today, the import's window
        for name, day in zip(sorted(target.glob("*.jsonl")), [today - timedelta(days=1), today], strict=False):
            name.rename(name.with_name(f"{day:%Y-%m-%d}.jsonl"))
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "monitor-data"], cwd=seed, check=True)
    subprocess.run([*git, "add", "-A"], cwd=seed, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "two days"], cwd=seed, check=True)
    subprocess.run([*git, "push", "-q", f"file://{bare}", "monitor-data"], cwd=seed, check=True, capture_output=True)


def one_job(tmp: Path, shapes: dict[str, list[dict]]) -> dict[str, float]:
    uv = shutil.which("uv") or str(ROOT / ".tools/bin/uv")
    bare, work = tmp / "origin.git", tmp / "job"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    seed_data_branch(bare, tmp, shapes)
    subprocess.run(["git", "clone", "-q", f"file://{ROOT}", str(work)], check=True, capture_output=True)
    subprocess.run(["git", "remote", "set-url", "origin", f"file://{bare}"], cwd=work, check=True)
    subprocess.run(["git", "push", "-q", "origin", "HEAD:refs/heads/main"], cwd=work, check=True, capture_output=True)
    script = str(ROOT / ".github/scripts/history-branch")
    monitor = [str(BIN / "slurpy-monitor")]
    env = {"SLURPY_HISTORY_DIR": "data/history", "SLURPY_SCHEDULE": "*/5 * * * *", "SLURPY_RUNNER": "bench",
           "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.com"}
    return {
        "uv sync --frozen --no-default-groups (warm cache, fresh venv)": timed(
            [uv, "sync", "--frozen", "--no-default-groups", "--quiet"], work,
            {"UV_PROJECT_ENVIRONMENT": str(tmp / "venv")}),
        "history-branch checkout": timed([script, "checkout", "data"], work),
        "slurpy-monitor history import --days 2": timed([*monitor, "history", "import", "data/history", "--days", "2"], work),
        "slurpy-monitor run smoke (sandbox start included)": timed([*monitor, "run", "smoke", "--target", "sandbox"],
                                                                   work, env),
        "slurpy-monitor history gaps": timed([*monitor, "history", "gaps"], work),
        "history-branch publish": timed([script, "publish", "data", "bench"], work, env),
    }


def main() -> None:
    shapes = templates()
    runs = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_job(Path(tmp), shapes))
    measured = {step: statistics.median(r[step] for r in runs) for step in runs[0]}
    for step, seconds in measured.items():
        print(f"  measured  {seconds:6.2f} s  {step}")
    for step, seconds in GITHUB_SIDE_S.items():
        print(f"  estimated {seconds:6.2f} s  {step}")
    total = sum(measured.values()) + sum(GITHUB_SIDE_S.values())
    print(f"scheduled smoke job on a warm runner: measured steps {sum(measured.values()):.1f} s + GitHub's steps "
          f"~{sum(GITHUB_SIDE_S.values())} s = ~{total:.0f} s (aim <= 45 s: one billed minute)")


if __name__ == "__main__":
    main()
