"""Infrastructure as code in: CloudFormation (JSON, YAML, SAM, CDK output) and Terraform (plan
and state JSON, HCL best effort), translated into the AWS API shapes the detectors read, with
every field traceable to its file, line and column.

Importing this package registers its readers with :mod:`ecs_exposure.sources.readers` and its
position locators with :mod:`ecs_exposure.sources.positions`.
"""

from __future__ import annotations


def register() -> None:
    """Add the IaC readers and locators to the registries (idempotent)."""
    from ecs_exposure.sources import positions, readers
    from ecs_exposure.sources.iac import cloudformation, locate, terraform

    for document_reader in (cloudformation.read_json_template, terraform.read_terraform):
        if document_reader not in readers.DOCUMENT_READERS:
            readers.DOCUMENT_READERS.append(document_reader)
    for raw_reader in (cloudformation.read_yaml_template, terraform.read_hcl):
        if raw_reader not in readers.RAW_READERS:
            readers.RAW_READERS.append(raw_reader)
    for locator in (locate.yaml_locator, locate.hcl_locator):
        if locator not in positions.LOCATORS:
            positions.LOCATORS.append(locator)
