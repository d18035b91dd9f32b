"""A throw-away Sigstore instance for tests: Fulcio CA, CT log, Rekor log, all keys in memory.

It issues a keyless-style signing certificate (with an embedded SCT and the OIDC issuer
extension), signs a DSSE in-toto statement, logs it in a one-entry Rekor tree (inclusion proof,
signed checkpoint and inclusion promise) and writes the matching ``trusted_root.json``, so the
real ``sigstore`` library verifies it offline end to end. Nothing is mocked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

SCT_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
ISSUER_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
IN_TOTO = b"application/vnd.in-toto+json"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


@dataclass
class Instance:
    """Keys and the root CA of the fake instance."""

    ca_key: ec.EllipticCurvePrivateKey
    ca: x509.Certificate
    ct_key: ec.EllipticCurvePrivateKey
    rekor_key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls) -> Instance:
        ca_key = ec.generate_private_key(ec.SECP384R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "test.invalid"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "test-fulcio")])
        ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
              .public_key(ca_key.public_key()).serial_number(1)
              .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
              .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
              .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
              .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                           False), critical=True)
              .add_extension(ski, critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                             critical=False)
              .sign(ca_key, hashes.SHA384()))
        return cls(ca_key, ca, ec.generate_private_key(ec.SECP256R1()),
                   ec.generate_private_key(ec.SECP256R1()))

    def trusted_root(self, path: Path) -> Path:
        def log(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, object]:
            return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": _b64(_spki(key)),
                                  "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                  "validFor": {"start": "2020-01-01T00:00:00Z"}},
                    "logId": {"keyId": _b64(hashlib.sha256(_spki(key)).digest())}}

        path.write_text(json.dumps({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(self.rekor_key, "https://rekor.test.invalid")],
            "certificateAuthorities": [{
                "subject": {"organization": "test.invalid", "commonName": "test-fulcio"},
                "uri": "https://fulcio.test.invalid",
                "certChain": {"certificates": [
                    {"rawBytes": _b64(self.ca.public_bytes(serialization.Encoding.DER))}]},
                "validFor": {"start": "2020-01-01T00:00:00Z"}}],
            "ctlogs": [log(self.ct_key, "https://ctfe.test.invalid")],
            "timestampAuthorities": []}))
        return path

    def _leaf(self, key: ec.EllipticCurvePrivateKey, identity: str, issuer: str,
              when: datetime, sct_list: bytes) -> x509.Certificate:
        ca_ski = self.ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return (x509.CertificateBuilder().subject_name(x509.Name([]))
                .issuer_name(self.ca.subject).public_key(key.public_key()).serial_number(4242)
                .not_valid_before(when - timedelta(minutes=1))
                .not_valid_after(when + timedelta(minutes=10))
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                             False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),
                               critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                    ca_ski), critical=False)
                .add_extension(x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(identity)]), critical=True)
                .add_extension(x509.UnrecognizedExtension(ISSUER_OID, issuer.encode()),
                               critical=False)
                .add_extension(x509.UnrecognizedExtension(SCT_OID, sct_list), critical=False)
                .sign(self.ca_key, hashes.SHA384()))

    def _sct_list(self, timestamp_ms: int, signature: bytes) -> bytes:
        log_id = hashlib.sha256(_spki(self.ct_key)).digest()
        sct = (b"\x00" + log_id + struct.pack(">Q", timestamp_ms) + b"\x00\x00"
               + b"\x04\x03" + struct.pack(">H", len(signature)) + signature)
        tls_list = struct.pack(">H", len(sct) + 2) + struct.pack(">H", len(sct)) + sct
        return b"\x04" + bytes([len(tls_list)]) + tls_list      # DER OCTET STRING (< 128)

    def certificate(self, key: ec.EllipticCurvePrivateKey, identity: str, issuer: str,
                    when: datetime) -> x509.Certificate:
        """A leaf whose embedded SCT is signed over its precertificate TBS."""
        timestamp_ms = int(when.timestamp() * 1000)
        dummy = _sign(self.ct_key, b"placeholder")
        draft = self._leaf(key, identity, issuer, when, self._sct_list(timestamp_ms, dummy))
        issuer_key_id = hashlib.sha256(_spki(self.ca_key)).digest()
        tbs = draft.tbs_precertificate_bytes
        signed = (struct.pack(">BBQH", 0, 0, timestamp_ms, 1) + issuer_key_id
                  + struct.pack(">I", len(tbs))[1:] + tbs + b"\x00\x00")
        signature = _sign(self.ct_key, signed)
        if len(signature) != len(dummy):                        # keep the DER length stable
            return self.certificate(key, identity, issuer, when)
        leaf = self._leaf(key, identity, issuer, when, self._sct_list(timestamp_ms, signature))
        assert leaf.tbs_precertificate_bytes == tbs
        return leaf

    def bundle(self, image_digest: str, identity: str, issuer: str, when: datetime,
               predicate: str = "https://sigstore.dev/cosign/sign/v1") -> bytes:
        """A bundle v0.3: DSSE statement for ``image_digest``, logged in Rekor."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.certificate(key, identity, issuer, when)
        statement = json.dumps({"_type": "https://in-toto.io/Statement/v1",
                                "subject": [{"name": "image", "digest": {
                                    "sha256": image_digest.split(":", 1)[1]}}],
                                "predicateType": predicate, "predicate": {}}).encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(IN_TOTO), IN_TOTO, len(statement), statement)
        signature = _sign(key, pae)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        body = json.dumps({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
            "payloadHash": {"algorithm": "sha256",
                            "value": hashlib.sha256(statement).hexdigest()},
            "envelopeHash": {"algorithm": "sha256", "value": "00" * 32},
            "signatures": [{"signature": _b64(signature), "verifier": _b64(pem)}]}},
            separators=(",", ":")).encode()
        log_id = hashlib.sha256(_spki(self.rekor_key)).digest()
        integrated = int(when.timestamp())
        root = hashlib.sha256(b"\x00" + body).digest()
        note = f"rekor.test.invalid\n1\n{_b64(root)}\n"
        note_sig = _b64(log_id[:4] + _sign(self.rekor_key, note.encode()))
        promise = _sign(self.rekor_key, rfc8785.dumps({
            "body": _b64(body), "integratedTime": integrated, "logID": log_id.hex(),
            "logIndex": 0}))
        entry = {"logIndex": "0", "logId": {"keyId": _b64(log_id)},
                 "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                 "integratedTime": str(integrated),
                 "inclusionPromise": {"signedEntryTimestamp": _b64(promise)},
                 "inclusionProof": {"logIndex": "0", "rootHash": _b64(root), "treeSize": "1",
                                    "hashes": [], "checkpoint": {
                                        "envelope": f"{note}\n\u2014 rekor.test.invalid "
                                                    f"{note_sig}\n"}},
                 "canonicalizedBody": _b64(body)}
        return json.dumps({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [entry]},
            "dsseEnvelope": {"payload": _b64(statement), "payloadType": IN_TOTO.decode(),
                             "signatures": [{"sig": _b64(signature)}]}}).encode()
