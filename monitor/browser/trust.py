"""A profile's private CA (``[tls] ca_bundle``) trusted by the journeys' Chromium for one run.

On Linux Chromium trusts, besides its root store, what the NSS database in ``$HOME/.pki/nssdb``
trusts. The run gets a fresh database holding the profile's CA certificates, and Chromium is
launched with ``HOME`` pointing at it: certificates are still verified (unlike
``ignore_https_errors``), nothing outside this run trusts the CA, and a certificate the CA did not
issue still fails the journey with category ``tls``. NSS's ``certutil`` writes the database
(Debian and Ubuntu: ``apt-get install libnss3-tools``; ``./run`` installs it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


class TrustError(Exception):
    """The CA could not be put in the browser's trust store; the message says how to fix it."""


def trusting_home(ca_bundle: str, home: Path) -> Path:
    """Make ``home`` a HOME whose NSS database trusts every certificate in ``ca_bundle`` as a CA
    for servers; returns ``home``."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise TrustError(
            f"the profile's [tls] ca_bundle ({ca_bundle}) must be added to Chromium's trust store, which "
            "needs NSS's certutil: apt-get install libnss3-tools"
        )
    try:
        certificates = PEM_CERTIFICATE.findall(Path(ca_bundle).read_text(encoding="ascii", errors="replace"))
    except OSError as exc:
        raise TrustError(f"[tls] ca_bundle {ca_bundle}: {exc.strerror}") from None
    if not certificates:
        raise TrustError(f"[tls] ca_bundle {ca_bundle} holds no PEM certificate")
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True, exist_ok=True)
    _certutil(certutil, "-N", "--empty-password", "-d", f"sql:{database}")
    for number, certificate in enumerate(certificates):
        pem = home / f"ca-{number}.pem"
        pem.write_text(certificate + "\n", encoding="ascii")
        _certutil(
            certutil, "-A", "-d", f"sql:{database}", "-n", f"slurpy-monitor-ca-{number}", "-t", "C,,", "-i", str(pem)
        )
    return home


def _certutil(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise TrustError(f"certutil {' '.join(argv[1:3])} failed: {(done.stderr or done.stdout).strip()}")
