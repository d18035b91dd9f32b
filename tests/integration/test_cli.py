"""End-to-end: the real command on the bundled demo estate and on hostile inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from support.builders import container, service, task_definition

ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com"
DEMO_SECRETS = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "S3cure-Passw0rd!2024",
    "sk_live_0DemoOnlyNotARealKey0000",
    "fluentPa55word-7731",
    "ghp_0DemoOnlyNotARealGitHubToken00000000",
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecs_exposure", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def demo_json() -> dict[str, Any]:
    proc = run("scan", "--demo", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo_full() -> dict[str, Any]:
    """The demo result with the full listings the compact result leaves out."""
    proc = run("scan", "--demo", "--format", "json", "--include", "vulnerabilities",
               "--include", "fixed-revisions")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def _by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource"]["name"]: f for f in result["findings"]}


EXPECTED = {
    "storefront-web": ("CRITICAL", {"privileged-container", "administrative-policy",
                                    "internet-reachable", "open-security-group",
                                    "root-user", "assumable-role",
                                    "exploitable-vulnerability", "software-vulnerability"}),
    "legacy-admin": ("HIGH", {"administrative-policy", "public-ip",
                              "execute-command-enabled", "internet-reachable",
                              "missing-log-configuration", "container-insights-disabled"}),
    "batch-worker": ("HIGH", {"plaintext-credentials", "software-vulnerability"}),
    "payments-api": ("HIGH", {"plaintext-credentials", "service-admin-policy",
                              "sensitive-data-access", "internet-reachable",
                              "open-security-group", "software-vulnerability"}),
    "edge-proxy": ("HIGH", {"host-filesystem-mount", "internet-reachable",
                            "efs-transit-encryption-disabled", "end-of-life-os",
                            "software-vulnerability"}),
    "preview-app": ("MEDIUM", {"service-admin-policy", "sensitive-data-access",
                               "internet-reachable", "public-ip"}),
    "log-router": ("MEDIUM", {"plaintext-credentials", "outdated-platform-version"}),
    "metrics-agent": ("MEDIUM", {"host-filesystem-mount", "host-network-mode",
                                 "host-pid-namespace", "host-ipc-namespace"}),
    "image-resizer": ("MEDIUM", {"dangerous-capabilities"}),
    "reporting": ("MEDIUM", {"public-ip", "root-user", "assumable-role",
                             "privilege-escalation-path"}),
}


def test_demo_json_matches_the_contract(demo_json: dict[str, Any]) -> None:
    assert demo_json["schema"] == "ecs-exposure/result@3"
    assert demo_json["summary"]["services"] == 12
    assert demo_json["summary"]["findings"] == len(EXPECTED)
    assert demo_json["summary"]["by_severity"] == {"CRITICAL": 1, "HIGH": 4, "MEDIUM": 5,
                                                   "LOW": 0}
    findings = _by_name(demo_json)
    assert set(findings) == set(EXPECTED)           # internal-api and win-iis are clean
    for name, (severity, traits) in EXPECTED.items():
        assert findings[name]["severity"] == severity, name
        assert traits <= {t["id"] for t in findings[name]["traits"]}, name
    severities = [f["severity"] for f in demo_json["findings"]]
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    assert severities == sorted(severities, key=order.index)


def test_demo_finding_shape(demo_json: dict[str, Any]) -> None:
    finding = _by_name(demo_json)["storefront-web"]
    reach = next(t for t in finding["traits"] if t["id"] == "internet-reachable")
    assert reach["evidence"]["pointer"] == "/loadBalancers/0"
    assert "public-alb" in " ".join(finding["attack_path"])
    assert finding["resource"] == {
        "type": "AwsEcsService",
        "arn": "arn:aws:ecs:us-east-1:111122223333:service/prod/storefront-web",
        "name": "storefront-web", "cluster": "prod", "account": "111122223333",
        "region": "us-east-1"}
    assert finding["likelihood"] == "very high" and finding["impact"] == "high"
    assert len(finding["id"]) == 32
    assert finding["attack_path"][0] == "internet"
    assert finding["attack_path"][-1] == "AWS account 111122223333"
    for trait in finding["traits"]:
        assert trait["evidence"]["pointer"].startswith("/")
        guidance = demo_json["guidance"][trait["id"]]       # once per trait id
        assert guidance["remediation"] and "remediation" not in trait
        assert guidance["category"] in {"misconfiguration", "reachability", "vulnerability",
                                        "impact", "image"}
    assert finding["remediation"]["summary"].startswith("Register a new revision")


def test_demo_storefront_is_critical_through_a_kev_cve(demo_json: dict[str, Any]) -> None:
    finding = _by_name(demo_json)["storefront-web"]
    path = " → ".join(finding["attack_path"])
    assert ("exploit CVE-2023-4863 in libwebp7 1.2.4-0.2 (fixed in 1.2.4-0.2+deb12u1) in "
            "container web (attack vector network; in CISA KEV (added 2023-09-13), public "
            "exploit available, EPSS 0.473") in path
    assert path.index("service storefront-web") < path.index("exploit CVE-2023-4863") \
        < path.index("host (privileged container)")
    top = finding["vulnerabilities"]["top"]
    assert top[0]["id"] == "CVE-2023-4863" and top[0]["exploitable"] is True
    assert top[1]["id"] == "CVE-2023-4911" and top[1]["attack_vector"] == "local"
    assert top[1]["exploitable"] is False and top[1]["kev"] is True      # KEV, but AV:L
    [web] = finding["vulnerabilities"]["containers"]
    assert web["counts"]["exploitable"] == 1
    assert demo_json["images"][web["image"]]["matched_by"] == "tag"


def test_demo_vex_unscanned_images_and_intel(demo_full: dict[str, Any]) -> None:
    demo_json = demo_full
    payments = _by_name(demo_json)["payments-api"]
    [api] = payments["vulnerabilities"]["containers"]
    assert api["counts"]["suppressed"] == 1
    [suppressed] = demo_json["images"][api["image"]]["suppressed"]
    assert suppressed["id"] == "CVE-2023-45853"
    assert suppressed["vex"] == {"state": "not_affected", "justification": "code_not_present"}
    assert "suppressed: CVE-2023-45853 in zlib1g" in payments["why"]
    internal = [image for image in demo_json["images"] if "internal-api" in image]
    assert internal == []                       # scanned, clean, and still no finding
    storefront = demo_json["images"][f"{ECR}/storefront:2.3.1"]
    assert [v["id"] for v in storefront["vulnerabilities"]] == [
        "CVE-2023-4863", "CVE-2023-4911", "CVE-2023-4911", "CVE-2024-29041"]
    assert storefront["vulnerabilities"][0]["cvss"]["attack_vector"] == "network"
    unscanned = {u["image"] for u in demo_json["unscanned_images"]}
    assert "public.ecr.aws/datadog/agent:7" in unscanned
    assert not any("storefront" in image or "internal-api" in image for image in unscanned)
    assert {i["kind"] for i in demo_json["intel"]} == {"epss", "kev"}
    assert demo_json["summary"]["vulnerability_reports"] == 6


def test_demo_runs_the_deployed_revision_and_lists_unattached(demo_json: dict[str, Any]) -> None:
    legacy = _by_name(demo_json)["legacy-admin"]
    assert legacy["task_definitions"] == [
        "arn:aws:ecs:us-east-1:111122223333:task-definition/legacy-admin:3"]
    resizer = _by_name(demo_json)["image-resizer"]
    assert len(resizer["task_definitions"]) == 2     # PRIMARY :5 and the ACTIVE :4 still running
    unattached = {f["resource"]["name"]: f for f in demo_json["task_definition_findings"]}
    assert set(unattached) == {"debug-toolbox"}       # legacy-admin:4 is clean
    assert unattached["debug-toolbox"]["severity"] == "HIGH"
    assert unattached["debug-toolbox"]["reachability"] == "unknown"


def test_demo_reporting_role_escalates_to_admin_through_lambda(
        demo_json: dict[str, Any]) -> None:
    reporting = _by_name(demo_json)["reporting"]
    assert (reporting["likelihood"], reporting["impact"]) == ("low", "high")
    paths = [t for t in reporting["traits"] if t["id"] == "privilege-escalation-path"]
    assert [p["evidence"]["facts"]["pattern"] for p in paths] == ["pass-role-lambda"]
    evidence = paths[0]["evidence"]
    assert evidence["pointer"] == "/RolePolicyList/0/PolicyDocument/Statement/1"
    assert evidence["file"].endswith("get-account-authorization-details.json")
    assert evidence["facts"]["reaches"] == ("role ops-automation (administrative) → "
                                            "administrator access")
    assert [s["action"] for s in evidence["facts"]["steps"]] == [
        "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]
    assert reporting["attack_path"][-5:] == [
        "IAM role reporting-task",
        "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction (passes a role to a new "
        "Lambda function and runs it)",
        "role ops-automation (administrative)", "administrator access",
        "AWS account 111122223333"]
    assert "privilege-escalation path" in reporting["title"]
    assert "reporting-task" in reporting["remediation"]["summary"]
    assert "pass-role-lambda" in reporting["remediation"]["summary"]


def test_demo_data_access_keeps_its_medium_impact(demo_json: dict[str, Any]) -> None:
    """The demo's S3-read-all task roles read data; they do not escalate (issue 15, bug 4)."""
    for name in ("payments-api", "preview-app"):
        finding = _by_name(demo_json)[name]
        assert not [t for t in finding["traits"] if t["id"] == "privilege-escalation-path"]
        data = [t for t in finding["traits"] if t["id"] == "sensitive-data-access"]
        assert [d["evidence"]["facts"]["kinds"] for d in data] == [["s3-objects"]]
        assert finding["impact"] == "medium"
        assert "an IAM role that can read sensitive data" in finding["title"]


def test_demo_preview_app_is_only_potentially_reachable(demo_json: dict[str, Any]) -> None:
    preview = _by_name(demo_json)["preview-app"]
    assert preview["reachability"] == "potential"
    reach = next(t for t in preview["traits"] if t["id"] == "internet-reachable")
    assert reach["evidence"]["potential"] is True
    assert "security group sg-0demomissing000001" in reach["evidence"]["missing"]


@pytest.mark.parametrize("fail_on,code", [("high", 1), ("HIGH", 1), ("critical", 1),
                                          ("low", 1), ("none", 0)])
def test_fail_on_exit_codes(fail_on: str, code: int) -> None:
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json",
                                       "--fail-on", fail_on])
    assert result.exit_code == code, result.output


def test_usage_errors_exit_2() -> None:
    assert CliRunner().invoke(main, ["scan"]).exit_code == 2
    assert CliRunner().invoke(main, ["scan", "--demo", "--format", "yaml"]).exit_code == 2


def test_no_readable_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    proc = run("scan", str(tmp_path))
    assert proc.returncode == 2
    assert "bad.json" in proc.stderr and "line 1 column 2" in proc.stderr


def test_output_file_and_partial_errors(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "td.json").write_text(json.dumps(task_definition(
        containers=[container(privileged=True)])))
    (inputs / "svc.json").write_text(json.dumps({"services": [service()]}))
    (inputs / "trunc.json").write_text('{"SecurityGroups": [')
    out = tmp_path / "result.json"
    proc = run("scan", str(inputs), "--format", "json", "--output", str(out), "--fail-on", "high")
    assert proc.returncode == 0, proc.stderr                  # low likelihood × high = MEDIUM
    result = json.loads(out.read_text())
    assert result["findings"][0]["severity"] == "MEDIUM"
    assert result["errors"][0]["source"].endswith("trunc.json")
    assert proc.stdout == ""


def test_table_is_default_on_terminal_flag_and_details() -> None:
    proc = run("scan", "--demo", "--format", "table", "--details")
    assert proc.returncode == 0
    assert "storefront-web" in proc.stdout
    assert "Attack path" in proc.stdout
    assert "Task definitions no service runs" in proc.stdout


@pytest.mark.parametrize("args", [
    ("--format", "json"), ("--format", "table"), ("--format", "table", "--details"),
    ("--format", "ocsf"), ("--format", "asff"), ("--format", "sarif"), ("--format", "html"),
    ("--format", "csv"), ("--format", "markdown"),
])
def test_demo_secrets_never_printed(args: tuple[str, ...]) -> None:
    proc = run("scan", "--demo", *args)
    assert proc.returncode == 0, proc.stderr
    for secret in DEMO_SECRETS:
        assert secret not in proc.stdout
        assert secret not in proc.stderr
    assert "sha256:" in proc.stdout or args == ("--format", "table")


def test_all_eight_formats_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    proc = run("scan", "--demo", "--format", "table,json,ocsf,asff", "--format",
               "sarif,html,csv,markdown", "--output-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    from ecs_exposure.reporters import FORMATS

    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f.filename for f in FORMATS.values()) and len(written) == 8
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "storefront-web" in text, path.name
        for secret in DEMO_SECRETS:
            assert secret not in text, path.name
    assert json.loads((out / "findings.ocsf.json").read_text())[0]["class_uid"] == 2004
    assert json.loads((out / "results.sarif").read_text())["version"] == "2.1.0"


def test_json_evidence_locates_the_field_in_its_file(demo_json: dict[str, Any]) -> None:
    assert not any("location" in t["evidence"] or "file_pointer" in t["evidence"]
                   for f in demo_json["findings"] for t in f["traits"])     # compact
    proc = run("scan", "--demo", "--format", "json", "--include", "locations")
    assert proc.returncode == 0, proc.stderr
    demo_json = json.loads(proc.stdout)
    located = from_files = 0
    for finding in demo_json["findings"] + demo_json["task_definition_findings"]:
        for trait in finding["traits"]:
            from_files += "file" in trait["evidence"]
            location = trait["evidence"].get("location")
            if location is None:
                continue
            located += 1
            assert location["file"] == trait["evidence"]["file"]
            line = Path(location["file"]).read_text().splitlines()[location["line"] - 1]
            key = trait["evidence"]["file_pointer"].rsplit("/", 1)[-1]
            if not key.isdigit():                          # an object member: "key": value
                assert line[:location["column"] - 1].rstrip().endswith(f'"{key}":')
    assert located == from_files > 60           # every trait read from a file is located in it


def test_secrets_not_echoed_by_errors_or_skips(tmp_path: Path) -> None:
    (tmp_path / "trunc.json").write_text('{"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG')
    (tmp_path / "odd.json").write_text('{"AKIAIOSFODNN7EXAMPLE": 1}')
    (tmp_path / "ok.json").write_text(json.dumps(task_definition()))
    for fmt in ("json", "table"):
        proc = run("scan", str(tmp_path), "--format", fmt)
        assert "AKIAIOSFODNN7EXAMPLE" not in proc.stdout + proc.stderr
        assert "odd.json" in proc.stdout


HOSTILE = "\x1b[31mEVIL\x1b]0;pwned\x07[bold red]markup[/] <script>alert(1)</script>"


def test_hostile_names_cannot_drive_the_terminal(tmp_path: Path) -> None:
    td = task_definition(family=HOSTILE, containers=[container(HOSTILE, privileged=True)])
    svc = service(HOSTILE)
    svc["taskDefinition"] = td["taskDefinitionArn"]
    (tmp_path / "td.json").write_text(json.dumps(td))
    (tmp_path / "svc.json").write_text(json.dumps({"services": [svc]}))
    table = run("scan", str(tmp_path), "--format", "table", "--details")
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "\\x1b[31mEVIL" in table.stdout
    assert "[bold red]markup[/]" in table.stdout      # shown literally, not interpreted
    as_json = run("scan", str(tmp_path), "--format", "json")
    assert "\x1b" not in as_json.stdout
    names = [f["resource"]["name"] for f in json.loads(as_json.stdout)["findings"]]
    assert names == [HOSTILE]


def test_hostile_vulnerability_report_cannot_drive_the_terminal(tmp_path: Path) -> None:
    td = task_definition(containers=[container("web", image="nginx:1.27")])
    (tmp_path / "td.json").write_text(json.dumps(td))
    (tmp_path / "svc.json").write_text(json.dumps({"services": [service("web")]}))
    (tmp_path / "trivy.json").write_text(json.dumps({
        "SchemaVersion": 2, "ArtifactName": "nginx:1.27", "Results": [{"Vulnerabilities": [
            {"VulnerabilityID": "CVE-2024-0001", "PkgName": HOSTILE, "InstalledVersion": HOSTILE,
             "Severity": "CRITICAL", "CVSS": {"nvd": {"V3Vector": "x" * 100_000}}}]}]}))
    table = run("scan", str(tmp_path), "--format", "table", "--details")
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "[bold red]markup[/]" in table.stdout
    as_json = run("scan", str(tmp_path), "--format", "json")
    assert "\x1b" not in as_json.stdout
    [finding] = json.loads(as_json.stdout)["findings"]
    assert finding["vulnerabilities"]["top"][0]["package"] == HOSTILE


def test_traits_command_lists_the_catalog() -> None:
    result = CliRunner().invoke(main, ["traits", "--format", "markdown"])
    assert result.exit_code == 0
    for trait_id in ("privileged-container", "internet-reachable", "plaintext-credentials",
                     "container-insights-disabled", "root-user", "exploitable-vulnerability",
                     "software-vulnerability", "end-of-life-os", "malicious-package"):
        assert f"`{trait_id}`" in result.output


def test_several_formats_go_to_output_dir(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json,table",
                                       "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "result.json").read_text())["summary"]["findings"] == 10
    text = (out / "report.txt").read_text()
    assert "storefront-web" in text and "Attack path" in text
    for secret in DEMO_SECRETS:
        assert secret not in text


def test_several_formats_without_output_dir_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json,table"])
    assert result.exit_code == 2


def test_help_does_not_load_the_scanner() -> None:
    """`--help` and usage errors answer without importing the subsystems (speed itself is
    measured in bench/, not here)."""
    code = ("import sys, ecs_exposure.cli; "
            "print(sorted(m for m in ('ecs_exposure.pipeline', 'ecs_exposure.inventory', "
            "'ecs_exposure.analysis.images.policy', 'ecs_exposure.sources.iac', "
            "'ecs_exposure.sources.intel') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.strip() == "[]"


def test_findings_carry_the_fixed_revision(demo_full: dict[str, Any]) -> None:
    """DESIGN §5 remediation.task_definition: the same revision `fix` would write."""
    import jsonschema

    from support.botocore_schema import input_schema

    schema = input_schema("ecs", "RegisterTaskDefinition")
    demo_json = demo_full
    storefront = _by_name(demo_json)["storefront-web"]["remediation"]["task_definition"]
    jsonschema.validate(storefront, schema)
    assert "privileged" not in storefront["containerDefinitions"][0]
    assert storefront["containerDefinitions"][0]["readonlyRootFilesystem"] is True
    batch = _by_name(demo_json)["batch-worker"]["remediation"]["task_definition"]
    assert [s["name"] for s in batch["containerDefinitions"][0]["secrets"]] == [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(batch)
    for finding in demo_json["findings"]:
        fixed = finding["remediation"]["task_definition"]
        if fixed is not None:
            jsonschema.validate(fixed, schema)


def test_include_takes_a_comma_list_and_refuses_other_names() -> None:
    proc = run("scan", "--demo", "--format", "json", "--include", "fixed-revisions,vulnerabilities")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    storefront = _by_name(doc)["storefront-web"]
    assert storefront["remediation"]["task_definition"] and storefront["remediation"]["changes"]
    assert all("vulnerabilities" in image for image in doc["images"].values())
    bad = run("scan", "--demo", "--format", "json", "--include", "everything")
    assert bad.returncode == 2 and "everything: not one of vulnerabilities" in bad.stderr
