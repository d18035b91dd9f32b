"""``ecs-exposure init``: write a commented starter ``.ecs-exposure.yaml``."""

from __future__ import annotations

from pathlib import Path

import click

from ecs_exposure.cli.options import output_option


@click.command()
@click.option("--account", "accounts", multiple=True, metavar="ID",
              help="Account whose private ECR registry is trusted (repeatable).")
@click.option("--aws", "use_aws", is_flag=True,
              help="Take the account from the current AWS credentials (STS "
                   "GetCallerIdentity) when no --account is given.")
@click.option("--profile", help="With --aws: AWS named profile.")
@click.option("--region", help="With --aws: region for STS (default: the configured one).")
@output_option("File to write [default: .ecs-exposure.yaml in the current folder].")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(accounts: tuple[str, ...], use_aws: bool, profile: str | None, region: str | None,
         output: Path | None, force: bool) -> None:
    """Write a commented starter configuration with the image policy.

    The account's private ECR registry is trusted; signatures and scans are required only
    once configured (until then `ecs-exposure image` reports them as not configured).
    Without --account or --aws the trusted list is a commented example.

    \b
    Examples:
      ecs-exposure init --account 111122223333
      ecs-exposure init --aws --profile prod
    """
    from ecs_exposure.analysis.images.starter import ACCOUNT, CONFIG_NAME, starter_config
    from ecs_exposure.cli.output import stderr_console, writing_to

    for account in accounts:
        if not ACCOUNT.fullmatch(account):
            raise click.BadParameter("must be a 12-digit AWS account id",
                                     param_hint="--account")
    if (profile or region) and not use_aws:
        raise click.UsageError("--profile and --region need --aws")
    found = list(accounts)
    if use_aws and not found:
        found = [_caller_account(profile, region)]
    target = output or Path(CONFIG_NAME)
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; give --force to overwrite it")
    with writing_to(target):
        target.write_text(starter_config(found), encoding="utf-8")
    trusted = (f"private ECR of {', '.join(found)} trusted" if found
               else "no trusted registry list yet (give --account)")
    stderr_console().print(f"wrote {target}: {trusted}; signatures and scans not configured "
                           "yet", markup=False, highlight=False, soft_wrap=True)


def _caller_account(profile: str | None, region: str | None) -> str:
    """The account of the current credentials (raises :class:`CollectionError`)."""
    from ecs_exposure.sources.aws.options import CollectOptions
    from ecs_exposure.sources.aws.session import open_base

    return open_base(CollectOptions(profile=profile,
                                    regions=(region,) if region else ())).account.id
