"""What a scan is given besides its inputs: the settings it judges by, and its memo.

Both are passed in explicitly, never stored on the Inventory (which holds inputs and their
indexes) or on the result (which holds data): the same inventory scanned with the same settings
gives the same result, and nothing of one scan leaks into the next.

- :class:`ScanSettings` is built once by the caller (the CLI from its options, a test with a
  fixed clock) and read by whatever needs a setting: the detectors through their context, the
  exposure of image exceptions, the vulnerability assessor.
- :class:`ScanMemo` is created per scan by the pipeline and passed down to everything that
  memoises a result derived from that scan's inventory or settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ecs_exposure.analysis.vulnerabilities.store import DEFAULT_EPSS_THRESHOLD

if TYPE_CHECKING:
    from ecs_exposure.analysis.images.policy import Policy

T = TypeVar("T")


def _default_policy() -> Policy:
    # Imported here: the policy module loads YAML and JSON Schema, which `--help` never needs.
    from ecs_exposure.analysis.images.policy import Policy

    return Policy()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScanSettings:
    """Everything a scan judges by that is not an input: one object, passed in."""

    policy: Policy = field(default_factory=_default_policy)
    """The hardened-image policy (``--policy``): trusted registries, age limits, required
    signatures, forbidden components, extra files to read from images, and the exceptions
    that waive traits until a date."""
    epss_threshold: float = DEFAULT_EPSS_THRESHOLD
    """EPSS probability from which a vulnerability counts as likely to be exploited
    (``--epss-threshold``)."""
    now: datetime = field(default_factory=_now)
    """The scan's one clock (timezone-aware): image and scan ages, signature validity,
    end-of-life dates and the expiry of policy exceptions are all judged at this moment, and
    the result's ``generated_at`` is this moment, so a scan is reproducible by fixing it.
    Defaults to the time the settings were made."""
    intel_dir: Path | None = None
    """Exploit-intelligence cache (EPSS, KEV) read for the kinds no input file supplied
    (``--intel-dir``, else the user's cache); ``None`` reads no cache."""

    @property
    def today(self) -> date:
        """The date of :attr:`now` (UTC): what end-of-life tables and exception expiry use."""
        return self.now.astimezone(UTC).date()

    @classmethod
    def from_options(cls, *, policy: Policy | None = None,
                     epss_threshold: float = DEFAULT_EPSS_THRESHOLD,
                     intel_dir: Path | None = None) -> ScanSettings:
        """The settings of a command-line scan: its options, the user's intel cache unless
        ``--intel-dir`` names another, and the current time."""
        from ecs_exposure.sources.intel import default_intel_dir

        return cls(policy=policy or _default_policy(), epss_threshold=epss_threshold,
                   intel_dir=intel_dir or default_intel_dir())


class ScanMemo(dict[object, Any]):
    """Results derived from one scan's inventory and settings, each computed once per scan.

    A large estate shares a few roles, security groups and images among thousands of task
    definitions; the pipeline creates one memo per scan and passes it to every detector context
    and library that memoises, so each shared resource is analysed once. Keys start with the
    name of the module or detector that owns them (``"network.ports"``, ``"iam.analysis"``).

    The rule for caching anywhere in the scanner:

    - anything that depends on a scan's inputs or settings (a role's analysis, an image's
      verdicts, a vulnerability assessment weighed by the EPSS threshold) lives in this memo,
      never on the Inventory, the result or a module;
    - a module-level cache (``functools.cache``/``lru_cache``) is allowed only for a pure
      function of immutable arguments (parsing a reference string or a CVSS vector, matching
      an IAM pattern) or of read-only package data (the bundled IAM catalog);
    - a cache a single function builds and drops (a renderer's identity memo) is its own
      business.
    """

    def once(self, key: object, compute: Callable[[], T]) -> T:
        """The value memoised under ``key``, computed by ``compute()`` on first use."""
        if key in self:
            found: T = self[key]
            return found
        value = self[key] = compute()
        return value

    def table(self, name: str) -> dict[Any, Any]:
        """The sub-table ``name`` (created empty on first use), for memos keyed per item."""
        found: dict[Any, Any] | None = self.get(name)
        if found is None:
            found = self[name] = {}
        return found
