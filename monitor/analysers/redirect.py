"""Does plain http send the visitor to https on the same host?"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit


def judge_https_redirect(url: str, status: int, location: str) -> list[str]:
    target = urlsplit(urljoin(url, location))
    if status not in (301, 308):
        return [
            f"expected a 301/308 redirect to https, got {status}"
            + (f" to {location}" if location else " serving content over plain http")
        ]
    if target.scheme != "https" or target.hostname != urlsplit(url).hostname:
        return [f"redirects to {location}, expected https:// on the same host"]
    return []
