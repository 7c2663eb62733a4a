"""No server secret in the frontend's HTML, scripts or source maps; no version disclosure in
Server/X-Powered-By; API docs public only where the profile allows."""
import pytest

from monitor.checks import security

pytestmark = pytest.mark.nondestructive


def test_no_leaked_secrets(probe, verdict, page_service):
    verdict(security.secrets(probe, page_service))


def test_exposure(probe, verdict, service):
    verdict(security.exposure(probe, service))
