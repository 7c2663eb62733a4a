"""Each service answers its health endpoint faster than the profile's threshold (median of a
sample); after a deploy (``--deploy-version``), also as fast as the same check's recent passing
runs on this target (``baseline:<service>``)."""

import pytest

from monitor.checks import smoke

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("latency")
def test_latency(probe, verdict, case, baseline):
    latency = verdict(smoke.latency(probe, **case.args))
    if baseline is not None:
        verdict(baseline.compare(latency))
