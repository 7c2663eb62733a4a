"""What a child process costs before it does its work: the project's tests start ~200 of them (a
child ``pytest tests/<suite>`` per fault-matrix case and integration test, and the command lines),
so their start-up CPU is most of the self-tests' CPU. Each figure is the CPU time (user + system,
from ``wait4``: the process and whatever it waited for) of one command, N repetitions taken round
robin (so the machine's other work spreads over all of them alike), printed as min / median / max;
CPU time, not wall time, because the machine is shared. The floor beside them is the bare
interpreter (``python -c pass``) in the same rounds.

The children get the environment ``./run`` gives them: bytecode kept under ``.venv/pycache``
(``PYTHONDONTWRITEBYTECODE`` removed), one warm-up round first. The smoke run joins a sandbox this
benchmark starts (as the self-tests' children do), so the sandbox's own CPU is not counted; the
uptime command reads the history those smoke runs kept.

    uv run python bench/child_start.py [-n 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from slurpy_sandbox import STATE_ENV, Sandbox

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def cpu_of(command: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) of ``command`` and the children it waited for; it must succeed."""
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    error = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{error.decode(errors='replace')}")
    return usage.ru_utime + usage.ru_stime


def commands(tmp: Path) -> dict[str, list[str]]:
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    collect = [*pytest, "--collect-only"]
    return {
        "python -c pass (the floor)": [sys.executable, "-c", "pass"],
        "pytest tests/smoke --collect-only": [*collect, "tests/smoke"],
        "pytest tests/security --collect-only": [*collect, "tests/security"],
        "pytest tests/journeys --collect-only": [*collect, "tests/journeys"],
        "pytest tests --collect-only": [*collect, "tests"],
        "pytest tests/smoke (joined sandbox)": [
            *pytest,
            "tests/smoke",
            "--results",
            str(tmp / "smoke.jsonl"),
            "--output",
            str(tmp / "artifacts"),
        ],
        "slurpy-monitor --help": [str(BIN / "slurpy-monitor"), "--help"],
        "slurpy-monitor uptime (the smoke runs' history)": [
            str(BIN / "slurpy-monitor"),
            "uptime",
            "--target",
            "sandbox",
            "--history",
            str(tmp / "history.sqlite"),
        ],
        "slurpy-load --help": [str(BIN / "slurpy-load"), "--help"],
    }


def describe(name: str, cpu: list[float]) -> str:
    return (
        f"{name:<50} CPU min {min(cpu):.3f} s  median {statistics.median(cpu):.3f} s  "
        f"max {max(cpu):.3f} s  ({len(cpu)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10, help="repetitions of each command (default 10)")
    repetitions = parser.parse_args().n
    load_before = os.getloadavg()[0]
    sandbox = Sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env |= {"PYTHONPYCACHEPREFIX": str(ROOT / ".venv" / "pycache"), STATE_ENV: str(sandbox.state_file)}
            env |= {"SLURPY_TARGET": "sandbox"}
            todo = commands(Path(tmp))
            for command in todo.values():  # warm-up: bytecode written, the history holding a run
                cpu_of(command, env)
            cpu: dict[str, list[float]] = {name: [] for name in todo}
            for _ in range(repetitions):
                for name, command in todo.items():
                    cpu[name].append(cpu_of(command, env))
    finally:
        sandbox.stop()
    for name, figures in cpu.items():
        print(describe(name, figures))
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
