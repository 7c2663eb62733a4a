"""The journeys' browser trusts a profile's private CA through an NSS database made for the run,
and a certificate or TLS error it meets is told as a TLS reason."""

from __future__ import annotations

import subprocess

import pytest
import trustme

from monitor.analysers.tls import browser_tls_error
from monitor.browser.trust import TrustError, trusting_home


def test_a_browser_tls_error_is_told_by_its_reason():
    said = browser_tls_error("Page.goto: net::ERR_CERT_DATE_INVALID at https://app.example.com/sign-in")
    assert said == "the certificate has expired or is not valid yet (net::ERR_CERT_DATE_INVALID)"
    assert "not issued by a CA the browser trusts" in (browser_tls_error("net::ERR_CERT_AUTHORITY_INVALID") or "")
    assert (
        browser_tls_error("net::ERR_SSL_UNRECOGNIZED_NAME_ALERT")
        == "the browser refused the TLS connection (net::ERR_SSL_UNRECOGNIZED_NAME_ALERT)"
    )
    assert browser_tls_error("Timeout 5000ms exceeded; net::ERR_CONNECTION_REFUSED") is None


def test_every_ca_of_the_bundle_is_trusted_in_a_database_of_its_own(tmp_path):
    bundle = tmp_path / "cas.pem"
    bundle.write_bytes(trustme.CA().cert_pem.bytes() + trustme.CA().cert_pem.bytes())
    home = trusting_home(str(bundle), tmp_path / "home")
    listed = subprocess.run(
        ["certutil", "-L", "-d", f"sql:{home / '.pki' / 'nssdb'}"], capture_output=True, text=True, check=True
    ).stdout
    assert "slurpy-monitor-ca-0" in listed and "slurpy-monitor-ca-1" in listed and "C,," in listed


def test_a_bundle_that_cannot_be_trusted_says_why(tmp_path, monkeypatch):
    (tmp_path / "empty.pem").write_text("not a certificate")
    with pytest.raises(TrustError, match="holds no PEM certificate"):
        trusting_home(str(tmp_path / "empty.pem"), tmp_path / "home")
    with pytest.raises(TrustError, match="No such file"):
        trusting_home(str(tmp_path / "missing.pem"), tmp_path / "home")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TrustError, match="apt-get install libnss3-tools"):
        trusting_home(str(tmp_path / "empty.pem"), tmp_path / "home")
