"""``--resume`` reuses only the shards of a run with the same options."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ecs_exposure.distributed import manifest
from ecs_exposure.distributed.store import open_store
from ecs_exposure.distributed.units import UNIT_KEY, Caller, Job, open_account
from ecs_exposure.errors import CollectionError
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.aws.options import CollectOptions

CALLER = "111122223333"
ACCOUNT = "444455556666"


def chosen(**options: object) -> dict[str, object]:
    collect = CollectOptions(**{"role_name": "audit", "organization": True, **options})  # type: ignore[arg-type]
    return manifest.run_options(collect, CALLER, "aws", list(collect.regions) or ["us-east-1"])


def test_resume_refuses_shards_of_other_options_naming_the_folder_and_option(
        tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    manifest.claim(store, chosen(regions=("eu-west-1", "us-east-1")), resume=True)  # first run
    assert stat.S_IMODE((tmp_path / manifest.MANIFEST).stat().st_mode) == 0o600
    manifest.claim(store, chosen(regions=("eu-west-1", "us-east-1")), resume=True)  # same: fine
    with pytest.raises(CollectionError) as refused:
        manifest.claim(store, chosen(regions=("us-east-1",)), resume=True)
    message = str(refused.value)
    assert str(tmp_path) in message
    assert "--region (eu-west-1, us-east-1 then, us-east-1 now)" in message
    assert "--role-name" not in message


def test_a_secret_is_named_never_shown_and_a_fresh_run_takes_the_folder(tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    manifest.claim(store, chosen(external_id="s3cr3t-one"), resume=False)
    with pytest.raises(CollectionError, match=r"--external-id \(another value then, another "
                                              r"value now\)") as refused:
        manifest.claim(store, chosen(external_id="s3cr3t-two"), resume=True)
    assert "s3cr3t" not in str(refused.value)
    assert "s3cr3t" not in (tmp_path / manifest.MANIFEST).read_text()
    manifest.claim(store, chosen(external_id="s3cr3t-two"), resume=False)   # without --resume
    manifest.claim(store, chosen(external_id="s3cr3t-two"), resume=True)


def test_a_folder_that_holds_no_manifest_of_ours_is_refused(tmp_path: Path) -> None:
    (tmp_path / manifest.MANIFEST).write_text("[1, 2]")
    with pytest.raises(CollectionError, match="manifest.json is not a manifest"):
        manifest.claim(open_store(str(tmp_path)), chosen(), resume=True)


def test_a_unit_resumes_only_from_a_shard_with_the_runs_fingerprint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shard of another run's options is not trusted: the unit runs again (here without
    credentials, so it records that it could not open the account, under this run's
    fingerprint); a shard with the run's fingerprint is taken as it is."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        monkeypatch.setenv(name, str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    job = Job(CollectOptions(role_name="audit", organization=True),
              Caller(CALLER, "aws", "us-east-1", "arn"), str(tmp_path / "shards"), "t",
              resume=True, fingerprint=manifest.fingerprint(chosen()))
    shard = snapshot.build({}, scope={}, errors=[], incomplete={}, calls={}, generated_at="t")
    shard[UNIT_KEY] = {"kind": "account", "account": ACCOUNT, "regions": ["us-east-1"],
                       "options": manifest.fingerprint(chosen(regions=("eu-west-1",)))}
    store, name = open_store(job.store), f"{ACCOUNT}/account.json.gz"
    store.write(name, shard)
    assert open_account(job, ACCOUNT)["regions"] is None            # collected again
    again = store.read(name)
    assert again[UNIT_KEY]["options"] == job.fingerprint
    assert [e["operation"] for e in again["errors"]] == ["sts:AssumeRole"]
    shard[UNIT_KEY]["options"] = job.fingerprint
    store.write(name, shard)
    assert open_account(job, ACCOUNT) == {"kind": "account", "account": ACCOUNT,
                                          "regions": ["us-east-1"]}
