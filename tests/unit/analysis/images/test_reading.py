"""Reading images offline: layouts, docker save shapes, layers, whiteouts, package databases."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.facts import ImageFacts
from ecs_exposure.analysis.images.limits import ImageLimits
from ecs_exposure.analysis.images.packages import parse_rpm_header
from ecs_exposure.sources.images.load import load_image, load_images
from support.imagebuilder import (
    File,
    Image,
    alpine_like,
    bdb_packages,
    debian_like,
    distroless_like,
    docker_save,
    layer_tar,
    oci_layout,
    rpm_like,
)


def inspect(path: Path, limits: ImageLimits | None = None) -> ImageFacts:
    ctx = ImageContext()
    errors = load_image(path, ctx, limits)
    assert errors == [], errors
    assert len(ctx.facts) == 1
    return ctx.facts[0]


def names(facts: ImageFacts) -> set[str]:
    return {p.name for p in facts.packages}


def test_debian_like_image(tmp_path: Path) -> None:
    image = debian_like().build()
    facts = inspect(oci_layout(tmp_path / "debian", image, "registry.example/app:1"))
    assert facts.digests == [image.digest]
    assert facts.refs == ["registry.example/app:1"]
    assert facts.user == ""
    assert facts.os is not None and (facts.os.id, facts.os.version_id) == ("debian", "13")
    assert names(facts) == {"bash", "apt", "curl", "login", "libc6"}
    assert {"bin/bash", "bin/sh", "bin/su", "usr/bin/apt", "usr/bin/curl"} <= set(facts.files)
    assert [(p, m) for p, m, _ in facts.setuid] == [("bin/su", 0o4755)]
    assert facts.created is not None and facts.created.year == 2026
    assert facts.env_names == ["PATH"]
    assert facts.history and "apt-get" in facts.history[0]


def test_alpine_like_image(tmp_path: Path) -> None:
    facts = inspect(oci_layout(tmp_path / "alpine", alpine_like().build()))
    assert names(facts) == {"busybox", "apk-tools", "musl"}
    assert {p.manager for p in facts.packages} == {"apk"}
    assert {"bin/busybox", "bin/sh", "sbin/apk"} <= set(facts.files)
    assert facts.os is not None and facts.os.version_id == "3.22.2"


def test_distroless_like_image(tmp_path: Path) -> None:
    facts = inspect(oci_layout(tmp_path / "distroless", distroless_like().build()))
    assert facts.user == "65532"
    assert names(facts) == {"base-files", "tzdata"}        # .md5sums is not a stanza file
    assert {p.database for p in facts.packages} == {"var/lib/dpkg/status.d/base-files",
                                                    "var/lib/dpkg/status.d/tzdata"}
    assert facts.files == {} and facts.setuid == []


def test_rpm_image_sqlite_database(tmp_path: Path) -> None:
    facts = inspect(oci_layout(tmp_path / "rpm", rpm_like().build()))
    assert names(facts) == {"bash", "dnf", "glibc"}         # gpg-pubkey skipped
    bash = next(p for p in facts.packages if p.name == "bash")
    assert (bash.version, bash.manager) == ("5.2.15-1.amzn2023", "rpm")
    assert facts.os is not None and facts.os.id == "amzn"


def test_berkeley_db_rpm_database_reported_unsupported(tmp_path: Path) -> None:
    image = Image([[File("var/lib/rpm/Packages", bdb_packages(), 0o644)]]).build()
    facts = inspect(oci_layout(tmp_path / "el7", image))
    assert facts.packages == []
    assert any("Berkeley DB rpm database is not supported" in n for n in facts.notes)


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_layer_compressions(tmp_path: Path, compression: str) -> None:
    facts = inspect(oci_layout(tmp_path / compression,
                               alpine_like(compression=compression).build()))
    assert "busybox" in names(facts)


def test_whiteouts_and_opaque_directories(tmp_path: Path) -> None:
    image = Image([
        [File("usr/bin/curl", b"x"), File("usr/bin/wget", b"x"), File("opt/tools/gdb", b"x"),
         File("etc/os-release", b"ID=debian\nVERSION_ID=13\n", 0o644)],
        [File("usr/bin/.wh.curl"), File("opt/tools/.wh..wh..opq"), File("opt/tools/keep", b"y"),
         File("bin/sh", b"x")],
        [File("bin/.wh.sh")],
    ]).build()
    facts = inspect(oci_layout(tmp_path / "wh", image))
    assert "usr/bin/curl" not in facts.files and "usr/bin/wget" in facts.files
    assert "opt/tools/gdb" not in facts.all_paths and "opt/tools/keep" in facts.all_paths
    assert "bin/sh" not in facts.files
    assert facts.files["usr/bin/wget"] == 0


def test_later_layer_replaces_package_database(tmp_path: Path) -> None:
    from support.imagebuilder import dpkg_status

    image = Image([[File("var/lib/dpkg/status", dpkg_status("bash", "curl"), 0o644)],
                   [File("var/lib/dpkg/status", dpkg_status("bash"), 0o644)]]).build()
    assert names(inspect(oci_layout(tmp_path / "db", image))) == {"bash"}


def test_merged_usr_symlinks_resolve(tmp_path: Path) -> None:
    image = Image([[File("bin", kind="symlink", link="usr/bin"), File("usr/bin/bash", b"x"),
                    File("etc/os-release", kind="symlink", link="../usr/lib/os-release"),
                    File("usr/lib/os-release", b"ID=debian\nVERSION_ID=13\n", 0o644)]]).build()
    facts = inspect(oci_layout(tmp_path / "merged", image))
    assert "bin/bash" in facts.files
    assert facts.os is not None and facts.os.id == "debian"


@pytest.mark.parametrize("shape", ["legacy", "v25", "containerd"])
def test_docker_save_shapes(tmp_path: Path, shape: str) -> None:
    image = debian_like().build()
    facts = inspect(docker_save(tmp_path / f"{shape}.tar", image, "web:1.4.2", shape))
    assert "curl" in names(facts)
    if shape == "legacy":
        assert facts.digests == [] and "web:1.4.2" in facts.refs
        assert any("legacy docker save" in n for n in facts.notes)
    else:
        assert facts.digests[0] == image.digest
    if shape == "containerd":
        assert len(facts.digests) == 2                       # platform manifest + index


def test_folder_of_images(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    oci_layout(folder / "web", debian_like().build(), "1.0")
    docker_save(folder / "worker.tar", alpine_like().build(), "worker:2", "v25")
    (folder / "notes.txt").write_text("not an image")
    ctx = ImageContext()
    assert load_images(folder, ctx) == []
    assert len(ctx.facts) == 2


def test_tampered_layer_is_an_error(tmp_path: Path) -> None:
    image = alpine_like().build()
    root = oci_layout(tmp_path / "tampered", image)
    layer = root / "blobs" / "sha256" / image.layer_blobs[0][0].split(":")[1]
    import gzip
    layer.write_bytes(gzip.compress(layer_tar([File("bin/busybox", b"evil")])))
    errors = load_image(root, ImageContext())
    assert errors and "does not match its digest" in errors[0].message


def test_path_traversal_members_are_ignored(tmp_path: Path) -> None:
    image = Image([[File("../../etc/evil", b"x"), File("/abs/evil", b"x"),
                    File("bin/sh", b"x")]], compression="none").build()
    facts = inspect(oci_layout(tmp_path / "traversal", image))
    assert any("path traversal" in n for n in facts.notes)
    assert "bin/sh" in facts.files
    assert not any("evil" in p for p in facts.all_paths)
    assert not (tmp_path / "etc" / "evil").exists() and not Path("/abs/evil").exists()


def test_huge_kept_member_is_not_read(tmp_path: Path) -> None:
    image = Image([[File("var/lib/dpkg/status", b"Package: x\n" * 500, 0o644)]]).build()
    facts = inspect(oci_layout(tmp_path / "huge", image), ImageLimits(max_file_bytes=1024))
    assert facts.packages == []
    assert any("above the 1,024-byte cap" in n for n in facts.notes)


def test_truncated_layer_and_garbage_archives_are_errors(tmp_path: Path) -> None:
    image = alpine_like(compression="none").build()
    root = oci_layout(tmp_path / "trunc", image)
    blob = root / "blobs" / "sha256" / image.layer_blobs[0][0].split(":")[1]
    blob.write_bytes(blob.read_bytes()[:700])
    assert load_image(root, ImageContext())
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all" * 100)
    errors = load_image(tmp_path / "junk.tar", ImageContext())
    assert errors and "junk.tar" in errors[0].source
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "neither index.json" in load_image(empty, ImageContext())[0].message


def test_archive_member_traversal_in_outer_tar(tmp_path: Path) -> None:
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("../index.json")
        data = b'{"manifests": []}'
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    errors = load_image(path, ImageContext())
    assert errors and "neither index.json" in errors[0].message


def test_rpm_header_parser_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_rpm_header(b"\x00\x00\x00\x05\x7f\xff\xff\xff" + b"\x00" * 10)
    with pytest.raises(ValueError):
        parse_rpm_header(b"\x00")


def test_whiteout_then_re_add_and_file_replacing_directory(tmp_path: Path) -> None:
    image = Image([
        [File("opt/a/old", b"x"), File("opt/b/inner", b"x"), File("etc/os-release", b"ID=x\n")],
        [File("opt/.wh.a"), File("opt/a/new", b"y"), File("opt/b", b"now a file")],
    ]).build()
    facts = inspect(oci_layout(tmp_path / "readd", image))
    assert "opt/a/new" in facts.all_paths and "opt/a/old" not in facts.all_paths
    assert "opt/b" in facts.all_paths and "opt/b/inner" not in facts.all_paths


@pytest.mark.parametrize("cap,value,message", [
    ("max_inflated_bytes", 2048, "inflates beyond 2,048 bytes"),
    ("max_entries", 3, "more than 3 entries"),
])
def test_decompression_and_member_caps(tmp_path: Path, cap: str, value: int,
                                       message: str) -> None:
    image = Image([[File(f"f{i}", b"\0" * 4096) for i in range(5)]]).build()
    errors = load_image(oci_layout(tmp_path / cap, image), ImageContext(),
                        ImageLimits(**{cap: value}))
    assert errors and message in errors[0].message


def test_archive_with_too_many_members_is_refused(tmp_path: Path) -> None:
    path = docker_save(tmp_path / "many.tar", debian_like().build(), "web:1", "legacy")
    with tarfile.open(path, "a") as tar:
        for i in range(20):
            info = tarfile.TarInfo(f"junk/{i}")
            tar.addfile(info, io.BytesIO(b""))
    errors = load_image(path, ImageContext(), ImageLimits(max_archive_members=10))
    assert errors and "more than 10 entries" in errors[0].message
