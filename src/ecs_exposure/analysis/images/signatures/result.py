"""What one signature check established, in words a reviewer can audit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking one signature artifact against one image digest."""

    kind: str
    """``cosign (key)``, ``cosign bundle (key)``, ``sigstore keyless`` or ``notation``."""
    verified: bool
    """True only when every check the policy requires passed."""
    detail: str
    """Why it passed or failed."""
    checked: tuple[str, ...] = ()
    """What was actually verified."""
    not_checked: tuple[str, ...] = ()
    """What was not verified (offline limits), always stated."""
    signer: str | None = None
    """Key label, certificate subject or keyless identity."""
