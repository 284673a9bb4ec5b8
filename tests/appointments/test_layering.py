"""The appointment rules stay out of the HTTP layer: no Flask in shared.appointments, thin handlers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN = sorted((REPO / "shared" / "appointments").glob("*.py"))
HANDLERS = [REPO / "functions" / "appointments" / "handler.py", REPO / "functions" / "public" / "booking.py"]


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: p.name)
def test_domain_modules_never_import_flask(path):
    assert {"flask", "werkzeug"}.isdisjoint(_imported(path))


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_every_view_has_a_one_line_docstring(path):
    views = [node for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.FunctionDef) and any(
                 isinstance(d, ast.Call) and getattr(d.func, "attr", "") in {"get", "post", "put", "delete"}
                 for d in node.decorator_list)]
    assert views
    for view in views:
        docstring = ast.get_docstring(view)
        assert docstring and "\n" not in docstring, view.name
