"""The image policy: defaults, validation errors naming file and path, hostile YAML, exceptions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ecs_exposure.analysis.images.policy import Policy, PolicyError, load_policy
from ecs_exposure.exposure.waivers import apply_exceptions, expired_errors
from ecs_exposure.model import Trait
from support import ROOT
from support.imagebuilder import new_key, public_pem

GOOD = """\
version: 1
registries:
  trusted: ["public.ecr.aws", "gcr.io/distroless/*"]
require_digest: true
max_image_age_days: 30
max_scan_age_days: 7
forbidden_components:
  categories: [shell, package-manager, setuid]
allowances:
  - image: "docker.io/library/nginx"
    allow: [shell, bin/busybox]
    reason: entrypoint script needs sh
signatures:
  cosign:
    keys: [cosign.pub]
  keyless:
    identities:
      - issuer: https://token.actions.githubusercontent.com
        subject_regex: "https://github.com/acme/.*"
exceptions:
  - service: legacy-*
    traits: [unverified-signature]
    reason: signing rolls out in Q1
    expires: 2027-03-31
  - image: docker.io/library/redis
    traits: [untrusted-registry]
    reason: migrating to ECR
    expires: 2026-01-31
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults() -> None:
    policy = Policy()
    assert policy.max_image_age_days == 90 and policy.max_scan_age_days == 30
    assert policy.trusted_registries == ("public.ecr.aws",) and policy.trust_scanned_accounts
    assert policy.signatures.required and not policy.signatures.has_material
    assert "shell" in policy.categories and "setuid" in policy.categories
    assert policy.is_trusted("public.ecr.aws/nginx/nginx", "public.ecr.aws", set(), None)
    assert policy.is_trusted("111.dkr.ecr.us-east-1.amazonaws.com/app",
                             "111.dkr.ecr.us-east-1.amazonaws.com", {"111"}, "111")
    assert not policy.is_trusted("222.dkr.ecr.us-east-1.amazonaws.com/app",
                                 "222.dkr.ecr.us-east-1.amazonaws.com", {"111"}, "222")
    assert not policy.is_trusted("docker.io/library/nginx", "docker.io", {"111"}, None)


def test_full_policy_loads(tmp_path: Path) -> None:
    (tmp_path / "cosign.pub").write_bytes(public_pem(new_key()))
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.require_digest and policy.max_image_age_days == 30
    assert policy.categories == {"shell", "package-manager", "setuid"}
    assert policy.signatures.cosign_keys[0][0] == "cosign.pub"
    assert policy.signatures.keyless_identities[0].subject_regex == "https://github.com/acme/.*"
    assert policy.is_trusted("gcr.io/distroless/static", "gcr.io", set(), None)
    assert policy.allowed_for("docker.io/library/nginx")[0] == {"shell", "bin/busybox"}
    assert [e.expires for e in policy.exceptions] == [date(2027, 3, 31), date(2026, 1, 31)]


@pytest.mark.parametrize("text,message", [
    ("max_image_age_days: ninety\n", "/max_image_age_days: 'ninety' is not of type 'integer'"),
    ("registries: {trusted: [5]}\n", "/registries/trusted/0: 5 is not of type 'string'"),
    ("forbidden_components: {categories: [shells]}\n", "/forbidden_components/categories/0"),
    ("unknown_key: 1\n", "Additional properties are not allowed ('unknown_key'"),
    ("exceptions: [{image: x, traits: [root-user], reason: r}]\n", "'expires' is a required"),
    ("exceptions: [{image: x, traits: [made-up], reason: r, expires: 2026-01-01}]\n",
     "/exceptions/0/traits/0"),
    ("signatures: {keyless: {identities: [{issuer: i}]}}\n", "/signatures/keyless/identities/0"),
    ("signatures: {keyless: {identities: [{issuer: i, subject_regex: '('}]}}\n",
     "subject_regex: missing )"),
    ("signatures: {cosign: {keys: [missing.pub]}}\n", "cannot read public key 'missing.pub'"),
    ("- a list\n", "a policy is a mapping"),
    ("key: [unclosed\n", "invalid YAML at line"),
    ("a: &x [1]\nb: *x\n", "anchors are not allowed"),
    ("!!python/object/apply:os.system ['true']\n", "invalid YAML"),
])
def test_validation_errors_name_file_and_path(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
              for i in range(1, 30)]
    with pytest.raises(PolicyError, match="not allowed"):
        load_policy(write(tmp_path, "\n".join(lines) + "\n"))


def test_deep_nesting_and_huge_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="nested|invalid"):
        load_policy(write(tmp_path, "[" * 1200 + "]" * 1200 + "\n", "deep.yaml"))
    with pytest.raises(PolicyError, match="limit"):
        load_policy(write(tmp_path, "#" * (1024 * 1024 + 10), "big.yaml"))
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.yaml")


def test_exceptions_apply_until_expiry(tmp_path: Path) -> None:
    (tmp_path / "cosign.pub").write_bytes(public_pem(new_key()))
    policy = load_policy(write(tmp_path, GOOD))
    unsigned = Trait("unverified-signature", "td", "/x", "d",
                     extra=(("image", "registry.example/app:1"),))
    redis = Trait("untrusted-registry", "td", "/x", "d", extra=(("image", "redis:7"),))
    today = date(2026, 11, 28)
    kept = apply_exceptions([unsigned, redis], policy, today, ("legacy-admin", "arn:svc"))
    assert kept == [redis]                   # redis exception expired on 2026-01-31
    assert apply_exceptions([unsigned], policy, today, ("payments", "arn:p")) == [unsigned]
    assert apply_exceptions([redis], policy, date(2026, 1, 31)) == []   # expiry day included
    [expired] = expired_errors(policy, today)
    assert "exception #1" in expired.message and "expired on 2026-01-31" in expired.message
    assert expired.source.endswith("policy.yaml")


def test_readme_example_policy_is_valid(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```yaml\nversion: 1") + len("```yaml\n")
    example = readme[start:readme.index("```", start)]
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "cosign.pub").write_bytes(public_pem(new_key()))
    from datetime import UTC, datetime

    from support.imagebuilder import make_ca
    (tmp_path / "keys" / "aws-signer-root.pem").write_bytes(
        make_ca(datetime(2026, 1, 1, tzinfo=UTC)).root_pem)
    (tmp_path / "sigstore").mkdir()
    (tmp_path / "sigstore" / "trusted_root.json").write_text("{}")
    policy = load_policy(write(tmp_path, example))
    assert policy.gate == {"untrusted-registry", "unverified-signature", "end-of-life-os"}
    assert policy.signatures.notation_roots and policy.signatures.keyless_identities
