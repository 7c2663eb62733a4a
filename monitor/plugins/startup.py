"""What a run's process keeps from its start-up is kept out of the cyclic garbage collector's way.

By the end of ``pytest_configure`` the process holds ~100,000 objects that live as long as it does
(modules, classes, the profile's models, the plugins), and every full collection walks all of them
again: pytest makes two at the end of every session to find unraisable exceptions
(``_pytest/unraisableexception.py``), ~40 ms each on this machine, about a tenth of a child run's
CPU. ``gc.freeze()`` moves them to the permanent generation, which no collection walks (CPython's
documented use is before ``fork``; the bargain is the same: a reference cycle among frozen objects
is never freed, and the start-up's objects live until the process ends anyway; one whose last
reference goes is freed as ever). What the checks create afterwards is collected as before.

Once per process: a process that runs several sessions (the self-tests' in-process pytester runs)
freezes at the first only, so the later sessions' garbage is collected as usual."""

from __future__ import annotations

import gc

import pytest


@pytest.hookimpl(trylast=True)  # after the other plugins' configure: the profile loaded, the fixtures imported
def pytest_configure(config: pytest.Config) -> None:
    if gc.get_freeze_count() == 0:
        gc.freeze()
