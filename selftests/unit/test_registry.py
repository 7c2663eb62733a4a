"""The registry of check kinds: every case of every profile in targets/ carries arguments that fit
its kind's function (the arguments validate against their dataclass's types, and the function's
signature takes them, each with the type it declares), and every kind is run by a suite and
reproduced by an alert's command. Nothing here touches the network."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import typing
from pathlib import Path

import pydantic
import pytest

from monitor.alerts.guidance import TESTS
from monitor.checks.catalogue import JOURNEY, catalogue
from monitor.checks.registry import KINDS, Kind, UnknownKind, as_kwargs, declare, kind, kind_of
from monitor.checks.smoke import TlsArgs
from monitor.profile import load_profile
from monitor.results import CheckResult

ROOT = Path(__file__).resolve().parents[2]
PROFILES = sorted(path.stem for path in (ROOT / "targets").glob("*.toml"))


def misfits(declared: Kind, args: object) -> list[str]:
    """Why these arguments do not fit the kind's function; empty when they do."""
    if not isinstance(args, declared.args):
        return [f"{type(args).__name__} are not {declared.name}'s arguments ({declared.args.__name__})"]
    problems = []
    hints = typing.get_type_hints(declared.args)
    for name, value in as_kwargs(args).items():
        try:
            pydantic.TypeAdapter(hints[name]).validate_python(value, strict=True)
        except pydantic.ValidationError as exc:
            problems.append(f"{name} does not validate as {hints[name]}: {exc.errors()[0]['msg']}")
    assert declared.function is not None
    try:
        inspect.signature(declared.function).bind(**dict.fromkeys(declared.inputs), **as_kwargs(args))
    except TypeError as exc:
        problems.append(f"{declared.function.__name__} does not take them: {exc}")
    wanted = typing.get_type_hints(declared.function)
    for name, given in hints.items():
        if name in wanted and wanted[name] != given:
            problems.append(f"{name} is {given} in {declared.args.__name__} but {wanted[name]} in the function")
    return problems


@pytest.mark.parametrize("profile_name", PROFILES)
def test_every_case_of_every_profile_fits_its_kinds_function(profile_name):
    cases = catalogue(load_profile(profile_name))
    assert len(cases) > 0
    for case in cases:
        declared = kind(case.kind)
        assert kind_of(case.args) is declared
        if declared is not JOURNEY:
            assert misfits(declared, case.args) == [], case.id


def test_arguments_that_do_not_fit_are_named() -> None:
    problems = misfits(kind("tls"), TlsArgs(service="backend", url=42, policy=None))  # type: ignore[arg-type]
    assert [problem.split(" does not validate")[0] for problem in problems] == ["url", "policy"]


def test_a_signature_that_drifted_from_its_arguments_is_named():
    @dataclasses.dataclass(frozen=True)
    class Renamed:
        service: str
        address: str  # the function calls it url

    @dataclasses.dataclass(frozen=True)
    class Retyped:
        service: str
        url: str  # the function takes an int

    def function(probe: object, service: str, url: int) -> CheckResult:
        raise AssertionError("only its signature is read")

    # Kinds made here but never declared: the registry stays as it is.
    renamed = misfits(Kind("renamed", Renamed, "nothing", function), Renamed("backend", "https://x"))
    assert renamed == ["function does not take them: missing a required argument: 'url'"]
    retyped = misfits(Kind("retyped", Retyped, "nothing", function), Retyped("backend", "https://x"))
    assert retyped == ["url is <class 'str'> in Retyped but <class 'int'> in the function"]


def test_a_kind_is_declared_once():
    @dataclasses.dataclass(frozen=True)
    class Other:
        url: str

    with pytest.raises(ValueError, match="another kind is declared with the same name"):
        declare(Kind("tls", Other, "nothing"))
    with pytest.raises(ValueError, match="another kind is declared with the same arguments"):
        declare(Kind("tls2", TlsArgs, "nothing"))
    assert "tls2" not in KINDS and Other not in {declared.args for declared in KINDS.values()}


def test_unknown_kinds_are_refused_in_words():
    with pytest.raises(UnknownKind, match=r"no check kind 'tsl'; the kinds are: access, cookies, cors"):
        kind("tsl")


def _markers(path: Path) -> set[str]:
    """The kinds named by ``@pytest.mark.check("kind")`` in a test module."""
    return {
        str(node.args[0].value)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "check"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_kind_with_a_function_has_a_suite_test_and_an_alert_command():
    marked = set().union(*(_markers(path) for path in (ROOT / "tests").rglob("test_*.py")))
    functions = {name for name, declared in KINDS.items() if declared.function is not None}
    assert marked == functions
    assert set(TESTS) == functions
