"""After a deploy (``--deploy-version``), each service that reports its version serves the one
just deployed: a stale deploy passes every other check."""

import pytest

from monitor.checks.catalogue import CheckCase
from monitor.plugins.results import RecordVerdict
from monitor.probe import Probe

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("version")
def test_served_version_is_the_deployed_one(
    probe: Probe, verdict: RecordVerdict, case: CheckCase, deploy_version: str
) -> None:
    verdict(case.run(probe, expected=deploy_version))
