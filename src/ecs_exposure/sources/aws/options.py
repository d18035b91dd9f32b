"""What a live collection covers and as whom: the CLI options, without importing boto3.

Kept apart from ``session.py`` so the command line can build and check options (and print
``--help``) without paying for the AWS SDK import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ecs_exposure.errors import CollectionError as CollectionError  # re-exported

DEFAULT_WORKERS = 8
"""Account × region workers running at once: enough to hide latency, few enough to stay under
per-account API rate limits."""

Hook = tuple[str, Callable[..., Any]]
"""A botocore event name and its handler, registered on every session the collector opens."""


@dataclass(frozen=True)
class CollectOptions:
    """What to collect and as whom; mirrors the CLI options."""

    profile: str | None = None
    """Named profile (``--profile``); ``None`` uses the default credential chain."""
    regions: tuple[str, ...] = ()
    """Regions to scan; empty means the configured region, ``("all",)`` every enabled region."""
    role_name: str | None = None
    """Role to assume in each account (``--role-name``)."""
    accounts: tuple[str, ...] = ()
    """Accounts to assume ``role_name`` into (``--account``)."""
    organization: bool = False
    """List the accounts with AWS Organizations (``--organization``)."""
    external_id: str | None = None
    """External ID the role trust policy requires (``--external-id``)."""
    max_workers: int = DEFAULT_WORKERS
    hooks: tuple[Hook, ...] = field(default=())
    """Extra botocore event hooks (instrumentation, tests)."""

    def check(self) -> None:
        """Reject contradictory options before any call is made."""
        if self.accounts and not self.role_name:
            raise CollectionError("--account needs --role-name (the role to assume in it)")
        if self.organization and not self.role_name:
            raise CollectionError("--organization needs --role-name (the role to assume in "
                                  "each member account)")
        if self.organization and self.accounts:
            raise CollectionError("use either --organization or --account, not both")
        if "all" in self.regions and len(self.regions) > 1:
            raise CollectionError("--region all cannot be combined with named regions")
        for account in self.accounts:
            if not (len(account) == 12 and account.isdigit()):
                raise CollectionError(f"--account {account!r} is not a 12-digit account id")
        if self.max_workers < 1:
            raise CollectionError("--max-workers must be at least 1")
