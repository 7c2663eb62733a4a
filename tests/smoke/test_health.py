"""Each service's health endpoints answer healthy by their body, not just their status code."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("health")
def test_health(probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(probe))
