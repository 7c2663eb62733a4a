"""Locust in its own processes (never imported here: gevent patches the process it is imported
into): one, or a master and ``workers`` local workers (Locust's distributed mode, on this
machine). Ctrl-C or SIGTERM reaches the master alone, which stops every user and worker and still
prints and records what was measured."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

from monitor.layout import LOCUSTFILE, ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_locust(
    locustfiles: list[str],
    every_process: list[str],
    master_only: list[str],
    workers: int,
    passthrough: list[str],
    env: dict[str, str],
) -> int:
    """Locust's exit code. ``every_process``: options each process reads (workers check the budget
    rules themselves); ``master_only``: the run's options (headless, shape, reports);
    ``locustfiles``: loaded beside the monitor's own."""
    files = ",".join(str(f) for f in [LOCUSTFILE, *map(Path, locustfiles)])
    common = [sys.executable, "-m", "locust", "-f", files, "--loglevel", "WARNING", *every_process]
    command = [*common, *master_only]
    children: list[subprocess.Popen] = []
    port = _free_port() if workers else 0
    if workers:
        command += [
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            str(workers),
            "--expect-workers-max-wait",
            "30",
        ]
    # Their own session: Ctrl-C in this terminal reaches this process only, which hands it to the
    # master alone; the master then stops its workers in order and collects their last numbers.
    master = subprocess.Popen([*command, *passthrough], env=env, cwd=ROOT, start_new_session=True)
    for _ in range(workers):
        children.append(
            subprocess.Popen(
                [*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port), *passthrough],
                env=env,
                cwd=ROOT,
                start_new_session=True,
            )
        )

    def forward(_signum, _frame):
        master.send_signal(signal.SIGINT)  # Locust's Ctrl-C path: stop, collect, judge, report

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = master.wait()
        for worker in children:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for process in [master, *children]:
            if process.poll() is None:
                process.kill()
                process.wait()
    return code
