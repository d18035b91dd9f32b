"""Where the commands' outputs go: CSV dialects, the stderr summary and input errors whatever
the report's destination, and options that cannot apply."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from support.builders import container, task_definition


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """One readable task definition with a finding, one unreadable file."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    doc = task_definition(containers=[container(privileged=True)])
    (inputs / "td.json").write_text(json.dumps({"taskDefinition": doc}))
    (inputs / "broken.json").write_text("{not json")
    return inputs


def _scan(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_csv_is_excel_ready_by_default_and_plain_for_pipes(tmp_path: Path) -> None:
    code, out, _ = _scan("--demo", "--format", "csv", "-o", str(tmp_path / "a.csv"))
    assert code == 0
    data = (tmp_path / "a.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbffinding_id,")
    assert data.count(b"\r\n") >= 2 and b",remediation," in data.split(b"\r\n")[0]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows and all(row["finding_id"] or row["record"] == "posture" for row in rows)
    code, out, _ = _scan("--demo", "--format", "csv", "--csv-dialect", "unix")
    assert code == 0 and out.startswith("finding_id,") and "\r\n" not in out
    assert len(list(csv.DictReader(io.StringIO(out)))) == len(rows)


def test_csv_dialects_keep_formula_escaping(tmp_path: Path) -> None:
    from ecs_exposure.reporters.csv_report import render
    from support.report_inputs import hostile_result

    for dialect in ("excel", "unix"):
        text = render(hostile_result(tmp_path), None, dialect).removeprefix("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        names = [row["name"] for row in rows]
        assert names and all(not n.startswith(("=", "+", "-", "@")) for n in names)


@pytest.mark.parametrize("target", ["output", "output-dir", "stdout"])
def test_input_errors_and_summary_reach_stderr_whatever_the_target(
        mixed: Path, tmp_path: Path, target: str) -> None:
    where = {"output": ["-o", str(tmp_path / "r.json")],
             "output-dir": ["--output-dir", str(tmp_path / "reports")],
             "stdout": []}[target]
    code, out, err = _scan(str(mixed), "--format", "json", *where)
    assert code == 0
    assert "error: " in err and "broken.json" in err
    [summary] = [line for line in err.splitlines() if line.startswith("ecs-exposure: ")]
    assert "1 finding" in summary and "1 input error" in summary
    if target == "stdout":
        assert json.loads(out)["errors"]


def test_strict_and_fail_on_say_why_they_fail(mixed: Path, tmp_path: Path) -> None:
    code, _, err = _scan(str(mixed), "-o", str(tmp_path / "r.json"), "--strict")
    assert code == 4 and "broken.json" in err and "--strict" in err
    code, _, err = _scan(str(mixed), "-o", str(tmp_path / "r.json"), "--fail-on", "low")
    assert code == 1 and "--fail-on low" in err


def test_quiet_keeps_errors_but_drops_the_summary(mixed: Path, tmp_path: Path) -> None:
    code, _, err = _scan(str(mixed), "-o", str(tmp_path / "r.json"), "--quiet")
    assert code == 0 and "broken.json" in err and "ecs-exposure: " not in err


def test_markdown_lists_the_inputs_that_could_not_be_read(mixed: Path) -> None:
    code, out, _ = _scan(str(mixed), "--format", "markdown")
    assert code == 0
    assert "### Inputs that could not be read (1)" in out and "broken.json" in out


@pytest.mark.parametrize("fmt", ["json", "sarif,csv"])
def test_details_with_a_non_table_format_is_a_usage_error(tmp_path: Path, fmt: str) -> None:
    code, out, err = _scan("--demo", "--format", fmt, "--details", "--output-dir",
                           str(tmp_path))
    assert code == 2 and "--details" in err and not out
    code, _, _ = _scan("--demo", "--format", "table,json", "--details", "--output-dir",
                       str(tmp_path))
    assert code == 0


def test_fix_takes_output_dir_and_still_accepts_out_with_a_warning(tmp_path: Path) -> None:
    runner = CliRunner()
    new = runner.invoke(main, ["fix", "--demo", "--output-dir", str(tmp_path / "new"),
                               "-o", str(tmp_path / "plan-copy.json")])
    assert new.exit_code == 0, new.output
    assert "deprecated" not in new.stderr
    plan = json.loads((tmp_path / "new" / "plan.json").read_text())
    assert json.loads((tmp_path / "plan-copy.json").read_text()) == plan
    old = runner.invoke(main, ["fix", "--demo", "--out", str(tmp_path / "old")])
    assert old.exit_code == 0 and (tmp_path / "old" / "plan.json").is_file()
    assert "warning: --out is deprecated, use --output-dir" in old.stderr
    assert "deprecated" not in old.stdout
    missing = runner.invoke(main, ["fix", "--demo"])
    assert missing.exit_code == 2 and "--output-dir" in missing.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_traits_formats_and_output_file(tmp_path: Path, fmt: str) -> None:
    from ecs_exposure.detectors.registry import catalog

    target = tmp_path / f"traits.{fmt}"
    result = CliRunner().invoke(main, ["traits", "--format", fmt, "-o", str(target)])
    assert result.exit_code == 0 and not result.stdout
    text = target.read_text()
    ids = [spec.id for spec in catalog()]
    assert all(trait_id in text for trait_id in ids)
    if fmt == "json":
        doc = json.loads(text)
        assert [t["id"] for t in doc["traits"]] == ids
        assert {"title", "category", "contextual", "fires_when"} <= set(doc["traits"][0])


def test_allow_empty_passes_when_no_file_holds_anything_to_scan(tmp_path: Path) -> None:
    unrelated = tmp_path / "package.json"
    unrelated.write_text('{"name": "x", "version": "1.0.0"}')
    code, _, err = _scan(str(unrelated), "--format", "json")
    assert code == 2 and "no input could be read" in err
    code, out, err = _scan(str(unrelated), "--format", "json", "--allow-empty")
    assert code == 0 and json.loads(out)["summary"]["findings"] == 0 and "1 skipped" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, _ = _scan(str(broken), "--allow-empty")
    assert code == 2                                  # a file that fails is still an error
