"""Build small container images in tests with tarfile: no Docker, no network.

A layer is a list of ``File`` entries; ``oci_layout`` writes an OCI image layout directory,
``docker_save`` a ``docker save`` tarball in any of the three shapes, and the signing helpers
produce cosign ``.sig`` manifests, key-based sigstore bundles and Notation JWS envelopes the
way the real tools lay them out.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import sqlite3
import struct
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import zstandard
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"


@dataclass
class File:
    """One tar member of a layer."""

    path: str
    content: bytes = b""
    mode: int = 0o755
    kind: str = "file"          # file | dir | symlink | hardlink
    link: str = ""
    size: int | None = None     # declared size override (hostile archives)


def layer_tar(files: list[File]) -> bytes:
    """An uncompressed layer tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for item in files:
            info = tarfile.TarInfo(item.path)
            info.mode = item.mode
            info.mtime = 1_700_000_000
            if item.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif item.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = item.link
                tar.addfile(info)
            elif item.kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = item.link
                tar.addfile(info)
            else:
                info.size = len(item.content)
                tar.addfile(info, io.BytesIO(item.content))
    return buffer.getvalue()


def claimed_header(typeflag: bytes, claimed_size: int, name: str = "././@PaxHeader") -> bytes:
    """One 512-byte tar header of ``typeflag`` (``x``/``g`` pax, ``L``/``K`` GNU long name)
    whose size field claims ``claimed_size`` bytes: the data need not follow."""
    info = tarfile.TarInfo(name)
    info.type = typeflag
    info.size = claimed_size
    return info.tobuf(tarfile.USTAR_FORMAT)


def gzip_zeros_after(head: bytes, zero_mib: int) -> bytes:
    """A gzip stream of ``head`` then ``zero_mib`` MiB of zeros, made of concatenated gzip
    members (a valid stream) so a test never builds the inflated bytes in memory."""
    zeros = gzip.compress(b"\0" * (1 << 20), mtime=0)
    return gzip.compress(head, mtime=0) + zeros * zero_mib


def compress(data: bytes, how: str) -> tuple[bytes, str]:
    if how == "gzip":
        return gzip.compress(data, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if how == "zstd":
        return (zstandard.ZstdCompressor().compress(data),
                "application/vnd.oci.image.layer.v1.tar+zstd")
    return data, "application/vnd.oci.image.layer.v1.tar"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class Image:
    """An image under construction: layers, config, and its blobs once built."""

    layers: list[list[File]]
    user: str | None = ""
    created: str = "2026-11-01T00:00:00Z"
    env: list[str] = field(default_factory=lambda: ["PATH=/usr/bin:/bin"])
    compression: str = "gzip"
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifest_bytes: bytes = b""
    config_bytes: bytes = b""
    layer_blobs: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    raw_layers: list[bytes] = field(default_factory=list)
    """Uncompressed layer tars taken as they are (hostile or mutated), after ``layers``."""
    blob_layers: list[bytes] = field(default_factory=list)
    """Layer blobs taken as they are (already compressed, possibly hostile), after those;
    their diff_id is set to the blob digest (OCI readers check the blob digest)."""

    def build(self) -> Image:
        diff_ids = []
        descriptors = []
        self.layer_blobs = []
        for raw in [layer_tar(files) for files in self.layers] + self.raw_layers:
            blob, media = compress(raw, self.compression)
            self.blobs[digest(blob)] = blob
            self.layer_blobs.append((digest(blob), blob, raw))
            diff_ids.append(digest(raw))
            descriptors.append({"mediaType": media, "digest": digest(blob), "size": len(blob)})
        for blob in self.blob_layers:
            self.blobs[digest(blob)] = blob
            self.layer_blobs.append((digest(blob), blob, blob))
            diff_ids.append(digest(blob))
            descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                "digest": digest(blob), "size": len(blob)})
        config: dict[str, Any] = {
            "architecture": "amd64", "os": "linux", "created": self.created,
            "config": {"Env": self.env, "Cmd": ["/app"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": "/bin/sh -c apt-get install -y curl"}],
        }
        if self.user is not None:
            config["config"]["User"] = self.user
        self.config_bytes = canonical(config)
        self.blobs[digest(self.config_bytes)] = self.config_bytes
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": OCI_CONFIG, "digest": digest(self.config_bytes),
                               "size": len(self.config_bytes)},
                    "layers": descriptors}
        self.manifest_bytes = canonical(manifest)
        self.blobs[digest(self.manifest_bytes)] = self.manifest_bytes
        return self

    @property
    def digest(self) -> str:
        return digest(self.manifest_bytes)


def blob_name(name: str) -> str:
    """``blobs/<algorithm>/<hex>`` of a digest, as OCI layouts store it."""
    algorithm, _, encoded = name.partition(":")
    return f"blobs/{algorithm}/{encoded}"


def _write_blobs(root: Path, blobs: dict[str, bytes]) -> None:
    for name, data in blobs.items():
        path = root / blob_name(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def oci_layout(root: Path, image: Image, ref_name: str | None = None,
               extra: list[tuple[dict[str, Any], bytes, dict[str, bytes]]] = ()) -> Path:
    """An OCI layout directory; ``extra`` adds ``(descriptor, manifest, blobs)`` artifacts."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    _write_blobs(root, image.blobs)
    entry: dict[str, Any] = {"mediaType": OCI_MANIFEST, "digest": image.digest,
                             "size": len(image.manifest_bytes)}
    if ref_name:
        entry["annotations"] = {"org.opencontainers.image.ref.name": ref_name}
    manifests = [entry]
    for descriptor, manifest, blobs in extra:
        _write_blobs(root, {**blobs, digest(manifest): manifest})
        manifests.append(descriptor)
    (root / "index.json").write_bytes(canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                                 "manifests": manifests}))
    return root


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def docker_save(path: Path, image: Image, repo_tag: str, shape: str = "legacy") -> Path:
    """``docker save`` output: ``legacy``, ``v25`` (OCI + manifest.json) or ``containerd``."""
    with tarfile.open(path, "w") as tar:
        if shape == "legacy":
            config_name = image.digest.split(":")[1][:12] + ".json"
            _add(tar, config_name, image.config_bytes)
            layers = []
            for index, (_, _, raw) in enumerate(image.layer_blobs):
                name = f"layer{index}/layer.tar"
                _add(tar, name, raw)
                layers.append(name)
            _add(tar, "manifest.json", json.dumps([{"Config": config_name,
                                                    "RepoTags": [repo_tag],
                                                    "Layers": layers}]).encode())
            return path
        for name, data in image.blobs.items():
            _add(tar, blob_name(name), data)
        _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        if shape == "v25":
            index = {"schemaVersion": 2, "manifests": [{
                "mediaType": OCI_MANIFEST, "digest": image.digest,
                "size": len(image.manifest_bytes),
                "annotations": {"io.containerd.image.name": f"docker.io/library/{repo_tag}",
                                "org.opencontainers.image.ref.name": repo_tag.split(":")[-1]}}]}
            layers = [f"blobs/sha256/{d.split(':')[1]}" for d, _, _ in image.layer_blobs]
            _add(tar, "manifest.json", json.dumps([{
                "Config": f"blobs/sha256/{digest(image.config_bytes).split(':')[1]}",
                "RepoTags": [repo_tag], "Layers": layers}]).encode())
        else:  # containerd store: nested index, platform manifest inside
            nested = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": image.digest,
                 "size": len(image.manifest_bytes),
                 "platform": {"os": "linux", "architecture": "amd64"}}]})
            _add(tar, f"blobs/sha256/{digest(nested).split(':')[1]}", nested)
            index = {"schemaVersion": 2, "manifests": [{
                "mediaType": OCI_INDEX, "digest": digest(nested), "size": len(nested),
                "annotations": {"io.containerd.image.name": repo_tag,
                                "org.opencontainers.image.ref.name": repo_tag.split(":")[-1]}}]}
        _add(tar, "index.json", canonical(index))
    return path


# ---- package databases ------------------------------------------------------------------

def dpkg_status(*packages: str) -> bytes:
    return "\n".join(f"Package: {p}\nStatus: install ok installed\nVersion: 1.0-1\n"
                     "Architecture: amd64\n" for p in packages).encode()


def apk_installed(*packages: str) -> bytes:
    return "\n".join(f"C:Q1abc=\nP:{p}\nV:1.36.1-r0\nA:x86_64\n" for p in packages).encode()


def rpm_header(name: str, version: str, release: str) -> bytes:
    """A minimal header blob (no magic), as rpmdb.sqlite stores it."""
    store = b""
    entries = []
    for tag, value in ((1000, name), (1001, version), (1002, release)):
        entries.append(struct.pack(">iIiI", tag, 6, len(store), 1))
        store += value.encode() + b"\x00"
    return struct.pack(">ii", len(entries), len(store)) + b"".join(entries) + store


def rpm_sqlite(*packages: tuple[str, str, str]) -> bytes:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
    for package in (*packages, ("gpg-pubkey", "1", "1")):
        conn.execute("INSERT INTO Packages (blob) VALUES (?)", (rpm_header(*package),))
    conn.commit()
    data = conn.serialize()
    conn.close()
    return data


def bdb_packages() -> bytes:
    """The first page of a Berkeley DB hash file: magic 0x00061561 at offset 12."""
    return b"\x00" * 12 + (0x00061561).to_bytes(4, "little") + b"\x00" * 4080


# ---- signing ----------------------------------------------------------------------------

def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def cosign_signature(image_digest: str, key: ec.EllipticCurvePrivateKey,
                     tamper: bool = False) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    """A ``.sig`` manifest as ``cosign save`` stores it: ``(descriptor, manifest, blobs)``."""
    payload = canonical({"critical": {
        "identity": {"docker-reference": "registry.example/app"},
        "image": {"docker-manifest-digest": image_digest},
        "type": "cosign container image signature"}, "optional": None})
    signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    if tamper:
        payload = payload.replace(b"registry.example", b"registry.evil!!")
    config = b"{}"
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": OCI_CONFIG, "digest": digest(config),
                                     "size": len(config)},
                          "layers": [{"mediaType": SIMPLESIGNING, "digest": digest(payload),
                                      "size": len(payload),
                                      "annotations": {
                                          "dev.cosignproject.cosign/signature": signature}}]})
    tag = image_digest.replace(":", "-") + ".sig"
    descriptor = {"mediaType": OCI_MANIFEST, "digest": digest(manifest), "size": len(manifest),
                  "annotations": {"kind": "dev.cosignproject.cosign/sigs",
                                  "org.opencontainers.image.ref.name": tag}}
    return descriptor, manifest, {digest(config): config, digest(payload): payload}


def _referrer(image: Image, artifact_type: str, layer_media: str, blob: bytes,
              config_media: str = "application/vnd.oci.empty.v1+json"
              ) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    config = b"{}"
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "artifactType": artifact_type,
                          "config": {"mediaType": config_media, "digest": digest(config),
                                     "size": 2},
                          "layers": [{"mediaType": layer_media, "digest": digest(blob),
                                      "size": len(blob)}],
                          "subject": {"mediaType": OCI_MANIFEST, "digest": image.digest,
                                      "size": len(image.manifest_bytes)}})
    descriptor = {"mediaType": OCI_MANIFEST, "digest": digest(manifest), "size": len(manifest),
                  "artifactType": artifact_type}
    return descriptor, manifest, {digest(config): config, digest(blob): blob}


def key_bundle(image: Image, key: ec.EllipticCurvePrivateKey, subject_digest: str | None = None
               ) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    """A cosign v3 key-based bundle referrer (DSSE over an in-toto statement)."""
    statement = canonical({"_type": "https://in-toto.io/Statement/v1",
                           "subject": [{"name": "app", "digest": {
                               "sha256": (subject_digest or image.digest).split(":")[1]}}],
                           "predicateType": "https://sigstore.dev/cosign/sign/v1",
                           "predicate": {}})
    kind = b"application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(statement), statement)
    sig = base64.b64encode(key.sign(pae, ec.ECDSA(hashes.SHA256()))).decode()
    bundle = canonical({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                        "verificationMaterial": {"publicKey": {"hint": "k"}, "tlogEntries": []},
                        "dsseEnvelope": {"payload": base64.b64encode(statement).decode(),
                                         "payloadType": kind.decode(),
                                         "signatures": [{"sig": sig}]}})
    media = "application/vnd.dev.sigstore.bundle.v0.3+json"
    return _referrer(image, media, media, bundle)


@dataclass
class Ca:
    """A test certificate chain: root → intermediate → leaf (P-384 leaf for ES384)."""

    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    inter_key: ec.EllipticCurvePrivateKey
    inter: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey
    leaf: x509.Certificate

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str,
          issuer_key: ec.EllipticCurvePrivateKey, start: datetime, days: int,
          ca: bool) -> x509.Certificate:
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA384()))


def make_ca(leaf_start: datetime, leaf_days: int = 3) -> Ca:
    root_key, inter_key = ec.generate_private_key(ec.SECP384R1()), \
        ec.generate_private_key(ec.SECP384R1())
    leaf_key = ec.generate_private_key(ec.SECP384R1())
    start = datetime(2020, 1, 1, tzinfo=UTC)
    root = _cert("Test Signer Root CA", root_key, "Test Signer Root CA", root_key, start,
                 36500, True)
    inter = _cert("Test Signer Int CA", inter_key, "Test Signer Root CA", root_key, start,
                  3650, True)
    leaf = _cert("Test Signer", leaf_key, "Test Signer Int CA", inter_key, leaf_start,
                 leaf_days, False)
    return Ca(root_key, root, inter_key, inter, leaf_key, leaf)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def notation_jws(image_digest: str, ca: Ca, signing_time: datetime, *, plugin: bool = False,
                 tamper: bool = False, expiry: datetime | None = None) -> bytes:
    """A Notation JWS envelope, ES384, x5c leaf → intermediate → root."""
    protected: dict[str, Any] = {
        "alg": "ES384", "cty": "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": signing_time.isoformat().replace("+00:00", "Z"),
        "crit": ["io.cncf.notary.signingScheme"]}
    if plugin:
        protected["io.cncf.notary.verificationPlugin"] = "com.amazonaws.signer.notation.plugin"
        protected["crit"].append("io.cncf.notary.verificationPlugin")
    if expiry is not None:
        protected["io.cncf.notary.expiry"] = expiry.isoformat().replace("+00:00", "Z")
        protected["crit"].append("io.cncf.notary.expiry")
    payload = canonical({"targetArtifact": {"mediaType": OCI_MANIFEST, "digest": image_digest,
                                            "size": 100}})
    head, body = _b64url(canonical(protected)), _b64url(payload)
    der = ca.leaf_key.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    if tamper:
        body = _b64url(payload.replace(b'"size":100', b'"size":101'))
    chain = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
             for c in (ca.leaf, ca.inter, ca.root)]
    return canonical({"payload": body, "protected": head,
                      "header": {"x5c": chain, "io.cncf.notary.signingAgent": "test"},
                      "signature": _b64url(r.to_bytes(48, "big") + s.to_bytes(48, "big"))})


def notation_referrer(image: Image, envelope: bytes
                      ) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    return _referrer(image, "application/vnd.cncf.notary.signature", "application/jose+json",
                     envelope)


# ---- the four images of the issue --------------------------------------------------------

def debian_like(**kw: Any) -> Image:
    return Image([[
        File("etc", kind="dir"), File("bin", kind="dir"),
        File("etc/os-release", b'ID=debian\nVERSION_ID="13"\nPRETTY_NAME="Debian GNU/Linux 13"\n',
             0o644),
        File("bin/bash", b"\x7fELF"), File("bin/sh", kind="symlink", link="bash"),
        File("bin/su", b"\x7fELF", 0o4755),
        File("usr/bin/apt", b"\x7fELF"), File("usr/bin/curl", b"\x7fELF"),
        File("var/lib/dpkg/status", dpkg_status("bash", "apt", "curl", "login", "libc6"), 0o644),
    ], [File("app", b"\x7fELF")]], **kw)


def alpine_like(**kw: Any) -> Image:
    return Image([[
        File("etc/os-release", b"ID=alpine\nVERSION_ID=3.22.2\nPRETTY_NAME=\"Alpine Linux "
             b"v3.22\"\n", 0o644),
        File("bin/busybox", b"\x7fELF"), File("bin/sh", kind="symlink", link="/bin/busybox"),
        File("sbin/apk", b"\x7fELF"),
        File("lib/apk/db/installed", apk_installed("busybox", "apk-tools", "musl"), 0o644),
    ]], **kw)


def distroless_like(**kw: Any) -> Image:
    kw.setdefault("user", "65532")
    return Image([[
        File("etc/os-release", b'ID=debian\nVERSION_ID="13"\nPRETTY_NAME="Distroless"\n',
             0o644),
        File("var/lib/dpkg/status.d/base-files", dpkg_status("base-files"), 0o644),
        File("var/lib/dpkg/status.d/base-files.md5sums", b"abc  etc/os-release\n", 0o644),
        File("var/lib/dpkg/status.d/tzdata", dpkg_status("tzdata"), 0o644),
        File("app", b"\x7fELF"),
    ]], **kw)


def rpm_like(**kw: Any) -> Image:
    return Image([[
        File("etc/os-release", b'ID="amzn"\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023"\n',
             0o644),
        File("usr/bin/dnf", b"\x7fELF"),
        File("var/lib/rpm/rpmdb.sqlite", rpm_sqlite(("bash", "5.2.15", "1.amzn2023"),
                                                    ("dnf", "4.14.0", "1.amzn2023"),
                                                    ("glibc", "2.34", "52.amzn2023")), 0o644),
    ]], **kw)
