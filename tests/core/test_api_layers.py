"""Where the API's pieces live, so that imports only run down the house: the toolkit every router builds on
(error shape, auth schemes, pagination, bounded types) is ``backend/core/http/`` and imports nothing above
core; the root that assembles the routers (``backend/api``) is imported only by the URL configuration; the
console and the reports read through each app's ``queries.py``, never through an ``api`` module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOUSE = ("backend", "notifications", "gps_gateway")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(*folders: str) -> list[tuple[str, str]]:
    """(importing module, imported module) for every import in the files under ``folders``, at any depth
    (inside functions and under TYPE_CHECKING too: they bind the two modules all the same)."""
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = _module(path)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found += [(source, alias.name) for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    target = node.module or ""
                    if node.level:  # relative: from the importing module's package, ``level`` up
                        parts = source.split(".")
                        base = parts[: len(parts) - node.level + (path.name == "__init__.py")]
                        target = ".".join([*base, target] if target else base)
                    found.append((source, target))
                    # ``from backend import api`` imports the module ``backend.api``.
                    found += [(source, f"{target}.{alias.name}") for alias in node.names]
    return found


def test_the_api_toolkit_under_core_imports_nothing_above_core():
    above = [
        (source, target)
        for source, target in imports("backend/core/http")
        if target.split(".")[0] in HOUSE and not target.startswith("backend.core")
    ]
    assert above == []


def test_only_the_url_configuration_imports_the_api_root():
    importers = {
        source
        for source, target in imports(*HOUSE)
        if target == "backend.api" or target.startswith("backend.api.")
    }
    assert importers == {"backend.urls"}


def test_no_console_or_reports_module_imports_an_api_module():
    through_api = [
        (source, target)
        for source, target in imports("backend/console", "backend/reports")
        if "api" in target.split(".") and target.split(".")[0] in HOUSE
    ]
    assert through_api == []
