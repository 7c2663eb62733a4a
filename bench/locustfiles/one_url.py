"""One URL as fast as the generator can ask (bench only): $BENCH_URL, no pause, no validation
beyond the status, keep-alive. Prints the generator's own CPU seconds over the run, so that a
request rate can be put per core."""

import os
import time

import psutil
from locust import FastHttpUser, constant, events, task

CPU: dict[str, tuple[float, float]] = {}


class OneUrl(FastHttpUser):
    host = os.environ["BENCH_URL"]
    wait_time = constant(0)
    insecure = True  # the sandbox's throwaway CA; wrk does not verify either

    @task
    def get(self) -> None:
        self.client.get("", name="one url")


@events.test_start.add_listener
def _start(**_) -> None:
    times = psutil.Process().cpu_times()
    CPU["start"] = (times.user + times.system, time.perf_counter())


@events.test_stopping.add_listener
def _stop(environment, **_) -> None:
    times = psutil.Process().cpu_times()
    cpu0, wall0 = CPU["start"]
    total = environment.runner.stats.total
    print(
        f"BENCH requests={total.num_requests} failures={total.num_failures} "
        f"cpu_s={times.user + times.system - cpu0:.3f} wall_s={time.perf_counter() - wall0:.3f} "
        f"p50={total.get_response_time_percentile(0.5)} p95={total.get_response_time_percentile(0.95)}",
        flush=True,
    )
