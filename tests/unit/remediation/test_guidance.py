"""Tests for ecs_exposure.remediation.guidance."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlparse

import pytest

from ecs_exposure.remediation.guidance import GUIDANCE, Guidance, guidance_for

# The trait catalog's ids (shared/TRAITS.md): a stable contract.
TRAIT_IDS: tuple[str, ...] = (
    "privileged-container",
    "host-filesystem-mount",
    "host-pid-namespace",
    "host-ipc-namespace",
    "host-network-mode",
    "plaintext-credentials",
    "public-ip",
    "open-security-group",
    "execute-command-enabled",
    "assumable-role",
    "administrative-policy",
    "service-admin-policy",
    "internet-reachable",
    "exploitable-vulnerability",
    "software-vulnerability",
    "end-of-life-os",
    "malicious-package",
    "untrusted-registry",
    "mutable-image-reference",
    "unverified-signature",
    "unscanned-image",
    "stale-image",
    "unnecessary-packages",
    "root-user",
    "writable-root-filesystem",
    "privilege-escalation-path",
    "sensitive-data-access",
    "dangerous-capabilities",
    "missing-log-configuration",
    "efs-transit-encryption-disabled",
    "outdated-platform-version",
    "container-insights-disabled",
    "windows-admin-user",
    "efs-encryption-at-rest-disabled",
    "missing-health-check",
    "execution-role-is-task-role",
    "execute-command-logging-disabled",
    "execute-command-unencrypted",
)


def test_every_trait_id_has_guidance_and_no_extras() -> None:
    assert set(GUIDANCE) == set(TRAIT_IDS)
    assert len(TRAIT_IDS) == len(set(TRAIT_IDS))


@pytest.mark.parametrize("trait_id", TRAIT_IDS)
def test_fields_are_non_empty(trait_id: str) -> None:
    entry = guidance_for(trait_id)
    assert isinstance(entry, Guidance)
    for text in (entry.why, entry.change, entry.contain):
        assert text.strip() == text
        assert text
    assert entry.references


@pytest.mark.parametrize("trait_id", TRAIT_IDS)
def test_text_is_one_paragraph_with_why_and_change(trait_id: str) -> None:
    entry = guidance_for(trait_id)
    paragraph = entry.text()
    assert entry.why in paragraph
    assert entry.change in paragraph
    assert f"If it is really needed: {entry.contain}" in paragraph
    assert paragraph.index(entry.why) < paragraph.index(entry.change)
    assert "\n" not in paragraph


@pytest.mark.parametrize("trait_id", TRAIT_IDS)
def test_references_are_https_urls(trait_id: str) -> None:
    references = guidance_for(trait_id).references
    assert len(references) == len(set(references))
    for url in references:
        parsed = urlparse(url)
        assert parsed.scheme == "https", url
        assert parsed.netloc, url
        assert " " not in url


def test_unknown_id_raises_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="no-such-trait"):
        guidance_for("no-such-trait")


def test_guidance_is_read_only() -> None:
    with pytest.raises(TypeError):
        GUIDANCE["privileged-container"] = GUIDANCE["root-user"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        GUIDANCE["root-user"].why = "changed"  # type: ignore[misc]


def test_notable_fixes_are_named() -> None:
    assert "secrets[].valueFrom" in GUIDANCE["plaintext-credentials"].change
    assert "rotate" in GUIDANCE["plaintext-credentials"].change
    assert "secretOptions" in GUIDANCE["plaintext-credentials"].change
    assert "awsvpc" in GUIDANCE["host-network-mode"].change
    assert "DISABLED" in GUIDANCE["internet-reachable"].change
    assert "Access Analyzer" in GUIDANCE["administrative-policy"].change
    assert "USER" in GUIDANCE["root-user"].change
    assert "#ecs-4" in " ".join(GUIDANCE["privileged-container"].references)
