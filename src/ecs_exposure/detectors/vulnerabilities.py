"""Vulnerabilities of the images containers run, from scanner reports and exploit intelligence.

Each container's image is matched to the reports about it (digest first, then repository +
tag), the same CVE in the same package is counted once however many reports name it, VEX
suppressions are applied, and EPSS/KEV files fill what the scanners left out. Then, per
container:

- ``exploitable-vulnerability``: a network attack vector (CVSS ``AV:N``) and a likely
  exploit: in CISA KEV, a public exploit, or EPSS at or above the threshold (0.1 by default,
  ``--epss-threshold``). ``AV:A``/``AV:L``/``AV:P`` never count, however likely; a
  vulnerability with no vector at all is treated as network-exploitable and flagged as such.
- ``software-vulnerability``: every other counting vulnerability, with counts by severity and
  how many have a fix.
- ``end-of-life-os``: the scanner says the OS is past end of life, or the bundled release
  table does.
- ``malicious-package``: an OSV ``MAL-`` id, CWE-506 or a scanner's malware flag.

Example: a Trivy report for ``web:1.4.2`` listing CVE-2021-44228 (``AV:N``) in
``log4j-core`` plus the KEV catalog as an input fires ``exploitable-vulnerability`` on the
container that runs ``web:1.4.2``, at ``/containerDefinitions/0/image``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from ecs_exposure.analysis.vulnerabilities.store import (
    AssessedVulnerability,
    ImageAssessment,
    assessor,
)
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.detectors.util import container_name, containers
from ecs_exposure.model import Trait

EXPLOITABLE = TraitSpec(
    "exploitable-vulnerability", "Network-exploitable vulnerability likely to be exploited",
    "vulnerability", False,
    "An image the service runs has a vulnerability with CVSS attack vector network that is in "
    "CISA KEV, has a public exploit, or has an EPSS score at or above the threshold (0.1).",
    ("Security Hub: ECS service has a container with network-exploitable software "
     "vulnerabilities with a high likelihood of exploitation",),
    controls=(ref.WA_SCAN_AND_REBUILD, ref.NIST_IMAGE_VULNERABILITIES),
    needs=("vulnerability-reports",),
    weight="high",
    asff_type="Software and Configuration Checks/Vulnerabilities/CVE",
    guidance=Guidance(
        why=(
            "The image contains a vulnerability that can be triggered over the network "
            "and is likely to be exploited (public exploit code, CISA KEV listing or a "
            "high EPSS score), so automated attacks can run code in the container "
            "without any other foothold."
        ),
        change=(
            "Update the affected package to the fixed version the scanner reports, "
            "rebuild and push the image, register a new task definition revision "
            "whose `image` points at the new digest, and `update-service` to replace "
            "the running tasks."
        ),
        contain=(
            "While no fix exists, disable or remove the vulnerable component, block "
            "the attack path with AWS WAF or security-group rules, take the service "
            "off the internet, and keep its task role minimal."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.INSPECTOR_ECR, ref.ECR_SCANNING, ref.CISA_KEV),
    ),
)
SOFTWARE = TraitSpec(
    "software-vulnerability", "Software vulnerabilities", "vulnerability", False,
    "An image the service runs has other known vulnerabilities (counted by severity, with how "
    "many have a fix).",
    ("Security Hub: ECS service has a container with software vulnerabilities",),
    controls=(ref.WA_SCAN_AND_REBUILD, ref.NIST_IMAGE_VULNERABILITIES),
    needs=("vulnerability-reports",),
    asff_type="Software and Configuration Checks/Vulnerabilities/CVE",
    guidance=Guidance(
        why=(
            "Known vulnerabilities that are not yet likely to be exploited still give "
            "an attacker building blocks: they can be chained with another weakness "
            "or become exploitable when public exploit code appears."
        ),
        change=(
            "Rebuild the image on a current base image with updated dependencies, "
            "push it, register a new task definition revision that references the new "
            "digest, and `update-service`; automate the rebuild so fixes arrive "
            "without manual work."
        ),
        contain=(
            "Record a time-bound exception while no fix exists, make sure the "
            "vulnerable code path is not reachable from the network, and keep "
            "continuous scanning on so a new exploit raises the priority."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.INSPECTOR_ECR, ref.ECR_SCANNING),
    ),
)
END_OF_LIFE = TraitSpec(
    "end-of-life-os", "End-of-life operating system", "vulnerability", False,
    "The image's OS release is past end of life (scanner verdict or the bundled release "
    "table): its new vulnerabilities are no longer fixed.",
    ("Security Hub: ECS service has a container with an End-Of-Life operating system",),
    controls=(ref.WA_SCAN_AND_REBUILD, ref.NIST_IMAGE_VULNERABILITIES),
    needs=("image-contents", "vulnerability-reports"),
    guidance=Guidance(
        why=(
            "An operating system past end of life gets no more security fixes and "
            "advisories, so new vulnerabilities stay open forever and scanners may "
            "stop reporting them, which makes a clean scan misleading."
        ),
        change=(
            "Change the Dockerfile `FROM` to a supported release (or a minimal or "
            "distroless base image), rebuild and test, then register a new task "
            "definition revision with the new image digest and `update-service`."
        ),
        contain=(
            "Keep the service off the internet, give it a read-only root file system "
            "and a minimal task role, buy vendor extended support if available, and "
            "set a migration date."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.WA_HARDENED_IMAGES, ref.INSPECTOR_ECR),
    ),
)
MALICIOUS = TraitSpec(
    "malicious-package", "Malicious package", "vulnerability", False,
    "A package in the image is known malicious (an OSV MAL- id, CWE-506 or a scanner flag).",
    ("Security Hub: ECS service has a container with malicious software packages",),
    controls=(ref.WA_SCAN_AND_REBUILD, ref.NIST_EMBEDDED_MALWARE),
    needs=("vulnerability-reports",),
    weight="high",
    guidance=Guidance(
        why=(
            "A malicious package runs the attacker's code by design, with no "
            "vulnerability needed: it can steal the task role's credentials and the "
            "task's secrets, open a backdoor or tamper with data."
        ),
        change=(
            "Treat it as an incident: stop the affected tasks, remove the package from "
            "the dependency manifests and lock files, rebuild from a clean base image "
            "and redeploy, then rotate every secret the task could read and revoke the "
            "task role's active sessions."
        ),
        contain=(
            "It never is; while the clean image is being built, scale the service to "
            "zero or isolate it with a security group that denies all egress, and "
            "review CloudTrail for what the task role did."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.INSPECTOR_ECR, ref.WA_HARDENED_IMAGES),
    ),
)

TOP = 5
"""Vulnerabilities listed in a trait's evidence; the JSON result lists them all."""
SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNKNOWN")


@dataclass(frozen=True, slots=True)
class _Split:
    """An assessment's counting vulnerabilities by the trait they feed, with what the traits
    show of each group. Containers that run the same image share one (built once per image:
    ``ctx.memo``), and their traits share its summaries, which are never modified."""

    malicious: list[AssessedVulnerability]
    exploitable: list[AssessedVulnerability]
    others: list[AssessedVulnerability]
    top: dict[str, list[dict[str, object]]]
    """Summaries of the first :data:`TOP` of each group, by trait id."""
    note: str
    by_severity: dict[str, int]
    fixable: int


def _split(found: ImageAssessment) -> _Split:
    malicious = [a for a in found.vulnerabilities if a.record.malicious]
    exploitable = [a for a in found.vulnerabilities if a.exploitable and not a.record.malicious]
    others = [a for a in found.vulnerabilities if not a.exploitable and not a.record.malicious]
    counts = Counter(a.record.severity for a in others)
    top = {trait: [a.summary() for a in items[:TOP]] for trait, items in (
        (MALICIOUS.id, malicious), (EXPLOITABLE.id, exploitable), (SOFTWARE.id, others))}
    return _Split(malicious, exploitable, others, top, _suppressed_note(found),
                  {level.lower(): counts[level] for level in SEVERITY_ORDER if counts[level]},
                  sum(1 for a in others if a.record.fix_available))


def _split_of(ctx: Context, found: ImageAssessment) -> _Split:
    """:func:`_split`, once per assessment for the whole scan."""
    key = ("image_vulnerabilities", id(found))
    cached = ctx.memo.get(key)
    if cached is None or cached[0] is not found:
        cached = ctx.memo[key] = (found, _split(found))  # holding found keeps its id unique
    split: _Split = cached[1]
    return split


def _facts(found: ImageAssessment, image: str, items: list[AssessedVulnerability],
           top: list[dict[str, object]]) -> dict[str, object]:
    return {"image": image, "matched_by": found.matched_by, "reports": list(found.reports),
            "count": len(items), "top": top}


def _suppressed_note(found: ImageAssessment) -> str:
    """Say what VEX statements and ignore rules took out, so a user can check the claim."""
    if not found.suppressed:
        return ""
    first = found.suppressed[0]
    more = f" and {len(found.suppressed) - 1} more" if len(found.suppressed) > 1 else ""
    return f"; suppressed: {first.record.id} in {first.record.package or 'the image'} " \
           f"({first.record.suppressed}){more}"


@detector("task-definition", EXPLOITABLE, SOFTWARE, END_OF_LIFE, MALICIOUS)
def image_vulnerabilities(ctx: Context) -> Iterator[Trait]:
    """One trait of each kind per container whose image has matching reports."""
    store = ctx.inventory.vulnerabilities
    if not store.reports:
        return
    judge = assessor(store, ctx.settings.epss_threshold, ctx.settings.today, ctx.memo)
    for index, container in containers(ctx.resource):
        image = container.get("image")
        if not isinstance(image, str):
            continue
        found = judge.assess(image, _running_digests(ctx, image))
        if found.matched_by is None:
            continue
        yield from _traits(ctx, found, image, container_name(container, index),
                           f"/containerDefinitions/{index}/image")


def _running_digests(ctx: Context, image: str) -> frozenset[str]:
    """``inventory.running_digests``, once per image for the whole scan (``ctx.memo``):
    thousands of task definitions run the same images."""
    key = ("image_vulnerabilities:running", image)
    digests = ctx.memo.get(key)
    if digests is None:
        digests = ctx.memo[key] = ctx.inventory.running_digests(image)
    found: frozenset[str] = digests
    return found


def _traits(ctx: Context, found: ImageAssessment, image: str, name: str,
            pointer: str) -> Iterator[Trait]:
    split = _split_of(ctx, found)
    note = split.note
    malicious, exploitable, others = split.malicious, split.exploitable, split.others
    if malicious:
        first = malicious[0].record
        more = f" and {len(malicious) - 1} more" if len(malicious) > 1 else ""
        yield ctx.trait(
            MALICIOUS.id, pointer,
            f"container {name} image {image} contains malicious package {first.package} "
            f"{first.installed_version or ''}".rstrip() + f" ({first.id}){more}",
            container=name,
            extra=tuple(_facts(found, image, malicious, split.top[MALICIOUS.id]).items()))
    if exploitable:
        first_x = exploitable[0]
        more = f"; {len(exploitable) - 1} more" if len(exploitable) > 1 else ""
        unknown = [a for a in exploitable if a.metrics is None]
        caveat = " (no valid CVSS vector in the reports: attack vector unknown, treated " \
                 "as network)" if first_x.metrics is None else ""
        yield ctx.trait(
            EXPLOITABLE.id, pointer,
            f"container {name} runs {first_x.label()}, network-exploitable{caveat} and likely "
            f"to be exploited: {', '.join(first_x.reasons)}{more}"
            + ("" if others else note),
            container=name,
            extra=tuple(_facts(found, image, exploitable, split.top[EXPLOITABLE.id]).items()),
            potential=len(unknown) == len(exploitable),
            missing=tuple(f"CVSS vector of {a.record.id}" for a in unknown[:TOP]))
    if others:
        by_severity, fixable = split.by_severity, split.fixable
        listed = ", ".join(f"{n} {level}" for level, n in by_severity.items())
        yield ctx.trait(
            SOFTWARE.id, pointer,
            f"container {name} image {image} has {len(others)} "
            f"{'other ' if exploitable or malicious else ''}known "
            f"{'vulnerability' if len(others) == 1 else 'vulnerabilities'} ({listed}); "
            f"{fixable} with a fix{note}",
            container=name,
            extra=tuple({**_facts(found, image, others, split.top[SOFTWARE.id]),
                         "by_severity": dict(by_severity), "fixable": fixable}.items()))
    if found.end_of_life and found.os is not None:
        yield ctx.trait(
            END_OF_LIFE.id, pointer, f"container {name} image {image}: {found.end_of_life}",
            container=name,
            extra=(("image", image), ("os", f"{found.os.family} {found.os.version}"),
                   ("reports", list(found.reports))))
