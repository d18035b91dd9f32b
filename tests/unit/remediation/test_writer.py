"""``fix --out``: one folder per plan, unique and mapped in plan.json; nothing written through
a link; files an earlier run left are reported, never deleted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import ServicePlan, plan_for
from ecs_exposure.remediation.writer import plan_folders, safe_name, stale_warning, write_plans
from ecs_exposure.reporters.output_dir import OutputError
from support.builders import (
    ACCOUNT,
    REGION,
    SETTINGS,
    container,
    inventory_of,
    service,
    task_definition,
)


def plans_for(*names: str, **service_fields: Any) -> list[ServicePlan]:
    """One plan per service name, each running a privileged container (so each has a fix)."""
    docs: list[Any] = [{"taskDefinition": task_definition(
        containers=[container(privileged=True)])}]
    docs.append({"services": [service(name, **service_fields) for name in names]})
    inventory = inventory_of(*docs)
    result = scan_inventory(inventory, SETTINGS)
    plans = [plan_for(inventory, f, FixOptions()) for f in result.findings]
    assert sorted(p.service for p in plans) == sorted(names)
    return plans


def test_names_that_used_to_share_a_folder_get_one_each(tmp_path: Path) -> None:
    long_a, long_b = "s" * 100 + "-a", "s" * 100 + "-b"
    names = ["api", "_api", "api_", long_a, long_b]
    document = write_plans(tmp_path, plans_for(*names))
    folders = {entry["service"]: entry["directory"] for entry in document["plans"]}
    assert sorted(folders) == sorted(names)
    assert len(set(folders.values())) == len(names)
    assert folders["api"] == "prod/api"                        # plain names stay as they are
    assert folders["_api"] == "prod/_api" and folders["api_"] == "prod/api_"
    assert folders[long_a].startswith("prod/" + "s" * 80 + "+")
    for name, folder in folders.items():                       # each plan is in its folder
        plan_md = (tmp_path / folder / "PLAN.md").read_text()
        assert f"# Fix plan: prod/{name.replace('_', chr(92) + '_')}\n" in plan_md
        assert "/" not in folder.split("/", 1)[1] and ".." not in folder
    assert json.loads((tmp_path / "plan.json").read_text())["plans"] == json.loads(
        json.dumps(document["plans"]))


def test_folder_names_are_readable_unique_and_stable() -> None:
    assert safe_name("storefront-web") == "storefront-web"
    assert safe_name("legacy-admin:4").startswith("legacy-admin_4+")
    assert safe_name("plan.json").startswith("plan.json+")    # never one of our own files
    assert safe_name("..") == "_+" + safe_name("..").split("+")[1]
    assert safe_name("../../etc") .startswith("etc+")
    assert safe_name("_api") == safe_name("_api") != safe_name("api_")
    assert len(safe_name("x" * 300)) <= 100
    # a plain name can never equal a hashed one: '+' is not in any plain name or slug
    assert "+" not in safe_name("api-0123456789abcdef")


def test_names_equal_but_for_case_or_account_get_separate_folders() -> None:
    plans = plans_for("Api", "api")
    other_account = plans_for("web")[0]
    same_names = plans_for("web", serviceArn=f"arn:aws:ecs:{REGION}:999999999999:service/"
                                               "prod/web")[0]
    folders = plan_folders([*plans, other_account, same_names])
    assert len({f.casefold() for f in folders.values()}) == 4
    assert folders[id(other_account)] == "prod/web"
    assert folders[id(same_names)].startswith("prod/web+")


def test_a_plan_json_link_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").symlink_to(outside)
    with pytest.raises(OutputError, match="plan.json: is a symbolic link"):
        write_plans(out, plans_for("api"))
    assert outside.read_text() == "precious"
    assert (out / "plan.json").is_symlink()                    # and not deleted either


def test_a_linked_plan_folder_is_refused_and_nothing_lands_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    (out / "prod").mkdir(parents=True)
    (out / "prod" / "storefront-web").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="prod/storefront-web: is a symbolic link"):
        write_plans(out, plans_for("storefront-web"))
    assert list(outside.iterdir()) == []


def test_a_linked_cluster_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "prod").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="prod: is a symbolic link"):
        write_plans(out, plans_for("api"))
    assert list(outside.iterdir()) == []


def test_files_of_an_earlier_run_are_listed_and_kept(tmp_path: Path) -> None:
    first = write_plans(tmp_path, plans_for("api", "old"))
    assert "stale_files" not in first
    [old] = [entry for entry in first["plans"] if entry["service"] == "old"]
    (tmp_path / "notes.txt").write_text("mine")
    second = write_plans(tmp_path, plans_for("api"))
    stale = second["stale_files"]
    assert "notes.txt" in stale
    assert [s for s in stale if s.startswith("prod/old/")] == sorted(
        f"prod/old/{name}" for name in old["files"])
    assert not any(s.startswith("prod/api/") or s == "plan.json" for s in stale)
    assert all((tmp_path / s).exists() for s in stale)          # nothing deleted
    warning = stale_warning(tmp_path, second)
    assert warning is not None and "prod/old/PLAN.md" in warning and "notes.txt" in warning
    assert json.loads((tmp_path / "plan.json").read_text())["stale_files"] == stale


def test_fix_cli_warns_about_stale_files_and_refuses_links(tmp_path: Path) -> None:
    docs = [{"taskDefinition": task_definition(containers=[container(privileged=True)])},
            {"services": [service("api")]}]
    (tmp_path / "in").mkdir()
    for index, doc in enumerate(docs):
        (tmp_path / "in" / f"{index}.json").write_text(json.dumps(doc))
    out = tmp_path / "out"
    (out / "prod" / "gone").mkdir(parents=True)
    (out / "prod" / "gone" / "PLAN.md").write_text("an old plan")
    result = CliRunner().invoke(main, ["fix", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: 1 file(s)" in result.output and "prod/gone/PLAN.md" in result.output
    assert (out / "prod" / "gone" / "PLAN.md").read_text() == "an old plan"
    (out / "plan.json").unlink()
    (out / "plan.json").symlink_to(tmp_path / "victim")
    result = CliRunner().invoke(main, ["fix", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 2
    assert "plan.json: is a symbolic link" in result.output
    assert not (tmp_path / "victim").exists()


def test_the_arn_account_region_used_by_plans_is_the_builders() -> None:
    """The helper's plans are in the builders' account and region (the ARN test above relies
    on a different account giving a different ARN)."""
    [plan] = plans_for("web")
    assert plan.arn == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/web"
