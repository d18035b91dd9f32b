"""``ecs-exposure image``: check one image against the hardened-image policy, for CI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecs_exposure.cli.exit_codes import ExitCode
from ecs_exposure.cli.options import config_option, images_option, policy_option

if TYPE_CHECKING:
    from ecs_exposure.sources.config import Config


@click.command()
@click.argument("target")
@policy_option("Hardened-image policy (YAML).")
@click.option("--ref", "reference", help="The reference the image will be deployed as "
              "(registry/repository:tag), when TARGET is an archive or layout.")
@images_option("Folder of archives/layouts to find TARGET (a reference) and signatures in.")
@click.option("--context", "context", multiple=True, type=click.Path(path_type=Path),
              help="ECR describe-repositories/describe-images/scanning outputs (repeatable).")
@click.option("--arch", type=click.Choice(("amd64", "arm64")), default="amd64",
              show_default=True, help="Platform of a multi-arch image to check.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default=None,
              help="Output format (default: table on a terminal, json otherwise).")
@config_option
def image(target: str, policy_file: Path | None, reference: str | None,
          images_dir: Path | None, context: tuple[Path, ...], arch: str,
          fmt: str | None, config: Config) -> None:
    """Check one image against the hardened-image policy, for CI.

    TARGET is an image archive (docker save), an OCI layout directory, or a reference
    (registry/repository:tag or @sha256:digest) found in --images or in ECR --context files.
    Exit codes: 0 the policy passes, 1 it fails, 2 usage error or unreadable image.

    \b
    Examples:
      ecs-exposure image build/app.tar --ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1.2
      ecs-exposure image ./oci-layout --policy image-policy.yaml --format json
    """
    import orjson
    from rich.console import Console

    from ecs_exposure.cli.inputs import policy_from
    from ecs_exposure.exposure.image_gate import result_dict, run_gate
    from ecs_exposure.reporters import image_table
    from ecs_exposure.settings import ScanSettings
    from ecs_exposure.sources.images.load import gate_target
    from ecs_exposure.sources.load import load_inputs, prepare_images

    policy = policy_from(policy_file) if policy_file or config.policy is None else config.policy
    settings = ScanSettings(policy=policy)
    inventory, _ = load_inputs(context)
    errors = prepare_images(inventory, settings, images_dir)
    ref_text, reference_known = gate_target(target, reference, arch, inventory.images,
                                            extra_files=settings.policy.extra_files)
    gate = run_gate(ref_text, inventory, settings, reference_known=reference_known,
                    errors=errors, arch=arch)
    if gate is None:
        raise click.BadParameter(f"{target!r} is neither a readable image nor a valid image "
                                 "reference", param_hint="TARGET")
    doc = result_dict(gate)
    if (fmt or ("table" if sys.stdout.isatty() else "json")) == "json":
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        image_table.render(doc, Console(highlight=False))
    sys.exit(ExitCode.OK if gate.passed else ExitCode.FAILED)
