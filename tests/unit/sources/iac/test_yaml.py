"""The YAML loader: CloudFormation short-form tags, positions, and hostile input refused with a
clear error naming the file, quickly and without crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_exposure.sources.iac.yamlload import MAX_NODES, load_yaml
from ecs_exposure.sources.jsonfile import MAX_DEPTH, InputError
from support.iac_helpers import scan_paths, write

HEADER = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"


def test_short_form_tags_become_long_form_with_positions() -> None:
    doc, positions = load_yaml(
        b"Resources:\n"
        b"  Td:\n"
        b"    Type: AWS::ECS::TaskDefinition\n"
        b"    Properties:\n"
        b"      Family: !Sub '${Env}-web'\n"
        b"      TaskRoleArn: !GetAtt Role.Arn\n"
        b"      Cpu: !If [Big, 1024, !Ref AWS::NoValue]\n"
        b"      Version: 2012-10-17\n")
    props = doc["Resources"]["Td"]["Properties"]
    assert props["Family"] == {"Fn::Sub": "${Env}-web"}
    assert props["TaskRoleArn"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert props["Cpu"] == {"Fn::If": ["Big", 1024, {"Ref": "AWS::NoValue"}]}
    assert props["Version"] == "2012-10-17"          # a date in YAML, a string for IAM
    base = "/Resources/Td/Properties"
    assert positions[f"{base}/Family"] == (5, 7)
    assert positions[f"{base}/Cpu/Fn::If/1"] == (7, 22)
    assert positions[""] == (1, 1)


def test_merge_keys_and_plain_aliases_are_supported() -> None:
    doc, _ = load_yaml(b"base: &b {A: 1, B: 2}\nx: {<<: *b, B: 3}\ny: *b\n")
    assert doc["x"] == {"B": 3, "A": 1}
    assert doc["y"] == {"A": 1, "B": 2}


BOMB = HEADER + "  X:\n    Type: AWS::SNS::Topic\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)).replace(
    "b: &b [*a", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a", 1)


@pytest.mark.parametrize("text,message", [
    (BOMB, "alias bomb"),
    (HEADER + "  A:\n    Type: AWS::SNS::Topic\n  A:\n    Type: AWS::SQS::Queue\n",
     "duplicate key 'A' at line 5"),
    (HEADER + "  A:\n    Type: AWS::SNS::Topic\n    Properties: !Evil x\n",
     "unknown YAML tag !Evil at line 5"),
    (HEADER + "  A:\n    Type: AWS::SNS::Topic\n    Properties: !!python/object:os.system x\n",
     "unsupported YAML tag"),
    (HEADER + "  A: &a\n    Type: AWS::SNS::Topic\n    Self: *a\n", "refers to its own ancestor"),
    (HEADER + "  A:\n    Type: AWS::SNS::Topic\n    P: " + "[" * 3000 + "]" * 3000 + "\n",
     "nested more than"),
    (HEADER + "  A:\n    Type: AWS::SNS::Topic\n    P: [unclosed\n", "invalid YAML at line"),
])
def test_hostile_yaml_is_an_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    bad = write(tmp_path, "bad.yaml", text)
    good = write(tmp_path, "good.json", '{"family": "ok", "containerDefinitions": []}')
    _, _, report = scan_paths([bad, good])
    assert [e.source for e in report.errors] == [str(bad)]
    assert message in report.errors[0].message
    assert str(good) in report.read                    # the rest of the scan goes on


def test_alias_expansion_is_measured_not_performed() -> None:
    with pytest.raises(InputError, match=f"{MAX_NODES:,}"):
        load_yaml(BOMB.encode())


def test_oversized_yaml_template_is_refused(tmp_path: Path) -> None:
    big = write(tmp_path, "big.yaml", HEADER + "  A:\n    Type: AWS::SNS::Topic\n"
                + "# padding\n" * 1_000_000)
    _, _, report = scan_paths([big])
    assert "above the" in report.errors[0].message


def test_other_yaml_is_not_claimed(tmp_path: Path) -> None:
    manifests = [
        write(tmp_path, "k8s.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"),
        write(tmp_path, "workflow.yml", "on: push\njobs: {build: {runs-on: ubuntu}}\n"),
        write(tmp_path, "notcfn.yaml", "Resources:\n  A: {Type: Something}\n# AWS::\n"),
    ]
    _, _, report = scan_paths(manifests)
    assert not report.read and not report.errors
    assert len(report.skipped) == 3


@pytest.mark.parametrize("char,column", [("\x01", 10), ("\x7f", 10), ("\x1b", 10)])
def test_a_control_character_is_an_error_for_that_file_with_its_position(
        tmp_path: Path, char: str, column: int) -> None:
    bad = write(tmp_path, "bad.yaml",
                HEADER + f'  A:\n    Type: AWS::SNS::Topic\n    P: "x{char}y"\n')
    good = write(tmp_path, "good.json", '{"family": "ok", "containerDefinitions": []}')
    _, _, report = scan_paths([tmp_path])
    assert [(e.source, e.message) for e in report.errors] == [
        (str(bad), f"invalid YAML at line 5 column {column}: character #x{ord(char):04x} is "
                   "not allowed in YAML")]
    assert report.read == [str(good)]


def test_nesting_built_by_aliases_is_held_to_the_limit() -> None:
    """Each anchor nests the previous one: shallow YAML, a value 140 levels deep."""
    chain = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 140)]
    with pytest.raises(InputError, match=f"YAML nested more than {MAX_DEPTH} levels deep"):
        load_yaml("\n".join(chain).encode())
    load_yaml("\n".join(chain[:100]).encode())             # 100 levels are fine


def test_short_form_tags_count_as_levels() -> None:
    """``!If [c, !If …]`` is a list in YAML but an object holding a list once expanded."""
    text = "x: " + "!If [c, " * 80 + "1" + "]" * 80 + "\n"
    with pytest.raises(InputError, match="short-form tags expanded"):
        load_yaml(text.encode())
