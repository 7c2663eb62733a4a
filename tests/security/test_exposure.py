"""No server secret in the frontend's HTML, scripts or source maps; no version disclosure in
Server/X-Powered-By; API docs public only where the profile allows."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("secrets")
def test_no_leaked_secrets(probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(probe))


@pytest.mark.check("exposure")
def test_exposure(probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(probe))
