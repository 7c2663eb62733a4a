"""Read a server certificate (DER) and judge its validity, host name and expiry; say what a
browser's certificate or TLS error code means."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.results import Category, Verdict

if TYPE_CHECKING:
    from cryptography import x509


@dataclass(frozen=True)
class CertInfo:
    subject: str
    issuer: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_before: datetime
    not_after: datetime

    def days_left(self, now: datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400

    @property
    def names(self) -> tuple[str, ...]:
        return self.dns_names + self.ip_addresses


def _common_name(name: x509.Name) -> str:
    from cryptography.x509.oid import NameOID

    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


def read_certificate(der: bytes) -> CertInfo:
    # Imported here: the TLS check is the one caller, and every suite's process imports this module
    # (the catalogue, the journeys' TLS error codes); cryptography's X.509 costs ~20 ms to load.
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    return CertInfo(
        subject=_common_name(cert.subject),
        issuer=_common_name(cert.issuer),
        dns_names=dns,
        ip_addresses=ips,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def hostname_matches(info: CertInfo, host: str) -> bool:
    """RFC 6125 matching on the SANs: exact names, one left-most ``*`` label, IP addresses."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(a) == ip for a in info.ip_addresses)
    host = host.lower().rstrip(".")
    for name in info.dns_names:
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


@dataclass(frozen=True)
class CertVerdict:
    verdict: Verdict
    category: Category | None
    message: str
    days_left: float


def judge_certificate(
    info: CertInfo,
    *,
    host: str,
    now: datetime,
    warn_days: int,
    fail_days: int,
    verify_error: str | None,
) -> CertVerdict:
    """``verify_error`` is what a verifying TLS handshake said (None when it succeeded)."""
    days = info.days_left(now)
    facts = (
        f"certificate for {', '.join(info.names) or info.subject} issued by {info.issuer}, "
        f"expires {info.not_after:%Y-%m-%d %H:%M} UTC"
    )
    if days <= 0:
        return CertVerdict(Verdict.FAIL, Category.TLS, f"certificate EXPIRED {-days:.1f} days ago ({facts})", days)
    if now < info.not_before:
        return CertVerdict(
            Verdict.FAIL, Category.TLS, f"certificate not valid before {info.not_before:%Y-%m-%d} ({facts})", days
        )
    if not hostname_matches(info, host):
        return CertVerdict(Verdict.FAIL, Category.TLS, f"certificate does not match host {host!r}: {facts}", days)
    if verify_error:
        return CertVerdict(Verdict.FAIL, Category.TLS, f"certificate not trusted: {verify_error} ({facts})", days)
    if days < fail_days:
        return CertVerdict(
            Verdict.FAIL,
            Category.CERTIFICATE,
            f"certificate expires in {days:.1f} days, fail band is < {fail_days} days ({facts})",
            days,
        )
    if days < warn_days:
        return CertVerdict(
            Verdict.WARN,
            Category.CERTIFICATE,
            f"certificate expires in {days:.1f} days, warn band is < {warn_days} days: renew it ({facts})",
            days,
        )
    return CertVerdict(Verdict.PASS, None, f"certificate valid for {days:.0f} more days ({facts})", days)


# What Chromium's certificate and TLS errors mean, for a journey that met one (net/base/net_error_list.h).
BROWSER_TLS_ERRORS = {
    "ERR_CERT_AUTHORITY_INVALID": "the certificate is not issued by a CA the browser trusts (a private CA: set "
    "[tls] ca_bundle in the profile)",
    "ERR_CERT_DATE_INVALID": "the certificate has expired or is not valid yet",
    "ERR_CERT_COMMON_NAME_INVALID": "the certificate is not for this host name",
    "ERR_CERT_REVOKED": "the certificate has been revoked",
    "ERR_CERT_INVALID": "the certificate is malformed",
    "ERR_CERT_WEAK_SIGNATURE_ALGORITHM": "the certificate is signed with a weak algorithm",
    "ERR_SSL_VERSION_OR_CIPHER_MISMATCH": "the server offers no TLS version or cipher the browser accepts",
    "ERR_SSL_PROTOCOL_ERROR": "the TLS handshake failed",
}


def browser_tls_error(text: str) -> str | None:
    """The reason a browser refused a connection's TLS, from its ``net::ERR_…`` code; None when
    ``text`` holds no certificate or TLS error."""
    found = re.search(r"net::(ERR_(?:CERT|SSL)_[A-Z_]+)", text)
    if found is None:
        return None
    return f"{BROWSER_TLS_ERRORS.get(found.group(1), 'the browser refused the TLS connection')} (net::{found.group(1)})"
