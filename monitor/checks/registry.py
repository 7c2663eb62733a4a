"""The check kinds, each declared once, beside its function (as blackbox_exporter keeps one map of
probers with one signature): the kind's name, the function that checks it, the frozen dataclass of
arguments the catalogue hands it (typed, so mypy checks every case the catalogue makes), and why a
profile can have nothing for it to probe.

A new kind is a function in :mod:`monitor.checks` decorated with ``@check("name", NameArgs,
nothing_to_probe=...)``, cases for it in :mod:`monitor.checks.catalogue`, and a test marked
``@pytest.mark.check("name")`` that calls ``verdict(case.run(probe))``.
``selftests/unit/test_registry.py`` proves every case of every profile in ``targets/`` fits its
kind's function."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec

from monitor.checks.envelope import measured
from monitor.results import CheckResult

P = ParamSpec("P")


@dataclass(frozen=True)
class Kind:
    name: str  # the first part of every check id of this kind: ``cors:frontend``
    args: type  # the frozen dataclass of arguments each case carries
    nothing_to_probe: str  # why a profile has no case of it, said where pytest would say NOTSET
    function: Callable[..., CheckResult] | None = None  # None: a journey, run by its browser test
    inputs: tuple[str, ...] = ("probe",)  # what the test hands the function besides the case's arguments

    def run(self, args: Any, *inputs: Any, **extra: Any) -> CheckResult:
        """Call the kind's function with the test's inputs (its probe, first) and the case's arguments."""
        if self.function is None:
            raise TypeError(f"{self.name} cases are run by their browser tests, not by a check function")
        return self.function(*inputs, **as_kwargs(args), **extra)


KINDS: dict[str, Kind] = {}
_BY_ARGS: dict[type, Kind] = {}


def declare(kind: Kind) -> Kind:
    if not dataclasses.is_dataclass(kind.args):
        raise TypeError(f"check kind {kind.name}: its arguments {kind.args.__name__} must be a dataclass")
    for taken, by in ((kind.name in KINDS, "name"), (kind.args in _BY_ARGS, "arguments")):
        if taken:
            raise ValueError(f"check kind {kind.name}: another kind is declared with the same {by}")
    KINDS[kind.name] = _BY_ARGS[kind.args] = kind
    return kind


def check(
    name: str, args: type, *, nothing_to_probe: str, inputs: tuple[str, ...] = ("probe",)
) -> Callable[[Callable[P, CheckResult]], Callable[P, CheckResult]]:
    """Declare the decorated function as the check of kind ``name``; it runs inside the envelope
    (:func:`~monitor.checks.envelope.measured`: attempts, flaky, duration)."""

    def register(function: Callable[P, CheckResult]) -> Callable[P, CheckResult]:
        wrapped = measured(function)
        declare(Kind(name, args, nothing_to_probe, wrapped, inputs))
        return wrapped

    return register


class UnknownKind(LookupError):
    pass


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"no check kind {name!r}; the kinds are: {', '.join(sorted(KINDS))}") from None


def kind_of(args: object) -> Kind:
    """The kind whose arguments these are."""
    try:
        return _BY_ARGS[type(args)]
    except KeyError:
        raise UnknownKind(f"{type(args).__name__} are the arguments of no check kind") from None


def as_kwargs(args: object) -> dict[str, Any]:
    """The arguments as keywords, each value as it is (``dataclasses.asdict`` would copy them and
    turn a nested dataclass, a header policy, into a dict)."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(args)}  # type: ignore[arg-type]
