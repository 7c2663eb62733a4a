"""What a hostile target costs a run: peak resident memory of a smoke run whose services all stream
an endless body, next to a run against the healthy sandbox (aim < 300 MB), and the wall time of a
smoke run whose services drip one body byte a second, with timeout_s = 3 and retries = 2 (aim:
each check within its worst case, requests x ((1 + retries) x deadline + retries x delay)).

Each run is a whole pytest process against one sandbox this script starts (so the sandbox's own
memory is not counted); its peak RSS comes from wait4 on that process."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.layout import TARGETS  # noqa: E402
from monitor.profile import load_profile  # noqa: E402
from monitor.results import read_jsonl  # noqa: E402
from slurpy_sandbox import STATE_ENV, Sandbox  # noqa: E402
from slurpy_sandbox.hostile import HostileServers  # noqa: E402

SERVICES = ("frontend", "backend", "mcp")
DRIP_TIMEOUT_S = 3


def smoke(results: Path, env: dict[str, str], *urls: str) -> tuple[float, float, list]:
    """Wall seconds, peak RSS (MB) and check results of one ``pytest tests/smoke`` process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "tests/smoke", "-q", "--results", str(results), *(f"--url={u}" for u in urls)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped above
    return time.perf_counter() - started, usage.ru_maxrss / 1024, read_jsonl(results)


def main() -> None:
    sandbox = Sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as tmp, HostileServers(drip_interval_s=1.0) as hostile:
            env = {STATE_ENV: str(sandbox.state_file), "SLURPY_TARGET": "sandbox"}
            _, healthy_mb, healthy = smoke(Path(tmp, "healthy.jsonl"), env)
            endless = [f"{s}={hostile['endless'].url}" for s in SERVICES]
            _, endless_mb, flooded = smoke(Path(tmp, "endless.jsonl"), env, *endless)
            print(
                f"peak RSS of a smoke run (pytest process): healthy sandbox {healthy_mb:.0f} MB "
                f"({len(healthy)} checks, {sum(r.ok for r in healthy)} pass); every service streaming an endless "
                f"body {endless_mb:.0f} MB "
                f"({', '.join(sorted({f'{r.verdict.value} [{r.category}]' for r in flooded}))})"
            )

            # The shipped sandbox profile with the timeout: the same file, one value changed.
            targets = Path(tmp, "targets")
            targets.mkdir()
            text = (TARGETS / "sandbox.toml").read_text()
            targets.joinpath("sandbox.toml").write_text(
                text.replace("timeout_s = 2\n", f"timeout_s = {DRIP_TIMEOUT_S}\n", 1)
            )
            profile = load_profile("sandbox", directory=targets)
            assert profile.timeout_s == DRIP_TIMEOUT_S
            drip = [f"{s}={hostile['drip'].url}" for s in SERVICES]
            wall, _, dripped = smoke(Path(tmp, "drip.jsonl"), {**env, "SLURPY_TARGETS_DIR": str(targets)}, *drip)
            worst = (1 + profile.retries) * DRIP_TIMEOUT_S + profile.retries * profile.retry_delay_s
            checked = sorted((r for r in dripped if r.verdict.value != "skip"), key=lambda r: r.id)
            print(
                f"smoke run against services dripping a body byte a second, timeout_s = {DRIP_TIMEOUT_S}, "
                f"retries = {profile.retries}, retry_delay_s = {profile.retry_delay_s:g}: {wall:.2f} s for the whole "
                f"process, {len(checked)} checks (worst case of one request: {worst:g} s)"
            )
            for result in checked:
                print(
                    f"  {result.id:32} {result.verdict.value} [{result.category}] in {result.duration_ms / 1000:.2f} "
                    "s, "
                    f"{result.attempts} attempt(s)"
                )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
