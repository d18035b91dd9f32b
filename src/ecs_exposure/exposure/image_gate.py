"""``ecs-exposure image``: one image against the policy, before it is deployed (a CI gate).

The verdict is ``fail`` when any trait the policy gates on (``gate``, default all) remains after
the policy's image exceptions; the JSON form (``ecs-exposure/image@1``) lists every trait, each
signature check with what it did and did not verify, the facts read, and any notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecs_exposure.analysis.images.evaluate import Evaluation, Verdict, evaluate
from ecs_exposure.analysis.images.facts import ImageFacts
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
    failing, advisory, excused = [], [], []
    for verdict in verdicts:
        trait_id = CHECKS[verdict.check].id
        trait = Trait(trait_id, image, "", verdict.detail, extra=(("image", image),))
        exception = waived(trait, settings.policy, today)
        if exception is not None:
            excused.append((verdict, exception.reason, exception.expires.isoformat()))
        elif gate is not None and trait_id not in gate:
            advisory.append(verdict)
        else:
            failing.append(verdict)
    return GateResult(image, evaluation, tuple(failing), tuple(excused), tuple(advisory),
                      tuple(errors or ()), reference_known)


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
    }
