"""Each service answers its health endpoint faster than the profile's threshold (median of a
sample); after a deploy (``--deploy-version``), also as fast as the same check's recent passing
runs on this target (``baseline:<service>``)."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.deploy import Baselines
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("latency")
def test_latency(probe: Probe, verdict: RecordVerdict, case: CheckCase, baseline: Baselines | None) -> None:
    latency = verdict(case.run(probe))
    if baseline is not None:
        verdict(baseline.compare(latency))
