"""ECR: settings of the repositories the services pull from, and details of the images in use.

Images are read from the container definitions (by tag or digest) and from running tasks (the
digest actually running). Only private ECR images are looked up, in the registry and region
their URI names. Calls per region (R repositories in use, I_r image references in repository
r; none when no ECR image is used):

  DescribeRepositories ⌈R/100⌉ per registry · DescribeImages Σ ⌈I_r/100⌉
  GetRegistryScanningConfiguration 1 (the account's own registry in this region)

A repository or image the answer leaves out without an error is an error naming it, and the
services pulling from that repository are incomplete.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from botocore.exceptions import ClientError

from ecs_exposure.analysis.shapes import as_dict, as_list
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.api import Api, chunks, unaccounted
from ecs_exposure.sources.aws.state import (
    RegionState,
    repo_dep,
)

_ECR_IMAGE = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repo>[a-z0-9._/-]+?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
BATCH = 100
T = TypeVar("T")


@dataclass(frozen=True)
class ImageRef:
    """A private ECR image reference, parsed from its URI."""

    registry: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def label(self) -> str:
        return repo_dep(f"{self.registry}.dkr.ecr.{self.region}.amazonaws.com/{self.repository}")

    def image_id(self) -> dict[str, str]:
        if self.digest:
            return {"imageDigest": self.digest}
        return {"imageTag": self.tag or "latest"}


def parse_image(uri: str, digest: str | None = None) -> ImageRef | None:
    """``ACCOUNT.dkr.ecr.REGION.amazonaws.com/repo[:tag][@digest]``; ``None`` for other
    registries (Docker Hub, public ECR, …)."""
    found = _ECR_IMAGE.match(uri)
    if found is None:
        return None
    return ImageRef(found["registry"], found["region"], found["repo"], found["tag"],
                    digest or found["digest"])


def images_in_use(state: RegionState) -> list[ImageRef]:
    """Every ECR image reference of the task definitions and running tasks, deduplicated."""
    refs: dict[ImageRef, None] = {}
    for td in state.task_definition_list():
        for container in as_list(td.get("containerDefinitions")):
            image = as_dict(container).get("image")
            ref = parse_image(image) if isinstance(image, str) else None
            if ref is not None:
                refs[ref] = None
                state.image_repositories[str(image)] = ref.label
    for task in state.tasks:
        for container in as_list(task.get("containers")):
            container = as_dict(container)
            image, digest = container.get("image"), container.get("imageDigest")
            if isinstance(image, str):
                ref = parse_image(image, digest if isinstance(digest, str) else None)
                if ref is not None:
                    refs[ref] = None
    return list(refs)


def _batched(call: Callable[[list[T]], Json | None], key: str, items: list[T]) -> list[Json]:
    """Call per batch of 100; a batch failing on a missing item is retried item by item (ECR
    fails the whole call when one name or image id does not exist)."""
    found: list[Json] = []
    for batch in chunks(items, BATCH):
        try:
            responses = [call(list(batch))]
        except ClientError:
            responses = []
            for item in batch:
                try:
                    responses.append(call([item]))
                except ClientError:
                    continue  # deleted since the task definition was registered
        for response in responses:
            if response is not None:
                found.extend(i for i in as_list(response.get(key)) if isinstance(i, dict))
    return found


def _repositories(api: Api, registry: str, labels: dict[str, str],
                  names: list[str]) -> Json | None:
    response = api.call("ecr", "DescribeRepositories", depends=[labels[n] for n in names],
                        quiet=("RepositoryNotFoundException",), registryId=registry,
                        repositoryNames=names)
    if response is not None:
        api.unaccounted_for("ecr", "DescribeRepositories", unaccounted(
            names, response.get("repositories"), "repositoryName", None),
            depends=lambda n: [labels[n]])
    return response


def _image_answered(image_id: Json, details: list[Json]) -> bool:
    """Whether an ``imageDetails`` entry is the image asked for by digest or by tag."""
    if "imageDigest" in image_id:
        return any(d.get("imageDigest") == image_id["imageDigest"] for d in details)
    return any(image_id.get("imageTag") in as_list(d.get("imageTags")) for d in details)


def _images(api: Api, registry: str, name: str, label: str,
            image_ids: list[Json]) -> Json | None:
    response = api.call("ecr", "DescribeImages", depends=[label],
                        quiet=("ImageNotFoundException",), registryId=registry,
                        repositoryName=name, imageIds=image_ids)
    if response is not None:
        details = [d for d in as_list(response.get("imageDetails")) if isinstance(d, dict)]
        api.unaccounted_for("ecr", "DescribeImages", {
            f"{name}@{i.get('imageDigest') or i.get('imageTag')}": "absent from the answer"
            for i in image_ids if not _image_answered(i, details)}, depends=lambda _: [label])
    return response


def collect_ecr(api: Api, state: RegionState) -> None:
    """Repository settings and image details for the ECR images the services use."""
    refs = images_in_use(state)
    if not refs:
        return
    api.status("container images")
    state.attempted.update({"ecr/describe-repositories", "ecr/describe-images"})
    by_registry: dict[tuple[str, str], dict[str, list[ImageRef]]] = defaultdict(dict)
    for ref in refs:
        by_registry[(ref.registry, ref.region)].setdefault(ref.repository, []).append(ref)
    for (registry, region), repos in sorted(by_registry.items()):
        where = api if region == api.region else api.in_region(region)
        labels = {name: images[0].label for name, images in repos.items()}
        found = _batched(partial(_repositories, where, registry, labels), "repositories",
                         sorted(repos))
        state.repositories.extend(found)
        wanted: list[tuple[str, list[Json]]] = []
        for repository in found:
            name = str(repository.get("repositoryName"))
            ids = list({tuple(r.image_id().items()): r.image_id()
                        for r in repos.get(name, [])}.values())
            if ids:
                wanted.append((name, ids))

        def details(job: tuple[str, list[Json]], where: Api = where,
                    registry: str = registry, labels: dict[str, str] = labels) -> list[Json]:
            name, ids = job
            return _batched(partial(_images, where, registry, name, labels[name]),
                            "imageDetails", ids)

        # One repository's images after another's would be a round trip each: a few at once,
        # kept in repository order.
        for images in api.map(details, wanted):
            state.images.extend(images)
    own = by_registry.get((api.account, str(api.region)), {})
    if own:
        response = api.call("ecr", "GetRegistryScanningConfiguration",
                            depends=[images[0].label for images in own.values()])
        if response is not None:
            state.registry_scanning = response
