"""Live collection against the moto estate: findings, equivalence with AWS CLI exports and
snapshots, the call count, and the read-only proof."""

from __future__ import annotations

import copy
import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.exposure.baseline import compare
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.sources.aws.callcount import expected_calls
from ecs_exposure.sources.aws.collector import collect
from ecs_exposure.sources.aws.options import CollectOptions
from ecs_exposure.sources.aws.snapshot import load_snapshot, write
from ecs_exposure.sources.baseline import previous_result
from ecs_exposure.sources.files import load_paths
from ecs_exposure.sources.positions import locate
from ecs_exposure.sources.readers import read_context
from support import ROOT
from support.aws_fixtures import ACCOUNT, COVERED_TRAITS, SCANNER_ROLE, SECRETS, Estate, MotoServer
from support.builders import SETTINGS, scan_json

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")
POLICY = ROOT / "policies" / "ecs-exposure-scanner-policy.json"


def options(estate: Estate, **more: Any) -> CollectOptions:
    return CollectOptions(regions=estate.regions, role_name=SCANNER_ROLE,
                          accounts=estate.accounts, **more)


def scan_snapshot(snapshot: Json, source: str | None = None) -> dict[str, Any]:
    inventory = Inventory()
    load_snapshot(inventory, snapshot, source, read_context())
    return scan_json(inventory)


def comparable(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings without where the data came from (a file, a snapshot, live)."""
    findings = []
    for finding in copy.deepcopy(result["findings"] + result["task_definition_findings"]):
        for trait in finding["traits"]:
            trait["evidence"].pop("file", None)
            trait["evidence"].pop("file_pointer", None)
            trait["evidence"].pop("location", None)
        finding["traits"].sort(key=lambda t: json.dumps(t, sort_keys=True))
        findings.append(finding)
    return sorted(findings, key=lambda f: str(f["id"]))


@pytest.fixture(scope="module")
def baseline(aws_estate: Estate, moto_server: MotoServer) -> Json:
    """One collection of the whole estate, shared by the read-only checks below."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in moto_server.env().items():
            patch.setenv(name, value)
        return collect(options(aws_estate))


@pytest.fixture(scope="module")
def live(baseline: Json) -> dict[str, Any]:
    return scan_snapshot(baseline)


def test_collection_is_complete_and_spans_two_accounts_and_regions(
        baseline: Json, aws_estate: Estate) -> None:
    assert baseline["schema"] == "ecs-exposure/snapshot@1"
    assert baseline["errors"] == [] and baseline["incomplete"] == []
    assert sorted(baseline["accounts"]) == sorted(aws_estate.accounts)
    for account in aws_estate.accounts:
        assert set(baseline["accounts"][account]["regions"]) == set(aws_estate.regions)
        assert baseline["accounts"][account]["iam"]["get-account-authorization-details"][
            "RoleDetailList"]


def test_every_seeded_service_gets_its_traits(live: dict[str, Any], aws_estate: Estate) -> None:
    findings = {f["resource"]["arn"]: f for f in live["findings"]}
    assert live["summary"]["services"] == len(aws_estate.services)
    for arn, spec in aws_estate.services.items():
        if not spec.traits:
            assert arn not in findings, f"{spec.name} is clean but got a finding"
            continue
        finding = findings[arn]
        assert spec.traits <= {t["id"] for t in finding["traits"]}, spec.name
        assert finding["resource"]["account"] == spec.account
        assert finding["resource"]["region"] == spec.region
        assert finding["resource"]["cluster"] == spec.cluster
        assert finding["incomplete"] == []
        for trait in finding["traits"]:
            assert "file" not in trait["evidence"]      # live data has no input file


def test_the_estate_shows_every_trait_the_scanner_detects(live: dict[str, Any]) -> None:
    found = {t["id"] for f in live["findings"] for t in f["traits"]}
    assert found == COVERED_TRAITS
    assert COVERED_TRAITS <= {spec.id for spec in catalog()}


def test_the_deployed_old_revision_is_evaluated_too(live: dict[str, Any]) -> None:
    api = next(f for f in live["findings"] if f["resource"]["name"] == "public-api")
    assert len(api["task_definitions"]) == 2
    keys = [t for t in api["traits"] if t["id"] == "plaintext-credentials"]
    assert keys and all("AKIA" not in json.dumps(t) for t in keys)


def test_call_count_follows_the_documented_formula(baseline: Json) -> None:
    calls = baseline["api_calls"]
    assert calls["total"] == sum(calls["by_action"].values())
    assert calls["total"] == expected_calls(baseline, caller=ACCOUNT)
    services = sum(len(r["ecs"]["describe-services"]["services"])
                   for a in baseline["accounts"].values() for r in a["regions"].values())
    assert calls["by_action"]["ecs:DescribeServices"] <= services     # batched, not per service
    tds = {td["taskDefinitionArn"] for a in baseline["accounts"].values()
           for r in a["regions"].values()
           for td in r["ecs"]["describe-task-definition"]["taskDefinitions"]}
    assert calls["by_action"]["ecs:DescribeTaskDefinition"] == len(tds)  # each revision once


def test_every_call_is_read_only_and_exactly_what_the_policy_allows(
        aws_estate: Estate, aws_env: dict[str, str], live: dict[str, Any]) -> None:
    """The widest collection (organization, every enabled region, assume-role) issues only
    Describe/List/Get/BatchGet calls, plus the AssumeRole that obtains credentials."""
    seen: list[str] = []

    def record(model: Any = None, **_: Any) -> None:
        seen.append(f"{model.service_model.signing_name}:{model.name}")

    aws_estate.server.reset_log()
    snapshot = collect(CollectOptions(regions=("all",), role_name=SCANNER_ROLE,
                                      organization=True, hooks=(("before-call", record),)))
    assert snapshot["errors"] == []
    used = set(seen)
    writes = {op for op in used if not op.split(":", 1)[1].startswith(READ_PREFIXES)}
    assert writes == {"sts:AssumeRole"}
    # An independent witness: what the server received.
    received = {r.operation for r in aws_estate.server.requests}
    assert received == {op.split(":", 1)[1] for op in used}
    assert {op for op in received if not op.startswith(READ_PREFIXES)} == {"AssumeRole"}
    policy = json.loads(POLICY.read_text())
    allowed: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        allowed.update([actions] if isinstance(actions, str) else actions)
    assert used == allowed
    read_statement = next(s for s in policy["Statement"] if s["Resource"] == "*")
    assert all(a.split(":", 1)[1].startswith(READ_PREFIXES) for a in read_statement["Action"])
    regions = {r for a in snapshot["accounts"].values() for r in a["regions"]}
    assert len(regions) > 10 and set(aws_estate.regions) <= regions
    assert comparable(scan_snapshot(snapshot)) == comparable(live)


@pytest.mark.parametrize("name", ["snapshot.json", "snapshot.json.gz"])
def test_snapshot_file_gives_the_same_findings_with_file_locations(
        tmp_path: Path, baseline: Json, live: dict[str, Any], name: str) -> None:
    path = tmp_path / name
    write(baseline, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"\x1f\x8b") == name.endswith(".gz")
    inventory = Inventory()
    report = load_paths([path], inventory)
    assert report.read == [str(path)] and not report.errors
    result = scan_json(inventory)
    assert comparable(result) == comparable(live)
    trait = next(t for f in result["findings"] for t in f["traits"]
                 if t["id"] == "privileged-container")
    assert trait["evidence"]["file"] == str(path)
    pointer = trait["evidence"]["file_pointer"]
    assert pointer.startswith(f"/accounts/{ACCOUNT}/regions/us-east-1/ecs/")
    assert _resolve(baseline, pointer) is True
    if not name.endswith(".gz"):
        position = locate(str(path), pointer)
        assert position is not None
        line = path.read_text().splitlines()[position.line - 1]
        assert '"privileged": true' in line


def _resolve(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def test_snapshot_keeps_task_definitions_as_they_are(baseline: Json) -> None:
    """Secrets stay in the snapshot (it is the account's data, mode 0600), never in output."""
    text = json.dumps(baseline)
    assert SECRETS[0] in text
    assert all(secret not in json.dumps(scan_snapshot(baseline)) for secret in SECRETS)


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = {k: v for k, v in data.items() if k != "ResponseMetadata"}
    path.write_text(json.dumps(clean, indent=2, default=lambda d: d.isoformat()))


def export_cli_json(server: MotoServer, estate: Estate, folder: Path) -> None:
    """What a user exports with the AWS CLI (the README's commands), straight from the server
    with plain boto3 calls: whole-account describes, not the collector's targeted ones."""
    for account in estate.accounts:
        creds = server.credentials_in(account)
        iam = server.client("iam", credentials=creds)
        details = iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy"])
        for policy in details["Policies"]:      # AWS returns it; moto's response omits it
            policy.setdefault("PolicyName", policy["Arn"].rsplit("/", 1)[-1])
        for role in details["RoleDetailList"]:      # the AWS-managed policies roles attach
            for attached in role["AttachedManagedPolicies"]:
                if ":iam::aws:policy/" in attached["PolicyArn"]:
                    policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                    version = iam.get_policy_version(PolicyArn=policy["Arn"],
                                                     VersionId=policy["DefaultVersionId"])
                    policy["PolicyVersionList"] = [version["PolicyVersion"]]
                    details["Policies"].append(policy)
        _dump(folder / account / "iam.json", details)
        for region in estate.regions:
            out = folder / account / region
            ecs = server.client("ecs", region, creds)
            clusters = ecs.list_clusters()["clusterArns"]
            _dump(out / "clusters.json", ecs.describe_clusters(
                clusters=clusters, include=["SETTINGS", "CONFIGURATIONS"]))
            refs: set[str] = set()
            for index, cluster in enumerate(clusters):
                arns = ecs.list_services(cluster=cluster)["serviceArns"]
                services = ecs.describe_services(cluster=cluster, services=arns)
                _dump(out / f"services-{index}.json", services)
                for service in services["services"]:
                    refs.add(service["taskDefinition"])
                    refs.update(d["taskDefinition"] for d in service["deployments"])
            for index, ref in enumerate(sorted(refs)):
                _dump(out / f"td-{index}.json", ecs.describe_task_definition(taskDefinition=ref))
            ec2 = server.client("ec2", region, creds)
            _dump(out / "sgs.json", ec2.describe_security_groups())
            _dump(out / "subnets.json", ec2.describe_subnets())
            _dump(out / "routes.json", ec2.describe_route_tables())
            elb = server.client("elbv2", region, creds)
            balancers = elb.describe_load_balancers()
            _dump(out / "lbs.json", balancers)
            _dump(out / "tgs.json", elb.describe_target_groups())
            listeners = [item for lb in balancers["LoadBalancers"] for item in
                         elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]]
            _dump(out / "listeners.json", {"Listeners": listeners})
            _dump(out / "efs.json", server.client("efs", region, creds).describe_file_systems())
            ecr = server.client("ecr", region, creds)
            repositories = ecr.describe_repositories()
            _dump(out / "ecr-repositories.json", repositories)
            _dump(out / "ecr-registry-scanning.json", ecr.get_registry_scanning_configuration())
            for index, repository in enumerate(repositories["repositories"]):
                _dump(out / f"ecr-images-{index}.json", ecr.describe_images(
                    repositoryName=repository["repositoryName"]))


def test_finding_identity_is_the_same_from_files_a_snapshot_and_live(
        tmp_path: Path, aws_estate: Estate, baseline: Json, live: dict[str, Any]) -> None:
    """The identity rule (README "Finding identity"): a finding is its account, region and
    service ARN, so the same estate read three ways gives the same ids, and a result from one
    form is a baseline for another with nothing new and nothing resolved."""
    export_cli_json(aws_estate.server, aws_estate, tmp_path / "exports")
    snapshot = tmp_path / "estate.json"
    write(baseline, snapshot)
    ids = {"live": {f["resource"]["arn"]: f["id"] for f in live["findings"]}}
    assert len(ids["live"]) == 7
    for form, path in (("files", tmp_path / "exports"), ("snapshot", snapshot)):
        inventory = Inventory()
        assert not load_paths([path], inventory).errors
        result = scan_inventory(inventory, SETTINGS)
        ids[form] = {f.arn: f.id for f in result.findings}
        compared = compare(result, previous_result(live, "live.json"))
        assert {f.baseline for f in compared.findings} == {"unchanged"}, form
        assert compared.baseline is not None and compared.baseline.resolved == ()
    assert ids["files"] == ids["snapshot"] == ids["live"]


def cli(*args: str) -> Any:
    """The command in this process (its environment is the test's)."""
    return CliRunner().invoke(main, list(args))


def test_scan_aws_equals_scanning_the_cli_exports_and_the_snapshot(
        tmp_path: Path, aws_estate: Estate, aws_env: dict[str, str]) -> None:
    """The closing check of the issue: three routes to the same estate, the same findings."""
    export_cli_json(aws_estate.server, aws_estate, tmp_path / "exports")
    scope = ["--region", "us-east-1", "--region", "eu-west-1", "--role-name", SCANNER_ROLE,
             "--account", aws_estate.accounts[0], "--account", aws_estate.accounts[1]]
    from_files = cli("scan", str(tmp_path / "exports"), "--format", "json")
    from_aws = cli("scan", "--aws", *scope, "--format", "json", "--strict")
    snapshot = tmp_path / "estate.json.gz"
    collected = subprocess.run(                     # the real program, as a user runs it
        [sys.executable, "-m", "ecs_exposure", "collect", "--aws", *scope, "--output",
         str(snapshot)], capture_output=True, text=True, timeout=180, check=False, env=aws_env)
    from_snapshot = cli("scan", str(snapshot), "--format", "json")
    for result in (from_files, from_aws, from_snapshot):
        assert result.exit_code == 0, result.output
    assert collected.returncode == 0, collected.stderr
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    files_result, aws_result = json.loads(from_files.stdout), json.loads(from_aws.stdout)
    snapshot_result = json.loads(from_snapshot.stdout)
    assert files_result["errors"] == [] and aws_result["errors"] == []
    assert len(aws_result["findings"]) == 7
    assert comparable(aws_result) == comparable(files_result) == comparable(snapshot_result)
    assert "wrote" in collected.stderr and "0 errors" in collected.stderr
    for text in (from_aws.output, collected.stdout + collected.stderr, from_snapshot.output):
        assert all(secret not in text for secret in SECRETS)
