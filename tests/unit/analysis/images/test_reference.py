from __future__ import annotations

import pytest

from ecs_exposure.analysis.images.reference import (
    ecr_image,
    normalise_digest,
    parse_image,
    parse_reference,
    repository_of,
)

HEX = "ab" * 32


@pytest.mark.parametrize("text,registry,repository,tag,digest", [
    ("nginx", "docker.io", "library/nginx", None, None),
    ("nginx:1.27", "docker.io", "library/nginx", "1.27", None),
    ("docker.io/nginx:1.27", "docker.io", "library/nginx", "1.27", None),
    ("index.docker.io/library/nginx:1.27", "docker.io", "library/nginx", "1.27", None),
    ("registry-1.docker.io/bitnami/redis:7", "docker.io", "bitnami/redis", "7", None),
    ("nicolaka/netshoot:v0.13", "docker.io", "nicolaka/netshoot", "v0.13", None),
    (f"nginx@sha256:{HEX.upper()}", "docker.io", "library/nginx", None, f"sha256:{HEX}"),
    (f"nginx:1.27@sha256:{HEX}", "docker.io", "library/nginx", "1.27", f"sha256:{HEX}"),
    ("localhost:5000/team/app:dev", "localhost:5000", "team/app", "dev", None),
    ("public.ecr.aws/docker/library/nginx:1.27", "public.ecr.aws", "docker/library/nginx",
     "1.27", None),
    ("ghcr.io/Org/App:v1", "ghcr.io", "org/app", "v1", None),
])
def test_references_normalise(text: str, registry: str, repository: str, tag: str | None,
                              digest: str | None) -> None:
    ref = parse_image(text)
    assert ref is not None
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag,
                                                                    digest)


def test_docker_hub_spellings_share_one_tag_key() -> None:
    keys = {parse_image(t).tag_key for t in (  # type: ignore[union-attr]
        "nginx", "nginx:latest", "docker.io/library/nginx:latest", "index.docker.io/nginx")}
    assert keys == {"docker.io/library/nginx:latest"}


@pytest.mark.parametrize("host", [
    "111122223333.dkr.ecr.us-east-1.amazonaws.com",
    "111122223333.dkr.ecr-fips.us-east-1.amazonaws.com",
    "111122223333.dkr-ecr.us-east-1.on.aws",
    "111122223333.DKR.ECR.US-EAST-1.AMAZONAWS.COM",
])
def test_ecr_fips_and_dual_stack_hosts_are_the_same_registry(host: str) -> None:
    ref = parse_image(f"{host}/team/web:1.4.2")
    assert ref is not None and ref.ecr is not None
    assert ref.registry == "111122223333.dkr.ecr.us-east-1.amazonaws.com"
    assert ref.tag_key == "ecr:111122223333:us-east-1/team/web:1.4.2"


def test_china_and_isolated_partitions_keep_their_hosts() -> None:
    china = parse_image("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1")
    assert china is not None and china.ecr is not None
    assert china.registry == "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn"
    assert china.registry_key == "ecr:111122223333:cn-north-1"
    iso = parse_image("111122223333.dkr.ecr.us-iso-east-1.c2s.ic.gov/web:1")
    assert iso is not None and iso.ecr is not None and iso.ecr.suffix == "c2s.ic.gov"
    assert ecr_image("111122223333", "cn-north-1", "web", partition="aws-cn").registry == \
        china.registry  # type: ignore[union-attr]


def test_ecr_report_without_region_uses_fallback_keys() -> None:
    container = parse_image("111122223333.dkr.ecr.eu-west-1.amazonaws.com/web:2")
    report = ecr_image("111122223333", None, "web", tag="2")
    assert container is not None and report is not None
    assert report.repo_key in container.fallback_repo_keys()
    assert report.tag_key != container.tag_key


@pytest.mark.parametrize("text", ["", "  ", "${IMAGE}", "nginx:bad tag", "UPPER CASE",
                                  "nginx@sha256:short", "https://example.com/x", "a" * 2000,
                                  "web:" + "x" * 200, "bad..name/x"])
def test_non_references_are_rejected(text: str) -> None:
    assert parse_image(text) is None


def test_digest_helpers() -> None:
    assert normalise_digest(f"repo@sha256:{HEX.upper()}") == f"sha256:{HEX}"
    assert normalise_digest("latest") is None
    assert normalise_digest(5) is None
    ref = repository_of(f"{'1' * 12}.dkr.ecr.us-east-1.amazonaws.com/web@sha256:{HEX}")
    assert ref is not None and ref.tag is None and ref.digest == f"sha256:{HEX}"


def test_as_written_reading_for_the_image_checks() -> None:
    """``parse_reference`` keeps the host and case as written and reads any name (a template
    placeholder is evaluated as a Docker Hub repository); ``parse_image`` refuses those."""
    host = "111122223333.dkr.ecr-fips.us-east-1.amazonaws.com"
    fips = parse_reference(f"{host}/team/web:1")
    assert fips is not None and fips.registry == host and fips.ecr_registry_id == "111122223333"
    assert fips.registry_key == "ecr:111122223333:us-east-1"
    placeholder = parse_reference("<IMAGE1_NAME>")
    assert placeholder is not None and not placeholder.pinned
    assert placeholder.repository_name == "docker.io/library/<IMAGE1_NAME>"
    assert parse_image("<IMAGE1_NAME>") is None
    cased = parse_reference(f"ghcr.io/Org/App:v1@sha256:{HEX}")
    assert cased is not None and cased.repository_name == "ghcr.io/Org/App" and cased.pinned
    assert cased.full_name == f"ghcr.io/Org/App:v1@sha256:{HEX}"
    for bad in ("", "a b", "app@sha256:xyz", f"app@sha256:{'_' * 40}", "/app", "a//b"):
        assert parse_reference(bad) is None, bad
