"""AWS Security Finding Format (ASFF): findings ready for Security Hub's ``BatchImportFindings``.

The file is a JSON list of request bodies, ``[{"Findings": [...]}, ...]``: the API takes 1 to 100
findings per call, in the region of their ``ProductArn``, so each body holds at most 100
findings of one region, exactly the requests ``ecs-exposure scan --security-hub`` makes
(:func:`ecs_exposure.reporters.security_hub.request_batches`, the one batching function). Each
body can be imported as it is::

    jq -c '.[]' findings.asff.json | while read -r body; do
      aws securityhub batch-import-findings --region "$(jq -r '.Findings[0].Region' <<<"$body")" \
        --cli-input-json "$body"
    done

Findings go to the account's own custom-integration product,
``arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default``; Security Hub only accepts them
from the account named in ``AwsAccountId``, in the region of the ``ProductArn``. Both come from
the finding's resource ARN unless the caller overrides them; a finding whose account or region
is unknown (a task definition given without an ARN) cannot be imported and is left out — the
caller can list those with :func:`unplaceable`.

Two kinds of record, told apart by ``GeneratorId``, their type and the product field
``ecs-exposure/Kind``:

- ``exposure``: one per finding (a correlated exposure of a service or task definition), with
  ``Vulnerabilities`` and ``Compliance`` where known (:mod:`.asff_details`);
- ``posture``: one per posture entry (every trait of a service, task definition or cluster,
  exposure or not), ``Compliance.Status: FAILED`` on the controls its traits map to. Posture is
  not an exposure: like everywhere else it never counts for ``--fail-on``.

Field limits that Security Hub documents but the API model does not enforce are applied here
(title 256, description 1024, recommendation text 512 characters; 32 resources).

A finding or posture entry suppressed in the config file goes in with ``Workflow.Status:
SUPPRESSED`` and its reasons as the ``Note``; with ``--baseline``, each finding's state is a
product field and every baseline finding this scan resolved goes in as an ``ARCHIVED`` record,
which Security Hub marks ``RESOLVED``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ecs_exposure import __version__
from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.detectors.registry import spec_for
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import status
from ecs_exposure.reporters.asff_details import compliance, vulnerabilities
from ecs_exposure.reporters.base import writes_text
from ecs_exposure.reporters.common import all_findings, truncate, urls
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import (
    EVERY_FIELD,
    POSTURE_IN_FULL,
    VULNERABILITIES,
    guidance_dict,
    result_dict,
)
from ecs_exposure.reporters.posture_view import KINDS
from ecs_exposure.reporters.security_hub import request_batches

_VIEW = EVERY_FIELD | {POSTURE_IN_FULL, VULNERABILITIES}
"""What the records are built from: every trait field, posture traits in full, and every
vulnerability (the records' ``Vulnerabilities`` block)."""
SCHEMA_VERSION = "2018-10-08"
GENERATOR_ID = "ecs-exposure/exposure"
POSTURE_GENERATOR_ID = "ecs-exposure/posture"
TITLE_MAX, DESCRIPTION_MAX, RECOMMENDATION_MAX, RESOURCES_MAX = 256, 1024, 512, 32
PRODUCT_FIELD_MAX = 2048
NOTE_MAX = 512
ACCOUNT = re.compile(r"^\d{12}$")
BASE_TYPE = "Software and Configuration Checks/AWS Security Best Practices/ECS Exposure"
POSTURE_TYPE = "Software and Configuration Checks/AWS Security Best Practices/ECS Posture"
RESOURCE_TYPES = {
    "ecs:service": "AwsEcsService", "ecs:task-definition": "AwsEcsTaskDefinition",
    "ecs:cluster": "AwsEcsCluster", "iam:role": "AwsIamRole", "iam:policy": "AwsIamPolicy",
    "ec2:security-group": "AwsEc2SecurityGroup", "ec2:subnet": "AwsEc2Subnet",
    "elasticloadbalancing:loadbalancer": "AwsElbv2LoadBalancer",
    "elasticloadbalancing:targetgroup": "Other",
}


def product_arn(account: str, region: str, partition: str = "aws") -> str:
    """The account's own custom-integration product ("default")."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def _placement(finding: dict[str, Any], account: str | None,
               region: str | None) -> tuple[str, str, str] | None:
    """``(account, region, partition)`` the finding is imported into, or ``None`` if unknown."""
    arn = parse_arn(finding["resource"]["arn"])
    account = account or finding["resource"]["account"]
    region = region or finding["resource"]["region"]
    if not account or not region or not ACCOUNT.match(account):
        return None
    return account, region, arn.partition if arn else "aws"


def _related_resource(uid: str, partition: str) -> dict[str, Any]:
    arn = parse_arn(uid)
    kind = "Other"
    if arn is not None:
        kind = RESOURCE_TYPES.get(f"{arn.service}:{arn.resource.split('/', 1)[0]}", "Other")
    resource: dict[str, Any] = {"Type": kind, "Id": uid, "Partition": partition}
    if arn is not None and arn.region:
        resource["Region"] = arn.region
    return resource


def _subject(finding: dict[str, Any], region: str, partition: str) -> dict[str, Any]:
    """The service (or task definition) itself, with the details the finding knows."""
    resource = finding["resource"]
    subject: dict[str, Any] = {"Type": resource["type"], "Id": resource["arn"],
                               "Partition": partition, "Region": resource["region"] or region}
    if resource["type"] == "AwsEcsService":
        arn = parse_arn(resource["arn"])
        details: dict[str, Any] = {"Name": resource["name"], "ServiceName": resource["name"],
                                   "ServiceArn": resource["arn"]}
        if arn is not None and resource["cluster"]:
            details["Cluster"] = (f"arn:{arn.partition}:ecs:{arn.region}:{arn.account}:"
                                  f"cluster/{resource['cluster']}")
        if finding["task_definitions"]:
            details["TaskDefinition"] = finding["task_definitions"][0]
        subject["Details"] = {"AwsEcsService": details}
    elif resource["type"] == "AwsEcsTaskDefinition":
        family = resource["name"].split(":", 1)[0]
        subject["Details"] = {"AwsEcsTaskDefinition": {"Family": family}}
    return subject


def _types(finding: dict[str, Any]) -> list[str]:
    """The base type, then the further namespaces the traits put the finding under (the
    specs' ``asff_type``)."""
    extra = [kind for t in finding["traits"] if (kind := spec_for(t["id"]).asff_type)]
    return list(dict.fromkeys([BASE_TYPE, *extra]))


def _product_fields(finding: dict[str, Any]) -> dict[str, str]:
    fields = {
        "ecs-exposure/Version": __version__,
        "ecs-exposure/Kind": "exposure",
        "ecs-exposure/Likelihood": finding["likelihood"],
        "ecs-exposure/Impact": finding["impact"],
        "ecs-exposure/Reachability": finding["reachability"],
        "ecs-exposure/Traits": ", ".join(dict.fromkeys(t["id"] for t in finding["traits"])),
        "ecs-exposure/AttackPath": " → ".join(finding["attack_path"]),
    }
    return {key: truncate(value, PRODUCT_FIELD_MAX) for key, value in fields.items() if value}


def asff_finding(finding: dict[str, Any], generated_at: str, account: str, region: str,
                 partition: str = "aws", images: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """One finding of the JSON result as an ASFF finding for ``account`` in ``region``
    (``images``: the result's ``images``, for the vulnerabilities' full records)."""
    references = urls(ref for trait in finding["traits"]
                      for ref in guidance_dict(trait["id"])["references"])
    resources = [_subject(finding, region, partition)]
    for uid in dict.fromkeys(t["resource"] for t in finding["traits"]):
        if uid != finding["resource"]["arn"] and len(resources) < RESOURCES_MAX:
            resources.append(_related_resource(uid, partition))
    traits = "; ".join(f"{t['id']}: {t['evidence']['detail']}" for t in finding["traits"]
                       if not t["contextual"])
    severity = {"Label": finding["severity"], "Original": finding["severity"]}
    types = _types(finding)
    recommendation: dict[str, str] = {
        "Text": truncate(finding["remediation"]["summary"], RECOMMENDATION_MAX)}
    if references:
        recommendation["Url"] = references[0]
    entry = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"ecs-exposure/{finding['id']}",
        "ProductArn": product_arn(account, region, partition),
        "ProductName": "ecs-exposure",
        "CompanyName": "ecs-exposure",
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": account,
        "Region": region,
        "Types": types,
        "CreatedAt": generated_at,
        "UpdatedAt": generated_at,
        "Severity": severity,
        "Title": truncate(finding["title"], TITLE_MAX),
        "Description": truncate(f"{finding['why']} Traits: {traits}", DESCRIPTION_MAX),
        "Remediation": {"Recommendation": recommendation},
        "ProductFields": _product_fields(finding),
        "Resources": resources,
        "FindingProviderFields": {"Severity": dict(severity), "Types": list(types)},
        "RecordState": "ACTIVE",
    }
    found = vulnerabilities(finding, images or {})
    if found:
        entry["Vulnerabilities"] = found
    failed = compliance(finding["traits"])
    if failed is not None:
        entry["Compliance"] = failed
    _mark(entry, finding, generated_at)
    return entry


def posture_finding(posture: dict[str, Any], generated_at: str, account: str, region: str,
                    partition: str = "aws") -> dict[str, Any]:
    """One posture entry of the JSON result (a resource's every trait) as an ASFF record
    marked posture: failed compliance, not an exposure."""
    resource = posture["resource"]
    traits = posture["traits"]
    what = f"{KINDS.get(resource['type'], 'resource')} {resource['name']}"
    severity = {"Label": posture["severity"], "Original": posture["severity"]}
    listed = "; ".join(f"{t['id']} ({t['severity']}): {t['evidence']['detail']}"
                       for t in traits)
    references = urls(ref for t in traits for ref in guidance_dict(t["id"])["references"])
    recommendation: dict[str, str] = {"Text": truncate(
        " ".join(dict.fromkeys(t["remediation"] for t in traits)), RECOMMENDATION_MAX)}
    if references:
        recommendation["Url"] = references[0]
    fields = {"ecs-exposure/Version": __version__, "ecs-exposure/Kind": "posture",
              "ecs-exposure/Traits": truncate(", ".join(dict.fromkeys(t["id"] for t in traits)),
                                              PRODUCT_FIELD_MAX)}
    if posture.get("finding"):
        fields["ecs-exposure/Finding"] = posture["finding"]
    entry: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"ecs-exposure/posture/{posture['id']}",
        "ProductArn": product_arn(account, region, partition),
        "ProductName": "ecs-exposure",
        "CompanyName": "ecs-exposure",
        "GeneratorId": POSTURE_GENERATOR_ID,
        "AwsAccountId": account,
        "Region": region,
        "Types": [POSTURE_TYPE],
        "CreatedAt": generated_at,
        "UpdatedAt": generated_at,
        "Severity": severity,
        "Title": truncate(f"Posture of ECS {what}: {len(traits)} weakness"
                          f"{'es' * (len(traits) != 1)} (not an exposure finding)", TITLE_MAX),
        "Description": truncate(f"Configuration weaknesses of {what}, listed whether or not "
                                f"they take part in an exposure: {listed}", DESCRIPTION_MAX),
        "Remediation": {"Recommendation": recommendation},
        "ProductFields": fields,
        "Resources": [_subject(posture, region, partition)],
        "FindingProviderFields": {"Severity": dict(severity), "Types": [POSTURE_TYPE]},
        "Compliance": compliance(traits) or {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    }
    muted = [t for t in traits if t.get("status") == "suppressed"]
    if muted and len(muted) == len(traits):
        rules = list({t["suppressed_by"]["pointer"]: t["suppressed_by"] for t in muted}.values())
        owners = ", ".join(dict.fromkeys(r["owner"] for r in rules if r.get("owner")))
        entry["Workflow"] = {"Status": "SUPPRESSED"}
        entry["Note"] = {"Text": truncate("; ".join(status.rule_note(r) for r in rules),
                                          NOTE_MAX),
                         "UpdatedBy": truncate(owners or "ecs-exposure config file", NOTE_MAX),
                         "UpdatedAt": generated_at}
        fields["ecs-exposure/Status"] = "suppressed"
    elif muted:
        fields["ecs-exposure/SuppressedTraits"] = truncate(
            ", ".join(dict.fromkeys(t["id"] for t in muted)), PRODUCT_FIELD_MAX)
    return entry


def _mark(entry: dict[str, Any], finding: dict[str, Any], generated_at: str) -> None:
    """Suppression and baseline: a suppressed finding goes in as ``Workflow.Status``
    ``SUPPRESSED`` with the reasons as its note; suppressed traits and the baseline state are
    product fields."""
    fields = entry["ProductFields"]
    if finding.get("status") == "suppressed":
        rules = finding["suppressed_by"]
        entry["Workflow"] = {"Status": "SUPPRESSED"}
        owners = ", ".join(dict.fromkeys(r["owner"] for r in rules if r.get("owner")))
        entry["Note"] = {"Text": truncate(status.finding_reasons(finding), NOTE_MAX),
                         "UpdatedBy": truncate(owners or "ecs-exposure config file", NOTE_MAX),
                         "UpdatedAt": generated_at}
        fields["ecs-exposure/Status"] = "suppressed"
    muted = [t["id"] for t in finding["traits"] if t.get("status") == "suppressed"]
    if muted:
        fields["ecs-exposure/SuppressedTraits"] = truncate(", ".join(dict.fromkeys(muted)),
                                                           PRODUCT_FIELD_MAX)
    if "baseline" in finding:
        fields["ecs-exposure/BaselineState"] = finding["baseline"]["state"]


def archived_finding(previous: dict[str, Any], created_at: str, generated_at: str,
                     account: str, region: str, partition: str = "aws") -> dict[str, Any]:
    """A baseline finding this scan resolved, as an ``ARCHIVED`` record: Security Hub then
    sets its workflow to ``RESOLVED``."""
    resource = previous["resource"]
    severity = {"Label": previous["severity"], "Original": previous["severity"]}
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"ecs-exposure/{previous['id']}",
        "ProductArn": product_arn(account, region, partition),
        "ProductName": "ecs-exposure",
        "CompanyName": "ecs-exposure",
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": account,
        "Region": region,
        "Types": [BASE_TYPE],
        "CreatedAt": created_at,
        "UpdatedAt": generated_at,
        "Severity": severity,
        "Title": truncate(previous["title"] or f"ECS exposure of {resource['name']}",
                          TITLE_MAX),
        "Description": truncate(f"Resolved: the scan of {generated_at} no longer finds this "
                                "exposure, which the baseline had.", DESCRIPTION_MAX),
        "Resources": [{"Type": resource["type"] or "Other", "Id": resource["arn"],
                       "Partition": partition, "Region": resource["region"] or region}],
        "ProductFields": {"ecs-exposure/Version": __version__,
                          "ecs-exposure/BaselineState": "resolved"},
        "FindingProviderFields": {"Severity": dict(severity), "Types": [BASE_TYPE]},
        "RecordState": "ARCHIVED",
    }


def findings(result: ScanResult, *, account: str | None = None, region: str | None = None,
             context: ReportContext | None = None) -> list[dict[str, Any]]:
    """ASFF records for every finding, resolved baseline finding and posture entry whose
    account and region are known (or given)."""
    doc = result_dict(result, context, include=_VIEW)
    out = []
    for finding in all_findings(doc):
        placement = _placement(finding, account, region)
        if placement is not None:
            out.append(asff_finding(finding, doc["generated_at"], *placement,
                                    images=doc.get("images")))
    baseline = doc.get("baseline") or {"resolved": []}
    for previous in baseline["resolved"]:
        placement = _placement(previous, account, region)
        if placement is not None:
            out.append(archived_finding(previous, baseline.get("generated_at")
                                        or doc["generated_at"], doc["generated_at"],
                                        *placement))
    for posture in doc["posture"]:
        placement = _placement(posture, account, region)
        if placement is not None and posture["traits"]:
            out.append(posture_finding(posture, doc["generated_at"], *placement))
    return out


def unplaceable(result: ScanResult, *, account: str | None = None, region: str | None = None,
                context: ReportContext | None = None) -> list[str]:
    """Names of the findings and posture entries left out of :func:`findings` because their
    account/region is unknown."""
    doc = result_dict(result, context, include=_VIEW)
    return list(dict.fromkeys(
        f["resource"]["name"] for f in all_findings(doc) + doc["posture"]
        if _placement(f, account, region) is None))


def request_bodies(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``BatchImportFindings`` request bodies: at most 100 findings of one region each."""
    return [{"Findings": batch} for _, batch in request_batches(records)]


def render(result: ScanResult, context: ReportContext | None = None) -> str:
    """The file: a JSON list of ``BatchImportFindings`` request bodies."""
    return orjson.dumps(request_bodies(findings(result, context=context)),
                        option=orjson.OPT_INDENT_2).decode() + "\n"


write = writes_text(render)
"""The reporter interface (:mod:`ecs_exposure.reporters.base`)."""
