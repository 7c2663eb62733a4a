"""A test marked ``@pytest.mark.check("health")`` runs once per case of that kind in the target's
catalogue (:mod:`monitor.checks.catalogue`) and receives it as the ``case`` fixture, built from the
live profile; ``verdict(case.run(probe))`` runs the kind's check function on it. A kind with
nothing to probe in this profile is one skipped test that says so in words; a kind no check
declares (:mod:`monitor.checks.registry`) is a collection error.

The catalogue is built once per run and profile (:func:`run_catalogue`): for the profile as written
at collection, for the live one (the sandbox's ports) in the ``case`` fixture."""

from __future__ import annotations

import pytest

from monitor.checks.catalogue import JOURNEY, Catalogue, CheckCase, catalogue, journey_function
from monitor.checks.registry import kind
from monitor.plugins.target import target_of
from monitor.probe import Probe
from monitor.profile import Profile

CASE_KEY = "check_case"  # user property: which catalogue case an item runs, for records of skipped tests

# Built catalogues by the id of their profile (kept alive beside it, so the id cannot be reused).
_CATALOGUES = pytest.StashKey[dict[int, tuple[Profile, Catalogue]]]()


def run_catalogue(config: pytest.Config, profile: Profile | None = None) -> Catalogue:
    """This run's catalogue of ``profile`` (default: the target's profile as written), built once."""
    profile = profile or target_of(config).profile
    built = config.stash.setdefault(_CATALOGUES, {})
    if id(profile) not in built:
        built[id(profile)] = (profile, catalogue(profile))
    return built[id(profile)][1]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "check(kind): parametrize over the catalogue's cases of this kind (fixture `case`)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("check")
    if marker is None:
        return
    declared = kind(marker.args[0])
    cases = run_catalogue(metafunc.config).of_kind(declared.name)
    if not cases:
        reason = f"nothing to probe: {declared.nothing_to_probe}"
        metafunc.parametrize(
            "case", [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=["nothing-to-probe"], indirect=True
        )
        return
    metafunc.parametrize("case", [c.id for c in cases], ids=[c.label for c in cases], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    journeys = {journey_function(c.path): c for c in run_catalogue(config).of_kind(JOURNEY.name)}
    for item in items:
        callspec = getattr(item, "callspec", None)
        journey = (
            journeys.get(getattr(item, "originalname", item.name))
            if "journey" in getattr(item, "fixturenames", ())
            else None
        )
        if journey is not None:  # a journey skipped or broken before it ran is still recorded by its check id
            item.user_properties.append(
                (CASE_KEY, {"check": JOURNEY.name, "service": journey.service, "path": journey.path})
            )
        if callspec is None or "case" not in callspec.params:
            continue
        if check_id := callspec.params["case"]:
            check, service, *path = check_id.split(":", 2)
            item.user_properties.append(
                (CASE_KEY, {"check": check, "service": service, "path": path[0] if path else ""})
            )
        elif marker := item.get_closest_marker("check"):  # nothing to probe: the record still names the kind
            item.user_properties.append((CASE_KEY, {"check": marker.args[0], "service": "", "path": ""}))


@pytest.fixture
def case(request: pytest.FixtureRequest, profile: Profile) -> CheckCase:
    return run_catalogue(request.config, profile).find(request.param)


@pytest.fixture
def case_probe(request: pytest.FixtureRequest, case: CheckCase) -> Probe:
    """The probe this case needs: signed in where its rule says ``auth = true``, else anonymous."""
    return request.getfixturevalue("signed_in_probe" if case.auth else "probe")
