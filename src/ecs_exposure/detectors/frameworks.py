"""The compliance frameworks ``--compliance`` reports on, as data.

Which trait answers which control is data on the trait specs (``TraitSpec.controls``); this
module says which frameworks exist, in which order their controls are listed, and which of
their controls no trait covers, with the reason. A control is listed here or on a spec, never
both (a test checks it), so a report always shows the whole framework: evaluated controls
first, then the ones this tool cannot judge and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.spec import Control, Framework


@dataclass(frozen=True)
class Uncovered:
    """A control of a framework that no trait evaluates, and why."""

    control: Control
    reason: str


@dataclass(frozen=True)
class FrameworkSpec:
    """One framework as ``--compliance NAME`` selects it."""

    name: str
    """The ``--compliance`` name."""
    title: str
    framework: Framework
    """The :attr:`Control.framework` of its controls."""
    url: str
    uncovered: tuple[Uncovered, ...]
    order: tuple[Control, ...] = ()
    """Controls in the framework's own order, when it is not their ids' order."""


def _cspm(control_id: str, title: str, reason: str, base: str = ref.SH_ECS_CONTROLS
          ) -> Uncovered:
    url = f"{base}#{control_id.lower().replace('.', '-')}"
    return Uncovered(Control("Security Hub CSPM", control_id, title, url), reason)


def _nist(section: str, title: str, reason: str) -> Uncovered:
    return Uncovered(Control("NIST SP 800-190", section, title, ref.NIST_800_190), reason)


_TAGS = ("tagging is an inventory convention with organisation-chosen required keys (the "
         "control has no default), not a weakness an attacker uses")

SECURITY_HUB_ECS = FrameworkSpec(
    "aws-securityhub-ecs", "AWS Security Hub CSPM controls for Amazon ECS (and the ECR, EFS "
    "and IAM controls its traits answer)", "Security Hub CSPM", ref.SH_ECS_CONTROLS,
    uncovered=(
        _cspm("ECS.13", "ECS services should be tagged", _TAGS),
        _cspm("ECS.14", "ECS clusters should be tagged", _TAGS),
        _cspm("ECS.15", "ECS task definitions should be tagged", _TAGS),
        _cspm("ECS.19", "ECS capacity providers should have managed termination protection "
              "enabled", "capacity providers are not read; the control is about availability "
              "during scale-in, not exposure"),
        _cspm("ECR.3", "ECR repositories should have at least one lifecycle policy "
              "configured", "lifecycle policies are not read (repository hygiene, not "
              "exposure)", ref.SH_ECR_CONTROLS),
        _cspm("ECR.4", "ECR public repositories should be tagged", _TAGS, ref.SH_ECR_CONTROLS),
        _cspm("ECR.5", "ECR repositories should be encrypted with customer managed AWS KMS "
              "keys", "repository encryption settings are not judged (ECR always encrypts at "
              "rest; the control asks for a customer managed key)", ref.SH_ECR_CONTROLS),
    ),
)

WELL_ARCHITECTED_SEC06_BP02 = FrameworkSpec(
    "aws-well-architected-sec06-bp02",
    "AWS Well-Architected SEC06-BP02: provision compute from hardened images",
    "AWS Well-Architected", ref.WA_HARDENED_IMAGES, uncovered=(), order=ref.WA_PRACTICES,
)

NIST_800_190 = FrameworkSpec(
    "nist-800-190", "NIST SP 800-190 Application Container Security Guide, section 4 "
    "(countermeasures)", "NIST SP 800-190", ref.NIST_800_190,
    uncovered=(
        _nist("4.2.1", "Insecure connections to registries", "registry connections are not "
              "observable in task definitions (Amazon ECR and public.ecr.aws only serve HTTPS)"),
        _nist("4.2.3", "Insufficient authentication and authorization restrictions",
              "ECR repository policies and registry permissions are not analysed"),
        _nist("4.3.1", "Unbounded administrative access", "about people administering the "
              "orchestrator (IAM users and roles calling the ECS API), which are not analysed; "
              "task roles are workload identities"),
        _nist("4.3.2", "Unauthorized access", "orchestrator authentication (MFA, single sign-on) "
              "and data-at-rest encryption tooling are outside the inputs"),
        _nist("4.3.4", "Mixing of workload sensitivity levels", "sensitivity levels are not "
              "known to the tool; placement constraints are not judged"),
        _nist("4.3.5", "Orchestrator node trust", "the ECS control plane is managed by AWS; "
              "container instance registration is not read"),
        _nist("4.4.2", "Unbounded network access from containers", "egress rules are not "
              "analysed (security group ingress is, under 4.3.3)"),
        _nist("4.4.5", "Rogue containers", "deployment audit trails (CloudTrail) and "
              "environment separation are outside the inputs"),
        _nist("4.5.1", "Large attack surface", "container instance operating systems (AMIs) "
              "are not inspected"),
        _nist("4.5.2", "Shared kernel", "what else runs on container instances is not known"),
        _nist("4.5.3", "Host OS component vulnerabilities", "container instance operating "
              "systems (AMIs) are not scanned"),
        _nist("4.5.4", "Improper user access rights", "host logins are not observable"),
        _nist("4.6", "Hardware countermeasures", "hardware roots of trust are not observable "
              "through the ECS APIs"),
    ),
)

FRAMEWORKS = {f.name: f for f in (SECURITY_HUB_ECS, WELL_ARCHITECTED_SEC06_BP02, NIST_800_190)}
"""Every framework by its ``--compliance`` name."""


CSPM_PREFIXES = ("ECS", "ECR", "EFS", "IAM")


def control_key(control: Control) -> tuple[object, ...]:
    """Sort key in a framework's id order: ``ECS.2`` before ``ECS.10``, ECS before ECR before
    EFS before IAM, NIST sections numerically."""
    prefix, _, rest = control.id.partition(".")
    if prefix in CSPM_PREFIXES:
        return (CSPM_PREFIXES.index(prefix), int(rest) if rest.isdigit() else 0)
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-]", control.id))


__all__ = ["FRAMEWORKS", "NIST_800_190", "SECURITY_HUB_ECS", "WELL_ARCHITECTED_SEC06_BP02",
           "FrameworkSpec", "Uncovered", "control_key"]
