"""The trait catalog: one spec per trait carries everything, and what refers to it agrees."""

from __future__ import annotations

import re
from typing import get_args
from urllib.parse import urlparse

import pytest

from ecs_exposure.analysis.images.evaluate import Check
from ecs_exposure.detectors.images import CHECKS
from ecs_exposure.detectors.registry import SPECS, catalog
from ecs_exposure.detectors.spec import TraitSpec
from ecs_exposure.exposure.assess import HOST_ACCESS
from ecs_exposure.remediation.fixers import FIXERS

SPEC_LIST = catalog()


@pytest.mark.parametrize("spec", SPEC_LIST, ids=lambda s: s.id)
def test_every_spec_is_complete(spec: TraitSpec) -> None:
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", spec.id)
    assert spec.title and spec.fires_when.endswith(".")
    assert spec.guidance.why and spec.guidance.change and spec.guidance.contain
    for phrase in (spec.title_phrase, spec.revision_action, spec.service_action):
        assert phrase is None or (phrase == phrase.strip() and phrase[:1].islower())


@pytest.mark.parametrize("spec", SPEC_LIST, ids=lambda s: s.id)
def test_controls_match_the_cited_references(spec: TraitSpec) -> None:
    """Every CSPM control a spec cites is in its controls, and a Well-Architected citation
    names which SEC06-BP02 practice the trait checks."""
    cited = {r.removeprefix("CSPM ") for r in spec.references if r.startswith("CSPM ")}
    cspm = {c.id for c in spec.controls if c.framework == "Security Hub CSPM"}
    assert cited <= cspm
    if "WA SEC06-BP02" in spec.references:
        assert any(c.id == "SEC06-BP02" for c in spec.controls)
    for control in spec.controls:
        assert urlparse(control.url).scheme == "https"
        if control.framework == "Security Hub CSPM":
            assert re.fullmatch(r"(ECS|ECR|EFS|IAM)\.\d+", control.id)
            assert control.url.endswith("#" + control.id.lower().replace(".", "-"))
        elif control.framework == "NIST SP 800-190":
            assert re.fullmatch(r"4\.\d(\.\d)?", control.id)
            assert control.url == "https://doi.org/10.6028/NIST.SP.800-190"
        else:
            assert control.id == "SEC06-BP02"
            assert control.title.startswith("Provision compute from hardened images: ")


def test_cspm_controls_are_the_documented_ones() -> None:
    controls = {c.id: c.title for s in SPEC_LIST for c in s.controls}
    assert controls["ECS.4"] == "ECS containers should run as non-privileged"
    assert controls["ECS.20"] == ("ECS Task Definitions should configure non-root users in "
                                  "Linux container definitions")
    assert controls["ECR.1"] == "ECR private repositories should have image scanning configured"
    assert controls["ECS.21"] == ("ECS Task Definitions should configure non-administrator users "
                                  "in Windows container definitions")
    assert controls["EFS.1"] == ("Elastic File System should be configured to encrypt file data "
                                 "at-rest using AWS KMS")


def test_fixers_are_keyed_by_catalog_specs() -> None:
    assert all(SPECS[spec.id] is spec for spec in FIXERS)
    assert {s.id for s in FIXERS} >= {"privileged-container", "plaintext-credentials",
                                      "root-user", "host-network-mode"}


def test_host_access_comes_from_the_spec_flag() -> None:
    assert HOST_ACCESS == {"privileged-container", "host-filesystem-mount",
                           "host-pid-namespace", "host-network-mode",
                           "dangerous-capabilities", "host-ipc-namespace"}


def test_every_image_check_fires_a_catalog_trait() -> None:
    assert set(CHECKS) == set(get_args(Check))
    assert all(SPECS[spec.id] is spec for spec in CHECKS.values())
    assert CHECKS["registry"].id == "untrusted-registry"
    assert CHECKS["os"].id == "end-of-life-os"
