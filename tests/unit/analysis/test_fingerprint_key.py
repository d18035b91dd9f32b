"""The per-installation fingerprint key: where it lives, how it is created, what it refuses."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ecs_exposure.analysis import fingerprint_key
from ecs_exposure.analysis.fingerprint_key import (
    KEY_BYTES,
    KEY_FILE_ENV,
    KeyFileError,
    key_path,
    load_or_create,
    read_key,
)


def test_the_key_is_created_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "config" / "ecs-exposure" / "fingerprint.key"
    key = load_or_create(path)
    assert len(key) == KEY_BYTES and key != bytes(KEY_BYTES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == key.hex() + "\n"
    assert load_or_create(path) == key                          # read back, not replaced
    assert [p.name for p in path.parent.iterdir()] == ["fingerprint.key"]   # no temp file left
    assert load_or_create(tmp_path / "other.key") != key        # random per installation


def test_concurrent_creators_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "fingerprint.key"
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(load_or_create(path)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and read_key(path) == keys[0]


def test_the_location_follows_xdg_and_the_override(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.delenv(KEY_FILE_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert key_path() == tmp_path / "xdg" / "ecs-exposure" / "fingerprint.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "pinned.key"))
    assert key_path() == tmp_path / "pinned.key"


@pytest.mark.parametrize("content", [b"", b"not hex\n", b"00" * 16 + b"\n", b"\xff" * 64,
                                     b"00" * 4096])
def test_a_file_that_holds_no_key_is_refused_and_never_replaced(tmp_path: Path,
                                                                content: bytes) -> None:
    path = tmp_path / "fingerprint.key"
    path.write_bytes(content)
    with pytest.raises(KeyFileError):
        load_or_create(path)
    assert path.read_bytes() == content


def test_an_unusable_key_falls_back_to_a_one_time_key_and_says_so(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "bad.key").write_text("zz\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "bad.key"))
    fingerprint_key.installation_key.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            key = fingerprint_key.installation_key()
    finally:
        fingerprint_key.installation_key.cache_clear()
    assert len(key) == KEY_BYTES
    assert "one-time key" in caplog.text and KEY_FILE_ENV in caplog.text
    assert (tmp_path / "bad.key").read_text() == "zz\n"


def test_two_runs_with_one_key_file_give_the_same_fingerprint(tmp_path: Path) -> None:
    """What the fingerprint is for: the same secret recognised across reports (one key), and
    a different installation (another key) unable to match it."""
    code = ("from ecs_exposure.analysis.secrets import fingerprint; "
            "print(fingerprint('hunter2'))")

    def run(key_file: Path) -> str:
        env = {**os.environ, KEY_FILE_ENV: str(key_file)}
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=True, timeout=60).stdout.strip()

    first, again = run(tmp_path / "a.key"), run(tmp_path / "a.key")
    assert first == again and first.startswith("hmac-sha256:")
    assert run(tmp_path / "b.key") != first
