"""Malformed JSON, wrong types and the rule's valid body padded past the size limit get a 4xx JSON
error, never a 5xx, and no error body reveals a stack trace, exception text, file path or debug
page. Sign-in-first routes are probed signed in."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("validation")
def test_input_validation(case_probe: Probe, verdict: RecordVerdict, case: CheckCase) -> None:
    verdict(case.run(case_probe))
