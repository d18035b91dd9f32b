"""``ecs-exposure image``: one image against the policy, before it is deployed (a CI gate).

The verdict is ``fail`` when any trait the policy gates on (``gate``, default all) remains after
the policy's image exceptions and is *configured*. A check the policy has not configured yet
is reported, with what would configure it, instead of failing the image, so the gate is useful
on the first run (README "Image policy"):

- signatures: no cosign key, keyless identity or Notation trust root, and ``signatures.required``
  not set in the file;
- scans: ``require_scan`` not set;
- registry: no ``registries.trusted`` list and the image is in a private ECR registry that is
  not a scanned account's (``ecs-exposure init --account ID`` writes the list); other
  registries are judged against the default list (``public.ecr.aws``);
- tag mutability: the image is referenced by a tag other than ``latest`` in an ECR repository
  the inputs do not describe, and ``require_digest`` is not set.

The JSON form (``ecs-exposure/image@1``) lists every trait, each
signature check with what it did and did not verify, the facts read, and any notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecs_exposure.analysis.images.evaluate import Check, Evaluation, Verdict, evaluate
from ecs_exposure.analysis.images.facts import ImageFacts
from ecs_exposure.analysis.images.reference import parse_reference
from ecs_exposure.detectors.images import CHECKS
from ecs_exposure.exposure.waivers import waived
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import SourceError, Trait
from ecs_exposure.settings import ScanSettings

SCHEMA = "ecs-exposure/image@1"
_ROOT_USERS = {"", "root", "0"}


@dataclass(frozen=True)
class GateResult:
    """Everything the image report shows."""

    reference: str
    evaluation: Evaluation
    failing: tuple[Verdict, ...]
    waived: tuple[tuple[Verdict, str, str], ...]
    """``(verdict, reason, expires)`` of waived traits."""
    advisory: tuple[Verdict, ...]
    """Traits the policy does not gate on."""
    errors: tuple[SourceError, ...]
    reference_known: bool
    not_configured: tuple[tuple[str, str], ...] = ()
    """``(trait id, what would configure it)`` of each check the policy leaves unconfigured."""
    unjudged: tuple[Verdict, ...] = ()
    """Traits seen but not failing because their check is not configured."""

    @property
    def passed(self) -> bool:
        """No gating trait left."""
        return not self.failing


def _root_verdict(facts: ImageFacts | None) -> list[Verdict]:
    if facts is None or facts.user is None:
        return []
    if facts.user.split(":", 1)[0].strip().lower() not in _ROOT_USERS:
        return []
    shown = repr(facts.user) if facts.user else "not set"
    return [Verdict("user", f"image config User is {shown}: containers run as root unless "
                    "the task definition sets user", (("image_user", facts.user),))]


def _unconfigured(image: str, verdicts: list[Verdict], settings: ScanSettings
                  ) -> dict[Check, str]:
    """Check → what would configure it, for each check this policy does not configure."""
    policy = settings.policy
    out: dict[Check, str] = {}
    if not policy.signatures_configured and policy.signatures.required:
        out["signature"] = ("no cosign key, keyless identity or Notation trust root in the "
                            "policy (signatures:)")
    if not policy.require_scan:
        out["scan"] = "the policy does not set require_scan: true"
    ref = parse_reference(image)
    if ref is None or ref.ecr_registry_id is None:
        return out
    if not policy.trusted_configured:
        out["registry"] = (f"the policy lists no trusted registries (registries.trusted), so "
                           f"the private ECR registry of account {ref.ecr_registry_id} is not "
                           f"judged; ecs-exposure init --account {ref.ecr_registry_id} writes "
                           "the list")
    for verdict in verdicts:
        facts = dict(verdict.facts)
        if verdict.check == "reference" and verdict.repository is None \
                and not policy.require_digest and not facts.get("latest"):
            out["reference"] = (f"tag mutability of ECR repository {ref.repository} is unknown: "
                                "give its describe-repositories output with --context, or set "
                                "require_digest: true")
    return out


def run_gate(image: str, inventory: Inventory, settings: ScanSettings, *,
             reference_known: bool = True, errors: list[SourceError] | None = None,
             arch: str = "amd64") -> GateResult | None:
    """Evaluate against what ``inventory`` knows, add the image-level root check, apply
    exceptions and the gate list (all from ``settings.policy``)."""
    evaluation = evaluate(image, inventory.images, settings, inventory.accounts(), arch,
                          reports_covering=inventory.reports_covering)
    if evaluation is None:
        return None
    verdicts = list(evaluation.verdicts) + _root_verdict(evaluation.facts)
    if not reference_known:
        verdicts = [v for v in verdicts if v.check != "registry"]
    today = settings.today
    gate = settings.policy.gate
    unconfigured = _unconfigured(image, verdicts, settings)
    failing, advisory, excused, unjudged = [], [], [], []
    for verdict in verdicts:
        trait_id = CHECKS[verdict.check].id
        trait = Trait(trait_id, image, "", verdict.detail, extra=(("image", image),))
        exception = waived(trait, settings.policy, today)
        if exception is not None:
            excused.append((verdict, exception.reason, exception.expires.isoformat()))
        elif gate is not None and trait_id not in gate:
            advisory.append(verdict)
        elif verdict.check in unconfigured:
            unjudged.append(verdict)
        else:
            failing.append(verdict)
    not_configured = tuple((CHECKS[check].id, how) for check, how in unconfigured.items()
                           if gate is None or CHECKS[check].id in gate)
    return GateResult(image, evaluation, tuple(failing), tuple(excused), tuple(advisory),
                      tuple(errors or ()), reference_known, not_configured, tuple(unjudged))


def _facts_dict(facts: ImageFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    managers = sorted({p.manager for p in facts.packages})
    return {
        "source": facts.source, "refs": facts.refs, "digests": facts.digests,
        "config_digest": facts.config_digest, "user": facts.user,
        "created": facts.created.isoformat() if facts.created else None,
        "env_names": facts.env_names,
        "os": ({"id": facts.os.id, "version_id": facts.os.version_id,
                "pretty_name": facts.os.pretty_name, "path": facts.os.path}
               if facts.os else None),
        "packages": len(facts.packages), "package_managers": managers,
        "setuid_files": [p for p, _, _ in facts.setuid],
        "inspected": facts.inspected,
    }


def _verdict_dict(verdict: Verdict, gating: bool) -> dict[str, Any]:
    spec = CHECKS[verdict.check]
    return {"id": spec.id, "title": spec.title, "detail": verdict.detail,
            "facts": {k: v for k, v in verdict.facts}, "gating": gating}


def result_dict(result: GateResult) -> dict[str, Any]:
    """The JSON document of one gate run."""
    evaluation = result.evaluation
    traits = [_verdict_dict(v, True) for v in result.failing]
    traits += [_verdict_dict(v, False) for v in result.advisory]
    how = dict(result.not_configured)
    for verdict in result.unjudged:
        item = _verdict_dict(verdict, False)
        item["not_configured"] = how.get(CHECKS[verdict.check].id, "")
        traits.append(item)
    for verdict, reason, expires in result.waived:
        item = _verdict_dict(verdict, False)
        item["waived"] = {"reason": reason, "expires": expires}
        traits.append(item)
    return {
        "schema": SCHEMA,
        "image": result.reference,
        "reference_known": result.reference_known,
        "verdict": "pass" if result.passed else "fail",
        "digests": list(evaluation.digests),
        "traits": traits,
        "signatures": [{"kind": c.kind, "verified": c.verified, "detail": c.detail,
                        "signer": c.signer, "checked": list(c.checked),
                        "not_checked": list(c.not_checked)} for c in evaluation.signatures],
        "facts": _facts_dict(evaluation.facts),
        "notes": list(evaluation.notes),
        "errors": [{"source": e.source, "message": e.message} for e in result.errors],
        "not_configured": [{"trait": trait, "how": how} for trait, how in result.not_configured],
    }
