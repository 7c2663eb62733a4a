"""Each service answers its health endpoint faster than the profile's threshold (median of a
sample); after a deploy (``--deploy-version``), also as fast as the same check's recent passing
runs on this target (``baseline:<service>``)."""

import pytest

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("latency")
def test_latency(probe, verdict, case, baseline):
    latency = verdict(case.run(probe))
    if baseline is not None:
        verdict(baseline.compare(latency))
