"""The package layout of DESIGN §7: the folders show the flow, and nothing is left loose.

A newcomer maps the code from the folder names, so a module dropped at the top level (the way
``collector.py`` and ``unknown.py`` once were) or a stage-crossing folder (the way ``images/``
once held readers, checks, a command and waivers) fails here rather than in a review.
"""

from __future__ import annotations

from pathlib import Path

import ecs_exposure

PACKAGE = Path(ecs_exposure.__file__).parent

TOP_LEVEL_MODULES = {"__init__", "__main__", "model", "inventory", "settings", "errors",
                     "pipeline"}
"""The only loose modules: the model, the inventory, settings, errors and the pipeline."""

STAGES_AND_LIBRARIES = {"cli", "sources", "analysis", "detectors", "exposure", "remediation",
                        "reporters", "demo", "store"}
STAGES_AND_LIBRARIES |= {"distributed"}   # units of work on an engine (issue 19)


def test_only_the_model_inventory_settings_errors_and_pipeline_are_loose() -> None:
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose <= TOP_LEVEL_MODULES, sorted(loose - TOP_LEVEL_MODULES)


def test_top_level_folders_are_the_stages_and_their_libraries() -> None:
    folders = {p.name for p in PACKAGE.iterdir()
               if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders == STAGES_AND_LIBRARIES


def test_every_package_says_what_it_is_for() -> None:
    """Each folder's ``__init__`` docstring is the one-line map entry for that folder."""
    for init in PACKAGE.rglob("__init__.py"):
        text = init.read_text(encoding="utf-8").lstrip()
        assert text.startswith('"""'), init.relative_to(PACKAGE)


def test_tests_mirror_the_source_tree() -> None:
    """Unit tests live under the package they test; no test file is left flat in tests/."""
    tests = Path(__file__).resolve().parents[1]
    assert not list(tests.glob("test_*.py")), "tests belong in unit/, integration/ or support/"
    for folder in (tests / "unit").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__":
            relative = folder.relative_to(tests / "unit")
            assert (PACKAGE / relative).is_dir(), f"tests/unit/{relative} mirrors no package"
