"""Limit + 1 requests inside one window get 429 with a sane Retry-After and consistent rate-limit
fields, and no client-address header (X-Forwarded-For, X-Real-IP, CF-Connecting-IP, …) escapes
the limit. Sign-in-first routes are probed signed in. Spends the target's budget."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = [pytest.mark.nondestructive, pytest.mark.budget]


@pytest.mark.check("rate_limit")
def test_rate_limit(case_probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(case_probe))
