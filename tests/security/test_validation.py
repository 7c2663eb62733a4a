"""Malformed JSON, wrong types and an oversized body get a 4xx JSON error, never a 5xx, and no
error body reveals a stack trace, exception text, file path or debug page."""
import pytest

from monitor.checks import security

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("validation")
def test_input_validation(probe, verdict, case):
    verdict(security.validation(probe, **case.args))
