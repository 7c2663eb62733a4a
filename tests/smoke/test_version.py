"""After a deploy (``--deploy-version``), each service that reports its version serves the one
just deployed: a stale deploy passes every other check."""

import pytest

pytestmark = pytest.mark.nondestructive


@pytest.mark.check("version")
def test_served_version_is_the_deployed_one(probe, verdict, case, deploy_version):
    verdict(case.run(probe, expected=deploy_version))
