"""Find the images (and the signature artifacts) inside an OCI layout or ``docker save`` output.

Three ``docker save`` shapes exist (images.md §4.1): legacy (``manifest.json`` only), Docker 25+
(an OCI layout plus ``manifest.json``) and the containerd store (a nested index, gzip layers).
``index.json`` is preferred, ``manifest.json`` is the fallback. Manifest digests are computed
from the exact bytes, and every blob read is checked against its descriptor's digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from ecs_exposure.analysis.images.store import ImageError, Store

INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
_MAX_DEPTH = 4
_MAX_MANIFESTS = 1000


@dataclass
class Layer:
    """One layer blob and the digest its descriptor claims."""

    path: str
    digest: str | None
    media_type: str


@dataclass
class ImageEntry:
    """One runnable image (a platform manifest) in the layout."""

    refs: list[str]
    digests: list[str]
    """Manifest digest first, then any index digests that point to it."""
    config: dict[str, Any]
    config_digest: str | None
    layers: list[Layer]
    platform: str = ""


@dataclass
class Artifact:
    """A manifest that is not an image: a cosign signature, a referrer (Notation, bundle)."""

    digest: str
    manifest: dict[str, Any]
    refs: list[str] = field(default_factory=list)


@dataclass
class Layout:
    """Everything found in one store."""

    store: Store
    images: list[ImageEntry]
    artifacts: list[Artifact]
    notes: list[str]

    def read_blob(self, digest: str, limit: int | None = None) -> bytes:
        """A blob by digest, verified against the digest."""
        algorithm, _, hexpart = digest.partition(":")
        if algorithm != "sha256" or not hexpart.isalnum():
            raise ImageError(f"{self.store.label}: unsupported digest {digest!r}")
        path = f"blobs/sha256/{hexpart}"
        data = self.store.read(path) if limit is None else self.store.read(path, limit)
        if hashlib.sha256(data).hexdigest() != hexpart:
            raise ImageError(f"{self.store.label}: blob {digest} does not match its digest")
        return data


def _json(data: bytes, what: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ImageError(f"{what}: invalid JSON: {exc}") from None


def _is_artifact(manifest: dict[str, Any]) -> bool:
    layers = [x for x in manifest.get("layers") or [] if isinstance(x, dict)]
    config = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    assert isinstance(config, dict)
    if manifest.get("artifactType") or manifest.get("subject"):
        return True
    if str(config.get("mediaType", "")).startswith("application/vnd.cncf.notary"):
        return True
    return bool(layers) and all(x.get("mediaType") == SIMPLESIGNING for x in layers)


def _platform(desc: dict[str, Any]) -> str:
    plat = desc.get("platform") if isinstance(desc.get("platform"), dict) else {}
    assert isinstance(plat, dict)
    parts = [plat.get("os"), plat.get("architecture"), plat.get("variant")]
    return "/".join(str(p) for p in parts if p)


def _refs(desc: dict[str, Any]) -> list[str]:
    notes = desc.get("annotations") if isinstance(desc.get("annotations"), dict) else {}
    assert isinstance(notes, dict)
    return [str(notes[k]) for k in (CONTAINERD_NAME, REF_NAME) if isinstance(notes.get(k), str)]


class _Walker:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.seen = 0

    def descriptor(self, desc: dict[str, Any], refs: list[str], parents: list[str],
                   depth: int) -> None:
        digest = desc.get("digest")
        if not isinstance(digest, str) or depth > _MAX_DEPTH:
            return
        self.seen += 1
        if self.seen > _MAX_MANIFESTS:
            raise ImageError(f"{self.layout.store.label}: more than {_MAX_MANIFESTS} manifests")
        try:
            raw = self.layout.read_blob(digest)
        except ImageError as exc:
            self.layout.notes.append(str(exc))
            return
        doc = _json(raw, f"{self.layout.store.label}: {digest}")
        if not isinstance(doc, dict):
            return
        if doc.get("mediaType") in INDEX_TYPES or "manifests" in doc:
            children = [d for d in doc.get("manifests") or [] if isinstance(d, dict)]
            images = [d for d in children if not _attestation(d)]
            for child in images:       # every platform; lookups pick the task's architecture
                self.descriptor(child, refs + _refs(child), [digest, *parents], depth + 1)
            return
        if _is_artifact(doc):
            self.layout.artifacts.append(Artifact(digest, doc, refs))
            return
        self.image(doc, digest, refs, parents, _platform(desc))

    def image(self, manifest: dict[str, Any], digest: str, refs: list[str],
              parents: list[str], platform: str) -> None:
        config_desc = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
        assert isinstance(config_desc, dict)
        config_digest = config_desc.get("digest")
        config: dict[str, Any] = {}
        if isinstance(config_digest, str):
            parsed = _json(self.layout.read_blob(config_digest), f"config {config_digest}")
            config = parsed if isinstance(parsed, dict) else {}
        layers = []
        for desc in manifest.get("layers") or []:
            if isinstance(desc, dict) and isinstance(desc.get("digest"), str):
                hexpart = desc["digest"].partition(":")[2]
                layers.append(Layer(f"blobs/sha256/{hexpart}", desc["digest"],
                                    str(desc.get("mediaType", ""))))
        for entry in self.layout.images:
            if entry.digests[0] == digest:
                entry.refs.extend(r for r in refs if r not in entry.refs)
                return
        self.layout.images.append(ImageEntry(list(dict.fromkeys(refs)), [digest, *parents],
                                             config, config_digest if isinstance(
                                                 config_digest, str) else None,
                                             layers, platform))


def _attestation(desc: dict[str, Any]) -> bool:
    notes = desc.get("annotations") if isinstance(desc.get("annotations"), dict) else {}
    assert isinstance(notes, dict)
    platform = _platform(desc)
    return "vnd.docker.reference.type" in notes or platform == "unknown/unknown" or (
        bool(platform) and not platform.startswith("linux/"))


def _legacy(layout: Layout) -> None:
    """``manifest.json`` of ``docker save``: configs and layer paths, no manifest digest."""
    doc = _json(layout.store.read("manifest.json"), f"{layout.store.label}: manifest.json")
    for item in doc if isinstance(doc, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("Config"), str):
            continue
        raw = layout.store.read(item["Config"])
        config = _json(raw, f"{layout.store.label}: {item['Config']}")
        config_digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        refs = [str(t) for t in item.get("RepoTags") or [] if isinstance(t, str)]
        known = next((e for e in layout.images if e.config_digest == config_digest), None)
        if known is not None:
            known.refs.extend(r for r in refs if r not in known.refs)
            continue
        layers = [Layer(str(p), None, "") for p in item.get("Layers") or [] if isinstance(p, str)]
        layout.images.append(ImageEntry(refs, [], config if isinstance(config, dict) else {},
                                        config_digest, layers))
        layout.notes.append(f"{layout.store.label}: legacy docker save archive: the registry "
                            "manifest digest is not recorded, so the image matches by tag only")


def read_layout(store: Store) -> Layout:
    """Index the images and artifacts of a store (raises ImageError if it holds none)."""
    layout = Layout(store, [], [], [])
    if store.exists("index.json"):
        index = _json(store.read("index.json"), f"{store.label}: index.json")
        walker = _Walker(layout)
        for desc in index.get("manifests") or [] if isinstance(index, dict) else []:
            if isinstance(desc, dict):
                walker.descriptor(desc, _refs(desc), [], 0)
    if store.exists("manifest.json"):
        _legacy(layout)
    if not store.exists("index.json") and not store.exists("manifest.json"):
        raise ImageError(f"{store.label}: neither index.json (OCI layout) nor manifest.json "
                         "(docker save) found")
    return layout
