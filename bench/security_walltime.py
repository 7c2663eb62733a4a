"""Wall time of the security suite against the sandbox, rate-limit probes included. Aim: under
15 s. Also prints the slowest checks, to say what dominates."""

from suite_timer import describe, time_suite

if __name__ == "__main__":
    times, _, output = time_suite("tests/security", 3, "--durations=4")
    slowest = [line.strip() for line in output.splitlines() if "s call" in line]
    print(describe("security suite", times))
    print("  slowest checks in the last run: " + "; ".join(slowest))
