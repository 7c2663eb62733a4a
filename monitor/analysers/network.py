"""Name the phase a request failed in, the way blackbox_exporter splits probe failures."""
from __future__ import annotations

import socket
import ssl
from typing import Iterator

import httpx

from monitor.results import Category


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        yield node
        node = node.__cause__ or node.__context__


def classify_error(exc: BaseException) -> Category:
    chain = list(_chain(exc))
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, (httpx.TimeoutException, TimeoutError, socket.timeout)) for e in chain):
        return Category.TIMEOUT
    if any(isinstance(e, socket.gaierror) for e in chain) or "Name or service not known" in text or "nodename nor servname" in text:
        return Category.DNS
    if any(isinstance(e, ssl.SSLError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text:
        return Category.TLS
    return Category.CONNECT


def is_retryable(category: Category) -> bool:
    """Retry only transient network failures; a TLS failure is deterministic and a timeout
    already spent the whole budget."""
    return category in (Category.CONNECT, Category.DNS)


def describe_error(exc: BaseException) -> str:
    """The innermost readable reason, without a traceback: 'Connection refused', 'certificate has expired'."""
    for node in reversed(list(_chain(exc))):
        if isinstance(node, ssl.SSLCertVerificationError) and node.verify_message:
            return node.verify_message
        if str(node):
            return str(node).split("\n")[0]
    return type(exc).__name__
