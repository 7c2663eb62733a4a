"""Is the latency the monitor reports what the wire says? With the backend's slow-health fault
adding 300 ms, compare the latency check's median with curl's time_total for the same URL, in the
same run, interleaved. Aim: within ±15 ms."""

from __future__ import annotations

import statistics
import subprocess

from monitor.checks.catalogue import catalogue
from monitor.probe import NetworkSettings, Probe
from monitor.profile import load_profile
from slurpy_sandbox import Sandbox

ROUNDS = 5
DELAY_MS = 300


def curl_ms(url: str, ca_bundle: str) -> float:
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", "--cacert", ca_bundle, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out) * 1000


def main() -> None:
    sandbox = Sandbox.start([f"backend-slow-health:delay_ms={DELAY_MS}"])
    try:
        profile = sandbox.live_profile(load_profile("sandbox"))
        probe = Probe(NetworkSettings.from_profile(profile))
        case = catalogue(profile).find("latency:backend")
        url = case.args.url
        monitor: list[float] = []
        curl: list[float] = []
        for _ in range(ROUNDS):
            monitor.extend(case.run(probe).details["samples_ms"])
            curl.extend(curl_ms(url, sandbox.ca_bundle) for _ in range(profile.latency_samples))
        probe.close()
    finally:
        sandbox.stop()
    m, c = statistics.median(monitor), statistics.median(curl)
    print(
        f"latency accuracy, backend health with +{DELAY_MS} ms fault, {len(monitor)} samples each: "
        f"monitor median {m:.1f} ms, curl time_total median {c:.1f} ms, difference {m - c:+.1f} ms "
        f"({'within' if abs(m - c) <= 15 else 'OUTSIDE'} ±15 ms)"
    )


if __name__ == "__main__":
    main()
