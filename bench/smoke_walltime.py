"""Wall time of the smoke suite against the sandbox, whole pytest process included (sandbox start,
collection, checks, teardown). Aim: under 3 s on the 2-core machine."""

from suite_timer import describe, time_suite

if __name__ == "__main__":
    times = time_suite("tests/smoke", 5)[0]
    print(describe("smoke suite", times))
