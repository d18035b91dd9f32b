"""No trait id is written by hand outside the detectors: everything else refers to the spec.

A trait's id, wording, guidance and fixer hang off its one spec object in its family module
(``detectors/<family>.py``); a string literal equal to a trait id anywhere else is a second
definition that a typo or a rename would silently break. Tests may keep literal ids: they
check the public contract.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ecs_exposure
from ecs_exposure.detectors.registry import catalog

PACKAGE = Path(ecs_exposure.__file__).parent
EXEMPT = PACKAGE / "detectors"


def trait_literals(source: str, ids: set[str]) -> list[tuple[int, str]]:
    """``(line, id)`` of every string constant (f-string parts too) equal to a trait id."""
    return sorted((node.lineno, node.value) for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and node.value in ids)


def test_the_scan_finds_literals_in_code_and_f_strings() -> None:
    source = 'A = "root-user"\nB = f"{x}"\nif t.id == "public-ip":\n    pass\nC = "root-users"\n'
    assert trait_literals(source, {"root-user", "public-ip"}) == [(1, "root-user"),
                                                                  (3, "public-ip")]


def test_no_trait_id_literal_outside_the_detectors() -> None:
    ids = {spec.id for spec in catalog()}
    modules = [p for p in sorted(PACKAGE.rglob("*.py")) if not p.is_relative_to(EXEMPT)]
    assert len(modules) > 50  # the scan really looked at the package
    found = [f"{path.relative_to(PACKAGE)}:{line}: {value!r}"
             for path in modules
             for line, value in trait_literals(path.read_text(encoding="utf-8"), ids)]
    assert found == [], "refer to the trait's spec object instead:\n" + "\n".join(found)
