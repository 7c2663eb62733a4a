"""monitor.redact, the one way secrets are kept out of what the monitor leaves behind."""

from __future__ import annotations

import logging

import httpx

from monitor import redact
from monitor.profile import Secrets, load_profile
from monitor.results import CheckResult, Verdict

HOOK = "https://hooks.example.com/services/T0001/B0002/canaryhooksecret0123456789"


def test_a_secret_url_is_masked_whole_and_by_the_parts_a_receiver_echoes():
    redact.register(HOOK)
    said = redact.text(
        f"POST {HOOK}: HTTP 404 'Cannot POST /services/T0001/B0002/canaryhooksecret0123456789' "
        "or just canaryhooksecret0123456789"
    )
    assert "canaryhooksecret" not in said and said.count(redact.MASK) == 3


def test_url_credentials_are_masked_registered_or_not():
    said = redact.text("https://monitor:hunter2@api.example.com/health and ftp://token@files.example.com")
    assert said == "https://********@api.example.com/health and ftp://********@files.example.com"
    assert redact.has_url_credentials("https://u:p@x.example") and not redact.has_url_credentials(
        "https://x.example/a@b"
    )


def test_every_secret_the_profile_names_is_registered_read_or_not():
    profile = load_profile("sandbox").model_copy(update={"secrets": {"header": "CANARY_HEADER", "gone": "NOT_SET"}})
    Secrets(profile, env={"CANARY_HEADER": "X-Api-Key canary-header-0123"}, provided={"OTHER": "not named"})
    assert redact.text("sent X-Api-Key canary-header-0123, not named") == f"sent {redact.MASK}, not named"


def test_a_check_result_is_scrubbed_in_its_free_text():
    redact.register("canary-result-secret")
    result = CheckResult(
        check="health",
        service="backend",
        verdict=Verdict.FAIL,
        message="saw canary-result-secret",
        url="https://u:canary-result-secret@h/x",
        details={"body": ["canary-result-secret"]},
    )
    result.scrub()
    assert "canary" not in str(result.to_dict())


def test_library_log_lines_are_scrubbed_whichever_handler_shows_them(caplog):
    """httpx logs every request's URL at INFO ("HTTP Request: POST <url>"): a secret URL included."""
    redact.register(HOOK)
    redact.install_log_filter()
    with (
        caplog.at_level(logging.DEBUG),
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204))) as c,
    ):
        c.post(HOOK)
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines and all("canaryhooksecret" not in line for line in lines)
    assert any(line.startswith(f"HTTP Request: POST {redact.MASK}") for line in lines)  # scrubbed, not dropped
