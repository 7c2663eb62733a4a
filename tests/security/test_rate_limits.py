"""Limit + 1 requests inside the window get 429 with a sane Retry-After, consistent rate-limit
headers, and no escape through X-Forwarded-For. Spends the target's budget."""
import pytest

from monitor.checks import security

pytestmark = [pytest.mark.nondestructive, pytest.mark.budget]


@pytest.mark.check("rate_limit")
def test_rate_limit(probe, verdict, case):
    verdict(security.rate_limit(probe, **case.args))
