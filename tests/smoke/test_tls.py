"""Each HTTPS service presents a trusted certificate for its host, far enough from expiry."""

import pytest

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("tls")
def test_certificate(probe, verdict, case):
    verdict(case.run(probe))
