"""Security headers on every page and API answer the profile lists (HSTS, framing, nosniff,
referrer, permissions, CSP), graded Observatory-style; a header sent twice with different values fails."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("headers")
def test_security_headers(probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(probe))
