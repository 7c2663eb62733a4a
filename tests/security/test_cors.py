"""CORS: allowed origins are echoed (with credentials and Vary: Origin); origins an attacker can own
are refused, on preflight and on simple requests; never * with credentials."""

import pytest

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("cors")
def test_cors_policy(probe, verdict, case):
    verdict(case.run(probe))
