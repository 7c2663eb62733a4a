"""Each service answers its health endpoint faster than the profile's threshold (median of a sample)."""
import pytest

from monitor.checks import smoke

pytestmark = pytest.mark.nondestructive


def test_latency(probe, verdict, service):
    verdict(smoke.latency(probe, service))
