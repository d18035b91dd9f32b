"""EFS: the file systems the collected task definitions mount, for their encryption at rest.

Only the file systems named by an ``efsVolumeConfiguration`` are read, one call each (the API
describes one id per call, or every file system of the region, which can be far more).

Calls per region (F distinct file system ids in the task definitions' EFS volumes)::

  DescribeFileSystems F     (a deleted file system answers FileSystemNotFound: it stays
                             unknown, so its volumes are judged unencrypted and named missing)
"""

from __future__ import annotations

from collections.abc import Iterable

from botocore.exceptions import ClientError

from ecs_exposure.analysis.shapes import as_dict, as_list
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.api import Api
from ecs_exposure.sources.aws.state import RegionState, efs_dep


def file_system_ids(task_definitions: Iterable[Json]) -> list[str]:
    """Distinct ``fileSystemId`` values of the task definitions' EFS volumes, in order."""
    found: dict[str, None] = {}
    for td in task_definitions:
        for volume in as_list(as_dict(td).get("volumes")):
            fs_id = as_dict(as_dict(volume).get("efsVolumeConfiguration")).get("fileSystemId")
            if isinstance(fs_id, str) and fs_id:
                found[fs_id] = None
    return list(found)


def collect_file_systems(api: Api, state: RegionState) -> None:
    """``DescribeFileSystems`` for each file system a task definition mounts."""
    ids = file_system_ids(state.task_definition_list())
    if not ids:
        return
    api.status(f"EFS file systems ({len(ids)})")
    state.attempted.add("efs/describe-file-systems")
    for fs_id in ids:
        try:
            response = api.call("efs", "DescribeFileSystems", depends=[efs_dep(fs_id)],
                                quiet=("FileSystemNotFound",), FileSystemId=fs_id)
        except ClientError:
            continue        # deleted since the task definition was registered
        if response is not None:
            state.file_systems.extend(f for f in as_list(response.get("FileSystems"))
                                      if isinstance(f, dict))
