"""Mutation sweep over every reader: hostile variations of real inputs never crash or hang a
scan.

Each seed is a real input of one reader (every demo file, plus a Grype report, an ECR scan,
CloudFormation JSON and YAML, a Terraform plan and ``.tf`` file and a snapshot), scanned
together with the whole demo estate (a demo file in its place) so the mutated value meets the
detectors, the exposure assessment, the JSON writer and one other writer drawn per example
(every format of ``reporters.FORMATS`` and the ``fix`` plan writer), not only its reader. Hypothesis
mutates it the way a careless exporter or an attacker would: a value's type swapped (text,
number, boolean, null, list, object), a value nested deeper, control characters, strings of a
few KB, keys deleted; for text formats (YAML, HCL, CSV) characters inserted, lines dropped or
repeated, the file cut.

What must hold: loading, scanning and writing never raise and finish within a time limit; a
mutated file may be refused, but only with an error naming that file. The examples are the
same on every run (a fixed seed per input, so no flaky CI and no new examples just because
lines moved); for a longer exploration set
``ECS_EXPOSURE_SWEEP_EXAMPLES`` (examples per seed; the default keeps the whole sweep well under
a minute) and ``ECS_EXPOSURE_SWEEP_RANDOM=1`` (new examples each run).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import plan_for
from ecs_exposure.remediation.writer import write_plans
from ecs_exposure.reporters import FORMATS
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.iac.yamlload import load_yaml
from support import ROOT
from support.builders import REGION, container, security_group, service, task_definition, tcp
from support.iac_helpers import scan_paths
from support.timing import deadline
from support.vuln_fixtures import (
    ecr_basic_finding,
    ecr_scan,
    grype,
    grype_match,
    inspector_finding,
)
from unit.sources.iac.test_cloudformation import ESTATE as CFN_YAML
from unit.sources.iac.test_terraform import PLAN

DEMO = ROOT / "src" / "ecs_exposure" / "demo"
EXAMPLES = int(os.environ.get("ECS_EXPOSURE_SWEEP_EXAMPLES", "6"))
RANDOM = os.environ.get("ECS_EXPOSURE_SWEEP_RANDOM") == "1"
TIME_LIMIT = 20.0
"""Seconds one scan of the mutated estate may take (a normal one takes well under one)."""
MAX_PATHS = 4_000
"""Values of a seed that mutations may hit (breadth first): all of every seed here."""

HCL = """\
variable "public" {
  default = true
}

resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_ecs_task_definition" "tf" {
  family       = "tf"
  network_mode = "awsvpc"
  container_definitions = jsonencode([
    { name = "web", image = "nginx:1.27", privileged = true,
      environment = [{ name = "DB_PASSWORD", value = "hunter2hunter2" }],
      portMappings = [{ containerPort = 443 }] }
  ])
}

resource "aws_ecs_service" "tf" {
  name            = "tf"
  task_definition = aws_ecs_task_definition.tf.arn
  network_configuration {
    subnets          = ["subnet-1"]
    security_groups  = [aws_security_group.web.id]
    assign_public_ip = var.public
  }
}
"""


def _snapshot() -> dict[str, Any]:
    td = task_definition(family="snap", containers=[container(privileged=True)])
    region = {"ecs": {"describe-services": {"services": [service("snap", "snap",
                                                                  public_ip=True)]},
                      "describe-task-definition": {"taskDefinitions": [td]},
                      "describe-clusters": {"clusters": []}},
              "ec2": {"describe-security-groups": {"SecurityGroups": [
                  security_group("sg-1", tcp(80))]}}}
    return snapshot.build({"111122223333": {"regions": {REGION: region}}}, scope={},
                          errors=[], incomplete={}, calls={},
                          generated_at="2024-01-01T00:00:00Z")


def _extra_seeds() -> dict[str, bytes]:
    """Inputs of the readers the demo does not exercise, in their real shapes."""
    docs: dict[str, Any] = {
        "grype.json": grype("web:1", [grype_match(kev=True, epss=0.9)]),
        "ecr-scan.json": ecr_scan(basic=[ecr_basic_finding()], enhanced=[inspector_finding()]),
        "cloudformation.json": load_yaml(CFN_YAML.encode())[0],
        "plan.json": PLAN,
        "snapshot.json": _snapshot(),
    }
    seeds = {f"extra/{name}": json.dumps(doc, indent=1).encode() for name, doc in docs.items()}
    seeds["extra/template.yaml"] = CFN_YAML.encode()
    seeds["extra/tf/main.tf"] = HCL.encode()
    return seeds


def _demo_seeds() -> dict[str, bytes]:
    return {str(path.relative_to(DEMO)): path.read_bytes()
            for path in sorted(DEMO.rglob("*")) if path.is_file() and path.suffix != ".md"}


SEEDS = _demo_seeds() | _extra_seeds()


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo estate (``demo/``) and the extra seeds beside it (``extra/``, each
    scanned only when it is the one mutated); each example mutates one file and puts it back."""
    root = tmp_path_factory.mktemp("estate")
    shutil.copytree(DEMO, root / "demo")
    for name, data in _extra_seeds().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _target(estate: Path, name: str) -> Path:
    return estate / name if name.startswith("extra/") else estate / "demo" / name


# ---- mutations of parsed documents ------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _paths(doc: Any) -> list[Path_]:
    """Paths to the values of ``doc``, breadth first, root included."""
    found: list[Path_] = []
    queue: list[tuple[Path_, Any]] = [((), doc)]
    while queue and len(found) < MAX_PATHS:
        path, value = queue.pop(0)
        found.append(path)
        children = value.items() if isinstance(value, dict) else enumerate(value) \
            if isinstance(value, list) else ()
        queue.extend(((*path, key), child) for key, child in children)
    return found


def _get(doc: Any, path: Path_) -> Any:
    for token in path:
        doc = doc[token]
    return doc


CONTROL = st.text(st.sampled_from(
    [chr(c) for c in range(32)] + ["\x7f", "\x85", "\u2028", "\u200e", "\u202e", "\ufeff"]),
    min_size=1, max_size=8)
SCALARS = st.one_of(st.sampled_from(["", "x", "0", "true", "null", "*", "0.0.0.0/0", "arn:",
                                     "sha256:", "-1", "../../etc/passwd"]),
                    st.integers(-2**70, 2**70), st.floats(allow_nan=False), st.booleans(),
                    st.none())


@st.composite
def replacement(draw: st.DrawFn, old: Any) -> Any:
    """A new value for ``old``: another type, deeper, with control characters, or huge."""
    kind = draw(st.sampled_from(["scalar", "list", "object", "nest", "control", "huge",
                                 "stringify", "empty"]))
    if kind == "scalar":
        return draw(SCALARS)
    if kind == "list":
        return [old]
    if kind == "object":
        return {draw(st.sampled_from(["", "x", "Ref", "Fn::GetAtt", "$ref"])): old}
    if kind == "nest":
        value = old
        for level in range(draw(st.integers(2, 160))):
            value = [value] if level % 2 else {"n": value}
        return value
    if kind == "control":
        text = old if isinstance(old, str) else str(old)
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(CONTROL) + text[cut:]
    if kind == "huge":
        return draw(st.sampled_from(["A", "\u00e9", "[", "%", "${x}"])) * draw(
            st.integers(1_000, 4_000))
    if kind == "stringify":
        return json.dumps(old)
    return type(old)() if isinstance(old, dict | list | str) else None


@st.composite
def mutated_document(draw: st.DrawFn, doc: Any) -> Any:
    """``doc`` with one to three values replaced or deleted."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            doc = draw(replacement(doc))
            continue
        parent = _get(doc, path[:-1])
        if draw(st.integers(0, 4)) == 0:                    # delete the key or item
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(replacement(parent[path[-1]]))
    return doc


# ---- mutations of text ----------------------------------------------------------------------

PIECES = st.one_of(CONTROL, st.sampled_from([
    "\n", "\t", ":", "- ", "[", "]", "{", "}", '"', "'", "!Ref x", "!Sub", "&a", "*a", "<<: *a",
    "${", "jsonencode(", "=", ",", "#", "\\", "\udcff", "0x", "1e999", "\u2028"]))


@st.composite
def mutated_text(draw: st.DrawFn, data: bytes) -> bytes:
    """Characters inserted, a span deleted, a line repeated or the file cut short."""
    text = data.decode("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["insert", "delete", "repeat", "cut"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(PIECES) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "repeat":
            lines = text.splitlines(keepends=True)
            if lines:
                index = min(at, len(lines) - 1)
                lines.insert(index, lines[index] * draw(st.integers(1, 3)))
                text = "".join(lines)
        else:
            text = text[:at]
    return text.encode("utf-8", "surrogateescape")


@st.composite
def mutated_file(draw: st.DrawFn, name: str) -> bytes:
    data = SEEDS[name]
    if name.endswith(".json") and draw(st.integers(0, 5)):  # mostly structure, sometimes text
        return json.dumps(draw(mutated_document(json.loads(data)))).encode()
    if name.endswith(".yaml") and draw(st.booleans()):
        return yaml.safe_dump(draw(mutated_document(load_yaml(data)[0])),
                              allow_unicode=True).encode()
    return draw(mutated_text(data))


WRITERS = (*sorted(set(FORMATS) - {"json"}), "fix")
"""Writers besides JSON; each example also goes through one of them (drawn), so every format
and the ``fix`` plan writer meet every reader's mutations without nine writes per example."""


def _write_other(writer: str, result: Any, inventory: Any, out: Path) -> None:
    """Write ``result`` with ``writer`` (a format, or ``fix``: the plans into ``out``)."""
    if writer == "fix":
        write_plans(out, [plan_for(inventory, f, FixOptions())
                          for f in result.findings + result.task_definition_findings])
        return
    reporter = FORMATS[writer]
    reporter.write(result, io.BytesIO() if reporter.binary else io.StringIO(),
                   ReportOptions())


def _scan_and_write(estate: Path, target: Path, data: bytes, writer: str = "json") -> None:
    original = target.read_bytes()
    target.write_bytes(data)
    inputs = [estate / "demo"] + ([target] if target.is_relative_to(estate / "extra") else [])
    try:
        with deadline(TIME_LIMIT):
            result, inventory, report = scan_paths(inputs)
            stream = io.BytesIO()
            FORMATS["json"].write(result, stream, ReportOptions())
            rendered = stream.getvalue()
            if writer != "json":
                with tempfile.TemporaryDirectory() as out:
                    _write_other(writer, result, inventory, Path(out) / "fix")
    finally:
        target.write_bytes(original)
    assert {e.source for e in report.errors} <= {str(target)}, report.errors
    assert orjson.loads(rendered)["schema"]


def test_the_unmutated_estate_reads_without_errors(estate: Path) -> None:
    _, _, report = scan_paths([estate])
    assert not report.errors
    assert {str(_target(estate, name)) for name in SEEDS} <= set(report.read)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_a_mutated_input_never_crashes_or_hangs_the_scan(estate: Path, name: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=mutated_file(name), writer=st.sampled_from(WRITERS))
    def sweep(data: bytes, writer: str) -> None:
        _scan_and_write(estate, _target(estate, name), data, writer)

    (sweep if RANDOM else seed(zlib.crc32(name.encode()))(sweep))()
