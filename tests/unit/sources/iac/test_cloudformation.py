"""CloudFormation in: every trait, every intrinsic, locations with line numbers, unknowns,
cross-stack imports, SAM and CDK shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecs_exposure.analysis.unknown import Unknown, is_unknown
from ecs_exposure.sources.iac.cfn_eval import NO_VALUE, Evaluator
from ecs_exposure.sources.iac.parameters import load_parameters
from ecs_exposure.sources.jsonfile import InputError
from support.iac_helpers import finding, line_of, position, scan_paths, traits, write
from support.timing import deadline

ESTATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env:
    Type: String
    Default: prod
  Privileged:
    Type: String
    Default: 'true'
  AdminCidr:
    Type: String
  Ports:
    Type: CommaDelimitedList
    Default: "80,8080"
Mappings:
  Sizes:
    prod: {Cpu: 512}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition NotProd, !Equals [a, a]]]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Igw:
    Type: AWS::EC2::InternetGateway
  PublicSubnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      AvailabilityZone: !Select [0, !GetAZs '']
  PublicRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  DefaultRoute:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref PublicRoutes
      DestinationCidrBlock: 0.0.0.0/0
      GatewayId: !Ref Igw
  PublicAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PublicSubnet, RouteTableId: !Ref PublicRoutes}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
  AppSgHttp:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt AppSg.GroupId
      IpProtocol: tcp
      FromPort: !Select [0, !Ref Ports]
      ToPort: 80
      CidrIp: 0.0.0.0/0
  Cluster:
    Type: AWS::ECS::Cluster
    Properties:
      ClusterName: !Sub '${Env}-cluster'
      ClusterSettings: [{Name: containerInsights, Value: disabled}]
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns:
        - !Sub 'arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess'
  BucketPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: s3
      Roles: [!Ref TaskRole]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: 's3:*'
            Resource: '*'
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: !Join ['-', [!Ref Env, web]]
      Cpu: !FindInMap [Sizes, !Ref Env, Cpu]
      NetworkMode: awsvpc
      PidMode: !If [IsProd, host, !Ref AWS::NoValue]
      IpcMode: host
      TaskRoleArn: !GetAtt TaskRole.Arn
      Volumes:
        - Name: sock
          Host: {SourcePath: /var/run/docker.sock}
        - Name: shared
          EFSVolumeConfiguration: {FilesystemId: fs-1, TransitEncryption: DISABLED}
      ContainerDefinitions:
        - Name: web
          Image: !Sub '${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/web:1'
          Privileged: !Ref Privileged
          User: '0'
          LinuxParameters:
            Capabilities: {Add: [SYS_ADMIN]}
          MountPoints: [{SourceVolume: sock, ContainerPath: /var/run/docker.sock}]
          PortMappings: [{ContainerPort: 80}]
          Environment:
            - Name: DB_PASSWORD
              Value: hunter2hunter2
            - Name: ENCODED
              Value: !Base64 plain
  Service:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: web
      Cluster: !Ref Cluster
      TaskDefinition: !Ref TaskDef
      LaunchType: FARGATE
      PlatformVersion: 1.3.0
      EnableExecuteCommand: true
      NetworkConfiguration:
        AwsvpcConfiguration:
          AssignPublicIp: !If [Both, ENABLED, DISABLED]
          SecurityGroups: [!Ref AppSg]
          Subnets: !Split [',', !Ref PublicSubnet]
  Skipped:
    Type: AWS::ECS::TaskDefinition
    Condition: NotProd
    Properties:
      ContainerDefinitions: [{Name: x, Image: x, Privileged: true}]
"""

EXPECTED = {
    "privileged-container", "host-filesystem-mount", "host-pid-namespace",
    "host-ipc-namespace", "plaintext-credentials", "public-ip", "open-security-group",
    "execute-command-enabled", "assumable-role", "administrative-policy",
    "service-admin-policy", "internet-reachable", "dangerous-capabilities", "root-user",
    "writable-root-filesystem", "missing-log-configuration", "efs-transit-encryption-disabled",
    "outdated-platform-version", "container-insights-disabled",
    "efs-encryption-at-rest-disabled", "missing-health-check", "execute-command-unencrypted",
    # the template's image reference (a mutable tag on Docker Hub, never scanned or signed)
    "untrusted-registry", "mutable-image-reference", "unscanned-image", "unverified-signature",
}


def test_every_trait_from_one_template_with_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "estate.yaml", ESTATE)
    result, inventory, report = scan_paths([path])
    assert report.read == [str(path)] and not report.errors
    web = finding(result, "web")
    assert {t.id for t in web.traits} == EXPECTED
    assert web.severity.name == "HIGH" and web.reachability == "internet"
    assert not result.task_definition_findings           # Condition NotProd: not created
    assert web.cluster == "prod-cluster"
    expected_lines = {
        "privileged-container": "Privileged: !Ref Privileged",
        "host-filesystem-mount": "Host: {SourcePath",
        "host-pid-namespace": "PidMode:",
        "host-ipc-namespace": "IpcMode: host",
        "plaintext-credentials": "- Name: DB_PASSWORD",
        "public-ip": "AssignPublicIp:",
        "open-security-group": "CidrIp: 0.0.0.0/0",
        "execute-command-enabled": "EnableExecuteCommand: true",
        "assumable-role": "TaskRoleArn: !GetAtt",
        "administrative-policy": "- !Sub 'arn:${AWS::Partition}:iam::aws:policy/Admin",
        "service-admin-policy": "- Effect: Allow",
        "dangerous-capabilities": "Capabilities: {Add",
        "root-user": "User: '0'",
        "efs-transit-encryption-disabled": "EFSVolumeConfiguration:",
        "outdated-platform-version": "PlatformVersion: 1.3.0",
        "container-insights-disabled": "ClusterSettings:",
    }
    for trait_id, needle in expected_lines.items():
        found = traits(web, trait_id)[0]
        assert found.source == str(path)
        assert position(found).line == line_of(path, needle), trait_id
    # The evidence column is the property's own (indentation + 1), not the resource's.
    assert position(traits(web, "privileged-container")[0]).column == 11
    td = inventory.task_definitions[next(iter(inventory.task_definitions))]
    assert td["family"] == "prod-web" and td["cpu"] == "512"
    assert td["containerDefinitions"][0]["environment"][1]["value"] == "cGxhaW4="
    assert is_unknown(td["containerDefinitions"][0]["image"])   # account and region unknown


def test_intrinsics_evaluate_as_cloudformation_does() -> None:
    template = {"Parameters": {"N": {"Type": "Number", "Default": "3"},
                               "L": {"Type": "List<String>", "Default": "a, b"},
                               "Missing": {"Type": "String"},
                               "Ssm": {"Type": "AWS::SSM::Parameter::Value<String>",
                                       "Default": "/x"}},
                "Mappings": {"M": {"k": {"v": "found"}}},
                "Conditions": {"Yes": {"Fn::Equals": [{"Ref": "N"}, 3]}}}
    names = {"Res": "res-name"}
    ev = Evaluator(template, {"AWS::Region": "eu-west-1"},
                   lambda logical, attr: names.get(logical, Unknown(f"{logical}.{attr}")))
    r = ev.resolve
    assert r({"Ref": "N"}, "") == 3
    assert r({"Ref": "L"}, "") == ["a", "b"]
    assert is_unknown(r({"Ref": "Missing"}, "")) and is_unknown(r({"Ref": "Ssm"}, ""))
    assert r({"Ref": "AWS::NoValue"}, "") is NO_VALUE
    assert r({"Fn::Sub": "${AWS::Region}-${Res}-${!Literal}"}, "") == \
        "eu-west-1-res-name-${Literal}"
    assert r({"Fn::Sub": ["${x}", {"x": {"Ref": "N"}}]}, "") == "3"
    partial = r({"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/x"}, "")
    assert is_unknown(partial) and str(partial) == "arn:aws:iam::${AWS::AccountId}:role/x"
    assert r({"Fn::Join": ["/", ["a", {"Ref": "N"}]]}, "") == "a/3"
    assert r({"Fn::Select": ["1", {"Ref": "L"}]}, "") == "b"
    assert r({"Fn::Split": [",", "x,y"]}, "") == ["x", "y"]
    assert r({"Fn::FindInMap": ["M", "k", "v"]}, "") == "found"
    assert is_unknown(r({"Fn::FindInMap": ["M", "k", "nope"]}, ""))
    assert r({"Fn::If": ["Yes", "a", "b"]}, "") == "a"
    assert r({"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}, "") is True
    assert r({"Fn::Base64": "hi"}, "") == "aGk="
    assert r({"Fn::Length": [1, 2]}, "") == 2
    assert r({"Fn::ToJsonString": {"a": 1}}, "") == '{"a":1}'
    imported = r({"Fn::ImportValue": {"Fn::Sub": "${N}-vpc"}}, "")
    assert isinstance(imported, Unknown) and imported.reference == "3-vpc"
    assert is_unknown(r({"Fn::GetAZs": ""}, "")) and is_unknown(r({"Fn::Cidr": []}, ""))
    assert is_unknown(r({"Fn::If": ["Undefined", "a", "b"]}, ""))
    assert r({"Fn::GetAtt": ["Res", "Arn"]}, "") == "res-name"
    listed = r(["keep", {"Ref": "AWS::NoValue"}, "also"], "/x")
    assert listed == ["keep", "also"] and ev.where[(id(listed), 1)] == "/x/2"


PUBLIC_ALB = """\
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: tasks only from the ALB
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !Ref AlbSg}
  AlbSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: open ALB
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      SecurityGroups: [!Ref AlbSg]
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 8080, Protocol: HTTP, TargetType: ip}
  Https:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 443
      Protocol: HTTPS
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref Tg}]
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: hardened
      NetworkMode: awsvpc
      ContainerDefinitions:
        - Name: app
          Image: public.ecr.aws/app@sha256:0123
          User: '1000'
          ReadonlyRootFilesystem: 'true'
          LogConfiguration: {LogDriver: awslogs, Options: {awslogs-group: g}}
          PortMappings: [{ContainerPort: 8080}]
  Svc:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: shop
      TaskDefinition: !Ref Td
      NetworkConfiguration:
        AwsvpcConfiguration: {SecurityGroups: [!Ref Sg], Subnets: [subnet-private]}
      LoadBalancers: [{ContainerName: app, ContainerPort: 8080, TargetGroupArn: !Ref Tg}]
"""


def test_fine_task_definition_behind_an_open_public_alb(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.yml", PUBLIC_ALB)
    result, _, _ = scan_paths([path])
    shop = finding(result, "shop")
    assert {t.id for t in shop.traits} == {"internet-reachable", "open-security-group",
                                           "missing-health-check"}
    assert shop.reachability == "internet" and shop.severity.name == "LOW"
    reach = traits(shop, "internet-reachable")[0]
    assert "internet-facing application load balancer" in reach.detail and "HTTPS:443" in \
        reach.detail
    assert position(traits(shop, "open-security-group")[0]).line == line_of(
        path, "CidrIp: 0.0.0.0/0")


def test_unknown_context_is_conservative_and_named(tmp_path: Path) -> None:
    path = write(tmp_path, "svc.yaml", """\
Parameters:
  Public: {Type: String}
Resources:
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: app
      TaskRoleArn: !ImportValue shared:AppRoleArn
      ContainerDefinitions: [{Name: app, Image: x, PortMappings: [{ContainerPort: 80}]}]
  Svc:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: app
      TaskDefinition: !Ref Td
      NetworkConfiguration:
        AwsvpcConfiguration:
          AssignPublicIp: !Ref Public
          SecurityGroups: [!ImportValue shared:AppSg]
          Subnets: !Split [',', !ImportValue shared:Subnets]
""")
    result, _, _ = scan_paths([path])
    app = finding(result, "app")
    assert app.reachability == "potential"
    reach = traits(app, "internet-reachable")[0]
    assert reach.potential and "security group <import shared:AppSg>" in reach.missing
    assert any("assignPublicIp" in m for m in reach.missing)
    assert traits(app, "public-ip")[0].potential
    assert "IAM role <import shared:AppRoleArn> (permissions unknown)" in app.missing


NETWORK_STACK = """\
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: open
      SecurityGroupIngress: [{IpProtocol: '-1', CidrIp: 0.0.0.0/0}]
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: admin
          PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}
Outputs:
  SgOut:
    Value: !GetAtt Sg.GroupId
    Export: {Name: !Sub '${AWS::StackName}:AppSg'}
  RoleOut:
    Value: !GetAtt Role.Arn
    Export: {Name: !Join [':', [!Ref 'AWS::StackName', AppRoleArn]]}
"""


def test_imports_link_to_exports_of_another_scanned_stack(tmp_path: Path) -> None:
    service = write(tmp_path, "b-service.yaml", """\
Resources:
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      TaskRoleArn: !ImportValue shared:AppRoleArn
      ContainerDefinitions: [{Name: app, Image: x}]
  Svc:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: !Ref Td
      NetworkConfiguration:
        AwsvpcConfiguration: {SecurityGroups: [!ImportValue 'shared:AppSg'], Subnets: [s-1]}
""")
    network = write(tmp_path, "a-network.yaml", NETWORK_STACK)
    for order in ([network, service], [service, network]):
        result, _, _ = scan_paths(order)
        svc = finding(result, "Svc")
        assert "administrative-policy" in {t.id for t in svc.traits}, order
        assert traits(svc, "open-security-group")[0].source == str(network)
        assert not [m for m in svc.missing if "import" in m]


def test_sam_template_is_read_for_its_ecs_resources(tmp_path: Path) -> None:
    path = write(tmp_path, "template.yaml", """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Timeout: 3}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12, Policies: AdministratorAccess}
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: worker
      PidMode: host
      ContainerDefinitions: [{Name: w, Image: x}]
""")
    result, _, report = scan_paths([path])
    assert report.read == [str(path)]
    worker = finding(result, "worker")
    assert "host-pid-namespace" in {t.id for t in worker.traits}


def test_cdk_synthesised_json_template(tmp_path: Path) -> None:
    cdk = {
        "Resources": {
            "TaskRole30FC0FBB": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Statement": []},
                "ManagedPolicyArns": [{"Fn::Join": ["", [
                    "arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonS3FullAccess"]]}]},
                "Metadata": {"aws:cdk:path": "App/TaskRole/Resource"}},
            "TaskDef54694570": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
                "ContainerDefinitions": [{"Essential": True, "Image": {"Fn::Join": ["", [
                    {"Ref": "AWS::AccountId"}, ".dkr.ecr.", {"Ref": "AWS::Region"}, ".",
                    {"Ref": "AWS::URLSuffix"}, "/cdk-assets:abc"]]},
                    "Name": "web", "Privileged": True}],
                "Family": "AppTaskDef", "NetworkMode": "awsvpc",
                "TaskRoleArn": {"Fn::GetAtt": ["TaskRole30FC0FBB", "Arn"]}},
                "Metadata": {"aws:cdk:path": "App/TaskDef/Resource"}},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}},
        },
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
                                            "Default": "/cdk-bootstrap/hnb659fds/version"}},
        "Rules": {"CheckBootstrapVersion": {"Assertions": []}},
    }
    path = write(tmp_path, "cdk.out/App.template.json", json.dumps(cdk, indent=1))
    result, inventory, _ = scan_paths([tmp_path / "cdk.out"])
    td = finding(result, "AppTaskDef")
    assert {"privileged-container", "service-admin-policy", "assumable-role"} <= {
        t.id for t in td.traits}
    privileged = traits(td, "privileged-container")[0]
    assert privileged.file_pointer == \
        "/Resources/TaskDef54694570/Properties/ContainerDefinitions/0/Privileged"
    assert position(privileged).line == line_of(path, '"Privileged": true')
    assert "arn:aws:iam:::role/App-TaskRole30FC0FBB" in inventory.roles


def test_parameters_file_and_pseudo_parameters(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", """\
Parameters:
  Mode: {Type: String}
Resources:
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: p
      NetworkMode: !Ref Mode
      ContainerDefinitions: [{Name: c, Image: x}]
""")
    result, _, _ = scan_paths([path], {"Mode": "host", "AWS::AccountId": "123456789012"})
    assert "host-network-mode" in {t.id for t in finding(result, "p").traits}


def test_task_sets_and_customer_managed_policies(tmp_path: Path) -> None:
    path = write(tmp_path, "bluegreen.yaml", """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {RoleName: app, AssumeRolePolicyDocument: {}}
  Admin:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role]
      PolicyDocument:
        Statement:
          - {Effect: Allow, NotAction: 'iam:*', Resource: '*'}
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: bg
      TaskRoleArn: !Sub 'arn:aws:iam::${AWS::AccountId}:role/app'
      ContainerDefinitions: [{Name: c, Image: x}]
  Svc:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: bg
      DeploymentController: {Type: EXTERNAL}
  Blue:
    Type: AWS::ECS::TaskSet
    Properties:
      Cluster: default
      Service: !Ref Svc
      TaskDefinition: !Ref Td
      NetworkConfiguration:
        AwsVpcConfiguration: {AssignPublicIp: ENABLED, Subnets: [s-1]}
""")
    result, _, _ = scan_paths([path])
    bg = finding(result, "bg")
    public = traits(bg, "public-ip")[0]
    assert public.pointer.startswith("/taskSets/0/")
    assert position(public).line == line_of(path, "AssignPublicIp: ENABLED")
    admin = traits(bg, "administrative-policy")[0]
    assert admin.resource == "arn:aws:iam:::policy/bluegreen-Admin"
    assert position(admin).line == line_of(path, "NotAction")


def test_a_parameters_file_that_never_ends_is_refused_at_the_size_limit() -> None:
    # ``--parameters /dev/zero`` (or a pipe that never closes) read until memory ran out
    with deadline(20), pytest.raises(InputError, match="above the .*-byte limit"):
        load_parameters(Path("/dev/zero"))
