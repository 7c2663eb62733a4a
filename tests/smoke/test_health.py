"""Each service's health endpoints answer healthy by their body, not just their status code."""

import pytest

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("health")
def test_health(probe, verdict, case):
    verdict(case.run(probe))
