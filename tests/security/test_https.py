"""Plain http redirects to https on the same host; cookies are Secure, SameSite and (sessions) HttpOnly.
HSTS over https is graded with the other headers in test_headers."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("https_redirect")
def test_http_redirects_to_https(probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(probe))


@pytest.mark.check("cookies")
def test_cookie_attributes(probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(probe))
