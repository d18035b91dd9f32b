"""The config file, suppressions and baselines through the real command, in every format.

The demo estate is scanned with a config file in the current directory that suppresses one
finding whole, one trait of another, has an unused and an expired rule; and compared with a
baseline made from the demo's own result, edited so every state occurs: one finding was lower
(now ``worse``), one higher (``better``), one absent (``new``), one is gone (``resolved``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import jsonschema
import pytest
from botocore.validate import ParamValidator
from click.testing import CliRunner, Result
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

from ecs_exposure.cli import main
from ecs_exposure.reporters import ocsf
from support import FIXTURES
from support.html_report import tables as html_tables

STOREFRONT = "arn:aws:ecs:us-east-1:111122223333:service/prod/storefront-web"
PAYMENTS = "arn:aws:ecs:us-east-1:111122223333:service/prod/payments-api"
LEGACY_ID = "7ec19d93a2776ede5b44ede0e499c7c6"          # staging/legacy-admin
GONE_ID = "0" * 32

CONFIG = f"""\
version: 1
options:
  scan:
    fail-on: critical
suppressions:
  - resource: "{STOREFRONT}"
    reason: "fronted by a WAF; tracked in SEC-1234"
    owner: platform-team
    expires: 2099-03-31
  - resource: "arn:aws:ecs:*:*:service/prod/payments-api"
    trait: open-security-group
    reason: "only the load balancer's range; SEC-1250"
  - cluster: legacy-cluster
    reason: "decommissioned last year"
  - id: {LEGACY_ID}
    reason: "waiting for the rewrite"
    expires: 2020-01-01
  - resource: "*:task-definition/internal-api:*"
    reason: "internal only; SEC-1300"
"""
INTERNAL_API = "arn:aws:ecs:us-east-1:111122223333:task-definition/internal-api:6"

FORMATS = "json,sarif,ocsf,asff,csv,markdown,html,table"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@cache
def demo_result() -> dict[str, Any]:
    result = cli("scan", "--demo", "--format", "json", "--config", "/dev/null")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def edited_baseline(folder: Path) -> Path:
    """The demo's result with one finding lower, one higher, one missing and one extra."""
    doc = json.loads(json.dumps(demo_result()))
    by_name = {f["resource"]["name"]: f for f in doc["findings"]}
    by_name["payments-api"]["severity"] = "MEDIUM"          # HIGH now: worse
    by_name["metrics-agent"]["severity"] = "HIGH"           # MEDIUM now: better
    doc["findings"].remove(by_name["image-resizer"])        # there now: new
    gone = json.loads(json.dumps(by_name["log-router"]))
    gone["id"] = GONE_ID
    gone["resource"].update(name="retired-api",
                            arn="arn:aws:ecs:us-east-1:111122223333:service/prod/retired-api")
    gone["title"] = "ECS service retired-api with plaintext credentials"
    doc["findings"].append(gone)                            # gone now: resolved
    path = folder / "previous.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("suppress")
    (folder / ".ecs-exposure.yaml").write_text(CONFIG)
    baseline = edited_baseline(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        result = cli("scan", "--demo", "--format", FORMATS, "--output-dir", "out",
                     "--baseline", str(baseline))
    out = folder / "out"
    return {"exit": result.exit_code, "stderr": result.stderr,
            "json": json.loads((out / "result.json").read_text()),
            "sarif": json.loads((out / "results.sarif").read_text()),
            "ocsf": json.loads((out / "findings.ocsf.json").read_text()),
            "asff": json.loads((out / "findings.asff.json").read_text()),
            "csv": list(csv.DictReader(io.StringIO((out / "traits.csv").read_text("utf-8-sig")))),
            "markdown": (out / "report.md").read_text(),
            "html": (out / "report.html").read_text(),
            "table": (out / "report.txt").read_text()}


def test_the_config_in_the_current_directory_is_used(reports: dict[str, Any]) -> None:
    # fail-on critical from the config; the only CRITICAL finding is suppressed
    assert reports["exit"] == 0, reports["stderr"]
    assert "suppression /suppressions/2 (.ecs-exposure.yaml:13) matched nothing" \
        in reports["stderr"]


def test_json(reports: dict[str, Any]) -> None:
    doc = reports["json"]
    by_arn = {f["resource"]["arn"]: f for f in doc["findings"]}
    store = by_arn[STOREFRONT]
    assert store["status"] == "suppressed"
    assert store["suppressed_by"][0]["reason"] == "fronted by a WAF; tracked in SEC-1234"
    assert store["suppressed_by"][0]["source"] == ".ecs-exposure.yaml"
    assert store["suppressed_by"][0]["line"] == 6
    payments = by_arn[PAYMENTS]
    assert payments["status"] == "open"
    assert {t["id"] for t in payments["traits"] if t["status"] == "suppressed"} == {
        "open-security-group"}
    legacy = next(f for f in doc["findings"] if f["id"] == LEGACY_ID)
    assert legacy["status"] == "open"                       # its rule expired
    assert any("expired on 2020-01-01" in e["message"] for e in doc["errors"])
    assert [(r["pointer"], r["state"]) for r in doc["suppressions"]] == [
        ("/suppressions/0", "used"), ("/suppressions/1", "used"),
        ("/suppressions/2", "unused"), ("/suppressions/3", "expired"),
        ("/suppressions/4", "used")]
    [internal] = [e for e in doc["posture"] if e["resource"]["arn"] == INTERNAL_API]
    assert internal["status"] == "suppressed"
    assert {t["status"] for t in internal["traits"]} == {"suppressed"}
    states = {f["resource"]["name"]: f["baseline"]["state"]
              for f in doc["findings"] + doc["task_definition_findings"]}
    assert states["payments-api"] == "worse" and states["metrics-agent"] == "better"
    assert states["image-resizer"] == "new" and states["edge-proxy"] == "unchanged"
    assert [p["id"] for p in doc["baseline"]["resolved"]] == [GONE_ID]
    assert doc["summary"]["open"]["findings"] == doc["summary"]["findings"] - 1


def test_sarif(reports: dict[str, Any]) -> None:
    log = reports["sarif"]
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(log))
    assert errors == []
    run = log["runs"][0]
    store = [r for r in run["results"] if r["properties"]["resource"] == STOREFRONT]
    assert store and all(r["suppressions"][0]["kind"] == "external" for r in store)
    first = store[0]["suppressions"][0]
    assert first["status"] == "accepted"
    assert first["justification"] == "fronted by a WAF; tracked in SEC-1234"
    assert first["properties"] == {"owner": "platform-team", "expires": "2099-03-31",
                                   "rule": "/suppressions/0"}
    assert first["location"]["physicalLocation"]["region"] == {"startLine": 6}
    payments = [r for r in run["results"] if r["properties"]["resource"] == PAYMENTS]
    assert {r["baselineState"] for r in payments} == {"updated"}
    # payments-api's open security group is accepted for it; the same group (one result, one
    # line) fronts storefront-web, accepted whole: the one alert carries both reasons
    pay_id = next(f["id"] for f in reports["json"]["findings"]
                  if f["resource"]["arn"] == PAYMENTS)
    group = [r for r in run["results"] if r["ruleId"] == "open-security-group"
             and pay_id in r["properties"].get("findings", [r["properties"].get("finding")])]
    assert group
    for rule in group:
        assert rule["properties"]["finding-count"] == 2
        assert {s["justification"] for s in rule["suppressions"]} == {
            "only the load balancer's range; SEC-1250", "fronted by a WAF; tracked in SEC-1234"}
    findings = [r for r in run["results"] if "finding" in r["properties"]]
    assert {r["baselineState"] for r in findings} == {"new", "unchanged", "updated"}
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any("matched nothing" in n for n in notes)
    assert any("expired on 2020-01-01" in n for n in notes)
    assert run["properties"]["baseline"]["resolved"] == [GONE_ID]
    posture = [r for r in run["results"] if r["properties"].get("posture")
               and r["properties"]["resource"] == INTERNAL_API]
    assert posture and all(r["suppressions"][0]["justification"] == "internal only; SEC-1300"
                           for r in posture)


def test_ocsf(reports: dict[str, Any]) -> None:
    embedded = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=ocsf.OCSF_VERSION))
    validators = {uid: jsonschema.Draft202012Validator(embedded.get_class_schema(
        class_name=name, profiles=["cloud"]))
        for uid, name in ((2004, "detection_finding"), (2003, "compliance_finding"))}
    for finding in reports["ocsf"]:
        errors = list(validators[finding["class_uid"]].iter_errors(finding))
        assert errors == [], finding["finding_info"]["title"]
    posture = [f for f in reports["ocsf"] if f["class_uid"] == 2003]
    internal = [f for f in posture if f["resources"][0]["uid"] == INTERNAL_API]
    assert internal and all((f["status_id"], f["status"]) == (3, "Suppressed")
                            and "internal only; SEC-1300" in f["comment"] for f in internal)
    assert any(f["status"] == "New" for f in posture)
    exposures = [f for f in reports["ocsf"] if f["class_uid"] == 2004]
    by_uid = {f["finding_info"]["uid"]: f for f in exposures}
    store = next(f for f in exposures if f["resources"][0]["uid"] == STOREFRONT)
    assert (store["status_id"], store["status"]) == (3, "Suppressed")
    assert "fronted by a WAF" in store["comment"]
    payments = next(f for f in exposures if f["resources"][0]["uid"] == PAYMENTS)
    assert payments["status_id"] == 1 and payments["activity_name"] == "Update"
    assert payments["unmapped"]["suppressed_traits"] == ["open-security-group"]
    assert payments["unmapped"]["baseline"]["state"] == "worse"
    resizer = next(f for f in exposures if f["resources"][0]["name"] == "image-resizer")
    assert resizer["activity_name"] == "Create" and resizer["type_uid"] == 200401
    closed = by_uid[GONE_ID]
    assert (closed["activity_id"], closed["type_uid"], closed["status"]) == (3, 200403,
                                                                              "Resolved")


def test_asff(reports: dict[str, Any]) -> None:
    bodies = reports["asff"]
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    for body in bodies:
        report = ParamValidator().validate(body, shape)
        assert not report.has_errors(), report.generate_report()
        assert 1 <= len(body["Findings"]) <= 100
    findings = [f for body in bodies for f in body["Findings"]]
    by_id = {f["Id"].split("/", 1)[1]: f for f in findings}
    exposures = [f for f in findings if f["ProductFields"].get("ecs-exposure/Kind") != "posture"]
    store = next(f for f in exposures if f["Resources"][0]["Id"] == STOREFRONT)
    assert store["Workflow"] == {"Status": "SUPPRESSED"}
    assert store["Note"]["UpdatedBy"] == "platform-team"
    assert store["Note"]["Text"].startswith("fronted by a WAF")
    payments = next(f for f in exposures if f["Resources"][0]["Id"] == PAYMENTS)
    assert "Workflow" not in payments
    assert payments["ProductFields"]["ecs-exposure/SuppressedTraits"] == "open-security-group"
    assert payments["ProductFields"]["ecs-exposure/BaselineState"] == "worse"
    resizer = next(f for f in exposures if "image-resizer" in f["Title"])
    assert resizer["ProductFields"]["ecs-exposure/BaselineState"] == "new"
    gone = by_id[GONE_ID]
    assert gone["RecordState"] == "ARCHIVED"
    assert gone["ProductFields"]["ecs-exposure/BaselineState"] == "resolved"
    # an expired rule suppresses nothing: legacy-admin goes in open
    legacy = by_id[LEGACY_ID]
    assert "Workflow" not in legacy and "ecs-exposure/Status" not in legacy["ProductFields"]
    # a posture entry whose every trait is accepted goes in suppressed, marked posture
    internal = next(f for f in findings if f["Resources"][0]["Id"] == INTERNAL_API
                    and f["ProductFields"]["ecs-exposure/Kind"] == "posture")
    assert internal["Workflow"] == {"Status": "SUPPRESSED"}
    assert internal["Note"]["Text"].startswith("internal only; SEC-1300")
    assert internal["Compliance"]["Status"] == "FAILED"


def test_expired_rules_in_every_format(reports: dict[str, Any]) -> None:
    """The expired rule (legacy-admin) suppresses nothing and is reported, in every format."""
    legacy = next(f for f in reports["json"]["findings"] if f["id"] == LEGACY_ID)
    assert legacy["status"] == "open"
    run = reports["sarif"]["runs"][0]
    of_legacy = [r for r in run["results"] if r["properties"].get("finding") == LEGACY_ID]
    assert of_legacy and all("suppressions" not in r for r in of_legacy)
    assert {r["properties"]["status"] for r in of_legacy} == {"open"}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("expired on 2020-01-01" in n["message"]["text"] and n["level"] == "error"
               for n in notes)
    ocsf_legacy = next(f for f in reports["ocsf"] if f["finding_info"]["uid"] == LEGACY_ID)
    assert ocsf_legacy["status_id"] != 3                        # not Suppressed
    legacy_rows = [r for r in reports["csv"] if r["finding_id"] == LEGACY_ID]
    assert legacy_rows and {r["finding_status"] for r in legacy_rows} == {"open"}
    for name in ("markdown", "html", "table"):
        assert "expired on 2020-01-01" in reports[name], name


def test_csv(reports: dict[str, Any]) -> None:
    rows = reports["csv"]
    store = [r for r in rows if r["arn"] == STOREFRONT]
    assert {(r["finding_status"], r["trait_status"]) for r in store} == {
        ("suppressed", "suppressed")}
    assert {r["suppression"] for r in store} == {
        "fronted by a WAF; tracked in SEC-1234 (owner platform-team, until 2099-03-31; "
        ".ecs-exposure.yaml:6)"}
    payments = {r["trait"]: r for r in rows if r["arn"] == PAYMENTS}
    assert payments["open-security-group"]["trait_status"] == "suppressed"
    assert payments["internet-reachable"]["trait_status"] == "open"
    assert {r["baseline"] for r in payments.values()} == {"worse"}
    internal = [r for r in rows if r["record"] == "posture" and r["arn"] == INTERNAL_API]
    assert internal and {r["trait_status"] for r in internal} == {"suppressed"}
    [gone] = [r for r in rows if r["finding_id"] == GONE_ID]
    assert gone["baseline"] == "resolved" and gone["trait"] == ""


def test_markdown(reports: dict[str, Any]) -> None:
    text = reports["markdown"]
    assert "1 finding is suppressed as accepted risk" in text
    assert "| 🔴 HIGH · *worse* | prod/payments-api |" in text
    assert "· *suppressed*" in text
    assert "*(suppressed: only the load balancer's range; SEC-1250)*" in text
    assert "### Resolved since the baseline (1)" in text and "retired-api" in text
    assert "### Suppressions to review (2)" in text
    assert re.search(r"in no exposure finding; \d+ suppressed\.", text)   # the posture line
    assert "matched nothing" in text and "expired on 2020-01-01" in text
    # open findings come first: the suppressed CRITICAL is not the top of the table
    table = text[text.index("| Severity |"):]
    assert table.index("payments") < table.index("storefront")


def test_html(reports: dict[str, Any]) -> None:
    text = reports["html"]
    assert 'class="card sev-critical status-suppressed"' in text
    assert "Suppressed: fronted by a WAF; tracked in SEC-1234 (owner platform-team" in text
    assert 'class="state state-worse"' in text and 'class="state state-new"' in text
    assert '<section class="problems" id="resolved">' in text and "retired-api" in text
    assert "matched nothing" in text and "1 finding is suppressed" in text
    _, rows = html_tables(text)                             # a posture row
    assert any(r["status"] == "suppressed" and r["note"].startswith("internal only; SEC-1300")
               for r in rows)


def test_table(reports: dict[str, Any]) -> None:
    text = reports["table"]
    assert "(suppressed)" in text and "(worse)" in text and "(new)" in text
    assert "Since the baseline" in text and "1 resolved" in text
    assert "resolved: MEDIUM retired-api" in text
    assert "Unused suppressions (1)" in text and "expired on 2020-01-01" in text
    assert re.search(r"in no finding; \d+ suppressed", text)               # the posture line


def test_fail_on_counts_open_findings_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("scan", "--demo", "--format", "json", "--fail-on", "critical").exit_code == 1
    (tmp_path / ".ecs-exposure.yaml").write_text(CONFIG)
    assert cli("scan", "--demo", "--format", "json", "--fail-on", "critical").exit_code == 0
    assert cli("scan", "--demo", "--format", "json", "--fail-on", "high").exit_code == 1
    # the command line wins over the config's options
    (tmp_path / ".ecs-exposure.yaml").write_text(CONFIG.replace("critical", "high"))
    assert cli("scan", "--demo", "--format", "json").exit_code == 1
    assert cli("scan", "--demo", "--format", "json", "--fail-on", "none").exit_code == 0
    # an expired rule is an error of the result: --strict fails on it
    assert cli("scan", "--demo", "--format", "json", "--fail-on", "none",
               "--strict").exit_code == 4


def test_fail_on_new(tmp_path: Path) -> None:
    baseline = edited_baseline(tmp_path)
    empty = tmp_path / "empty.yaml"
    empty.write_text("version: 1\n")
    base = ("scan", "--demo", "--format", "json", "--config", str(empty),
            "--baseline", str(baseline))
    # payments-api went MEDIUM → HIGH, image-resizer (MEDIUM) is new
    assert cli(*base, "--fail-on-new", "high").exit_code == 1
    assert cli(*base, "--fail-on-new", "critical").exit_code == 0
    assert cli(*base, "--fail-on-new", "medium").exit_code == 1
    suppress = tmp_path / "suppress.yaml"
    suppress.write_text(f"suppressions:\n  - resource: \"{PAYMENTS}\"\n    reason: accepted\n")
    assert cli("scan", "--demo", "--format", "json", "--config", str(suppress),
               "--baseline", str(baseline), "--fail-on-new", "high").exit_code == 0


def test_usage_errors(tmp_path: Path) -> None:
    missing = cli("scan", "--demo", "--fail-on-new", "high", "--config", "/dev/null")
    assert missing.exit_code == 2 and "--fail-on-new needs --baseline" in missing.output
    (tmp_path / "bad.json").write_text('{"schema": "something else"}')
    bad = cli("scan", "--demo", "--baseline", str(tmp_path / "bad.json"),
              "--config", "/dev/null")
    assert bad.exit_code == 2 and "not an ecs-exposure JSON result" in bad.stderr
    (tmp_path / "c.yaml").write_text("suppressions:\n  - reason: r\n    trait: nope\n")
    config = cli("scan", "--demo", "--config", str(tmp_path / "c.yaml"))
    assert config.exit_code == 2
    assert f"{tmp_path / 'c.yaml'}:3:5: /suppressions/0/trait: 'nope' is not a trait id" \
        in config.stderr


def test_a_config_elsewhere_resolves_its_paths_from_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ci"
    folder.mkdir()
    (folder / "images.yaml").write_text("registries:\n  trusted: ['*']\n")
    (folder / "config.yaml").write_text("policy: images.yaml\noptions:\n  scan:\n"
                                        "    fail-on: low\n")

    def untrusted(result: Result) -> list[str]:
        doc = json.loads(result.stdout)
        return [f["resource"]["name"] for f in doc["findings"] + doc["task_definition_findings"]
                for t in f["traits"] if t["id"] == "untrusted-registry"]

    assert untrusted(cli("scan", "--demo", "--format", "json", "--config", "/dev/null"))
    result = cli("scan", "--demo", "--format", "json", "--config", str(folder / "config.yaml"))
    assert result.exit_code == 1, result.output          # fail-on low from the config
    assert untrusted(result) == []                        # every registry trusted by its policy
