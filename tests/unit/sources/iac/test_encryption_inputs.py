"""EFS file systems and ECS Exec cluster configuration read from CloudFormation, Terraform
and AWS CLI output: what ``efs-encryption-at-rest-disabled`` and the ECS Exec cluster traits
judge, at the line that sets it."""

from __future__ import annotations

import json
from pathlib import Path

from ecs_exposure.model import ScanResult, Trait
from support.iac_helpers import line_of, position, scan_paths, write

TEMPLATE = """\
Resources:
  Plain:
    Type: AWS::EFS::FileSystem
    Properties:
      Encrypted: 'false'
  Sealed:
    Type: AWS::EFS::FileSystem
    Properties: {Encrypted: true, KmsKeyId: alias/efs}
  Cluster:
    Type: AWS::ECS::Cluster
    Properties:
      ClusterName: prod
      ClusterSettings: [{Name: containerInsights, Value: enabled}]
      Configuration:
        ExecuteCommandConfiguration:
          Logging: NONE
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: files
      Volumes:
        - Name: plain
          EFSVolumeConfiguration: {FilesystemId: !Ref Plain, TransitEncryption: ENABLED}
        - Name: sealed
          EFSVolumeConfiguration:
            FilesystemId: !GetAtt Sealed.FileSystemId
            TransitEncryption: ENABLED
      ContainerDefinitions: [{Name: app, Image: x}]
"""

HCL = """\
resource "aws_efs_file_system" "plain" {
  creation_token = "plain"
}

resource "aws_efs_file_system" "sealed" {
  encrypted  = true
  kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/1"
}

resource "aws_ecs_cluster" "prod" {
  name = "prod"
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  configuration {
    execute_command_configuration {
      logging = "OVERRIDE"
      log_configuration {
        cloud_watch_log_group_name = "exec"
      }
    }
  }
}

resource "aws_ecs_task_definition" "files" {
  family                = "files"
  container_definitions = jsonencode([{ name = "app", image = "x" }])
  volume {
    name = "plain"
    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.plain.id
      transit_encryption = "ENABLED"
    }
  }
  volume {
    name = "sealed"
    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.sealed.id
      transit_encryption = "ENABLED"
    }
  }
}
"""


def _posture(result: ScanResult, trait_id: str) -> list[Trait]:
    return [t for e in result.posture for t in e.traits if t.id == trait_id]


def test_cloudformation_file_systems_and_exec_configuration(tmp_path: Path) -> None:
    path = write(tmp_path, "stack.yaml", TEMPLATE)
    result, inventory, report = scan_paths([path])
    assert not report.errors
    assert {k: v["Encrypted"] for k, v in inventory.file_systems.items()} == {
        "fs-stack-Plain": False, "fs-stack-Sealed": True}     # 'false' read as the boolean
    at_rest = _posture(result, "efs-encryption-at-rest-disabled")
    assert len(at_rest) == 1 and at_rest[0].pointer.startswith("/volumes/0/")
    assert not at_rest[0].potential
    assert position(at_rest[0]).line == line_of(path, "FilesystemId: !Ref Plain")
    logging = _posture(result, "execute-command-logging-disabled")
    assert len(logging) == 1 and position(logging[0]).line == line_of(path, "Logging: NONE")
    assert len(_posture(result, "execute-command-unencrypted")) == 1


def test_terraform_file_systems_and_exec_configuration(tmp_path: Path) -> None:
    path = write(tmp_path, "tf/main.tf", HCL)
    result, inventory, report = scan_paths([path.parent])
    assert not report.errors
    assert sorted(v["Encrypted"] for v in inventory.file_systems.values()) == [False, True]
    at_rest = _posture(result, "efs-encryption-at-rest-disabled")
    assert len(at_rest) == 1 and "plain" in at_rest[0].detail and not at_rest[0].potential
    assert "execute-command-logging-disabled" not in {
        t.id for e in result.posture for t in e.traits}
    unencrypted = _posture(result, "execute-command-unencrypted")
    assert len(unencrypted) == 1
    assert "no kmsKeyId" in unencrypted[0].detail
    assert "CloudWatch log group exec without" in unencrypted[0].detail


def test_cli_describe_file_systems_output(tmp_path: Path) -> None:
    td = {"family": "files", "containerDefinitions": [{"name": "app", "image": "x"}],
          "volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-0abc"}}]}
    files = write(tmp_path, "efs.json", json.dumps({"FileSystems": [
        {"FileSystemId": "fs-0abc", "Encrypted": False, "LifeCycleState": "available"}]}))
    task = write(tmp_path, "td.json", json.dumps(td))
    result, inventory, report = scan_paths([files, task])
    assert report.read == [str(files), str(task)] and not report.errors
    assert "efs" in inventory.supplied
    at_rest = _posture(result, "efs-encryption-at-rest-disabled")
    assert len(at_rest) == 1 and "not encrypted at rest" in at_rest[0].detail
