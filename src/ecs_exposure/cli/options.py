"""Options several commands share, declared once so they cannot drift apart."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ecs_exposure.errors import CollectionError
from ecs_exposure.sources.aws.options import CollectOptions

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

FAIL_ON = ("critical", "high", "medium", "low", "none")
AWS_DEFAULTS = CollectOptions()


def aws_options(func: Callable[..., None]) -> Callable[..., None]:
    """``--aws`` and the options of live collection, handed to the command as one
    ``aws: CollectOptions | None`` argument (``None`` without ``--aws``)."""
    return _aws_options(func, implied=False)


def implied_aws_options(func: Callable[..., None]) -> Callable[..., None]:
    """The same options for a command whose only source is AWS (``collect``): ``--aws`` is
    accepted but implied, and ``aws`` is never ``None``."""
    return _aws_options(func, implied=True)


def _aws_options(func: Callable[..., None], implied: bool) -> Callable[..., None]:

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        live = kwargs.pop("aws_flag") or implied
        options = CollectOptions(
            profile=kwargs.pop("profile"), regions=tuple(kwargs.pop("regions")),
            role_name=kwargs.pop("role_name"), accounts=tuple(kwargs.pop("accounts")),
            organization=kwargs.pop("organization"), external_id=kwargs.pop("external_id"),
            max_workers=kwargs.pop("max_workers"))
        if not live and options != AWS_DEFAULTS:
            raise click.UsageError("AWS options (--profile, --region, --role-name, --account, "
                                   "--organization, --external-id, --max-workers) need --aws")
        try:
            options.check()
        except CollectionError as exc:
            raise click.UsageError(str(exc)) from None
        func(*args, aws=options if live else None, **kwargs)

    for option in reversed((
        click.option("--aws", "aws_flag", is_flag=True,
                     help="Collect live from AWS (read-only) with the standard credential "
                          "chain" + (" (the default; accepted for compatibility)." if implied
                                     else ".")),
        click.option("--profile", help="AWS named profile (default: the credential chain)."),
        click.option("--region", "regions", multiple=True, metavar="REGION",
                     help="Region to collect; repeatable, or 'all' for every enabled region "
                          "(default: the configured region)."),
        click.option("--role-name", metavar="NAME",
                     help="Role to assume in each --account or organization account."),
        click.option("--account", "accounts", multiple=True, metavar="ID",
                     help="Account to collect by assuming --role-name in it; repeatable."),
        click.option("--organization", is_flag=True,
                     help="Collect every active account of the AWS Organization "
                          "(with --role-name)."),
        click.option("--external-id", help="External ID the role's trust policy requires."),
        click.option("--max-workers", type=click.IntRange(1, 64),
                     default=AWS_DEFAULTS.max_workers, show_default=True,
                     help="Accounts × regions collected at once."),
    )):
        wrapper = option(wrapper)
    return wrapper


def intel_dir_option(help_text: str) -> Decorator:
    """``--intel-dir``: the exploit-intelligence cache (also ``ECS_EXPOSURE_INTEL_DIR``)."""
    return click.option("--intel-dir", type=click.Path(path_type=Path, file_okay=False),
                        envvar="ECS_EXPOSURE_INTEL_DIR", help=help_text)


def policy_option(help_text: str) -> Decorator:
    """``--policy``: the hardened-image policy file."""
    return click.option("--policy", "policy_file",
                        type=click.Path(path_type=Path, dir_okay=False), help=help_text)


def images_option(help_text: str) -> Decorator:
    """``--images``: a folder of image archives and OCI layouts."""
    return click.option("--images", "images_dir", type=click.Path(path_type=Path),
                        help=help_text)


def _load_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Any:
    """Read the config file before the other options, so its ``options`` for this command
    become their defaults (Click's ``default_map``: anything on the command line wins)."""
    from ecs_exposure.sources.config import Config, find_config, load_config

    path = value or find_config(Path())
    if path is None:
        return Config()
    config = load_config(path)
    by_flag = {opt[2:]: param for param in ctx.command.params
               for opt in param.opts if opt.startswith("--")}
    defaults: dict[str, Any] = {}
    for key, default in config.options.get(ctx.command.name or "", {}).items():
        param = by_flag.get(key)
        if param is None or param.name is None:      # the schema and the command disagree
            raise click.UsageError(f"{path}: options.{ctx.command.name}.{key} is not an "
                                   f"option of {ctx.command.name}")
        multiple = isinstance(param, click.Option) and param.multiple
        defaults[param.name] = [default] if multiple and isinstance(default, str) else default
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return config


def config_option(func: Callable[..., None]) -> Callable[..., None]:
    """``--config``: the config file (default ``.ecs-exposure.yaml`` in the current directory,
    if there is one), handed to the command as ``config:``
    :class:`ecs_exposure.sources.config.Config`."""
    return click.option(
        "--config", "config", type=click.Path(path_type=Path, dir_okay=False, exists=True),
        is_eager=True, expose_value=True, callback=_load_config,
        help="Config file: default options, image policy, suppressions "
             "[default: .ecs-exposure.yaml in the current directory, if any].")(func)


def quiet_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--quiet``: no summary line, notes or progress on standard error; errors are still
    printed (a CI log must show what could not be read)."""
    return click.option("--quiet", "-q", is_flag=True,
                        help="Print only errors on standard error (no summary, notes or "
                             "progress).")(func)


def output_option(help_text: str) -> Decorator:
    """``-o/--output``: the one file a command writes (every command names it the same)."""
    return click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
                        help=help_text)


def output_dir_option(help_text: str) -> Decorator:
    """``--output-dir``: the folder a command writes its files into, under fixed names."""
    return click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False),
                        help=help_text)


def source_root_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--source-root``: the folder SARIF file locations are relative to (the repository's
    root for GitHub code scanning)."""
    return click.option("--source-root", type=click.Path(path_type=Path, file_okay=False),
                        help="SARIF: give file locations relative to this folder, the "
                             "repository root for GitHub code scanning [default: the current "
                             "directory].")(func)


STORE_HELP = ("Findings store: a SQLAlchemy URL (sqlite:///PATH, postgresql://USER@HOST/DB) "
              "[default: $ECS_EXPOSURE_STORE, else store.db in the user's data folder].")


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--store URL``: the findings store a command reads (``history``, ``diff``)."""
    return click.option("--store", "store_url", metavar="URL", help=STORE_HELP)(func)


def record_store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--store [URL]`` (the value is optional: a bare ``--store`` records into the default
    store) and ``--store-retention``, for the command that records scans (``scan``)."""
    func = click.option(
        "--store-retention", metavar="N|Nd",
        help="With --store: after recording, keep only the last N scans, or (Nd) the scans "
             "recorded in the last N days.")(func)
    return click.option(
        "--store", "store_url", is_flag=False, flag_value="", default=None, metavar="[URL]",
        help="Record this scan (metadata, findings, posture, errors) in the findings store; "
             "suppressions made in the store apply. " + STORE_HELP)(func)


def executor_options(func: Callable[..., None]) -> Callable[..., None]:
    """``--executor``, ``--shards`` and ``--resume`` (issue 19: collection and scans as units
    on an engine), handed to the command as one ``executor: ExecutorOptions`` argument; they
    apply to ``--aws`` only."""
    from ecs_exposure.distributed.options import ExecutorOptions

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        executor = ExecutorOptions(kwargs.pop("executor_spec"), kwargs.pop("shards"),
                                   kwargs.pop("resume"))
        try:
            executor.check()
        except CollectionError as exc:
            raise click.UsageError(str(exc)) from None
        if executor != ExecutorOptions() and kwargs.get("aws") is None:
            raise click.UsageError("--executor, --shards and --resume need --aws")
        func(*args, executor=executor, **kwargs)

    for option in reversed((
        click.option("--executor", "executor_spec", default="local", show_default=True,
                     metavar="local|dask://HOST:PORT|dask-local[:N]",
                     help="Where the account, region and IAM units run: threads here, an "
                          "existing Dask scheduler, or a local Dask cluster of N worker "
                          "processes."),
        click.option("--shards", metavar="DIR|s3://BUCKET/PREFIX",
                     help="Keep each unit's snapshot shard here (required with dask://); "
                          "default: a temporary folder."),
        click.option("--resume", is_flag=True,
                     help="Skip the units whose shard is already in --shards."),
    )):
        wrapper = option(wrapper)
    return wrapper
