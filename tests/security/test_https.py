"""Plain http redirects to https on the same host; cookies are Secure, SameSite and (sessions) HttpOnly.
HSTS over https is graded with the other headers in test_headers."""
import pytest

from monitor.checks import security

pytestmark = pytest.mark.nondestructive


def test_http_redirects_to_https(probe, verdict, redirect_service):
    verdict(security.https_redirect(probe, redirect_service))


def test_cookie_attributes(probe, verdict, cookie_target):
    service, path = cookie_target
    verdict(security.cookies(probe, service, path))
