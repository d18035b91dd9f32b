"""Sigstore keyless bundles (cosign v3 referrers), verified through the ``sigstore`` library.

``sigstore`` (sigstore-python) verifies the whole keyless chain offline against a trusted
root: the Fulcio certificate chain at the signing time, the embedded SCT, the Rekor inclusion
proof and signed checkpoint (and inclusion promise), RFC 3161 timestamps, the DSSE signature,
and the log entry's consistency with the envelope; the policy's identity (OIDC issuer plus
subject or subject regex) is matched against the certificate. This module then requires the
in-toto statement to name the image digest with an accepted predicate type.

Trust root: the policy's ``trusted_root`` file, else the production root shipped inside the
``sigstore`` package (offline mode never refreshes it over TUF, so a root rotated after that
release is unknown and its signatures fail). Certificate revocation is not part of Sigstore.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from cryptography.x509 import (
    Certificate,
    ExtensionNotFound,
    OtherName,
    RFC822Name,
    SubjectAlternativeName,
    UniformResourceIdentifier,
)

from ecs_exposure.analysis.images.policy import Identity
from ecs_exposure.analysis.images.signatures.cosign import statement_subject_ok
from ecs_exposure.analysis.images.signatures.result import SignatureCheck

KIND = "sigstore keyless"
IN_TOTO = "application/vnd.in-toto+json"
CHECKED = ("Fulcio certificate chain valid at the signing time (trusted root)",
           "signed certificate timestamp (CT log)",
           "Rekor inclusion proof / checkpoint and inclusion promise",
           "DSSE signature with the certificate key",
           "certificate identity (OIDC issuer and subject) matches the policy")
NOT_CHECKED = ("online refresh of the trusted root (offline mode)",)


def _sans(cert: Certificate) -> set[str]:
    try:
        ext = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
    except ExtensionNotFound:
        return set()
    names = set(ext.get_values_for_type(RFC822Name))
    names.update(ext.get_values_for_type(UniformResourceIdentifier))
    names.update(o.value.decode("utf-8", "replace") for o in ext.get_values_for_type(OtherName))
    return names


class _IdentityPolicy:
    """Exact subject (via sigstore's Identity) or subject regex, with the issuer pinned."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def verify(self, cert: Certificate) -> None:
        from sigstore.errors import VerificationError
        from sigstore.verify.policy import Identity as SigstoreIdentity
        from sigstore.verify.policy import OIDCIssuer

        if self.identity.subject is not None:
            SigstoreIdentity(identity=self.identity.subject,
                             issuer=self.identity.issuer).verify(cert)
            return
        OIDCIssuer(self.identity.issuer).verify(cert)
        pattern = re.compile(self.identity.subject_regex or "")
        if not any(pattern.fullmatch(san) for san in _sans(cert)):
            raise VerificationError("certificate subject does not match "
                                    f"{self.identity.subject_regex!r}")


def _verifier(trusted_root: Path | None) -> Any:
    from sigstore.models import ClientTrustConfig, TrustedRoot
    from sigstore.verify import Verifier

    # Offline by design: sigstore's "offline mode, no TUF refresh" warning is expected here.
    logging.getLogger("sigstore").setLevel(logging.ERROR)

    if trusted_root is not None:
        return Verifier(trusted_root=TrustedRoot.from_file(str(trusted_root)))
    return Verifier(trusted_root=ClientTrustConfig.production(offline=True).trusted_root)


def check_keyless_bundle(bundle_json: bytes, image_digests: list[str],
                         identities: tuple[Identity, ...], trusted_root: Path | None,
                         predicate_types: tuple[str, ...]) -> SignatureCheck:
    """Verify one keyless bundle; any library error is a failed check with its reason."""
    if not identities:
        return SignatureCheck(KIND, False, "keyless sigstore bundle present, but the policy "
                              "configures no keyless identity")
    try:
        from sigstore.errors import Error as SigstoreError
        from sigstore.models import Bundle
        from sigstore.verify.policy import AnyOf
    except ImportError:  # pragma: no cover - sigstore is a declared dependency
        return SignatureCheck(KIND, False, "the sigstore library is not installed")
    try:
        bundle = Bundle.from_json(bundle_json)
        verifier = _verifier(trusted_root)
        policies = [_IdentityPolicy(i) for i in identities]
        policy = policies[0] if len(policies) == 1 else AnyOf(policies)  # type: ignore[arg-type]
        payload_type, payload = verifier.verify_dsse(bundle, policy)
    except (SigstoreError, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "policies succeeded" in reason:
            reason = f"certificate identity matches none of the {len(identities)} keyless " \
                     "identities in the policy"
        return SignatureCheck(KIND, False, f"sigstore verification failed: {reason[:300]}")
    if payload_type != IN_TOTO:
        return SignatureCheck(KIND, False, f"DSSE payload type {payload_type!r}")
    ok, why = statement_subject_ok(payload, image_digests, predicate_types)
    signer = ", ".join(sorted(_sans(bundle.signing_certificate))) or None
    if not ok:
        return SignatureCheck(KIND, False, f"valid keyless signature, but {why}", signer=signer)
    return SignatureCheck(KIND, True, f"keyless signature by {signer}; {why}",
                          (*CHECKED, why), NOT_CHECKED, signer)
