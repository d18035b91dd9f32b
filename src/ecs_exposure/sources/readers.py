"""The readers of a scan, in the order each input is offered to them.

Every file is recognised by its content: a parsed JSON document goes to the document readers,
any other file to the raw readers, each in the order of :data:`READERS` until one takes it. The
order is written here once, not left to which module some import loaded first.

Why this order:

* The formats are told apart by distinctive members (``bomFormat``, ``matches`` with a Grype
  ``descriptor``, ``SchemaVersion``, ``imageScanFindings``, ``Resources`` with ``AWS::``
  types, ``format_version``, ``repositories``, ``schema: ecs-exposure/snapshot@…``), so the
  specific readers do not compete; their order is the one the scanner has always used.
* The AWS CLI reader comes last: its keys (``services``, ``clusters``, ``Subnets``…) are
  generic, and when it does not recognise a document either, :mod:`.classify` says why, naming
  the format a document resembles ("a Trivy report that is not of a container image", "a
  CloudFormation template without AWS resources"): reasons only true once every specific
  reader has declined.
* Among the raw readers, EPSS comes before gzip: the EPSS feed is published gzip-compressed
  (``epss_scores-….csv.gz``), while the gzip reader inflates anything else and reports a
  gzip file that does not hold JSON as an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecs_exposure.sources import awscli, intel
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.context import ReadContext, Reader
from ecs_exposure.sources.iac import cloudformation, terraform
from ecs_exposure.sources.images import ecr
from ecs_exposure.sources.scanners import cyclonedx, ecr_scan, grype, inspector, trivy

READERS: tuple[Reader, ...] = (
    Reader("CISA KEV catalog / FIRST EPSS scores", intel.read_kev, intel.read_epss),
    Reader("CycloneDX vulnerabilities", cyclonedx.read),
    Reader("Amazon Inspector findings", inspector.read),
    Reader("ECR image scan findings", ecr_scan.read),
    Reader("Grype report", grype.read),
    Reader("Trivy report", trivy.read),
    Reader("CloudFormation template", cloudformation.read_json_template,
           cloudformation.read_yaml_template),
    Reader("Terraform plan, state or .tf file", terraform.read_terraform, terraform.read_hcl),
    Reader("ECR describe-repositories", ecr.read_repositories),
    Reader("ECR describe-images", ecr.read_images),
    Reader("ECR registry scanning configuration", ecr.read_registry_scanning),
    Reader("ECR repository scanning configuration", ecr.read_repository_scanning),
    Reader("ECR image signing status", ecr.read_signing_status),
    Reader("ecs-exposure snapshot (JSON or gzip)", snapshot.read_document, snapshot.read_gzip),
    Reader("AWS CLI JSON", awscli.read_document),
)


def read_context(parameters: Mapping[str, Any] | None = None) -> ReadContext:
    """The context of one scan's reading: every reader, with ``--parameters`` values."""
    return ReadContext(READERS, dict(parameters or {}))
