"""Wall time of the four journeys against the sandbox, Chromium start included. Aim: under 20 s.
Per journey: the sum of its steps, from the results file."""

import statistics

from suite_timer import describe, time_suite

if __name__ == "__main__":
    times, runs, _ = time_suite("tests/journeys", 3)
    per_journey: dict[str, list[float]] = {}
    for results in runs:
        for result in results:
            per_journey.setdefault(result.path, []).append(result.duration_ms or 0.0)
    print(describe("journeys", times))
    print(
        "  per journey, median of its steps' sum: "
        + ", ".join(f"{name} {statistics.median(ms) / 1000:.2f} s" for name, ms in sorted(per_journey.items()))
    )
