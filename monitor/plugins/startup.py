"""What a run's process keeps from its start-up is kept out of the cyclic garbage collector's way.

By the end of ``pytest_configure`` the process holds ~100,000 objects that live as long as it does
(modules, classes, the profile's models, the plugins); every full collection walks all of them
again: the one the imports trigger, and the two pytest makes at the end of every session to find
unraisable exceptions (``_pytest/unraisableexception.py``), ~40 ms each on this machine: about a
tenth of a child run's CPU. ``gc.freeze()`` moves them to the permanent generation, which no
collection walks (CPython's documented use is before ``fork``; here it is the same bargain: what
is frozen is never freed, and nothing of it was going to be before the process ends). What the
checks create afterwards is collected as before.

Once per process: a process that runs several sessions (pytester, ``check-profile``'s in-process
run inside a command) freezes only its first start-up, so no later session's garbage is kept."""

from __future__ import annotations

import gc

import pytest


@pytest.hookimpl(trylast=True)  # after the other plugins' configure: the profile loaded, the fixtures imported
def pytest_configure(config: pytest.Config) -> None:
    if gc.get_freeze_count() == 0:
        gc.freeze()
