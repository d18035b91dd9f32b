"""Property: a mutated image archive never crashes or hangs the reader.

Small valid archives (every ``docker save`` shape, gzip-compressed ones, OCI layouts whose
layer tar is mutated under valid digests so the layer parser itself is exercised) are
truncated, bit-flipped, or given tar headers that claim huge sizes or other types (pax, GNU
long name, sparse, FIFO). Whatever the mutation, ``load_image`` returns: facts, or errors
whose source is the file, within a short alarm.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.limits import ImageLimits
from ecs_exposure.sources.images.load import load_image
from support.imagebuilder import (
    File,
    Image,
    alpine_like,
    distroless_like,
    docker_save,
    dpkg_status,
    layer_tar,
    oci_layout,
)
from support.timing import deadline

LIMITS = ImageLimits(max_seconds=20, max_inflated_bytes=256 << 20, max_header_bytes=64 << 10,
                     max_entries=10_000, max_file_bytes=1 << 20, max_kept_bytes=4 << 20)
SETTINGS = settings(max_examples=120, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
TYPEFLAGS = [b"x", b"g", b"L", b"K", b"S", b"6", b"3", b"1", b"2", b"5", b"0", b"7", b"Z"]



def _octal_size(size: int) -> bytes:
    if size < 8 ** 11:
        return f"{size:011o}".encode() + b"\0"
    return b"\x80" + size.to_bytes(11, "big")            # GNU base-256


def rewrite_header(data: bytearray, offset: int, size: int | None, typeflag: bytes | None
                   ) -> None:
    """Give the header at ``offset`` another size and/or type, with a valid checksum."""
    if offset + 512 > len(data):
        return
    if size is not None:
        data[offset + 124: offset + 136] = _octal_size(size)
    if typeflag is not None:
        data[offset + 156: offset + 157] = typeflag
    data[offset + 148: offset + 156] = b" " * 8
    checksum = sum(data[offset: offset + 512])
    data[offset + 148: offset + 156] = f"{checksum:06o}".encode() + b"\0 "


def header_offsets(tar_bytes: bytes) -> list[int]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return [member.offset for member in tar.getmembers()]


@dataclass(frozen=True)
class Mutation:
    """Truncate at ``where``, xor the byte at ``where``, or rewrite header ``header``."""

    kind: str
    where: float = 0.0
    xor: int = 0
    header: int = 0
    size: int | None = None
    typeflag: bytes | None = None


mutation = st.one_of(
    st.builds(Mutation, st.just("truncate"), st.floats(0, 1)),
    st.builds(Mutation, st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
    st.builds(Mutation, st.just("header"), header=st.integers(0, 1000),
              size=st.one_of(st.none(), st.sampled_from([0, 1, 511, 513, 1 << 20, 3 << 30,
                                                         (1 << 33) + 7, 1 << 60])),
              typeflag=st.one_of(st.none(), st.sampled_from(TYPEFLAGS))),
)


def mutate(original: bytes, plan: list[Mutation]) -> bytes:
    data = bytearray(original)
    offsets = header_offsets(original)
    for step in plan:
        if step.kind == "truncate":
            del data[int(len(data) * step.where):]
        elif step.kind == "flip" and data:
            data[min(int(len(data) * step.where), len(data) - 1)] ^= step.xor
        elif step.kind == "header":
            rewrite_header(data, offsets[step.header % len(offsets)], step.size, step.typeflag)
    return bytes(data)


@cache
def archives() -> dict[str, bytes]:
    """Small valid archives of every shape, built once."""
    found: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:
        for shape in ("legacy", "v25", "containerd"):
            path = docker_save(Path(folder) / f"{shape}.tar", alpine_like().build(),
                               "app:1", shape)
            found[shape] = path.read_bytes()
    return found


def check(path: Path) -> None:
    ctx = ImageContext()
    with deadline(15):
        errors = load_image(path, ctx, LIMITS)
    assert ctx.facts or errors
    assert all(error.source == str(path) and error.message for error in errors)


@SETTINGS
@given(shape=st.sampled_from(["legacy", "v25", "containerd"]), gzipped=st.booleans(),
       plan=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_archive_loads_or_errors(shape: str, gzipped: bool,
                                         plan: list[Mutation]) -> None:
    data = mutate(archives()[shape], plan)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.tar"
        path.write_bytes(gzip.compress(data, mtime=0) if gzipped else data)
        check(path)


@cache
def base_layer() -> bytes:
    return layer_tar([
        File("etc", kind="dir"),
        File("etc/os-release", b"ID=debian\nVERSION_ID=13\n", 0o644),
        File("opt/" + "long" * 40 + "/tool", b"x"),               # a GNU long name
        File("bin/sh", kind="symlink", link="/bin/bash"), File("bin/bash", b"\x7fELF"),
        File("bin/rbash", kind="hardlink", link="bin/bash"),
        File("var/lib/dpkg/status", dpkg_status("bash", "curl"), 0o644),
        File("usr/.wh.share"), File("opt/.wh..wh..opq"),
    ])


@SETTINGS
@given(compression=st.sampled_from(["gzip", "zstd", "none"]), legacy=st.booleans(),
       plan=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_layer_with_valid_digests_loads_or_errors(
        compression: str, legacy: bool, plan: list[Mutation]) -> None:
    layer = mutate(base_layer(), plan)
    image = Image([], raw_layers=[layer], compression=compression).build()
    with tempfile.TemporaryDirectory() as folder:
        if legacy:
            image.layer_blobs = [(d, raw, raw) for d, _, raw in image.layer_blobs]
            path = docker_save(Path(folder) / "legacy.tar", image, "app:1", "legacy")
        else:
            path = oci_layout(Path(folder) / "layout", image)
        check(path)


def test_unmutated_inputs_load() -> None:
    """The property's base cases are real images (so mutations start from a valid state)."""
    with tempfile.TemporaryDirectory() as folder:
        for shape, data in archives().items():
            (Path(folder) / shape).write_bytes(data)
            ctx = ImageContext()
            assert load_image(Path(folder) / shape, ctx, LIMITS) == []
            assert ctx.facts
        ctx = ImageContext()
        image = Image([], raw_layers=[base_layer()]).build()
        assert load_image(oci_layout(Path(folder) / "layout", image), ctx, LIMITS) == []
        assert {p.name for p in ctx.facts[0].packages} == {"bash", "curl"}
        ctx = ImageContext()
        assert load_image(oci_layout(Path(folder) / "d", distroless_like().build()), ctx) == []
