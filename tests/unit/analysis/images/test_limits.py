"""Hostile images stay bounded: header sizes, kept bytes, repeated blobs, manifests, FIFOs.

Each case is one the adversarial sweep of issue 20 found unbounded. Nothing here writes the
gigabytes an attack claims: headers claim sizes they do not have, zeros are gzip members
concatenated, and caps are lowered through ``ImageLimits`` where the default would need a big
image. Outcomes are asserted (the error names the cap, a count of reads, a peak-RSS bound in a
subprocess), never timings.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

import ecs_exposure
from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.limits import ImageLimits
from ecs_exposure.sources.images.load import load_image, load_images
from support.imagebuilder import (
    OCI_INDEX,
    OCI_MANIFEST,
    File,
    Image,
    alpine_like,
    canonical,
    claimed_header,
    debian_like,
    digest,
    docker_save,
    dpkg_status,
    gzip_zeros_after,
    oci_layout,
)
from support.timing import deadline


def messages(errors: list[Any]) -> str:
    return "\n".join(e.message for e in errors)


# ---- extended tar headers ------------------------------------------------------------------

# Peak RSS of the child's own address space: VmHWM (ru_maxrss would also count the parent
# pytest's RSS at fork, which Linux carries across execve).
_PEAK = """
import json, re, resource, sys
from pathlib import Path
from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.sources.images.load import load_images
errors = load_images(Path(sys.argv[1]), ImageContext())
try:
    status = Path("/proc/self/status").read_text()
    peak = int(re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1))
except (OSError, AttributeError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"errors": [[e.source, e.message] for e in errors], "peak_kib": peak}))
"""


def _load_in_subprocess(folder: Path) -> dict[str, Any]:
    src = str(Path(ecs_exposure.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _PEAK, str(folder)], capture_output=True,
                          text=True, timeout=120, check=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("typeflag,name", [(b"x", "././@PaxHeader"), (b"L", "././@LongLink")])
def test_extended_header_claiming_512_mib_is_refused_in_bounded_memory(
        tmp_path: Path, typeflag: bytes, name: str) -> None:
    """A 0.5 MB layer whose first header claims 512 MiB (and inflates to it): tarfile would
    hold it whole (twice, while joining); the reader stops at max_header_bytes instead."""
    claim = 512
    hostile = gzip_zeros_after(claimed_header(typeflag, claim << 20, name), claim)
    assert len(hostile) < 1 << 20
    folder = tmp_path / "images"
    oci_layout(folder / "bomb", Image([], blob_layers=[hostile]).build())
    oci_layout(folder / "good", alpine_like().build())
    result = _load_in_subprocess(folder)
    assert result["peak_kib"] < 300 * 1024, result
    [(source, message)] = result["errors"]                  # the good image still loaded
    assert source == str(folder / "bomb")
    assert "ImageLimits.max_header_bytes" in message and str(folder / "bomb") in message


@pytest.mark.parametrize("typeflag", [b"g", b"K"])
def test_global_pax_and_long_link_headers_are_capped_too(tmp_path: Path, typeflag: bytes) -> None:
    hostile = gzip_zeros_after(claimed_header(typeflag, 8 << 20), 8)
    root = oci_layout(tmp_path / "bomb", Image([], blob_layers=[hostile]).build())
    errors = load_image(root, ImageContext(), ImageLimits(max_header_bytes=1 << 16))
    assert "ImageLimits.max_header_bytes" in messages(errors)


def test_extended_header_in_the_outer_archive_is_refused(tmp_path: Path) -> None:
    """Same claim as the first member of a gzip-compressed docker save archive."""
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "bomb.tar.gz").write_bytes(gzip_zeros_after(claimed_header(b"x", 64 << 20), 64))
    docker_save(folder / "good.tar", alpine_like().build(), "good:1", "v25")
    ctx = ImageContext()
    with deadline(20):
        errors = load_images(folder, ctx, ImageLimits(max_header_bytes=1 << 16))
    assert len(ctx.facts) == 1
    # the folder scan skips it like any file whose first header is not a tar header
    assert errors == []
    errors = load_image(folder / "bomb.tar.gz", ImageContext(),
                        ImageLimits(max_header_bytes=1 << 16))
    assert "ImageLimits.max_header_bytes" in messages(errors)


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_entry_claiming_more_data_than_the_layer_holds_ends_promptly(
        tmp_path: Path, compression: str) -> None:
    """tarfile skips an entry's data block by block, past the end of the stream: a size field
    of 2**60 in a tiny layer would keep it reading nothing until the time budget ran out."""
    info = tarfile.TarInfo("opt/huge")
    info.size = 1 << 60
    layer = info.tobuf(tarfile.GNU_FORMAT) + b"\0" * 1024
    image = Image([], raw_layers=[layer], compression=compression).build()
    with deadline(10):
        errors = load_image(oci_layout(tmp_path / compression, image), ImageContext())
    assert "tar stream ends inside an entry" in messages(errors)


def test_long_names_within_the_cap_still_read(tmp_path: Path) -> None:
    deep = "opt/" + "/".join(["d" * 200] * 20) + "/tool"             # ~4 KB GNU long name
    image = Image([[File(deep, b"x"), File("bin/sh", b"x")]], compression="none").build()
    ctx = ImageContext()
    assert load_image(oci_layout(tmp_path / "long", image), ctx) == []
    assert deep in ctx.facts[0].all_paths


# ---- totals -------------------------------------------------------------------------------

def test_kept_files_have_a_total_not_only_a_per_file_cap(tmp_path: Path) -> None:
    """Many status.d files, each under the per-file cap, add up past the image total."""
    stanza = dpkg_status(*(f"pkg{i}" for i in range(50)))
    assert 3000 < len(stanza) < 4096
    files = [File(f"var/lib/dpkg/status.d/p{i}", stanza, 0o644) for i in range(10)]
    limits = ImageLimits(max_file_bytes=4096, max_kept_bytes=20_000)
    errors = load_image(oci_layout(tmp_path / "many", Image([files]).build()), ImageContext(),
                        limits)
    assert "ImageLimits.max_kept_bytes" in messages(errors)


def test_replaced_package_database_frees_its_share_of_the_total(tmp_path: Path) -> None:
    """An rpm image rewrites its database in every layer: only the live copy counts."""
    stanza = dpkg_status(*(f"pkg{i}" for i in range(50)))
    layers = [[File("var/lib/dpkg/status", stanza, 0o644)] for _ in range(8)]
    ctx = ImageContext()
    limits = ImageLimits(max_file_bytes=4096, max_kept_bytes=10_000)
    assert load_image(oci_layout(tmp_path / "rewrites", Image(layers).build()), ctx,
                      limits) == []
    assert len(ctx.facts[0].packages) == 50


class _CountingZstd:
    """Stands in for ``zstandard.ZstdDecompressor`` and counts the streams it inflates."""

    def __init__(self) -> None:
        self.readers = 0
        self.real = zstandard.ZstdDecompressor

    def __call__(self, *args: Any, **kwargs: Any) -> _CountingZstd:
        return self

    def stream_reader(self, *args: Any, **kwargs: Any) -> Any:
        self.readers += 1
        return self.real().stream_reader(*args, **kwargs)


def test_one_layer_listed_fifty_times_is_inflated_once(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    files = [File("etc/os-release", b"ID=alpine\nVERSION_ID=3.22.2\n", 0o644),
             File("bin/busybox", b"\x7fELF")]
    image = Image([files] * 50, compression="zstd").build()
    assert len({d for d, _, _ in image.layer_blobs}) == 1
    counting = _CountingZstd()
    monkeypatch.setattr(zstandard, "ZstdDecompressor", counting)
    ctx = ImageContext()
    assert load_image(oci_layout(tmp_path / "fifty", image), ctx) == []
    assert counting.readers == 1
    facts = ctx.facts[0]
    assert facts.files["bin/busybox"] == 49                  # replayed at each index
    assert facts.os is not None and facts.os.id == "alpine"


def test_images_sharing_a_layer_read_it_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    base = [File("etc/os-release", b"ID=debian\nVERSION_ID=13\n", 0o644),
            File("var/lib/dpkg/status", dpkg_status("bash"), 0o644)]
    first = Image([base, [File("app1", b"1")]], compression="zstd").build()
    second = Image([base, [File("app2", b"2")]], compression="zstd").build()
    root = oci_layout(tmp_path / "two", first, "one")
    for name, data in second.blobs.items():
        (root / "blobs" / "sha256" / name.split(":")[1]).write_bytes(data)
    index = json.loads((root / "index.json").read_bytes())
    index["manifests"].append({"mediaType": OCI_MANIFEST, "digest": second.digest,
                               "size": len(second.manifest_bytes)})
    (root / "index.json").write_bytes(canonical(index))
    counting = _CountingZstd()
    monkeypatch.setattr(zstandard, "ZstdDecompressor", counting)
    ctx = ImageContext()
    assert load_image(root, ctx) == []
    assert counting.readers == 3                        # base once, each app layer once
    assert [{p.name for p in f.packages} for f in ctx.facts] == [{"bash"}, {"bash"}]


class _CountingLoads:
    """Counts orjson.loads calls on documents of at least ``size`` bytes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.calls = 0
        self.real = orjson.loads

    def __call__(self, data: Any) -> Any:
        if len(data) >= self.size:
            self.calls += 1
        return self.real(data)


def test_index_entries_to_one_manifest_read_it_once(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    image = alpine_like().build()
    manifest = json.loads(image.manifest_bytes)
    manifest["annotations"] = {f"k{i}": "v" * 100 for i in range(2000)}     # ~200 KB
    image.manifest_bytes = canonical(manifest)
    image.blobs[image.digest] = image.manifest_bytes
    root = oci_layout(tmp_path / "repeat", image)
    entry = {"mediaType": OCI_MANIFEST, "digest": image.digest,
             "size": len(image.manifest_bytes)}
    (root / "index.json").write_bytes(canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                                 "manifests": [entry] * 500}))
    counting = _CountingLoads(len(image.manifest_bytes))
    monkeypatch.setattr(orjson, "loads", counting)
    ctx = ImageContext()
    assert load_image(root, ctx) == []
    assert counting.calls == 1 and len(ctx.facts) == 1


def _manifest_json_items(path: Path, items: int, *, compressed: bool) -> Image:
    image = debian_like().build()
    docker_save(path, image, "web:1", "legacy")
    with tarfile.open(path) as tar:
        saved = {m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                 for m in tar.getmembers() if m.isfile()}
    doc = json.loads(saved["manifest.json"])
    saved["manifest.json"] = json.dumps([{**doc[0], "RepoTags": [f"web:{i}"]}
                                         for i in range(items)]).encode()
    with tarfile.open(path, "w:gz" if compressed else "w") as tar:
        for name in ("manifest.json", *sorted(n for n in saved if n != "manifest.json")):
            info = tarfile.TarInfo(name)
            info.size = len(saved[name])
            tar.addfile(info, io.BytesIO(saved[name]))
    return image


def test_manifest_json_items_sharing_a_config_read_it_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = _manifest_json_items(tmp_path / "tags.tar.gz", 500, compressed=True)
    counting = _CountingLoads(len(image.config_bytes))
    monkeypatch.setattr(orjson, "loads", counting)
    ctx = ImageContext()
    assert load_image(tmp_path / "tags.tar.gz", ctx) == []
    assert len(ctx.facts) == 1 and len(ctx.facts[0].refs) == 500
    assert counting.calls == 2                    # manifest.json and the config, once each


def test_too_many_manifest_json_items_is_an_error(tmp_path: Path) -> None:
    _manifest_json_items(tmp_path / "items.tar", 2000, compressed=False)
    errors = load_image(tmp_path / "items.tar", ImageContext())
    assert "more than 1,000 manifests" in messages(errors)
    assert "ImageLimits.max_manifests" in messages(errors)


# ---- the other caps, each named when hit ----------------------------------------------------

@pytest.mark.parametrize("limits,field", [
    (ImageLimits(max_seconds=0), "max_seconds"),
    (ImageLimits(max_metadata_total=100), "max_metadata_total"),
    (ImageLimits(max_metadata_bytes=100), "max_metadata_bytes"),
    (ImageLimits(max_manifests=0), "max_manifests"),
    (ImageLimits(max_header_bytes=512), "max_header_bytes"),
])
def test_each_cap_is_an_error_naming_it(tmp_path: Path, limits: ImageLimits,
                                        field: str) -> None:
    deep = "opt/" + "/".join(["d" * 200] * 100) + "/tool"             # a 20 KB long name
    image = Image([[File(deep, b"x")]], compression="none").build()
    errors = load_image(oci_layout(tmp_path / field, image), ImageContext(), limits)
    assert f"ImageLimits.{field}" in messages(errors)
    assert all(e.source == str(tmp_path / field) for e in errors)


def test_nested_indexes_deeper_than_the_cap_are_an_error(tmp_path: Path) -> None:
    image = alpine_like().build()
    root = oci_layout(tmp_path / "nested", image)
    child: dict[str, Any] = {"mediaType": OCI_MANIFEST, "digest": image.digest,
                             "size": len(image.manifest_bytes)}
    for _ in range(6):
        nested = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [child]})
        (root / "blobs" / "sha256" / digest(nested).split(":")[1]).write_bytes(nested)
        child = {"mediaType": OCI_INDEX, "digest": digest(nested), "size": len(nested)}
    (root / "index.json").write_bytes(canonical({"schemaVersion": 2, "manifests": [child]}))
    assert "ImageLimits.max_manifest_depth" in messages(load_image(root, ImageContext()))


# ---- only regular files are opened ----------------------------------------------------------

@pytest.mark.parametrize("which", ["layer", "manifest", "index.json"])
def test_fifo_in_a_layout_is_an_error_not_a_hang(tmp_path: Path, which: str) -> None:
    image = alpine_like().build()
    root = oci_layout(tmp_path / which, image)
    target = {"layer": image.layer_blobs[0][0], "manifest": image.digest}.get(which)
    path = root / "blobs" / "sha256" / target.split(":")[1] if target else root / which
    path.unlink()
    os.mkfifo(path)
    with deadline(10):
        errors = load_image(root, ImageContext())
    assert "not a regular file" in messages(errors) or (
        which == "index.json" and "neither index.json" in messages(errors))


def test_fifo_in_the_images_folder_is_skipped_and_a_fifo_argument_refused(
        tmp_path: Path) -> None:
    folder = tmp_path / "images"
    oci_layout(folder / "good", alpine_like().build())
    os.mkfifo(folder / "pipe.tar")
    ctx = ImageContext()
    with deadline(10):
        assert load_images(folder, ctx) == []
        errors = load_image(folder / "pipe.tar", ImageContext())
    assert len(ctx.facts) == 1
    assert "not a regular file" in messages(errors)


def test_symlinked_blob_to_a_device_is_refused(tmp_path: Path) -> None:
    image = alpine_like().build()
    root = oci_layout(tmp_path / "dev", image)
    blob = root / "blobs" / "sha256" / image.layer_blobs[0][0].split(":")[1]
    blob.unlink()
    blob.symlink_to("/dev/zero")
    with deadline(10):
        errors = load_image(root, ImageContext())
    assert "outside the layout" in messages(errors)
