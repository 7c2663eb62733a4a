"""The sandbox's certificate authority and the certificates a fault can make a service present."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme

LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")


class SandboxCerts:
    """One CA and a leaf per certificate state: ``valid`` (90 days), ``expiring`` (20 days, inside
    the warn band), ``fail-window`` (3 days), ``expired`` and ``wrong-host``."""

    def __init__(self, directory: Path):
        now = datetime.now(UTC)
        ca = trustme.CA(organization_name="Slurpy sandbox CA")
        self.leaves = {
            "valid": ca.issue_cert(*LOCAL_NAMES, not_after=now + timedelta(days=90)),
            "expiring": ca.issue_cert(*LOCAL_NAMES, not_after=now + timedelta(days=20)),
            "fail-window": ca.issue_cert(*LOCAL_NAMES, not_after=now + timedelta(days=3)),
            "expired": ca.issue_cert(
                *LOCAL_NAMES, not_before=now - timedelta(days=60), not_after=now - timedelta(days=1)
            ),
            "wrong-host": ca.issue_cert("slurpy.invalid", not_after=now + timedelta(days=90)),
        }
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_path = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))

    def context(self, state: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.leaves[state].configure_cert(context)
        return context
