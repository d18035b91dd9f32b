"""Notation (Notary Project) JWS envelopes, verified offline with ``cryptography`` (§3.5).

No Python Notation library exists. The check: the protected header is understood (``cty``,
``crit`` lists only known keys, ``alg`` ES256/ES384 matching the leaf key), the ``x5c`` chain
links leaf → … → a configured trust root, every certificate is valid at the signing time (the
AWS Signer leaf lives about three days, so "now" would be wrong), the raw ``R||S`` signature
verifies over ``protected.payload``, the payload's ``targetArtifact.digest`` is the image, and
``expiry`` has not passed. A critical ``verificationPlugin`` (AWS Signer's revocation check)
cannot run offline: such a signature is reported as "signature valid, revocation not checked"
and only counts when the policy accepts that explicitly.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ecs_exposure.analysis.images.facts import parse_time
from ecs_exposure.analysis.images.signatures.result import SignatureCheck

KIND = "notation"
CTY = "application/vnd.cncf.notary.payload.v1+json"
PLUGIN = "io.cncf.notary.verificationPlugin"
_KNOWN_CRIT = {"io.cncf.notary.signingScheme", "io.cncf.notary.signingTime",
               "io.cncf.notary.authenticSigningTime", "io.cncf.notary.expiry", PLUGIN,
               "io.cncf.notary.verificationPluginMinVersion"}
_ALGS = {"ES256": (ec.SECP256R1, hashes.SHA256, 32), "ES384": (ec.SECP384R1, hashes.SHA384, 48)}
_MAX_CHAIN = 10


def _b64url(text: Any) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def load_roots(pems: tuple[tuple[str, bytes], ...]) -> list[x509.Certificate]:
    """Every certificate in the configured PEM bundles."""
    roots: list[x509.Certificate] = []
    for _label, pem in pems:
        roots.extend(x509.load_pem_x509_certificates(pem))
    return roots


def _fail(detail: str, signer: str | None = None) -> SignatureCheck:
    return SignatureCheck(KIND, False, detail, signer=signer)


def _chain(header: dict[str, Any]) -> list[x509.Certificate] | str:
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c or len(x5c) > _MAX_CHAIN:
        return "x5c certificate chain missing or too long"
    chain = []
    for item in x5c:
        try:
            chain.append(x509.load_der_x509_certificate(base64.b64decode(str(item),
                                                                         validate=True)))
        except (binascii.Error, ValueError):
            return "x5c holds an unreadable certificate"
    return chain


def _chain_to_root(chain: list[x509.Certificate], roots: list[x509.Certificate],
                   at: datetime) -> str | None:
    """``None`` when leaf → … → a trusted root verifies and all are valid at ``at``."""
    for child, parent in zip(chain, chain[1:], strict=False):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            return f"certificate {child.subject.rfc4514_string()} is not issued by the next " \
                   "one in x5c"
    last = chain[-1]
    anchor = None
    for root in roots:
        if last == root:
            anchor = root
            break
        try:
            last.verify_directly_issued_by(root)
            anchor = root
            break
        except (ValueError, TypeError, InvalidSignature):
            continue
    if anchor is None:
        return "certificate chain does not end at a configured Notation trust root"
    for cert in [*chain, anchor]:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            return f"certificate {cert.subject.rfc4514_string()} is not valid at signing " \
                   f"time {at.isoformat()}"
    return None


def verify_jws(envelope: bytes, image_digests: list[str],
               roots: list[x509.Certificate], accept_unchecked_revocation: bool,
               now: datetime | None = None) -> SignatureCheck:
    """Verify one ``application/jose+json`` Notation envelope against one image."""
    now = now or datetime.now(UTC)
    try:
        jws = orjson.loads(envelope)
    except orjson.JSONDecodeError:
        return _fail("JWS envelope is not JSON")
    if not isinstance(jws, dict):
        return _fail("JWS envelope is not an object")
    protected_raw = _b64url(jws.get("protected"))
    payload = _b64url(jws.get("payload"))
    signature = _b64url(jws.get("signature"))
    if protected_raw is None or payload is None or signature is None:
        return _fail("JWS envelope lacks protected header, payload or signature")
    try:
        protected = orjson.loads(protected_raw)
    except orjson.JSONDecodeError:
        return _fail("protected header is not JSON")
    if not isinstance(protected, dict):
        return _fail("protected header is not an object")
    if protected.get("cty") != CTY:
        return _fail(f"content type {protected.get('cty')!r} is not a Notary payload")
    crit = protected.get("crit")
    crit = crit if isinstance(crit, list) else []
    unknown = [c for c in crit if c not in _KNOWN_CRIT]
    if unknown:
        return _fail(f"critical header(s) not understood: {', '.join(map(str, unknown))}")
    alg = protected.get("alg")
    if alg not in _ALGS:
        return _fail(f"algorithm {alg!r} is not supported (ES256, ES384)")
    header = jws.get("header") if isinstance(jws.get("header"), dict) else {}
    assert isinstance(header, dict)
    chain = _chain(header)
    if isinstance(chain, str):
        return _fail(chain)
    leaf = chain[0]
    signer = leaf.subject.rfc4514_string()
    curve, hash_cls, size = _ALGS[alg]
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve):
        return _fail(f"leaf key does not match algorithm {alg}", signer)
    signing_time = parse_time(protected.get("io.cncf.notary.signingTime")
                              or protected.get("io.cncf.notary.authenticSigningTime"))
    if signing_time is None:
        return _fail("no signing time in the protected header", signer)
    problem = _chain_to_root(chain, roots, signing_time)
    if problem:
        return _fail(problem, signer)
    if len(signature) != 2 * size:
        return _fail("signature is not a raw R||S value of the right length", signer)
    der = encode_dss_signature(int.from_bytes(signature[:size], "big"),
                               int.from_bytes(signature[size:], "big"))
    signed = f"{jws['protected']}.{jws['payload']}".encode("ascii")
    try:
        key.verify(der, signed, ec.ECDSA(hash_cls()))
    except InvalidSignature:
        return _fail("signature does not verify (tampered payload or header)", signer)
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return _fail("signed payload is not JSON", signer)
    target = body.get("targetArtifact") if isinstance(body, dict) else None
    digest = target.get("digest") if isinstance(target, dict) else None
    if digest not in image_digests:
        return _fail(f"valid signature, but for digest {digest}, not this image", signer)
    expiry = parse_time(protected.get("io.cncf.notary.expiry"))
    if expiry is not None and expiry < now:
        return _fail(f"signature expired on {expiry.date().isoformat()}", signer)
    checked = (f"{alg} signature over the JWS signing input",
               "x5c chain to a configured trust root, each certificate valid at signing time "
               f"{signing_time.isoformat()}",
               "targetArtifact.digest equals the image digest",
               "expiry" if expiry else "no expiry set")
    not_checked = ["certificate revocation (no OCSP/CRL offline)",
                   "timestamp countersignature (signing time is the signer's claim)"]
    plugin = protected.get(PLUGIN)
    if plugin:
        not_checked.insert(0, f"verification plugin {plugin} (e.g. AWS Signer revocation)")
        detail = f"signature valid, revocation not checked (plugin {plugin} cannot run offline)"
        return SignatureCheck(KIND, accept_unchecked_revocation,
                              detail + ("; accepted by policy" if accept_unchecked_revocation
                                        else "; the Notary spec requires failing it"),
                              checked, tuple(not_checked), signer)
    return SignatureCheck(KIND, True, f"Notation signature by {signer}", checked,
                          tuple(not_checked), signer)
