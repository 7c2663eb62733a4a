from datetime import UTC, datetime, timedelta

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from monitor.analysers.tls import hostname_matches, judge_certificate, read_certificate
from monitor.results import Category, Verdict

NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def der(ca, *names, days=90, not_before=None):
    leaf = ca.issue_cert(*names, not_before=not_before or NOW - timedelta(days=1), not_after=NOW + timedelta(days=days))
    pem = leaf.cert_chain_pems[0].bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def judge(info, host="slurpy.example", verify_error=None):
    return judge_certificate(info, host=host, now=NOW, warn_days=30, fail_days=7, verify_error=verify_error)


def test_reads_names_and_dates(ca):
    info = read_certificate(der(ca, "slurpy.example", "127.0.0.1", days=45))
    assert info.dns_names == ("slurpy.example",)
    assert info.ip_addresses == ("127.0.0.1",)
    assert info.days_left(NOW) == pytest.approx(45)


@pytest.mark.parametrize(
    "days,expected,category",
    [
        (90, Verdict.PASS, None),
        (30.5, Verdict.PASS, None),
        (20, Verdict.WARN, Category.CERTIFICATE),
        (7.5, Verdict.WARN, Category.CERTIFICATE),
        (3, Verdict.FAIL, Category.CERTIFICATE),
        (-1, Verdict.FAIL, Category.TLS),
    ],
)
def test_expiry_bands(ca, days, expected, category):
    result = judge(read_certificate(der(ca, "slurpy.example", days=days, not_before=NOW - timedelta(days=60))))
    assert (result.verdict, result.category) == (expected, category)


def test_expired_message_says_so(ca):
    result = judge(read_certificate(der(ca, "slurpy.example", days=-2, not_before=NOW - timedelta(days=60))))
    assert result.message.startswith("certificate EXPIRED 2.0 days ago")


def test_wrong_host_fails_even_when_otherwise_valid(ca):
    result = judge(read_certificate(der(ca, "other.example")))
    assert result.verdict is Verdict.FAIL and result.category is Category.TLS
    assert "does not match host 'slurpy.example'" in result.message


def test_untrusted_chain_fails(ca):
    result = judge(read_certificate(der(ca, "slurpy.example")), verify_error="self-signed certificate")
    assert result.verdict is Verdict.FAIL
    assert "not trusted: self-signed certificate" in result.message


def test_hostname_matching_rules(ca):
    info = read_certificate(der(ca, "*.slurpy.example", "slurpy.example", "10.0.0.1"))
    assert hostname_matches(info, "api.slurpy.example")
    assert hostname_matches(info, "SLURPY.example.")
    assert not hostname_matches(info, "a.b.slurpy.example")
    assert not hostname_matches(info, "evilslurpy.example")
    assert hostname_matches(info, "10.0.0.1")
    assert not hostname_matches(info, "10.0.0.2")
