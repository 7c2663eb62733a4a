"""The run deadline's wall time: ``slurpy-monitor run all`` against a target that hangs every
request (sandbox/slurpy_sandbox/hostile.py), with the production example's defaults (10 s per request, 2
retries) and ``[run_deadline_s]`` set to the deadline given, serially and on two xdist workers.

    uv run python bench/run_deadline.py               # a 30 s deadline
    uv run python bench/run_deadline.py --deadline 60
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.results import read_jsonl  # noqa: E402
from slurpy_sandbox.hostile import HostileServers  # noqa: E402
from testkit.profiles import with_deadline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadline", type=float, default=30.0)
    args = parser.parse_args()
    with HostileServers() as servers, tempfile.TemporaryDirectory() as scratch:
        url = servers["hang"].url.replace("http://", "https://")
        targets = Path(scratch) / "targets"
        targets.mkdir()
        (targets / "hostile.toml").write_text(with_deadline(args.deadline))
        for label, extra in (("serial", []), ("-n 2", ["-n", "2"])):
            results = Path(scratch) / f"{label.replace(' ', '')}.jsonl"
            started = time.monotonic()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "monitor.commands.monitor",
                    "run",
                    "all",
                    "--target",
                    "hostile",
                    *(f"--url={s}={url}" for s in ("frontend", "backend", "mcp")),
                    "--results",
                    str(results),
                    "--history",
                    "none",
                    "--no-alerts",
                    *extra,
                ],
                cwd=scratch,
                env={"PATH": "/usr/bin:/bin", "HOME": scratch, "SLURPY_TARGETS_DIR": str(targets)},
                capture_output=True,
                timeout=args.deadline + 300,
            )
            took = time.monotonic() - started
            records = read_jsonl(results)
            cut = sum("run deadline" in r.message for r in records)
            print(
                f"run all ({label}) against a target that hangs everything, deadline {args.deadline:g} s: "
                f"{took:.1f} s end to end ({took - args.deadline:+.1f} s), {len(records)} checks recorded, "
                f"{cut} cut or not run by the deadline"
            )


if __name__ == "__main__":
    main()
