"""The profile reference (``docs/profile.md``), generated from the pydantic models' own fields and
descriptions, so it cannot say what the models do not: ``python -m monitor.profile.reference >
docs/profile.md`` writes it, and a test fails when the file and the models differ."""

from __future__ import annotations

import json
import sys
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from monitor.profile.target import Profile

HEADER = """# Target profile reference

Generated from the models in `monitor/profile/` by `python -m monitor.profile.reference >
docs/profile.md` (`selftests/unit/test_profile_reference.py` keeps it in sync): every table and
field a profile `targets/<name>.toml` may hold, its type, its default, and what it means. A field
without a default is required. Secrets are never values here: `[secrets]` names environment
variables, and fields ending in `_secret` name entries of `[secrets]`.
"""


def _models_in(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """("table" | "array" | "map", model) when a field holds models."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table", annotation
    if origin in (typing.Union, types.UnionType):
        found = [_models_in(a) for a in args if a is not type(None)]
        return next((f for f in found if f), None)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "array", args[0]
    if origin is dict and len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return "map", args[1]
    return None


def _type(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0])
    if annotation is Any:
        return "any value"
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else ""
        )
    if origin is list:
        return f"list of {_type(args[0])}" if args else "list"
    if origin is tuple:
        return "(" + ", ".join(_type(a) for a in args) + ")"
    if origin is dict:
        return f"table of {_type(args[1])}" if args else "table"
    if isinstance(annotation, type):
        return {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "datetime": "date-time"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation).replace("typing.", "")


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default is PydanticUndefined else field.default
    if isinstance(value, BaseModel):
        return "(defaults below)"
    if isinstance(value, dict) and value and isinstance(next(iter(value.values())), BaseModel):
        return ", ".join(value)
    try:
        text = json.dumps(value, default=str)
    except TypeError:
        text = str(value)
    return "none" if value is None else f"`{text}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _section(title: str, model: type[BaseModel], out: list[str], seen: set[str]) -> None:
    doc = " ".join((model.__doc__ or "").split()).replace("``", "`") if model.__doc__ else ""
    out += ["", f"## `{title}`", ""]
    if doc:
        out += [doc, ""]
    out += ["| field | type | default | meaning |", "|---|---|---|---|"]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        holds = _models_in(field.annotation)
        if holds:
            kind, inner = holds
            path = f"{title.strip('[]')}.{name}".lstrip(".")
            key = {"table": path, "array": f"[[{path}]]", "map": f"{path}.<name>"}[kind]
            nested.append((key, inner))
            meaning = field.description or (inner.__doc__ or "").split(".")[0].replace("``", "`")
            out.append(
                f"| `{name}` | {'list of tables' if kind == 'array' else 'table'} (see `{key}`) | "
                f"{_default(field)} | {_cell(meaning)} |"
            )
            continue
        out.append(
            f"| `{name}` | {_cell(_type(field.annotation))} | {_cell(_default(field))} | "
            f"{_cell(field.description or '')} |"
        )
    for key, inner in nested:
        if key not in seen:
            seen.add(key)
            _section(key, inner, out, seen)


def reference() -> str:
    out = [HEADER.rstrip()]
    _section("", Profile, out, set())
    text = "\n".join(out).replace("## ``", "## top level", 1) + "\n"
    return text


if __name__ == "__main__":
    sys.stdout.write(reference())
