"""Sign-in-first routes refuse an anonymous caller and a forged bearer token; where the profile says
a route checks CSRF, a signed-in request from a foreign Origin, with a mismatched double-submit
pair, or with the cookie but not its header, is refused too."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("access")
def test_access_control(probe: Probe, request: pytest.FixtureRequest, verdict: RecordVerdict, case: CheckCase) -> None:
    signed = request.getfixturevalue("signed_in_probe") if case.auth else None
    verdict(case.run(probe, signed))
