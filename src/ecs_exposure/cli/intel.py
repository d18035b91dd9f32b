"""``ecs-exposure intel``: the exploit-intelligence cache (FIRST EPSS, CISA KEV)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecs_exposure.cli.exit_codes import ExitCode
from ecs_exposure.cli.options import intel_dir_option


@click.group()
def intel() -> None:
    """Exploit intelligence (FIRST EPSS, CISA KEV) cached for offline scans."""


@intel.command()
@intel_dir_option("Cache folder to fill.")
@click.option("--epss-url", help="EPSS source [default: FIRST's current scores file].")
@click.option("--kev-url", help="KEV source [default: CISA's catalog feed].")
@click.option("--timeout", type=click.FloatRange(1, 600), default=60.0, show_default=True,
              help="Seconds per download.")
def update(intel_dir: Path | None, epss_url: str | None, kev_url: str | None,
           timeout: float) -> None:
    """Download the current EPSS scores and KEV catalog into the cache (needs network)."""
    from ecs_exposure.sources import intel as intel_cache

    epss_url = epss_url or intel_cache.EPSS_URL
    kev_url = kev_url or intel_cache.KEV_URL
    directory = intel_dir or intel_cache.default_intel_dir()
    results = intel_cache.update(directory, {"epss": epss_url, "kev": kev_url}, timeout)
    for item in results:
        if item.info is not None:
            click.echo(f"{item.kind}: {item.info.count:,} entries"
                       + (f", dated {item.info.date}" if item.info.date else "")
                       + f" -> {item.path}")
        else:
            click.echo(f"{item.kind}: {item.error} ({item.url}); cached copy kept", err=True)
    sys.exit(ExitCode.OK if all(item.info is not None for item in results) else ExitCode.FAILED)


@intel.command()
@intel_dir_option("Cache folder to inspect.")
def status(intel_dir: Path | None) -> None:
    """Show what the cache holds and how old it is."""
    from ecs_exposure.cli.output import print_error, stderr_console
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.model import SourceError
    from ecs_exposure.sources.intel import default_intel_dir, load_intel_dir

    directory = intel_dir or default_intel_dir()
    inventory = Inventory()
    errors: list[SourceError] = []
    load_intel_dir(inventory, directory, errors)
    sources = inventory.vulnerabilities.intel.sources
    if not sources and not errors:
        click.echo(f"no exploit intelligence cached in {directory}; run "
                   "'ecs-exposure intel update' or pass EPSS/KEV files to scan")
    for info in sources:
        click.echo(f"{info.kind}: {info.count:,} entries, version {info.version or '?'}, "
                   f"dated {info.date or '?'} ({info.source})")
    stderr = stderr_console()
    for error in errors:
        print_error(stderr, f"{error.source}: {error.message}")
