"""A test marked ``@pytest.mark.check("health")`` runs once per case of that kind in the target's
catalogue (:func:`monitor.catalogue.catalogue`) and receives it as the ``case`` fixture, whose
``args`` are the check function's keyword arguments, taken from the live profile. A kind with
nothing to probe in this profile is one skipped test that says so in words."""

from __future__ import annotations

import pytest

from monitor.catalogue import NOTHING_TO_PROBE, CheckCase, cases_of, find, journey_function
from monitor.plugins.target import target_of
from monitor.probe import Probe
from monitor.profile import Profile

CASE_KEY = "check_case"  # user property: which catalogue case an item runs, for records of skipped tests


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "check(kind): parametrize over the catalogue's cases of this kind (fixture `case`)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("check")
    if marker is None:
        return
    kind = marker.args[0]
    cases = cases_of(target_of(metafunc.config).profile, kind)
    if not cases:
        reason = f"nothing to probe: {NOTHING_TO_PROBE.get(kind, f'no {kind} check in this profile')}"
        metafunc.parametrize(
            "case", [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=["nothing-to-probe"], indirect=True
        )
        return
    metafunc.parametrize("case", [c.id for c in cases], ids=[c.label for c in cases], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    journeys = {journey_function(c.path): c for c in cases_of(target_of(config).profile, "journey")}
    for item in items:
        callspec = getattr(item, "callspec", None)
        journey = (
            journeys.get(getattr(item, "originalname", item.name))
            if "journey" in getattr(item, "fixturenames", ())
            else None
        )
        if journey is not None:  # a journey skipped or broken before it ran is still recorded by its check id
            item.user_properties.append(
                (CASE_KEY, {"check": "journey", "service": journey.service, "path": journey.path})
            )
        if callspec is None or "case" not in callspec.params:
            continue
        if check_id := callspec.params["case"]:
            kind, service, *path = check_id.split(":", 2)
            item.user_properties.append(
                (CASE_KEY, {"check": kind, "service": service, "path": path[0] if path else ""})
            )
        elif marker := item.get_closest_marker("check"):  # nothing to probe: the record still names the kind
            item.user_properties.append((CASE_KEY, {"check": marker.args[0], "service": "", "path": ""}))


@pytest.fixture
def case(request: pytest.FixtureRequest, profile: Profile) -> CheckCase:
    return find(profile, request.param)


@pytest.fixture
def case_probe(request: pytest.FixtureRequest, case: CheckCase) -> Probe:
    """The probe this case needs: signed in where its rule says ``auth = true``, else anonymous."""
    return request.getfixturevalue("signed_in_probe" if case.auth else "probe")
