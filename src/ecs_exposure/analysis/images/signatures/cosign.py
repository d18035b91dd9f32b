"""Key-based cosign verification, offline (images.md §3.2 and §3.3).

Legacy ``.sig`` manifests: each simple-signing layer's exact bytes are verified with the
public key (ECDSA P-256/SHA-256 as cosign requires; RSA PKCS#1 v1.5 and Ed25519 keys as cosign
also accepts), and only then parsed; ``critical.image.docker-manifest-digest`` must equal the
image digest. Sigstore bundles signed with a key hold a DSSE envelope over an in-toto
statement; its PAE is verified the same way and the statement's subject must be the image.
The transparency log (Rekor) is not consulted offline, and the report says so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from ecs_exposure.analysis.images.signatures.result import SignatureCheck

SIG_ANNOTATION = "dev.cosignproject.cosign/signature"
COSIGN_TYPE = "cosign container image signature"
IN_TOTO = "application/vnd.in-toto+json"
NOT_CHECKED = ("transparency log (Rekor) inclusion", "signing time")
KIND = "cosign (key)"
BUNDLE_KIND = "cosign bundle (key)"


def load_key(pem: bytes) -> Any:
    """A PEM public key; ``ValueError`` when it is not one."""
    try:
        return serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a PEM public key: {exc}") from None


def verify_with(key: Any, signature: bytes, data: bytes) -> bool:
    """Verify with the algorithm the key type implies (SHA-256, as cosign defaults)."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _b64(text: Any) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_simple_signing(payload: bytes, signature_b64: Any, image_digests: list[str],
                          keys: tuple[tuple[str, bytes], ...]) -> SignatureCheck:
    """One legacy cosign layer: signature over the exact payload, then the claimed digest."""
    signature = _b64(signature_b64)
    if signature is None:
        return SignatureCheck(KIND, False, "signature annotation missing or not base64")
    for label, pem in keys:
        key = load_key(pem)
        if not verify_with(key, signature, payload):
            continue
        try:
            claims = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return SignatureCheck(KIND, False, f"signed payload is not JSON (key {label})")
        critical = claims.get("critical") if isinstance(claims, dict) else None
        critical = critical if isinstance(critical, dict) else {}
        image = critical.get("image") if isinstance(critical.get("image"), dict) else {}
        claimed = image.get("docker-manifest-digest") if isinstance(image, dict) else None
        if critical.get("type") != COSIGN_TYPE:
            return SignatureCheck(KIND, False, f"payload type is {critical.get('type')!r}, not "
                                  f"{COSIGN_TYPE!r}", signer=label)
        if claimed not in image_digests:
            return SignatureCheck(KIND, False, f"valid signature by {label}, but for digest "
                                  f"{claimed}, not this image", signer=label)
        return SignatureCheck(
            KIND, True, f"cosign signature by key {label} over digest {claimed}",
            ("ECDSA/RSA/Ed25519 signature over the exact simple-signing payload bytes",
             "payload blob matches its descriptor digest",
             "critical.image.docker-manifest-digest equals the image digest"),
            NOT_CHECKED, label)
    return SignatureCheck(KIND, False, "signature does not verify with any configured cosign "
                          "key (wrong key or tampered payload)")


def check_legacy(manifest: dict[str, Any], read_blob: Any, image_digests: list[str],
                 keys: tuple[tuple[str, bytes], ...]) -> list[SignatureCheck]:
    """Every simple-signing layer of a ``.sig`` manifest."""
    checks = []
    for layer in manifest.get("layers") or []:
        if not isinstance(layer, dict) or not isinstance(layer.get("digest"), str):
            continue
        notes = layer.get("annotations")
        notes = notes if isinstance(notes, dict) else {}
        if not keys:
            checks.append(SignatureCheck(KIND, False, "cosign signature present, but the "
                                         "policy configures no cosign public key"))
            continue
        try:
            payload = read_blob(layer["digest"])
        except Exception as exc:  # noqa: BLE001 - any unreadable blob is a failed check
            checks.append(SignatureCheck(KIND, False, f"payload blob unreadable: {exc}"))
            continue
        checks.append(verify_simple_signing(payload, notes.get(SIG_ANNOTATION), image_digests,
                                            keys))
    return checks


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def statement_subject_ok(body: bytes, image_digests: list[str],
                         predicate_types: tuple[str, ...]) -> tuple[bool, str]:
    """In-toto statement names an accepted predicate and one of the image digests."""
    try:
        statement = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False, "DSSE payload is not JSON"
    if not isinstance(statement, dict):
        return False, "DSSE payload is not an in-toto statement"
    if statement.get("predicateType") not in predicate_types:
        return False, f"predicate type {statement.get('predicateType')!r} is not accepted"
    wanted = {d.removeprefix("sha256:") for d in image_digests}
    for subject in statement.get("subject") or []:
        digest = subject.get("digest") if isinstance(subject, dict) else None
        if isinstance(digest, dict) and digest.get("sha256") in wanted:
            return True, "in-toto subject digest equals the image digest"
    return False, "in-toto statement subject does not name this image digest"


def check_key_bundle(bundle: dict[str, Any], image_digests: list[str],
                     keys: tuple[tuple[str, bytes], ...],
                     predicate_types: tuple[str, ...]) -> SignatureCheck:
    """A sigstore bundle whose verification material is a public key (sigstore-python #1244)."""
    envelope = bundle.get("dsseEnvelope")
    if not isinstance(envelope, dict):
        return SignatureCheck(BUNDLE_KIND, False, "key-based bundle without a DSSE envelope "
                              "(message signatures over an image are not supported)")
    body = _b64(envelope.get("payload"))
    payload_type = envelope.get("payloadType")
    signatures = [s for s in envelope.get("signatures") or [] if isinstance(s, dict)]
    if body is None or not isinstance(payload_type, str) or not signatures:
        return SignatureCheck(BUNDLE_KIND, False, "malformed DSSE envelope")
    if payload_type != IN_TOTO:
        return SignatureCheck(BUNDLE_KIND, False, f"DSSE payload type {payload_type!r}")
    if not keys:
        return SignatureCheck(BUNDLE_KIND, False, "key-based sigstore bundle present, but the "
                              "policy configures no cosign public key")
    message = pae(payload_type, body)
    for label, pem in keys:
        key = load_key(pem)
        if any(verify_with(key, _b64(s.get("sig")) or b"", message) for s in signatures):
            ok, why = statement_subject_ok(body, image_digests, predicate_types)
            if not ok:
                return SignatureCheck(BUNDLE_KIND, False, f"valid signature by {label}, but {why}",
                                      signer=label)
            return SignatureCheck(
                BUNDLE_KIND, True, f"DSSE bundle signed by key {label}; {why}",
                ("signature over the DSSE pre-authentication encoding", why,
                 "accepted predicate type"),
                ("transparency log (Rekor) inclusion", "timestamp authority"), label)
    return SignatureCheck(BUNDLE_KIND, False, "DSSE signature does not verify with any "
                          "configured cosign key (wrong key or tampered statement)")


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
