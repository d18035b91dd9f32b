"""Every blob is verified with its own digest algorithm; docker save layers with diff_ids.

The issue: a ``sha512:`` layer descriptor was read from ``blobs/sha256/`` and never checked,
an unknown algorithm was not refused, and ``docker save`` layers (no descriptor digest) were
never checked against the config's ``rootfs.diff_ids``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.analysis.images import digests
from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.limits import ImageError
from ecs_exposure.sources.images.load import load_image
from support.imagebuilder import (
    OCI_INDEX,
    OCI_MANIFEST,
    File,
    Image,
    alpine_like,
    blob_name,
    canonical,
    debian_like,
    digest,
    docker_save,
    layer_tar,
    oci_layout,
)


def messages(errors: list[Any]) -> str:
    return "\n".join(e.message for e in errors)


def relabel_layers(image: Image, algorithm: str, encoded: str | None = None) -> Image:
    """Describe every layer by an ``algorithm`` digest (``encoded`` overrides the hex)."""
    manifest = json.loads(image.manifest_bytes)
    for desc in manifest["layers"]:
        blob = image.blobs.pop(desc["digest"])
        hexpart = encoded or hashlib.new(algorithm, blob).hexdigest()
        desc["digest"] = f"{algorithm}:{hexpart}"
        image.blobs[desc["digest"]] = blob
    del image.blobs[image.digest]
    image.manifest_bytes = canonical(manifest)
    image.blobs[image.digest] = image.manifest_bytes
    return image


def test_sha512_layer_is_read_from_its_own_folder_and_verified(tmp_path: Path) -> None:
    image = relabel_layers(alpine_like().build(), "sha512")
    root = oci_layout(tmp_path / "sha512", image)
    assert not any((root / "blobs" / "sha256").glob(f"{'?' * 128}"))
    ctx = ImageContext()
    assert load_image(root, ctx) == []
    assert {p.name for p in ctx.facts[0].packages} == {"busybox", "apk-tools", "musl"}


def test_tampered_sha512_layer_is_an_error(tmp_path: Path) -> None:
    image = relabel_layers(alpine_like().build(), "sha512")
    root = oci_layout(tmp_path / "evil", image)
    [name] = [n for n in image.blobs if n.startswith("sha512:")]
    evil = gzip.compress(layer_tar([File("bin/busybox", b"evil")]), mtime=0)
    (root / blob_name(name)).write_bytes(evil)
    (root / "blobs" / "sha256" / name.split(":")[1]).write_bytes(evil)   # where it was read
    errors = load_image(root, ImageContext())
    assert "does not match its digest" in messages(errors)


@pytest.mark.parametrize("name,problem", [
    ("md5:" + "0" * 32, "unsupported digest algorithm 'md5'"),
    ("blake3:" + "0" * 64, "unsupported digest algorithm 'blake3'"),
    ("sha256:" + "A" * 64, "malformed sha256 digest"),
    ("sha256:" + "0" * 63, "malformed sha256 digest"),
    ("sha256:../../../etc/" + "0" * 50, "malformed sha256 digest"),
])
def test_unknown_or_malformed_layer_digest_is_refused(tmp_path: Path, name: str,
                                                      problem: str) -> None:
    image = alpine_like().build()
    algorithm, _, encoded = name.partition(":")
    relabel_layers(image, "sha256", "0" * 64)
    manifest = json.loads(image.manifest_bytes)
    blob = image.blobs.pop(manifest["layers"][0]["digest"])
    manifest["layers"][0]["digest"] = name
    del image.blobs[image.digest]
    image.manifest_bytes = canonical(manifest)
    image.blobs[image.digest] = image.manifest_bytes
    root = oci_layout(tmp_path / "unknown", image)
    if "/" not in encoded:
        for folder in {algorithm, "sha256"}:                  # wherever a reader might look
            (root / "blobs" / folder).mkdir(parents=True, exist_ok=True)
            (root / "blobs" / folder / encoded).write_bytes(blob)
    errors = load_image(root, ImageContext())
    assert problem in messages(errors)
    assert all(e.source == str(root) for e in errors)


def test_sha512_manifest_in_the_index_is_verified(tmp_path: Path) -> None:
    image = alpine_like().build()
    root = oci_layout(tmp_path / "index512", image)
    name = "sha512:" + hashlib.sha512(image.manifest_bytes).hexdigest()
    (root / "blobs" / "sha512").mkdir()
    (root / blob_name(name)).write_bytes(image.manifest_bytes)
    (root / "index.json").write_bytes(canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                                 "manifests": [{
                                                     "mediaType": OCI_MANIFEST, "digest": name,
                                                     "size": len(image.manifest_bytes)}]}))
    ctx = ImageContext()
    assert load_image(root, ctx) == []
    assert ctx.facts[0].digests == [name]
    (root / blob_name(name)).write_bytes(image.manifest_bytes + b" ")
    errors = load_image(root, ImageContext())
    assert "does not match its digest" in messages(errors)


def test_digest_helpers() -> None:
    data = b"layer"
    for algorithm in ("sha256", "sha512"):
        name = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
        assert digests.of(data, name) and not digests.of(data + b"!", name)
        assert digests.blob_path(name) == f"blobs/{algorithm}/{name.split(':')[1]}"
    with pytest.raises(ImageError, match="unsupported digest algorithm"):
        digests.hasher("sha1:" + "0" * 40)
    with pytest.raises(ImageError, match="malformed digest"):
        digests.split("no-colon")


# ---- docker save: rootfs.diff_ids -----------------------------------------------------------

def test_docker_save_layer_not_matching_its_diff_id_is_an_error(tmp_path: Path) -> None:
    image = debian_like().build()
    evil = layer_tar([File("app", b"\x7fELF evil")])
    image.layer_blobs[1] = (image.layer_blobs[1][0], image.layer_blobs[1][1], evil)
    path = docker_save(tmp_path / "evil.tar", image, "web:1", "legacy")
    errors = load_image(path, ImageContext())
    assert "layer 1 content does not match the config's diff_id" in messages(errors)


def test_docker_save_diff_id_is_checked_on_the_uncompressed_stream(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A gzip layer.tar still matches its diff_id (the digest of the uncompressed tar), and the
    check hashes the stream the squash reads: each layer is inflated once."""
    image = debian_like().build()
    image.layer_blobs = [(d, b, gzip.compress(raw, mtime=0)) for d, b, raw in image.layer_blobs]
    path = docker_save(tmp_path / "gz.tar", image, "web:1", "legacy")
    opened = []
    real = gzip.GzipFile

    def counting(*args: Any, **kwargs: Any) -> gzip.GzipFile:
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(gzip, "GzipFile", counting)
    ctx = ImageContext()
    assert load_image(path, ctx) == []
    assert "curl" in {p.name for p in ctx.facts[0].packages}
    assert len(opened) == len(image.layer_blobs)


def test_docker_save_without_diff_ids_is_refused(tmp_path: Path) -> None:
    image = debian_like().build()
    config = json.loads(image.config_bytes)
    config["rootfs"]["diff_ids"] = config["rootfs"]["diff_ids"][:1]
    image.config_bytes = canonical(config)
    path = docker_save(tmp_path / "short.tar", image, "web:1", "legacy")
    errors = load_image(path, ImageContext())
    assert "layer 1 has no rootfs.diff_ids entry" in messages(errors)


def test_docker_save_diff_id_of_an_unknown_algorithm_is_refused(tmp_path: Path) -> None:
    image = debian_like().build()
    config = json.loads(image.config_bytes)
    config["rootfs"]["diff_ids"] = ["md5:" + "0" * 32 for _ in config["rootfs"]["diff_ids"]]
    image.config_bytes = canonical(config)
    path = docker_save(tmp_path / "md5.tar", image, "web:1", "legacy")
    assert "unsupported digest algorithm 'md5'" in messages(load_image(path, ImageContext()))


def test_layer_digest_is_sha256_of_the_blob_not_of_the_name(tmp_path: Path) -> None:
    """Guard against a reader that trusts the file name: same name, other bytes."""
    image = alpine_like().build()
    root = oci_layout(tmp_path / "name", image)
    layer = root / blob_name(image.layer_blobs[0][0])
    layer.write_bytes(layer.read_bytes() + b"\0" * 10)
    assert digest(layer.read_bytes()) != image.layer_blobs[0][0]
    assert "does not match its digest" in messages(load_image(root, ImageContext()))
