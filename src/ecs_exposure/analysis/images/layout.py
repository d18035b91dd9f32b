"""Find the images (and the signature artifacts) inside an OCI layout or ``docker save`` output.

Three ``docker save`` shapes exist (images.md §4.1): legacy (``manifest.json`` only), Docker 25+
(an OCI layout plus ``manifest.json``) and the containerd store (a nested index, gzip layers).
``index.json`` is preferred, ``manifest.json`` is the fallback. Manifest digests are computed
from the exact bytes, and every blob read is checked against its descriptor's digest with the
digest's own algorithm. Each distinct manifest and config is read once per load, however often
an index or ``manifest.json`` lists it, and the walk is charged to the load's budget.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from ecs_exposure.analysis.images import digests
from ecs_exposure.analysis.images.limits import ImageError, LimitError
from ecs_exposure.analysis.images.store import Store

INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"


@dataclass
class Layer:
    """One layer blob and the digest its descriptor claims."""

    path: str
    digest: str | None
    media_type: str
    diff_id: str | None = None
    """For a ``docker save`` layer, which has no descriptor digest: the config's
    ``rootfs.diff_ids`` entry, the digest of the uncompressed layer tar."""


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
        """A blob by digest, verified with the digest's own algorithm."""
        try:
            path = digests.blob_path(digest)
        except ImageError as exc:
            raise ImageError(f"{self.store.label}: {exc}") from None
        data = self.store.read(path, limit)
        if not digests.of(data, digest):
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
    """Walks index → manifests once per distinct digest, within the load's budget."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.budget = layout.store.budget
        self.docs: dict[str, Any] = {}
        """Digest → parsed document (``None`` when unreadable, noted once)."""

    def document(self, digest: str) -> Any:
        """A manifest, index or config by digest: read, verified and parsed at most once."""
        if digest in self.docs:
            return self.docs[digest]
        try:
            raw = self.layout.read_blob(digest)
        except LimitError:
            raise
        except ImageError as exc:
            self.layout.notes.append(str(exc))
            self.docs[digest] = None
            return None
        self.docs[digest] = doc = _json(raw, f"{self.layout.store.label}: {digest}")
        return doc

    def descriptor(self, desc: dict[str, Any], refs: list[str], parents: list[str],
                   depth: int) -> None:
        digest = desc.get("digest")
        if not isinstance(digest, str):
            return
        if depth > self.budget.limits.max_manifest_depth:
            raise self.budget.error(f"indexes nested deeper than "
                                    f"{self.budget.limits.max_manifest_depth}",
                                    "max_manifest_depth")
        self.budget.manifest()
        doc = self.document(digest)
        if not isinstance(doc, dict):
            return
        if doc.get("mediaType") in INDEX_TYPES or "manifests" in doc:
            children = [d for d in doc.get("manifests") or [] if isinstance(d, dict)]
            images = [d for d in children if not _attestation(d)]
            for child in images:       # every platform; lookups pick the task's architecture
                self.descriptor(child, refs + _refs(child), [digest, *parents], depth + 1)
            return
        if _is_artifact(doc):
            known = next((a for a in self.layout.artifacts if a.digest == digest), None)
            if known is None:
                self.layout.artifacts.append(Artifact(digest, doc, refs))
            else:
                known.refs.extend(r for r in refs if r not in known.refs)
            return
        self.image(doc, digest, refs, parents, _platform(desc))

    def image(self, manifest: dict[str, Any], digest: str, refs: list[str],
              parents: list[str], platform: str) -> None:
        for entry in self.layout.images:
            if entry.digests[0] == digest:
                entry.refs.extend(r for r in refs if r not in entry.refs)
                return
        config_desc = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
        assert isinstance(config_desc, dict)
        config_digest = config_desc.get("digest")
        config: dict[str, Any] = {}
        if isinstance(config_digest, str):
            if config_digest not in self.docs:
                raw = self.layout.read_blob(config_digest)
                self.docs[config_digest] = _json(raw, f"config {config_digest}")
            parsed = self.docs[config_digest]
            config = parsed if isinstance(parsed, dict) else {}
        layers = []
        for desc in manifest.get("layers") or []:
            if isinstance(desc, dict) and isinstance(desc.get("digest"), str):
                layers.append(Layer(_blob_path(desc["digest"]), desc["digest"],
                                    str(desc.get("mediaType", ""))))
        self.layout.images.append(ImageEntry(list(dict.fromkeys(refs)), [digest, *parents],
                                             config, config_digest if isinstance(
                                                 config_digest, str) else None,
                                             layers, platform))


def _blob_path(digest: str) -> str:
    """Where a layer's blob is; an unsupported digest keeps the digest as its "path" and is
    refused, naming it, when the layer is read."""
    try:
        return digests.blob_path(digest)
    except ImageError:
        return digest


def _attestation(desc: dict[str, Any]) -> bool:
    notes = desc.get("annotations") if isinstance(desc.get("annotations"), dict) else {}
    assert isinstance(notes, dict)
    platform = _platform(desc)
    return "vnd.docker.reference.type" in notes or platform == "unknown/unknown" or (
        bool(platform) and not platform.startswith("linux/"))


def _diff_ids(config: Any) -> list[Any]:
    rootfs = config.get("rootfs") if isinstance(config, dict) else None
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    return ids if isinstance(ids, list) else []


def _legacy(layout: Layout) -> None:
    """``manifest.json`` of ``docker save``: configs and layer paths, no manifest digest.

    Layers carry the config's ``rootfs.diff_ids`` entry, the only digest that vouches for
    their content; each distinct config file is read once however many items name it.
    """
    store = layout.store
    doc = _json(store.read("manifest.json"), f"{store.label}: manifest.json")
    configs: dict[str, tuple[str, Any]] = {}
    for item in doc if isinstance(doc, list) else []:
        store.budget.manifest()
        if not isinstance(item, dict) or not isinstance(item.get("Config"), str):
            continue
        name = item["Config"]
        if name not in configs:
            raw = store.read(name)
            configs[name] = ("sha256:" + hashlib.sha256(raw).hexdigest(),
                             _json(raw, f"{store.label}: {name}"))
        config_digest, config = configs[name]
        refs = [str(t) for t in item.get("RepoTags") or [] if isinstance(t, str)]
        known = next((e for e in layout.images if e.config_digest == config_digest), None)
        if known is not None:
            known.refs.extend(r for r in refs if r not in known.refs)
            continue
        diff_ids = _diff_ids(config)
        paths = [str(p) for p in item.get("Layers") or [] if isinstance(p, str)]
        layers = [Layer(p, None, "", str(diff_ids[i]) if i < len(diff_ids) else None)
                  for i, p in enumerate(paths)]
        layout.images.append(ImageEntry(refs, [], config if isinstance(config, dict) else {},
                                        config_digest, layers))
        layout.notes.append(f"{store.label}: legacy docker save archive: the registry "
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
