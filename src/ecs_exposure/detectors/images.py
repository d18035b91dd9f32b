"""Hardened images (Well-Architected SEC06-BP02, CIS Docker 4.x): is every image a service runs
from a trusted registry, pinned, signed, scanned, recent, minimal and on a supported OS?

Example::

    {"containerDefinitions": [{"name": "web", "image": "nginx:latest"}]}

fires ``untrusted-registry`` (Docker Hub is not trusted by default) and
``mutable-image-reference`` (a ``latest`` tag) at ``/containerDefinitions/0/image``. The
traits are contextual: they are listed in the service's finding and gate ``ecs-exposure image``,
but never create a finding alone. The policy (``--policy``) sets what is trusted and required.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.util import container_name, containers
from ecs_exposure.detectors.vulnerabilities import END_OF_LIFE
from ecs_exposure.images.context import task_arch
from ecs_exposure.images.evaluate import evaluate
from ecs_exposure.model import Trait

_WA = "WA SEC06-BP02"
UNTRUSTED = TraitSpec(
    "untrusted-registry", "Image from an untrusted registry", "image", True,
    "The image's registry is not in the policy's trusted list (default: the private ECR "
    "registries of the scanned accounts and public.ecr.aws).", (_WA, "CIS Docker 4.2"))
MUTABLE = TraitSpec(
    "mutable-image-reference", "Mutable image reference", "image", True,
    "The image is referenced by tag, not digest, and its repository allows tag overwrites "
    "(ECR imageTagMutability MUTABLE, or unknown); latest or no tag is worse.",
    (_WA, "CSPM ECR.2"))
UNSIGNED = TraitSpec(
    "unverified-signature", "No verified image signature", "image", True,
    "No signature verified for the image digest under the policy's keys or identities "
    "(cosign key or keyless bundle, Notation/AWS Signer).", (_WA, "CIS Docker 4.5"))
UNSCANNED = TraitSpec(
    "unscanned-image", "Image not (recently) scanned", "image", True,
    "No scan result for the digest, or the newest is older than the policy's limit; or the "
    "ECR repository has neither scan-on-push nor continuous scanning.",
    (_WA, "CSPM ECR.1", "CIS Docker 4.4"))
STALE = TraitSpec(
    "stale-image", "Stale image", "image", True,
    "The image was built (config created) or pushed longer ago than the policy's limit "
    "(default 90 days).", (_WA, "CIS Docker 4.4"))
PACKAGES = TraitSpec(
    "unnecessary-packages", "Unnecessary packages in the image", "image", True,
    "The image holds a shell, package manager, compiler, downloader, remote-access, network "
    "or debug tool, sudo/su, or setuid/setgid files, not allowed for it by the policy.",
    (_WA, "CIS Docker 4.3", "CIS Docker 4.8"))
EOL_OS = END_OF_LIFE
"""One catalog entry for both sources of the verdict: scanner data and the image's os-release."""


@detector("task-definition", UNTRUSTED, MUTABLE, UNSIGNED, UNSCANNED, STALE, PACKAGES, EOL_OS)
def hardened_images(ctx: Context) -> Iterator[Trait]:
    """One evaluation per distinct image reference, shared by every container using it."""
    # Computed once per scan, not once per task definition.
    accounts = ctx.memo.once("images.accounts", ctx.inventory.accounts)
    for index, container in containers(ctx.resource):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            continue
        result = evaluate(image, ctx.inventory.images, ctx.settings, accounts,
                          task_arch(ctx.resource), memo=ctx.memo,
                          reports_covering=ctx.inventory.reports_covering)
        if result is None:
            continue
        name = container_name(container, index)
        for verdict in result.verdicts:
            extra = (("image", image), *verdict.facts)
            if verdict.repository is not None:
                pointer = ("/imageTagMutability" if verdict.trait == MUTABLE.id
                           else "/imageScanningConfiguration")
                yield ctx.trait(verdict.trait, pointer, verdict.detail, container=name,
                                resource=verdict.repository, extra=extra)
            else:
                yield ctx.trait(verdict.trait, f"/containerDefinitions/{index}/image",
                                verdict.detail, container=name, extra=extra)
