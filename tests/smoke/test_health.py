"""Each service's health endpoints answer healthy by their body, not just their status code."""

import pytest

from monitor.checks import smoke

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("health")
def test_health(probe, verdict, case):
    verdict(smoke.health(probe, **case.args))
