"""Time from a fault switched on in the sandbox to the first "opened" message at a webhook
receiver, in watch mode with the default policy (open after 2 failed runs).

The fault is switched on at a random moment within a cadence, after a healthy round. Expected:
the next round starts within one cadence (uniform: every/2 on average), it is the first
failure, the round one cadence later is the second and opens the incident, then that round's
duration (its alert is sent at its end). So latency = wait to next round (0..every) + every +
round time: at most 2 × every + round time, about 1.5 × every + round time on average.

    uv run python bench/alert_latency.py --every 60 --trials 3    # the issue's 60 s cadence
    uv run python bench/alert_latency.py --every 10 --trials 3    # quicker, same formula
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from slurpy_sandbox import STATE_ENV, Sandbox  # noqa: E402
from testkit.receivers import HttpReceiver  # noqa: E402

FAULT = "backend-degraded"


def trial(sandbox: Sandbox, every: float, folder: Path) -> tuple[float, float]:
    """(seconds from fault to first opened, median round time)."""
    receiver = HttpReceiver.start()
    targets = folder / "targets"
    targets.mkdir(parents=True)
    profile = (ROOT / "targets" / "sandbox.toml").read_text().replace("[secrets]\n", '[secrets]\nhook = "B_HOOK"\n', 1)
    (targets / "sandbox.toml").write_text(
        profile + '\n[alerts]\n[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl_secret = "hook"\n'
    )
    env = {
        **os.environ,
        STATE_ENV: str(sandbox.state_file),
        "SLURPY_TARGET": "sandbox",
        "SLURPY_TARGETS_DIR": str(targets),
        "B_HOOK": f"{receiver.url}/hook",
    }
    sandbox.clear()
    log = folder / "watch.log"
    with log.open("w") as out:
        watch = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor.commands.monitor",
                "watch",
                "--every",
                f"{every}s",
                "--history",
                str(folder / "history.sqlite"),
                "--results-dir",
                str(folder / "results"),
            ],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            while "round 1:" not in log.read_text():
                time.sleep(0.05)
            time.sleep(random.uniform(0, every))
            sandbox.switch_on(FAULT)
            switched = time.monotonic()
            while not receiver.got("/hook"):
                time.sleep(0.05)
            latency = time.monotonic() - switched
        finally:
            watch.send_signal(signal.SIGTERM)
            watch.wait(timeout=300)
            receiver.stop()
    rounds = [
        float(line.rsplit(" in ", 1)[1].split()[0])
        for line in log.read_text().splitlines()
        if " in " in line and "round" in line
    ]
    return latency, statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=60)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    sandbox = Sandbox.start()
    try:
        results = []
        for n in range(args.trials):
            with tempfile.TemporaryDirectory() as tmp:
                latency, round_s = trial(sandbox, args.every, Path(tmp) / f"trial{n}")
            results.append((latency, round_s))
            print(f"trial {n + 1}: fault -> opened in {latency:.1f} s (round {round_s:.1f} s)", flush=True)
    finally:
        sandbox.stop()
    latencies = [r[0] for r in results]
    round_s = statistics.median(r[1] for r in results)
    print(
        f"cadence {args.every:g} s, open after 2 runs: fault -> first opened median "
        f"{statistics.median(latencies):.1f} s, "
        f"max {max(latencies):.1f} s; bound 2 x {args.every:g} + round {round_s:.1f} = "
        f"{2 * args.every + round_s:.1f} s "
        f"(aim 2 x cadence + 5 s = {2 * args.every + 5:g} s)"
    )


if __name__ == "__main__":
    main()
