"""Each service's health endpoints answer healthy by their body, not just their status code."""
import pytest

from monitor.checks import smoke

pytestmark = pytest.mark.nondestructive


def test_health(probe, verdict, service, health_endpoint):
    verdict(smoke.health(probe, service, health_endpoint))
