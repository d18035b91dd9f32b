"""The trait catalog and the detector registry.

As in bandit, a check is one small function registered by a decorator that carries the trait
specs it can emit; the catalog (one :class:`~ecs_exposure.detectors.spec.TraitSpec` per trait,
carrying its id, title, guidance, phrases and controls) lives beside the code that detects each
trait, and documentation and SARIF rules are generated from it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from sys import intern
from typing import Literal

from ecs_exposure.detectors.spec import Category, TraitSpec
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json, Level, Trait
from ecs_exposure.settings import ScanMemo, ScanSettings

Scope = Literal["task-definition", "service", "cluster"]

__all__ = ["SCOPES", "SPECS", "Category", "Context", "Detector", "Scope", "TraitSpec", "catalog",
           "detector", "detectors_for", "register_spec", "run", "scope_of", "spec_for"]


@dataclass(frozen=True)
class Context:
    """What a detector sees: one resource of its scope, plus the inventory for joins and the
    scan's settings and memo."""

    inventory: Inventory
    key: str
    """ARN (or key) of the resource under evaluation."""
    resource: Json
    source: str | None
    settings: ScanSettings = field(kw_only=True, compare=False, repr=False)
    """What the scan judges by: image policy, EPSS threshold, the clock."""
    memo: ScanMemo = field(kw_only=True, compare=False, repr=False)
    """Scan-wide cache for results that depend only on shared resources (a role's grants, a
    security group's open rules): the scan passes one memo to every context, so a role used
    by 5,000 task definitions is analysed once. Keys start with the detector's name."""

    def trait(
        self,
        trait_id: str,
        pointer: str,
        detail: str,
        *,
        container: str | None = None,
        impact: Level = Level.LOW,
        resource: str | None = None,
        origin: str | None = None,
        **more: object,
    ) -> Trait:
        """Build a trait on this resource (or on ``resource``, e.g. a security group).

        ``origin`` is the inventory key of the resource when it differs from the ARN shown
        (security groups are keyed by id but shown by ARN); it locates the input file.
        """
        if trait_id not in SPECS:
            raise KeyError(f"trait {trait_id!r} is not in the catalog")
        owner = origin or resource or self.key
        # Interned: the same pointer and detail recur across thousands of revisions (a sidecar
        # container's, an image's), and a large scan holds a million traits.
        if type(pointer) is str and type(detail) is str:  # intern takes exact strings only
            pointer, detail = intern(pointer), intern(detail)
        return Trait(
            id=trait_id,
            resource=resource or self.key,
            pointer=pointer,
            detail=detail,
            container=container,
            impact=impact,
            source=self.inventory.sources.get(owner, self.source),
            file_pointer=self.inventory.file_pointer(owner, pointer),
            **more,  # type: ignore[arg-type]
        )


Detector = Callable[[Context], Iterable[Trait]]


@dataclass
class _Registry:
    detectors: dict[Scope, list[Detector]] = field(
        default_factory=lambda: {"task-definition": [], "service": [], "cluster": []}
    )


SPECS: dict[str, TraitSpec] = {}
SCOPES: dict[str, Scope] = {}
"""Trait id → the scope of the detector that emits it: the kind of resource it is judged on
(what compliance counts as evaluated; see :func:`scope_of`)."""
_REGISTRY = _Registry()


def register_spec(spec: TraitSpec) -> TraitSpec:
    """Add a trait to the catalog (for traits produced outside the detectors, e.g. later)."""
    if spec.id in SPECS and SPECS[spec.id] != spec:
        raise ValueError(f"trait {spec.id!r} registered twice with different specs")
    SPECS[spec.id] = spec
    return spec


def detector(scope: Scope, *specs: TraitSpec) -> Callable[[Detector], Detector]:
    """Register a detector for ``scope`` that emits the given traits."""

    def wrap(func: Detector) -> Detector:
        for spec in specs:
            register_spec(spec)
            SCOPES[spec.id] = scope
        _REGISTRY.detectors[scope].append(func)
        return func

    return wrap


def detectors_for(scope: Scope) -> list[Detector]:
    """Registered detectors of one scope, module by module in :data:`MODULES` order, then in
    the order each module defines them: traits (and the reasons built from their order) do
    not depend on which module happened to be imported first."""
    _load_all()
    registered = _REGISTRY.detectors[scope]
    ordered = _ORDERED.get(scope)
    if ordered is None or len(ordered) != len(registered):  # sorted again after a register
        ordered = _ORDERED[scope] = sorted(registered, key=_module_rank)
    return ordered


_ORDERED: dict[Scope, list[Detector]] = {}


MODULES = ("containers", "credentials", "host_access", "iam", "images", "network",
           "settings", "vulnerabilities", "ecs_exec")
"""The detector modules of :mod:`ecs_exposure.detectors`, in the order their traits are
emitted."""


def _module_rank(func: Detector) -> int:
    name = getattr(func, "__module__", "").rsplit(".", 1)[-1]
    return MODULES.index(name) if name in MODULES else len(MODULES)


def spec_for(trait_id: str) -> TraitSpec:
    """The spec of a trait id read from a result: results carry ids, the catalog the rest
    (loaded first, so a result read back from a file finds its specs too)."""
    _load_all()
    return SPECS[trait_id]


def scope_of(trait_id: str) -> Scope:
    """The scope of the detector that emits ``trait_id``."""
    _load_all()
    return SCOPES[trait_id]


def catalog() -> list[TraitSpec]:
    """Every trait the loaded detectors can emit, sorted by category then id."""
    _load_all()
    return sorted(SPECS.values(), key=lambda s: (s.category, s.id))


def run(scope: Scope, context: Context) -> Iterator[Trait]:
    """Run every detector of ``scope`` on one resource."""
    for func in detectors_for(scope):
        yield from func(context)


_LOADED: list[bool] = []


def _load_all() -> None:
    """Import the detector modules so their decorators run (once: ``run`` calls this for
    every resource, and even a no-op import statement costs microseconds)."""
    if _LOADED:
        return
    for name in MODULES:
        importlib.import_module(f"ecs_exposure.detectors.{name}")
    _LOADED.append(True)
