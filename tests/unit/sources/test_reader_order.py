"""The readers of a scan: one explicit order, no registration by import, no competing formats."""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.jsonfile import InputError, looks_like_json, parse_json
from ecs_exposure.sources.readers import READERS, read_context

DEMO = Path(str(files("ecs_exposure") / "demo"))


def _names_in_subprocess(first_imports: str) -> list[str]:
    code = (f"{first_imports}\n"
            "from ecs_exposure.sources.readers import READERS\n"
            "print('\\n'.join(r.name for r in READERS))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    return proc.stdout.splitlines()


def test_reader_order_does_not_depend_on_import_order() -> None:
    """Reader modules imported first, in another order, leave the order of READERS as it is
    (it was import order once: importing the intel module first put the EPSS reader behind
    the gzip reader, which then refused a gzip-compressed EPSS feed)."""
    expected = [reader.name for reader in READERS]
    assert _names_in_subprocess(
        "import ecs_exposure.sources.intel, ecs_exposure.sources.aws.snapshot, "
        "ecs_exposure.sources.scanners.trivy, ecs_exposure.sources.iac.terraform") == expected


def test_importing_a_reader_module_registers_nothing() -> None:
    code = ("import sys, ecs_exposure.sources.scanners.trivy, ecs_exposure.sources.intel, "
            "ecs_exposure.sources.iac.cloudformation, ecs_exposure.sources.aws.snapshot; "
            "print('ecs_exposure.sources.readers' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert proc.stdout.strip() == "False"


def _claimed_by(path: Path) -> list[str]:
    """Names of the readers that take the file (or reject it as malformed: theirs too)."""
    data = path.read_bytes()
    doc = parse_json(data) if looks_like_json(data) else None
    names = []
    for reader in READERS:
        try:
            if doc is not None:
                took = reader.document is not None and reader.document(
                    Inventory(), doc, str(path), read_context())
            else:
                took = reader.raw is not None and reader.raw(
                    Inventory(), data, str(path), read_context())
        except InputError:
            took = True
        if took:
            names.append(reader.name)
    return names


@pytest.mark.parametrize("path", sorted(p for p in DEMO.rglob("*") if p.is_file()
                                        and p.suffix != ".md"), ids=lambda p: p.name)
def test_each_demo_input_is_claimed_by_exactly_one_reader(path: Path) -> None:
    """The formats do not overlap, so the order of the specific readers decides nothing."""
    assert len(_claimed_by(path)) == 1, _claimed_by(path)


def test_template_parameters_arrive_in_the_context(tmp_path: Path) -> None:
    """Two scans in one process, with and without parameters: neither sees the other's."""
    template = tmp_path / "web.yaml"
    template.write_text(
        "Parameters:\n  Name: {Type: String}\n"
        "Resources:\n  Cluster:\n    Type: AWS::ECS::Cluster\n"
        "    Properties: {ClusterName: !Ref Name}\n")
    named, plain = Inventory(), Inventory()
    with_values = read_context({"Name": "prod"})
    assert with_values.read_raw(named, template.read_bytes(), str(template))
    assert read_context().read_raw(plain, template.read_bytes(), str(template))
    assert [c["clusterName"] for c in named.clusters.values()] == ["prod"]
    assert [c["clusterName"] for c in plain.clusters.values()] != ["prod"]


def test_an_empty_context_reads_nothing_nested() -> None:
    """Nested documents (snapshot members) are read by the context's readers, so a context
    without readers explains instead of reading."""
    reason = ReadContext().read_document(Inventory(), {"services": []}, "x.json")
    assert reason is not None
    assert read_context().read_document(Inventory(), {"services": []}, "x.json") is None
