"""Kept artifacts (pytest-playwright's traces and logs under ``--output``) are scrubbed of every
secret this process handled, after everything else has finished with them."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor import redact


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    output = session.config.getoption("output", default=None)
    if output:
        redact.scrub_tree(Path(output))
