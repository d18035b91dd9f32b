"""Find the signature artifacts that concern an image and verify each against the policy.

Artifacts come from the same OCI layout (``cosign save`` writes the ``.sig`` manifest beside the
image; ``oras copy -r`` keeps referrers) or from any other layout in the ``--images`` folder. An
artifact concerns an image when it is tagged ``sha256-<hex>.sig``, names the image as its OCI
``subject``, or (cosign) its payload claims the digest; the claim is only trusted after the
signature verifies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from ecs_exposure.analysis.images.layout import SIMPLESIGNING, Artifact, Layout
from ecs_exposure.analysis.images.policy import SignaturePolicy
from ecs_exposure.analysis.images.signatures import cosign, keyless, notation
from ecs_exposure.analysis.images.signatures.result import SignatureCheck

BUNDLE_TYPES = ("application/vnd.dev.sigstore.bundle.v0.3+json",
                "application/vnd.dev.sigstore.bundle+json;version=0.3")
NOTARY = "application/vnd.cncf.notary.signature"
JWS = "application/jose+json"
COSE = "application/cose"

__all__ = ["SignatureCheck", "verify_image"]


def _claimed_digest(layout: Layout, manifest: dict[str, Any]) -> str | None:
    """The digest a cosign payload *claims* (unverified, used only to find candidates)."""
    for layer in manifest.get("layers") or []:
        if isinstance(layer, dict) and layer.get("mediaType") == SIMPLESIGNING:
            try:
                claims = orjson.loads(layout.read_blob(str(layer.get("digest"))))
                claimed = claims["critical"]["image"]["docker-manifest-digest"]
            except Exception:  # noqa: BLE001 - unreadable payloads are not candidates here
                continue
            return str(claimed)
    return None


def _concerns(layout: Layout, artifact: Artifact, digests: list[str]) -> bool:
    tags = {f"{d.replace(':', '-')}.sig" for d in digests}
    if any(ref.rsplit(":", 1)[-1] in tags for ref in artifact.refs):
        return True
    subject = artifact.manifest.get("subject")
    if isinstance(subject, dict) and subject.get("digest") in digests:
        return True
    return _claimed_digest(layout, artifact.manifest) in digests


def _check(layout: Layout, artifact: Artifact, digests: list[str], policy: SignaturePolicy,
           now: datetime | None) -> list[SignatureCheck]:
    manifest = artifact.manifest
    layers = [x for x in manifest.get("layers") or [] if isinstance(x, dict)]
    config = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    assert isinstance(config, dict)
    artifact_type = manifest.get("artifactType") or config.get("mediaType")
    if layers and all(x.get("mediaType") == SIMPLESIGNING for x in layers):
        return cosign.check_legacy(manifest, layout.read_blob, digests, policy.cosign_keys)
    checks: list[SignatureCheck] = []
    for layer in layers:
        media = layer.get("mediaType")
        try:
            blob = layout.read_blob(str(layer.get("digest")))
        except Exception as exc:  # noqa: BLE001 - a missing blob is a failed check
            checks.append(SignatureCheck(str(artifact_type), False, f"blob unreadable: {exc}"))
            continue
        if artifact_type == NOTARY and media == JWS:
            roots = notation.load_roots(policy.notation_roots)
            if not roots:
                checks.append(SignatureCheck(notation.KIND, False, "Notation signature present, "
                                             "but the policy configures no trust root"))
                continue
            checks.append(notation.verify_jws(blob, digests, roots,
                                              policy.accept_unchecked_revocation, now))
        elif artifact_type == NOTARY and media == COSE:
            checks.append(SignatureCheck(notation.KIND, False, "COSE Notation envelopes are not "
                                         "supported offline"))
        elif media in BUNDLE_TYPES or artifact_type in BUNDLE_TYPES:
            checks.append(_bundle(blob, digests, policy))
    return checks


def _bundle(blob: bytes, digests: list[str], policy: SignaturePolicy) -> SignatureCheck:
    try:
        doc = orjson.loads(blob)
    except orjson.JSONDecodeError:
        return SignatureCheck(keyless.KIND, False, "bundle is not JSON")
    material = doc.get("verificationMaterial") if isinstance(doc, dict) else None
    if isinstance(material, dict) and "publicKey" in material:
        return cosign.check_key_bundle(doc, digests, policy.cosign_keys, policy.predicate_types)
    return keyless.check_keyless_bundle(blob, digests, policy.keyless_identities,
                                        policy.trusted_root, policy.predicate_types)


def verify_image(digests: list[str], layouts: Iterable[Layout], policy: SignaturePolicy,
                 now: datetime | None = None) -> list[SignatureCheck]:
    """Every check of every artifact that concerns the image, in a stable order."""
    if not digests:
        return []
    checks: list[SignatureCheck] = []
    for layout in layouts:
        for artifact in layout.artifacts:
            if _concerns(layout, artifact, digests):
                checks.extend(_check(layout, artifact, digests, policy, now))
    return checks
