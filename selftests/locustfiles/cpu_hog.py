"""A generator that saturates itself: one user that burns CPU, handing the loop back only now and
then. Loaded beside load/locustfile.py by the load self-tests (never imported by pytest)."""

import time

import gevent
from locust import User, task


class CpuHog(User):
    fixed_count = 1

    @task
    def burn(self) -> None:
        busy_until = time.perf_counter() + 0.3
        while time.perf_counter() < busy_until:
            pass
        gevent.sleep(0.001)  # a real sleep: the loop turns, other users get a little time
