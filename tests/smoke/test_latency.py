"""Each service answers its health endpoint faster than the profile's threshold (median of a sample)."""
import pytest

from monitor.checks import smoke

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("latency")
def test_latency(probe, verdict, case):
    verdict(smoke.latency(probe, **case.args))
