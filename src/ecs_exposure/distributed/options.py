"""``--executor``, ``--shards`` and ``--resume``: where units run and where shards go,
checked without importing Dask or boto3 (the command line's ``--help`` pays for neither)."""

from __future__ import annotations

from dataclasses import dataclass

from ecs_exposure.distributed.engine import check_spec
from ecs_exposure.errors import CollectionError

LOCAL = "local"


@dataclass(frozen=True)
class ExecutorOptions:
    """Mirrors the CLI options; the defaults are today's in-process collection."""

    spec: str = LOCAL
    shards: str | None = None
    """Folder or ``s3://bucket/prefix``; ``None``: a temporary folder, removed afterwards."""
    resume: bool = False

    @property
    def distributes(self) -> bool:
        """True when the run goes through units and shards (any engine but plain threads,
        or threads with shards kept)."""
        return self.spec != LOCAL or self.shards is not None

    def check(self) -> None:
        """Reject contradictory options before anything runs."""
        check_spec(self.spec)
        if self.resume and self.shards is None:
            raise CollectionError("--resume needs --shards (the shards of the run to resume)")
        if self.spec.startswith("dask://") and self.shards is None:
            raise CollectionError("--executor dask://… needs --shards: a place every worker "
                                  "can write and this machine can read (an s3:// prefix)")
