"""The hardened-image policy: a small YAML file, validated against a JSON Schema.

Loading is defensive because a policy comes from a repository anyone may send a pull request
to: :mod:`ecs_exposure.analysis.safe_yaml` (no object construction, anchors and aliases refused
outright, a depth cap, no duplicate keys) and a size cap. Every error names the file, the line
and column, and the failing path (``policy.yaml:12:7: /signatures/cosign/keys/0``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from ecs_exposure.analysis.images.components import CATEGORIES
from ecs_exposure.analysis.safe_yaml import (
    Positions,
    YamlError,
    parse_yaml,
    read_small_text,
    where,
)
from ecs_exposure.errors import PolicyError as PolicyError  # re-exported

MAX_POLICY_BYTES = 1024 * 1024
DEFAULT_TRUSTED = ("public.ecr.aws",)
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"


@dataclass(frozen=True)
class Identity:
    """A keyless signer: OIDC issuer plus exact subject or subject regex."""

    issuer: str
    subject: str | None = None
    subject_regex: str | None = None


@dataclass(frozen=True)
class Allowance:
    """Components one image (glob on ``registry/repository``) may keep, and why."""

    image: str
    allow: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class PolicyException:
    """A waiver of some traits for a service or image until ``expires`` (inclusive)."""

    traits: tuple[str, ...]
    reason: str
    expires: date
    service: str | None = None
    image: str | None = None
    index: int = 0

    def describe(self) -> str:
        """How a user recognises the exception in the policy file."""
        target = " ".join(f"{k} {v!r}" for k, v in (("service", self.service),
                                                     ("image", self.image)) if v)
        return f"exception #{self.index} ({target}; {', '.join(self.traits)})"


@dataclass(frozen=True)
class SignaturePolicy:
    """What counts as a verified signature."""

    required: bool = True
    cosign_keys: tuple[tuple[str, bytes], ...] = ()
    """``(label, PEM bytes)`` of each cosign public key."""
    keyless_identities: tuple[Identity, ...] = ()
    trusted_root: Path | None = None
    predicate_types: tuple[str, ...] = (COSIGN_SIGN_PREDICATE,)
    notation_roots: tuple[tuple[str, bytes], ...] = ()
    """``(label, PEM bytes)``; a PEM may hold several certificates."""
    accept_unchecked_revocation: bool = False
    required_explicitly: bool = False
    """The policy file itself says ``required``: the gate then judges signatures even with
    no key material configured."""

    @property
    def has_material(self) -> bool:
        """Whether any key, identity or root was configured at all."""
        return bool(self.cosign_keys or self.keyless_identities or self.notation_roots)


@dataclass(frozen=True)
class Policy:
    """The effective policy (defaults filled in)."""

    source: str | None = None
    trusted_registries: tuple[str, ...] = DEFAULT_TRUSTED
    trust_scanned_accounts: bool = True
    require_digest: bool = False
    max_image_age_days: int = 90
    max_scan_age_days: int = 30
    categories: frozenset[str] = frozenset(CATEGORIES)
    extra_files: tuple[str, ...] = ()
    extra_packages: tuple[str, ...] = ()
    allowances: tuple[Allowance, ...] = ()
    signatures: SignaturePolicy = field(default_factory=SignaturePolicy)
    exceptions: tuple[PolicyException, ...] = ()
    gate: frozenset[str] | None = None
    """Traits that fail ``ecs-exposure image``; ``None`` means all."""
    trusted_configured: bool = False
    """The policy lists ``registries.trusted`` itself (not the default list)."""
    require_scan: bool = False
    """``ecs-exposure image`` fails an image with no recent scan (``require_scan: true``)."""

    @property
    def signatures_configured(self) -> bool:
        """Whether the gate judges signatures: key material, or ``required`` said outright."""
        return self.signatures.required and (self.signatures.has_material
                                             or self.signatures.required_explicitly)

    def is_trusted(self, image_name: str, registry: str, scanned_accounts: set[str],
                   ecr_account: str | None) -> str | None:
        """The pattern (or reason) that trusts ``registry/repository``, else ``None``."""
        if self.trust_scanned_accounts and ecr_account and ecr_account in scanned_accounts:
            return f"private ECR registry of scanned account {ecr_account}"
        for pattern in self.trusted_registries:
            target = image_name if "/" in pattern else registry
            if fnmatch.fnmatchcase(target, pattern.lower()):
                return f"policy pattern {pattern!r}"
        return None

    def allowed_for(self, image_name: str) -> tuple[set[str], list[str]]:
        """Allowed items for an image, and the reasons (for the evidence)."""
        allowed: set[str] = set()
        reasons: list[str] = []
        for allowance in self.allowances:
            if fnmatch.fnmatchcase(image_name, allowance.image):
                allowed.update(allowance.allow)
                reasons.append(allowance.reason)
        return allowed, reasons

    def active_exceptions(self, today: date) -> list[PolicyException]:
        """Exceptions still in force (the expiry day itself included)."""
        return [e for e in self.exceptions if e.expires >= today]

    def expired_exceptions(self, today: date) -> list[PolicyException]:
        """Exceptions that no longer apply; reported so nobody relies on them unknowingly."""
        return [e for e in self.exceptions if e.expires < today]


@cache
def policy_schema() -> dict[str, Any]:
    """The policy's JSON Schema (also referenced by the config file's ``policy`` key)."""
    text = ((files("ecs_exposure.analysis.images") / "policy.schema.json")
            .read_text(encoding="utf-8"))
    return json.loads(text)  # type: ignore[no-any-return]


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) \
        if path else "/"


def _material(value: str, base: Path, what: str, where: str) -> tuple[str, bytes]:
    """Inline PEM text, or a file relative to the policy's folder."""
    if "-----BEGIN" in value:
        return f"inline {what}", value.encode()
    path = (base / value).expanduser()
    try:
        data = path.read_bytes()[:MAX_POLICY_BYTES]
    except OSError as exc:
        raise PolicyError(f"{where}: cannot read {what} {value!r}: "
                          f"{exc.strerror or exc}") from None
    if b"-----BEGIN" not in data:
        raise PolicyError(f"{where}: {value!r} is not a PEM file")
    return value, data


def parse_policy(doc: Any, source: str, base: Path, positions: Positions | None = None,
                 prefix: str = "") -> Policy:
    """Validate a parsed document and build the effective policy.

    ``positions`` (from :func:`ecs_exposure.analysis.safe_yaml.parse_yaml`) let errors name
    the line and column; ``prefix`` is the policy's pointer inside a larger file (``/policy``
    in ``.ecs-exposure.yaml``)."""
    if doc is None:
        doc = {}

    def at(pointer: str) -> str:
        return where(source, positions or {}, prefix + pointer.rstrip("/"))

    validator = jsonschema.Draft202012Validator(
        policy_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))
    if errors:
        lines = [f"{at(_pointer(e.path))}: {e.message}" for e in errors[:10]]
        raise PolicyError("invalid policy:\n  " + "\n  ".join(lines))
    registries = doc.get("registries", {})
    forbidden = doc.get("forbidden_components", {})
    sig = doc.get("signatures", {})
    keyless = sig.get("keyless", {})
    notation = sig.get("notation", {})
    for index, ident in enumerate(keyless.get("identities", [])):
        if "subject_regex" in ident:
            try:
                re.compile(ident["subject_regex"])
            except re.error as exc:
                raise PolicyError(f"{at(f'/signatures/keyless/identities/{index}/subject_regex')}"
                                  f": {exc}") from None
    trusted_root = keyless.get("trusted_root")
    root_path = (base / trusted_root).expanduser() if trusted_root else None
    if root_path is not None and not root_path.is_file():
        raise PolicyError(f"{at('/signatures/keyless/trusted_root')}: "
                          f"no such file {trusted_root!r}")
    signatures = SignaturePolicy(
        required=sig.get("required", True),
        cosign_keys=tuple(_material(k, base, "public key", at(f"/signatures/cosign/keys/{i}"))
                          for i, k in enumerate(sig.get("cosign", {}).get("keys", []))),
        keyless_identities=tuple(Identity(i["issuer"], i.get("subject"), i.get("subject_regex"))
                                 for i in keyless.get("identities", [])),
        trusted_root=root_path,
        predicate_types=tuple(keyless.get("predicate_types", [COSIGN_SIGN_PREDICATE])),
        notation_roots=tuple(_material(r, base, "root certificate",
                                       at(f"/signatures/notation/trust_roots/{i}"))
                             for i, r in enumerate(notation.get("trust_roots", []))),
        accept_unchecked_revocation=notation.get("accept_unchecked_revocation", False),
        required_explicitly="required" in sig,
    )
    return Policy(
        source=source,
        trusted_registries=tuple(p.lower() for p in registries.get("trusted", DEFAULT_TRUSTED)),
        trust_scanned_accounts=registries.get("trust_scanned_accounts", True),
        require_digest=doc.get("require_digest", False),
        max_image_age_days=doc.get("max_image_age_days", 90),
        max_scan_age_days=doc.get("max_scan_age_days", 30),
        categories=frozenset(forbidden.get("categories", CATEGORIES)),
        extra_files=tuple(f.lstrip("/") for f in forbidden.get("extra_files", [])),
        extra_packages=tuple(forbidden.get("extra_packages", [])),
        allowances=tuple(Allowance(a["image"], tuple(a["allow"]), a["reason"])
                         for a in doc.get("allowances", [])),
        signatures=signatures,
        exceptions=tuple(
            PolicyException(tuple(e["traits"]), e["reason"], date.fromisoformat(e["expires"]),
                            e.get("service"), e.get("image"), index)
            for index, e in enumerate(doc.get("exceptions", []))),
        gate=frozenset(doc["gate"]) if "gate" in doc else None,
        trusted_configured="trusted" in registries,
        require_scan=doc.get("require_scan", False),
    )


CONFIG_KEY = "policy"
"""The key holding the image policy in an ``.ecs-exposure.yaml`` configuration file (beside
``suppressions`` and ``defaults``): ``--policy`` accepts either file, and a configuration's
``policy`` may also be the path of a policy file, relative to the configuration's folder."""


def load_policy(path: Path, _nested: bool = False) -> Policy:
    """Read, parse safely and validate a policy file, or the ``policy`` section of an
    ``.ecs-exposure.yaml`` configuration file."""
    source = str(path)
    try:
        text = read_small_text(path, MAX_POLICY_BYTES, "a policy")
    except OSError as exc:
        raise PolicyError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise PolicyError(f"{source}: {exc}") from None
    try:
        doc, positions = parse_yaml(text)
    except YamlError as exc:
        raise PolicyError(f"{source}: {exc}") from None
    if doc is not None and not isinstance(doc, dict):
        raise PolicyError(f"{source}: /: a policy is a mapping, not {type(doc).__name__}")
    if doc is not None and CONFIG_KEY in doc:
        section = doc[CONFIG_KEY]
        if isinstance(section, str) and not _nested:
            return load_policy((path.parent / section).expanduser(), _nested=True)
        if section is not None and not isinstance(section, dict):
            raise PolicyError(f"{source}: /{CONFIG_KEY}: the image policy is a mapping or the "
                              f"path of a policy file, not {type(section).__name__}")
        return parse_policy(section, f"{source} /{CONFIG_KEY}", path.parent)
    return parse_policy(doc, source, path.parent, positions)
