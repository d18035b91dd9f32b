"""The config file: what it sets, and errors that name file, line, column and path."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from ecs_exposure.analysis.images.policy import PolicyError
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.sources.config import (
    CONFIG_NAME,
    ConfigError,
    config_schema,
    find_config,
    load_config,
)
from support.timing import deadline

ISSUE_EXAMPLE = """\
suppressions:
  - resource: "arn:aws:ecs:*:*:service/prod/storefront"   # glob; omit to match any resource
    trait: open-security-group                              # optional: only this trait
    reason: "fronted by a WAF; tracked in SEC-1234"
    owner: platform-team
    expires: 2027-03-31
"""

FULL = """\
version: 1
options:
  scan:
    format: json,sarif
    fail-on: high
    fail-on-new: medium
    baseline: reports/previous.json
    strict: true
  image:
    format: json
policy:
  registries:
    trusted: ["public.ecr.aws", "gcr.io/distroless/*"]
  max_image_age_days: 30
suppressions:
  - id: 0123456789abcdef0123456789abcdef
    reason: accepted by the CISO
  - account: "111122223333"
    region: eu-*
    cluster: legacy
    image: docker.io/library/redis
    trait: [untrusted-registry, mutable-image-reference]
    reason: migrating to ECR
"""


def write(folder: Path, text: str, name: str = CONFIG_NAME) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_the_issue_example_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUE_EXAMPLE))
    [rule] = config.suppressions
    assert rule.resource == "arn:aws:ecs:*:*:service/prod/storefront"
    assert rule.traits == ("open-security-group",)
    assert rule.reason == "fronted by a WAF; tracked in SEC-1234"
    assert rule.owner == "platform-team" and rule.expires == date(2027, 3, 31)
    assert rule.pointer == "/suppressions/0" and rule.line == 2
    assert rule.source == str(tmp_path / CONFIG_NAME)
    assert config.policy is None and config.options == {}


def test_every_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert config.options["scan"]["fail-on"] == "high"
    assert config.options["scan"]["format"] == "json,sarif"
    assert config.options["image"]["format"] == "json"
    assert config.options["scan"]["baseline"] == str(tmp_path / "reports" / "previous.json")
    assert config.policy is not None and config.policy.max_image_age_days == 30
    assert config.policy.trusted_registries == ("public.ecr.aws", "gcr.io/distroless/*")
    first, second = config.suppressions
    assert first.id == "0123456789abcdef0123456789abcdef" and first.expires is None
    assert (second.account, second.region, second.cluster, second.image) == (
        "111122223333", "eu-*", "legacy", "docker.io/library/redis")
    assert second.traits == ("untrusted-registry", "mutable-image-reference")
    assert second.line == 18


def test_a_policy_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "images.yaml").write_text("max_scan_age_days: 7\n")
    config = load_config(write(tmp_path, "policy: policies/images.yaml\n"))
    assert config.policy is not None and config.policy.max_scan_age_days == 7
    with pytest.raises(PolicyError, match="cannot read"):
        load_config(write(tmp_path, "policy: absent.yaml\n"))


@pytest.mark.parametrize("text,message", [
    ("suppressions:\n  - trait: root-user\n", ":2:5: /suppressions/0: 'reason' is a required"),
    ("suppressions:\n  - reason: r\n", ":2:5: /suppressions/0: a suppression needs at least "
     "one of id, resource, trait"),
    ("suppressions:\n  - reason: r\n    trait: made-up\n",
     ":3:5: /suppressions/0/trait: 'made-up' is not a trait id"),
    ("suppressions:\n  - reason: r\n    trait: [root-user, nope]\n",
     ":3:24: /suppressions/0/trait/1: 'nope' is not a trait id"),
    ("suppressions:\n  - reason: r\n    id: abc\n",
     ":3:5: /suppressions/0/id: 'abc' is not a finding id"),
    ("suppressions:\n  - reason: '  '\n    cluster: c\n",
     ":2:5: /suppressions/0/reason: the reason cannot be blank"),
    ("suppressions:\n  - reason: r\n    cluster: c\n    expires: '2027-3-1'\n",
     ":4:5: /suppressions/0/expires:"),
    ("suppressions:\n  - reason: r\n    cluster: c\n    until: 2027-01-01\n",
     ":2:5: /suppressions/0: Additional properties are not allowed ('until'"),
    ("options:\n  scan:\n    fail-on: severe\n",
     ":3:5: /options/scan/fail-on: 'severe' is not one"),
    ("options:\n  collect:\n    region: x\n", ":1:1: /options: Additional properties"),
    ("policy:\n  max_image_age_days: ninety\n",
     ":2:3: /policy/max_image_age_days: 'ninety' is not of type 'integer'"),
    ("version: 2\n", ":1:1: /version: 1 was expected"),
    ("- a list\n", ":1:1: /: a config file is a mapping"),
    ("suppressions:\n  - reason: r\n    cluster: c\n  - reason: r\n    cluster: c\n"
     "    cluster: d\n", ":6:5: invalid YAML: duplicate key 'cluster'"),
    ("a: &x [1]\nb: *x\n", ":1:4: invalid YAML: YAML anchors are not allowed"),
])
def test_errors_name_file_line_column_and_path(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises((ConfigError, PolicyError)) as error:
        load_config(path)
    assert f"{path}{message}" in str(error.value)


def test_inline_policy_checks_beyond_the_schema_name_the_config_line(tmp_path: Path) -> None:
    text = ("policy:\n  signatures:\n    keyless:\n      identities:\n"
            "        - issuer: i\n          subject_regex: '('\n")
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as error:
        load_config(path)
    assert f"{path}:6:11: /policy/signatures/keyless/identities/0/subject_regex" \
        in str(error.value)


def test_unreadable_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="limit"):
        load_config(write(tmp_path, "#" * (1024 * 1024 + 1)))


def test_the_config_is_found_in_the_folder(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    write(tmp_path, "version: 1\n")
    assert find_config(tmp_path) == tmp_path / CONFIG_NAME
    assert load_config(tmp_path / CONFIG_NAME).suppressions == ()


def test_the_shipped_schema_is_valid_and_knows_every_trait() -> None:
    schema = config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["trait"]["enum"] == sorted(spec.id for spec in catalog())
    # the file itself carries no copy of the trait list, so it cannot go stale
    shipped = json.loads((Path(__file__).parents[3] / "src" / "ecs_exposure" / "sources"
                          / "config.schema.json").read_text())
    assert "enum" not in shipped["$defs"]["trait"]


def test_the_readme_example_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    start = readme.index("```yaml\n# .ecs-exposure.yaml\n") + len("```yaml\n")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "images.yaml").write_text("version: 1\n")
    config = load_config(write(tmp_path, readme[start:readme.index("```", start)]))
    assert config.options["scan"]["fail-on"] == "high" and config.policy is not None
    assert [r.reason for r in config.suppressions][0].startswith("fronted by a WAF")


def test_a_config_that_never_ends_is_refused_at_the_size_limit() -> None:
    # ``--config /dev/zero``: the size check saw 0 bytes, then the read never ended
    with deadline(20), pytest.raises(ConfigError, match="above the .*-byte limit"):
        load_config(Path("/dev/zero"))
