"""The YAML loader: CloudFormation short-form tags, positions, and hostile input refused with a
clear error naming the file, quickly and without crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_exposure.sources.iac.yamlload import MAX_NODES, load_yaml
from ecs_exposure.sources.jsonfile import InputError
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
