"""Each HTTPS service presents a trusted certificate for its host, far enough from expiry."""
import pytest

from monitor.checks import smoke

pytestmark = pytest.mark.nondestructive


def test_certificate(probe, verdict, https_service):
    verdict(smoke.tls(probe, https_service))
