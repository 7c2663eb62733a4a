"""CORS: allowed origins are echoed (with credentials and Vary: Origin); origins an attacker can own
are refused, on preflight and on simple requests; never * with credentials."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("cors")
def test_cors_policy(probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(probe))
