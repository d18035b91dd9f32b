"""The per-installation key of secret fingerprints.

A report names a detected credential by a short fingerprint so that two reports can be
compared ("is this the same password?") without showing the value. A plain hash would let
anyone holding a report test guesses offline (hash ``hunter2``, compare), which for a weak
password is as good as printing it. The fingerprint is therefore an HMAC under a random key
that never leaves the installation: fingerprints compare only between reports made with the
same key (one machine, or a team that shares the key file), and nobody without the key can
test a guess.

The key lives in ``$XDG_CONFIG_HOME/ecs-exposure/fingerprint.key`` (the platform's user config
folder, via platformdirs) or in the file named by :data:`KEY_FILE_ENV`, which tests and CI use
to pin it. It is created once, atomically and readable by its owner only (mode 0600); an
existing file is never overwritten. When no key can be read or created (a read-only home, a
damaged file), this run uses a one-time random key and says so on stderr: fingerprints are
then still safe, only not comparable with other runs.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from functools import cache
from pathlib import Path

import platformdirs

KEY_FILE_ENV = "ECS_EXPOSURE_FINGERPRINT_KEY_FILE"
"""Environment variable naming the key file (created there if it does not exist)."""
KEY_BYTES = 32
_MAX_FILE = 4096
"""A key file is 65 bytes; anything larger is not one, and is not read whole."""
_log = logging.getLogger(__name__)


class KeyFileError(ValueError):
    """A key file that exists but does not hold a key: never replaced, since fingerprints made
    with the key it held would silently stop matching."""


def key_path() -> Path:
    """Where the key is: :data:`KEY_FILE_ENV` if set, else the user config folder."""
    configured = os.environ.get(KEY_FILE_ENV)
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_config_path("ecs-exposure") / "fingerprint.key"


def read_key(path: Path) -> bytes:
    """The key in ``path`` (hex text, at least :data:`KEY_BYTES` bytes)."""
    with path.open("rb") as handle:
        data = handle.read(_MAX_FILE + 1)
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise KeyFileError(f"{path} does not hold a hex key") from None
    if len(key) < KEY_BYTES or len(data) > _MAX_FILE:
        raise KeyFileError(f"{path} holds no key of {KEY_BYTES}-{_MAX_FILE // 2} bytes")
    return key


def load_or_create(path: Path) -> bytes:
    """The key in ``path``, created first if there is none. Two processes creating it at once
    agree: each writes a complete private temporary file and links it into place, and the one
    whose link fails reads the winner's key."""
    try:
        return read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".fingerprint-key-")
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:    # mkstemp: mode 0600
            handle.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass                                     # another process created it first
        except OSError:                              # a file system without hard links
            _create_exclusive(path, Path(temporary).read_bytes())
    finally:
        os.unlink(temporary)
    return read_key(path)


def _create_exclusive(path: Path, content: bytes) -> None:
    """Create ``path`` (mode 0600) with ``content`` unless it exists."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


@cache
def installation_key() -> bytes:
    """The key of this installation, read (or created) once per process."""
    path = key_path()
    try:
        return load_or_create(path)
    except (OSError, KeyFileError) as exc:
        _log.warning("ecs-exposure: cannot use the fingerprint key %s (%s); this run uses a "
                     "one-time key, so its secret fingerprints cannot be compared with other "
                     "runs. Set %s to a writable file to fix it.", path,
                     exc.strerror if isinstance(exc, OSError) and exc.strerror else exc,
                     KEY_FILE_ENV)
        return secrets.token_bytes(KEY_BYTES)
