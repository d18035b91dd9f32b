"""No module of the package imports itself back, directly or through others.

A cycle makes behaviour depend on which module some caller happened to import first (reader
order once was import order) and makes a module impossible to read without the ones around it.
Every import counts: at module level, inside a function (a lazy import still joins the two
modules) and under ``TYPE_CHECKING`` (the dependency is there for a reader of the code). The
graph is grimp's, the library import-linter is built on.
"""

from __future__ import annotations

import grimp

PACKAGE = "ecs_exposure"


def _line(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    lines = ",".join(str(d["line_number"]) for d in details)
    return f"{importer}:{lines}" if lines else importer


def import_cycles(graph: grimp.ImportGraph) -> list[str]:
    """One line per cycle, each import shown as ``module:line`` of the import statement."""
    found: dict[frozenset[str], str] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is None:
                continue
            chain = (importer, *back)
            members = frozenset(chain)
            if members not in found:
                found[members] = " -> ".join(
                    [_line(graph, a, b) for a, b in zip(chain, chain[1:], strict=False)]
                    + [importer])
    return sorted(found.values())


def test_the_package_has_no_import_cycles() -> None:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    assert len(graph.modules) > 50, "the package was not found"
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_a_cycle_is_reported() -> None:
    """The check itself: a graph with a cycle is not passed as acyclic."""
    graph = grimp.ImportGraph()
    for name in ("pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b", line_number=3, line_contents="")
    graph.add_import(importer="pkg.b", imported="pkg.c", line_number=4, line_contents="")
    graph.add_import(importer="pkg.c", imported="pkg.a", line_number=5, line_contents="")
    assert import_cycles(graph) == ["pkg.a:3 -> pkg.b:4 -> pkg.c:5 -> pkg.a"]
