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

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType

from ecs_exposure.analysis.images.context import task_arch
from ecs_exposure.analysis.images.evaluate import Check, evaluate
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.containers import ROOT_USER
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.detectors.util import container_name, containers
from ecs_exposure.detectors.vulnerabilities import END_OF_LIFE
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Trait
from ecs_exposure.settings import ScanMemo

_WA = "WA SEC06-BP02"
UNTRUSTED = TraitSpec(
    "untrusted-registry", "Image from an untrusted registry", "image", True,
    "The image's registry is not in the policy's trusted list (default: the private ECR "
    "registries of the scanned accounts and public.ecr.aws).", (_WA, "CIS Docker 4.2"),
    controls=(ref.WA_TRUSTED_REGISTRIES, ref.WA_PRIVATE_REGISTRIES, ref.NIST_UNTRUSTED_IMAGES),
    guidance=Guidance(
        why=(
            "An image pulled from a registry you do not control can be changed, "
            "replaced or removed by someone else at any time, and may be a look-alike "
            "of the image you meant to use; nothing guarantees it was scanned."
        ),
        change=(
            "Copy the image into a private Amazon ECR repository (for example with a "
            "pull-through cache rule), scan it there, and set "
            "`containerDefinitions[].image` to the ECR URI pinned by digest in a new "
            "task definition revision, then `update-service`."
        ),
        contain=(
            "Reference the external image by `@sha256:` digest, verify its signature "
            "before deployment, and add the registry to the policy's trusted list only "
            "after review."
        ),
        references=(ref.WA_HARDENED_IMAGES, ref.ECR_PULL_THROUGH, ref.ECS_CONTAINER_SECURITY),
    ),
)
MUTABLE = TraitSpec(
    "mutable-image-reference", "Mutable image reference", "image", True,
    "The image is referenced by tag, not digest, and its repository allows tag overwrites "
    "(ECR imageTagMutability MUTABLE, or unknown); latest or no tag is worse.",
    (_WA, "CSPM ECR.2"),
    controls=(ref.ECR_2, ref.WA_VERIFIED_SIGNATURES, ref.NIST_STALE_IMAGES),
    guidance=Guidance(
        why=(
            "A tag in a repository that allows overwrites can be moved to a different "
            "image, so whoever can push to the repository decides what the next "
            "deployment or scale-out runs, and `latest` hides which build is live."
        ),
        change=(
            "Reference the image by digest (`repository@sha256:...`) in "
            "`containerDefinitions[].image`, and set the ECR repository to "
            "`imageTagMutability: IMMUTABLE` with `put-image-tag-mutability`."
        ),
        contain=(
            "Restrict `ecr:PutImage` on the repository to the build pipeline's role so "
            "only it can move the tag, and never deploy `latest` or an untagged image."
        ),
        references=(
            ref.ECR_2.url,
            ref.ECR_TAG_MUTABILITY,
            ref.ECS_CONTAINER_SECURITY,
        ),
    ),
)
UNSIGNED = TraitSpec(
    "unverified-signature", "No verified image signature", "image", True,
    "No signature verified for the image digest under the policy's keys or identities "
    "(cosign key or keyless bundle, Notation/AWS Signer).", (_WA, "CIS Docker 4.5"),
    controls=(ref.WA_VERIFIED_SIGNATURES, ref.NIST_UNTRUSTED_IMAGES),
    needs=("signature-policy",),
    guidance=Guidance(
        why=(
            "Without a verified signature nothing proves the running image came from "
            "your build pipeline, so an image altered in the registry or pushed with "
            "stolen credentials would run unnoticed."
        ),
        change=(
            "Sign images when they are built (Amazon ECR managed signing with AWS "
            "Signer, or Notation or cosign) and verify the signature for the image "
            "digest in the deployment pipeline or an ECS deployment lifecycle hook "
            "before `update-service` rolls out the new revision."
        ),
        contain=(
            "Deploy by digest only while signing is not yet in place, keep tags "
            "immutable, and allow only the build role to push to the repository."
        ),
        references=(ref.ECR_SIGNING, ref.WA_SOFTWARE_INTEGRITY),
    ),
)
UNSCANNED = TraitSpec(
    "unscanned-image", "Image not (recently) scanned", "image", True,
    "No scan result for the digest, or the newest is older than the policy's limit; or the "
    "ECR repository has neither scan-on-push nor continuous scanning.",
    (_WA, "CSPM ECR.1", "CIS Docker 4.4"),
    controls=(ref.ECR_1, ref.WA_SCAN_AND_REBUILD, ref.NIST_IMAGE_VULNERABILITIES),
    guidance=Guidance(
        why=(
            "An image with no recent scan may carry known vulnerabilities or malicious "
            "packages that nobody has looked for, so the service's real exposure is "
            "unknown."
        ),
        change=(
            "Turn on Amazon Inspector enhanced scanning with continuous scanning for "
            "the registry (`put-registry-scanning-configuration`), or at least "
            "`imageScanningConfiguration.scanOnPush: true` on the repository, and scan "
            "in the build pipeline before the image is pushed."
        ),
        contain=(
            "Run your own scanner on the exact digest in the pipeline for images ECR "
            "cannot scan, keep the result with the build, and rescan on a schedule."
        ),
        references=(
            ref.ECR_1.url,
            ref.ECR_SCANNING,
            ref.INSPECTOR_ECR,
        ),
    ),
)
STALE = TraitSpec(
    "stale-image", "Stale image", "image", True,
    "The image was built (config created) or pushed longer ago than the policy's limit "
    "(default 90 days).", (_WA, "CIS Docker 4.4"),
    controls=(ref.WA_SCAN_AND_REBUILD, ref.NIST_STALE_IMAGES),
    needs=("image-metadata",),
    guidance=Guidance(
        why=(
            "An image built long ago lacks every fix published since, both in its base "
            "image and in its dependencies, and usually collects known "
            "vulnerabilities quietly."
        ),
        change=(
            "Rebuild the image on a schedule from a current base image, push it, "
            "register a new task definition revision with the new digest, and "
            "`update-service`."
        ),
        contain=(
            "Keep continuous scanning on a validated build that must stay frozen, and "
            "record an exception with a review date."
        ),
        references=(ref.WA_HARDENED_IMAGES, ref.ECS_CONTAINER_SECURITY),
    ),
)
PACKAGES = TraitSpec(
    "unnecessary-packages", "Unnecessary packages in the image", "image", True,
    "The image holds a shell, package manager, compiler, downloader, remote-access, network "
    "or debug tool, sudo/su, or setuid/setgid files, not allowed for it by the policy.",
    (_WA, "CIS Docker 4.3", "CIS Docker 4.8"),
    controls=(ref.WA_MINIMAL_PACKAGES, ref.NIST_IMAGE_CONFIGURATION),
    needs=("image-contents",),
    guidance=Guidance(
        why=(
            "Shells, package managers, compilers, `curl`/`wget`/`nc`, `sudo` and SSH "
            "servers give an attacker who gets code execution ready tools to download "
            "payloads and move on, and setuid/setgid binaries offer a way to root "
            "inside the container."
        ),
        change=(
            "Use a multi-stage build that copies only the runtime artifacts into a "
            "minimal, distroless or `scratch` base image, drop the package manager, "
            "and strip setuid/setgid bits (`chmod a-s`) in the Dockerfile."
        ),
        contain=(
            "Run the container that keeps the tool as a non-root `user` with "
            "`readonlyRootFilesystem: true` and dropped capabilities, and use ECS Exec "
            "temporarily for debugging instead of shipping an SSH server."
        ),
        references=(ref.WA_HARDENED_IMAGES, ref.ECS_CONTAINER_SECURITY, ref.CIS_DOCKER),
    ),
)
EOL_OS = END_OF_LIFE
"""One catalog entry for both sources of the verdict: scanner data and the image's os-release."""

CHECKS: Mapping[Check, TraitSpec] = MappingProxyType({
    "registry": UNTRUSTED, "reference": MUTABLE, "signature": UNSIGNED, "scan": UNSCANNED,
    "age": STALE, "packages": PACKAGES, "os": EOL_OS, "user": ROOT_USER,
})
"""The trait each check of :mod:`ecs_exposure.analysis.images.evaluate` fires (``user`` only in
``ecs-exposure image``: in a scan the container definition decides, see ``root-user``)."""


def reports_covering(inventory: Inventory, memo: ScanMemo) -> Callable[[str], list[str]]:
    """:meth:`Inventory.reports_covering`, once per image in a scan: the image checks (per
    CPU) and the coverage both ask, and matching a reference to the reports is not cheap."""
    table: dict[str, list[str]] = memo.table("images.reports-covering")

    def covering(image: str) -> list[str]:
        found = table.get(image)
        if found is None:
            found = table[image] = inventory.reports_covering(image)
        return found

    return covering


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
                          reports_covering=reports_covering(ctx.inventory, ctx.memo))
        if result is None:
            continue
        name = container_name(container, index)
        # The same facts for every container on this image: one tuple, not one per trait
        # (a 50,000-service scan lists these contextual traits for each of 150,000 containers).
        table: dict[tuple[int, str], tuple[tuple[tuple[str, object], ...], ...]] = \
            ctx.memo.table("images.extras")
        extras = table.get((id(result), image))
        if extras is None:      # the memo holds the evaluation, so its id stays its own
            extras = table[(id(result), image)] = tuple(
                (("image", image), *verdict.facts) for verdict in result.verdicts)
        for verdict, extra in zip(result.verdicts, extras, strict=True):
            spec = CHECKS[verdict.check]
            if verdict.repository is not None:
                pointer = ("/imageTagMutability" if spec is MUTABLE
                           else "/imageScanningConfiguration")
                yield ctx.trait(spec.id, pointer, verdict.detail, container=name,
                                resource=verdict.repository, extra=extra)
            else:
                yield ctx.trait(spec.id, f"/containerDefinitions/{index}/image",
                                verdict.detail, container=name, extra=extra)
