"""Security headers on every page and API answer the profile lists (HSTS, framing, nosniff,
referrer, permissions, CSP), graded Observatory-style; a header sent twice with different values fails."""

import pytest

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("headers")
def test_security_headers(probe, verdict, case):
    verdict(case.run(probe))
