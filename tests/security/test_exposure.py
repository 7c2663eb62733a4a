"""No server secret in the frontend's HTML, scripts or source maps; no version disclosure in
Server/X-Powered-By; API docs public only where the profile allows."""

import pytest

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("secrets")
def test_no_leaked_secrets(probe, verdict, case):
    verdict(case.run(probe))


@pytest.mark.check("exposure")
def test_exposure(probe, verdict, case):
    verdict(case.run(probe))
