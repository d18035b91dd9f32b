"""Signature verification offline: cosign key (legacy .sig and v3 key bundle), Notation JWS,
sigstore keyless (through the sigstore library); every tampering case must fail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.policy import Identity, SignaturePolicy
from ecs_exposure.analysis.images.signatures import SignatureCheck, verify_image
from ecs_exposure.analysis.images.signatures.keyless import check_keyless_bundle
from ecs_exposure.analysis.images.signatures.notation import verify_jws
from ecs_exposure.sources.images.load import load_image, load_images
from support.imagebuilder import (
    cosign_signature,
    distroless_like,
    key_bundle,
    make_ca,
    new_key,
    notation_jws,
    notation_referrer,
    oci_layout,
    public_pem,
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def checks_for(tmp_path: Path, extra: list, policy: SignaturePolicy) -> list[SignatureCheck]:
    image = distroless_like().build()
    root = oci_layout(tmp_path / "img", image, "app:1", extra=[e(image) for e in extra])
    ctx = ImageContext()
    assert load_image(root, ctx) == []
    return verify_image([image.digest], ctx.layouts, policy, NOW)


def test_cosign_key_signature_verifies(tmp_path: Path) -> None:
    key = new_key()
    policy = SignaturePolicy(cosign_keys=(("cosign.pub", public_pem(key)),))
    [check] = checks_for(tmp_path, [lambda i: cosign_signature(i.digest, key)], policy)
    assert check.verified and check.kind == "cosign (key)" and check.signer == "cosign.pub"
    assert any("docker-manifest-digest" in c for c in check.checked)
    assert "transparency log (Rekor) inclusion" in check.not_checked


@pytest.mark.parametrize("case,expected", [
    ("tampered", "wrong key or tampered payload"),
    ("wrong-key", "wrong key or tampered payload"),
    ("other-digest", "not this image"),
    ("no-key", "configures no cosign public key"),
])
def test_cosign_failures(tmp_path: Path, case: str, expected: str) -> None:
    key, other = new_key(), new_key()
    other_digest = "sha256:" + "ab" * 32

    def make(image: object) -> object:
        digest = image.digest  # type: ignore[attr-defined]
        if case == "tampered":
            return cosign_signature(digest, key, tamper=True)
        if case == "other-digest":
            descriptor, manifest, blobs = cosign_signature(other_digest, key)
            # stored under this image's .sig tag, as an attacker copying a signature would
            descriptor["annotations"]["org.opencontainers.image.ref.name"] = \
                digest.replace(":", "-") + ".sig"
            return descriptor, manifest, blobs
        return cosign_signature(digest, key)

    keys = {"wrong-key": (("other.pub", public_pem(other)),), "no-key": ()}.get(
        case, (("cosign.pub", public_pem(key)),))
    checks = checks_for(tmp_path, [make], SignaturePolicy(cosign_keys=keys))
    assert checks and not any(c.verified for c in checks)
    assert expected in checks[0].detail


def test_cosign_key_bundle_v3(tmp_path: Path) -> None:
    key = new_key()
    policy = SignaturePolicy(cosign_keys=(("k", public_pem(key)),))
    [good] = checks_for(tmp_path / "a", [lambda i: key_bundle(i, key)], policy)
    assert good.verified and good.kind == "cosign bundle (key)"
    [other] = checks_for(tmp_path / "b", [lambda i: key_bundle(i, key, "sha256:" + "cd" * 32)],
                         policy)
    assert not other.verified and "subject does not name this image" in other.detail
    wrong = SignaturePolicy(cosign_keys=(("w", public_pem(new_key())),))
    [bad] = checks_for(tmp_path / "c", [lambda i: key_bundle(i, key)], wrong)
    assert not bad.verified


def test_signature_in_a_separate_layout_in_the_images_folder(tmp_path: Path) -> None:
    key = new_key()
    image = distroless_like().build()
    folder = tmp_path / "images"
    oci_layout(folder / "app", image, "app:1")
    sig = cosign_signature(image.digest, key)
    signatures = folder / "app-signatures"
    signatures.mkdir(parents=True)
    (signatures / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    from support.imagebuilder import _write_blobs, canonical, digest

    _write_blobs(signatures, {**sig[2], digest(sig[1]): sig[1]})
    (signatures / "index.json").write_bytes(canonical({"schemaVersion": 2,
                                                       "manifests": [sig[0]]}))
    ctx = ImageContext()
    assert load_images(folder, ctx) == []
    checks = verify_image([image.digest], ctx.layouts,
                          SignaturePolicy(cosign_keys=(("k", public_pem(key)),)), NOW)
    assert [c.verified for c in checks] == [True]


def _notation_policy(ca_pem: bytes, accept: bool = False) -> SignaturePolicy:
    return SignaturePolicy(notation_roots=(("root.pem", ca_pem),),
                           accept_unchecked_revocation=accept)


def test_notation_jws_verifies_at_signing_time(tmp_path: Path) -> None:
    signed_at = NOW - timedelta(days=30)             # the 3-day leaf expired long ago
    ca = make_ca(signed_at - timedelta(hours=1))
    [check] = checks_for(tmp_path, [lambda i: notation_referrer(
        i, notation_jws(i.digest, ca, signed_at))], _notation_policy(ca.root_pem))
    assert check.verified, check.detail
    assert check.signer == "CN=Test Signer"
    assert any("x5c chain" in c for c in check.checked)
    assert any("revocation" in c for c in check.not_checked)


def test_notation_plugin_means_revocation_not_checked(tmp_path: Path) -> None:
    ca = make_ca(NOW - timedelta(days=1))
    make = [lambda i: notation_referrer(i, notation_jws(i.digest, ca, NOW, plugin=True))]
    [strict] = checks_for(tmp_path / "a", make, _notation_policy(ca.root_pem))
    assert not strict.verified
    assert "signature valid, revocation not checked" in strict.detail
    [lenient] = checks_for(tmp_path / "b", make, _notation_policy(ca.root_pem, accept=True))
    assert lenient.verified and "accepted by policy" in lenient.detail
    assert "com.amazonaws.signer.notation.plugin" in lenient.not_checked[0]


def test_notation_failures() -> None:
    digest = "sha256:" + "ef" * 32
    ca = make_ca(NOW - timedelta(days=1))
    roots = [ca.root]
    assert verify_jws(notation_jws(digest, ca, NOW), [digest], roots, False, NOW).verified
    tampered = verify_jws(notation_jws(digest, ca, NOW, tamper=True), [digest], roots, False,
                          NOW)
    assert not tampered.verified and "does not verify" in tampered.detail
    other_root = make_ca(NOW).root
    assert "trust root" in verify_jws(notation_jws(digest, ca, NOW), [digest], [other_root],
                                      False, NOW).detail
    assert "not this image" in verify_jws(notation_jws(digest, ca, NOW), ["sha256:" + "00" * 32],
                                          roots, False, NOW).detail
    late = verify_jws(notation_jws(digest, ca, NOW + timedelta(days=10)), [digest], roots, False,
                      NOW + timedelta(days=10))
    assert "not valid at signing time" in late.detail
    expired = verify_jws(notation_jws(digest, ca, NOW, expiry=NOW + timedelta(hours=1)),
                         [digest], roots, False, NOW + timedelta(days=1))
    assert "expired" in expired.detail
    assert not verify_jws(b"{not json", [digest], roots, False).verified


def _keyless_bundle(leaf_der: bytes) -> bytes:
    """Keyless bundle shape with one (fake) Rekor entry, so sigstore reaches the chain check."""
    import base64

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    entry = {"logIndex": "1", "logId": {"keyId": b64(b"k" * 32)},
             "kindVersion": {"kind": "dsse", "version": "0.0.1"},
             "integratedTime": str(int(NOW.timestamp()) - 3600),
             "inclusionPromise": {"signedEntryTimestamp": "MEUCIQ=="},
             "inclusionProof": {"logIndex": "1", "rootHash": b64(b"r" * 32), "treeSize": "2",
                                "hashes": [b64(b"h" * 32)],
                                "checkpoint": {"envelope": "x\n2\nabc\n\n"}},
             "canonicalizedBody": b64(b"{}")}
    return json.dumps({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"certificate": {"rawBytes": b64(leaf_der)},
                                 "tlogEntries": [entry]},
        "dsseEnvelope": {"payload": "e30=", "payloadType": "application/vnd.in-toto+json",
                         "signatures": [{"sig": "MEUCIQ=="}]}}).encode()


@pytest.mark.parametrize("own_root", [False, True])
def test_keyless_bundle_goes_through_sigstore_and_fails_closed(tmp_path: Path,
                                                                own_root: bool) -> None:
    """A certificate that does not chain to the trusted root is rejected by sigstore."""
    from importlib.resources import files

    from cryptography.hazmat.primitives import serialization

    ca = make_ca(NOW - timedelta(days=1))
    bundle = _keyless_bundle(ca.leaf.public_bytes(serialization.Encoding.DER))
    root_file = None
    if own_root:   # an offline trusted_root.json supplied through the policy
        shipped = files("sigstore") / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
        root_file = tmp_path / "trusted_root.json"
        root_file.write_bytes((shipped / "trusted_root.json").read_bytes())
    identity = (Identity("https://token.actions.githubusercontent.com",
                         subject_regex="https://github.com/acme/.*"),)
    check = check_keyless_bundle(bundle, ["sha256:" + "ab" * 32], identity, root_file,
                                 ("https://sigstore.dev/cosign/sign/v1",))
    assert not check.verified
    assert check.detail.startswith("sigstore verification failed")
    assert "certificate chain" in check.detail
    none = check_keyless_bundle(bundle, [], (), None, ())
    assert "no keyless identity" in none.detail
    broken = check_keyless_bundle(b'{"mediaType": "nope"}', [], identity, None, ())
    assert not broken.verified


ISSUER = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"


@pytest.fixture(scope="module")
def sigstore_instance(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from support.sigstore_builder import Instance

    instance = Instance.create()
    root = instance.trusted_root(tmp_path_factory.mktemp("sigstore") / "trusted_root.json")
    return instance, root


def _keyless_policy(root: Path, identity: Identity) -> SignaturePolicy:
    return SignaturePolicy(keyless_identities=(identity,), trusted_root=root)


def test_keyless_bundle_verifies_end_to_end(tmp_path: Path, sigstore_instance: Any) -> None:
    instance, root = sigstore_instance
    signed_at = NOW - timedelta(days=3)
    policy = _keyless_policy(root, Identity(ISSUER, subject_regex="https://github.com/acme/.*"))
    [check] = checks_for(tmp_path, [lambda i: _bundle_referrer(
        i, instance.bundle(i.digest, WORKFLOW, ISSUER, signed_at))], policy)
    assert check.verified, check.detail
    assert check.kind == "sigstore keyless" and check.signer == WORKFLOW
    assert any("Rekor inclusion proof" in c for c in check.checked)
    exact = SignaturePolicy(keyless_identities=(Identity("https://other.issuer", subject="x"),
                                                Identity(ISSUER, subject=WORKFLOW)),
                            trusted_root=root)      # any of several identities
    [again] = checks_for(tmp_path / "exact", [lambda i: _bundle_referrer(
        i, instance.bundle(i.digest, WORKFLOW, ISSUER, signed_at))], exact)
    assert again.verified


@pytest.mark.parametrize("case,expected", [
    ("other-subject", "SANs do not match"),
    ("other-issuer", "OIDCIssuer does not match"),
    ("other-digest", "subject does not name this image"),
    ("other-predicate", "predicate type"),
    ("untrusted-instance", "certificate chain"),
    ("tampered", "sigstore verification failed"),
])
def test_keyless_failures(sigstore_instance: Any, case: str, expected: str) -> None:
    from support.sigstore_builder import Instance

    instance, root = sigstore_instance
    digest = "sha256:" + "9a" * 32
    when = NOW - timedelta(days=1)
    signer = Instance.create() if case == "untrusted-instance" else instance
    bundle = signer.bundle("sha256:" + "11" * 32 if case == "other-digest" else digest,
                           "https://github.com/evil/x" if case == "other-subject" else WORKFLOW,
                           "https://evil.example" if case == "other-issuer" else ISSUER, when,
                           predicate="https://slsa.dev/provenance/v1"
                           if case == "other-predicate" else
                           "https://sigstore.dev/cosign/sign/v1")
    if case == "tampered":
        doc = json.loads(bundle)
        import base64

        statement = base64.b64decode(doc["dsseEnvelope"]["payload"]).replace(b"image", b"imagf")
        doc["dsseEnvelope"]["payload"] = base64.b64encode(statement).decode()
        bundle = json.dumps(doc).encode()
    check = check_keyless_bundle(bundle, [digest], (Identity(ISSUER, subject=WORKFLOW),), root,
                                 ("https://sigstore.dev/cosign/sign/v1",))
    assert not check.verified
    assert expected in check.detail, check.detail


def _bundle_referrer(image: Any, bundle: bytes) -> Any:
    from support.imagebuilder import _referrer

    media = "application/vnd.dev.sigstore.bundle.v0.3+json"
    return _referrer(image, media, media, bundle)
