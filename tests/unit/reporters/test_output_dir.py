"""Output folders are written without following anything below them (``scan --output-dir``
and ``fix --out``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.reporters import output_dir
from ecs_exposure.reporters.output_dir import OutputDir, OutputError


def test_files_and_folders_are_written_and_recorded(tmp_path: Path) -> None:
    with OutputDir(tmp_path / "new" / "out") as out:
        out.write_text("a/b/c.txt", "hello")
        out.write_bytes("top.bin", b"\x00\x01")
        out.write_text("a/b/c.txt", "again")                    # replaced, not appended
    assert (tmp_path / "new" / "out" / "a" / "b" / "c.txt").read_text() == "again"
    assert out.written == {"a/b/c.txt", "top.bin"}
    assert sorted(p.name for p in (tmp_path / "new" / "out").rglob("*")) == [
        "a", "b", "c.txt", "top.bin"]                           # no temporary file left


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text("old")
    with OutputDir(tmp_path) as out, pytest.raises(RuntimeError):
        with out.open_binary("r.json") as handle:
            handle.write(b"half")
            raise RuntimeError("render failed")
    assert (tmp_path / "r.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize("relative", ["link.txt", "sub/link.txt"])
def test_a_link_where_a_file_goes_is_refused(tmp_path: Path, relative: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out_path = tmp_path / "out"
    (out_path / "sub").mkdir(parents=True)
    (out_path / relative).symlink_to(victim)
    with OutputDir(out_path) as out, pytest.raises(OutputError, match="is a symbolic link"):
        out.write_text(relative, "x")
    assert victim.read_text() == "precious"


def test_a_link_where_a_folder_goes_is_refused_at_any_depth(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out" / "a").mkdir(parents=True)
    (tmp_path / "out" / "a" / "b").symlink_to(outside, target_is_directory=True)
    with OutputDir(tmp_path / "out") as out:
        with pytest.raises(OutputError, match=r"out/a/b: is a symbolic link or not a folder"):
            out.write_text("a/b/c/d.txt", "x")
    assert list(outside.iterdir()) == []


def test_where_folders_cannot_be_opened_relative_to_a_descriptor_paths_are_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The path-by-path fallback (Windows) refuses the same links."""
    monkeypatch.setattr(output_dir, "_AT_SUPPORTED", False)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "out" / "a").mkdir(parents=True)
    (tmp_path / "out" / "a" / "f.txt").symlink_to(victim)
    (tmp_path / "out" / "linked").symlink_to(tmp_path, target_is_directory=True)
    with OutputDir(tmp_path / "out") as out:
        out.write_text("a/g.txt", "ok")
        for relative in ("a/f.txt", "linked/x.txt"):
            with pytest.raises(OutputError, match="is a symbolic link"):
                out.write_text(relative, "x")
    assert victim.read_text() == "precious" and (tmp_path / "out" / "a" / "g.txt").exists()
    assert not (tmp_path / "x.txt").exists()


def test_a_fifo_or_folder_where_a_file_goes_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "dir.json").mkdir()
    with OutputDir(tmp_path) as out:
        for name in ("pipe.json", "dir.json"):
            with pytest.raises(OutputError, match="is not a regular file"):
                out.write_text(name, "x")


def test_the_folder_itself_may_be_a_link_the_user_chose(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "chosen").symlink_to(real, target_is_directory=True)
    with OutputDir(tmp_path / "chosen") as out:
        out.write_text("x.txt", "ok")
    assert (real / "x.txt").read_text() == "ok"


def test_existing_lists_links_without_following_them(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s")
    out_path = tmp_path / "out"
    (out_path / "a").mkdir(parents=True)
    (out_path / "a" / "f.txt").write_text("f")
    (out_path / "linked").symlink_to(outside, target_is_directory=True)
    with OutputDir(out_path) as out:
        assert out.existing() == (["a/f.txt", "linked"], False)
        listed, truncated = out.existing(limit=1)
        assert len(listed) == 1 and truncated


def test_scan_output_dir_does_not_write_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "result.json").symlink_to(victim)
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json,csv",
                                       "--output-dir", str(out)])
    assert result.exit_code == 2
    assert "result.json: is a symbolic link" in result.output
    assert victim.read_text() == "precious"
    (out / "result.json").unlink()
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json,csv",
                                       "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["result.json", "traits.csv"]
