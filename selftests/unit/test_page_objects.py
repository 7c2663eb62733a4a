"""The page objects keep the house's rules (bedrock's model): every locator is defined once, in its
page's ``__init__``; no assertions (they belong to the journeys); no sleeps (Playwright waits)."""

from __future__ import annotations

import ast
import inspect

from monitor.browser import pages

LOCATOR_FACTORIES = {"locator", "get_by_role", "get_by_label", "get_by_text", "get_by_placeholder", "get_by_test_id"}
WAITS = {"sleep", "wait_for_timeout"}


def called(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def test_page_objects_define_locators_once_and_neither_assert_nor_sleep():
    tree = ast.parse(inspect.getsource(pages))
    problems = []
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        for method in (node for node in cls.body if isinstance(node, ast.FunctionDef)):
            where = f"{cls.name}.{method.name} (line {method.lineno})"
            for node in ast.walk(method):
                if isinstance(node, ast.Assert):
                    problems.append(f"{where} asserts")
                if isinstance(node, ast.Call) and called(node) in {"expect", *WAITS}:
                    problems.append(f"{where} calls {called(node)}")
                if isinstance(node, ast.Call) and called(node) in LOCATOR_FACTORIES and method.name != "__init__":
                    problems.append(f"{where} makes a locator outside __init__: {called(node)}")
    assert problems == []
