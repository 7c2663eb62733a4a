"""Where things are in the checkout: the one module that computes paths from its own place, so a
folder that moves is changed here only.

The monitor runs from its checkout (the suites are test modules pytest collects by path, the
target profiles are files beside them); an installed wheel holds the support package only.
Imports nothing from the monitor."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
TARGETS = ROOT / "targets"  # the shipped profiles; $SLURPY_TARGETS_DIR points elsewhere (monitor.profile)
TESTS = ROOT / "tests"  # the suites' home (pyproject's testpaths)
SUITES = {"smoke": TESTS / "smoke", "security": TESTS / "security", "journeys": TESTS / "journeys"}
LOAD = ROOT / "load"  # the load suite, at the top like the others: Locust loads its locustfile by path
LOCUSTFILE = LOAD / "locustfile.py"
RESULTS = ROOT / "results"
