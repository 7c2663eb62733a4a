"""The catalogue is the one list of checks: the fault registry's expectations name only checks it
implies, and every check it implies is proven by some fault (without running anything)."""

from monitor.checks.catalogue import catalogue
from monitor.profile import load_profile
from slurpy_sandbox.faults import FAULTS


def test_fault_registry_and_catalogue_name_the_same_checks():
    implied = {case.id for case in catalogue(load_profile("sandbox"))}
    # Load faults are caught by the load suite's records, outside pytest (proven in selftests/test_load.py).
    expected = {check_id for fault in FAULTS.values() if fault.suite != "load" for check_id in fault.catches}
    assert expected - implied == set(), "faults expect checks the sandbox profile does not imply"
    assert implied - expected == set(), "checks no fault proves can fail"


def test_ids_are_unique_and_readable():
    cases = catalogue(load_profile("production.example"))
    assert len({c.id for c in cases}) == len(cases)
    assert "health:frontend:/api/health" in {c.id for c in cases}
    assert {c.label for c in cases if c.kind == "rate_limit"} >= {"frontend POST /api/proxy-chat-stream"}
