"""``ecs-exposure image``: check one image against the hardened-image policy, for CI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecs_exposure.cli.exit_codes import ExitCode
from ecs_exposure.cli.options import (
    config_option,
    images_option,
    output_dir_option,
    output_option,
    policy_option,
    quiet_option,
    source_root_option,
)

if TYPE_CHECKING:
    from ecs_exposure.sources.config import Config

IMAGE_FORMATS = {"table": "image.txt", "json": "image.json", "sarif": "image.sarif"}
"""``--format`` names and their file names under ``--output-dir``."""


@click.command()
@click.argument("target")
@policy_option("Hardened-image policy (YAML), or an .ecs-exposure.yaml whose 'policy' key "
               "holds it.")
@click.option("--ref", "reference", help="The reference the image will be deployed as "
              "(registry/repository:tag), when TARGET is an archive or layout.")
@images_option("Folder of archives/layouts to find TARGET (a reference) and signatures in.")
@click.option("--context", "context", multiple=True, type=click.Path(path_type=Path),
              help="ECR describe-repositories/describe-images/scanning outputs (repeatable).")
@click.option("--arch", type=click.Choice(("amd64", "arm64")), default="amd64",
              show_default=True, help="Platform of a multi-arch image to check.")
@click.option("--format", "fmt", default=None,
              help="Output format: table, json or sarif; several, comma-separated, with "
                   "--output-dir (default: table on a terminal, json otherwise).")
@output_option("Write the report to this file instead of standard output.")
@output_dir_option("Write every chosen format into this folder (image.txt, image.json, "
                   "image.sarif).")
@quiet_option
@source_root_option
@config_option
def image(target: str, policy_file: Path | None, reference: str | None,
          images_dir: Path | None, context: tuple[Path, ...], arch: str,
          fmt: str | None, output: Path | None, output_dir: Path | None, quiet: bool,
          source_root: Path | None, config: Config) -> None:
    """Check one image against the hardened-image policy, for CI.

    TARGET is an image archive (docker save), an OCI layout directory, or a reference
    (registry/repository:tag or @sha256:digest) found in --images or in ECR --context files.
    Checks the policy does not configure yet (signature keys, require_scan, trusted
    registries) are reported as not configured instead of failing.
    Exit codes: 0 the policy passes, 1 it fails, 2 usage error or unreadable image.

    \b
    Examples:
      ecs-exposure image build/app.tar --ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1.2
      ecs-exposure image ./oci-layout --policy .ecs-exposure.yaml --format sarif -o image.sarif
    """
    from ecs_exposure.cli.inputs import policy_from
    from ecs_exposure.cli.output import print_error, stderr_console, writing_to
    from ecs_exposure.exposure.image_gate import result_dict, run_gate
    from ecs_exposure.reporters.terminal import safe
    from ecs_exposure.settings import ScanSettings
    from ecs_exposure.sources.images.load import gate_target
    from ecs_exposure.sources.load import load_inputs, prepare_images

    names = [n.strip().lower() for n in (fmt or "").split(",") if n.strip()]
    for name in names:
        if name not in IMAGE_FORMATS:
            raise click.BadParameter(f"{name!r} is not one of {', '.join(IMAGE_FORMATS)}",
                                     param_hint="--format")
    names = list(dict.fromkeys(names)) or [
        "table" if output is None and output_dir is None and sys.stdout.isatty() else "json"]
    if len(names) > 1 and output_dir is None:
        raise click.UsageError("several formats need --output-dir")
    if output is not None and output_dir is not None:
        raise click.UsageError("use either --output or --output-dir")

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
    if output_dir is not None:
        with writing_to(output_dir):
            output_dir.mkdir(parents=True, exist_ok=True)
            for name in names:
                (output_dir / IMAGE_FORMATS[name]).write_text(
                    _render(name, doc, False, source_root), encoding="utf-8")
    elif output is not None:
        with writing_to(output):
            output.write_text(_render(names[0], doc, False, source_root), encoding="utf-8")
    elif names[0] == "table":
        from rich.console import Console

        from ecs_exposure.reporters import image_table

        image_table.render(doc, Console(highlight=False))
    else:
        sys.stdout.write(_render(names[0], doc, False, source_root))
    stderr = stderr_console()
    for error in doc["errors"]:
        print_error(stderr, f"{error['source']}: {error['message']}")
    if not quiet:
        failing = [t["id"] for t in doc["traits"] if t["gating"]]
        line = f"ecs-exposure image: {doc['verdict'].upper()} {doc['image']}"
        line += f" ({', '.join(failing)})" if failing else ""
        if doc["not_configured"]:
            line += ("; not configured: "
                     + ", ".join(item["trait"] for item in doc["not_configured"]))
        stderr.print(safe(line), markup=False, highlight=False, soft_wrap=True)
    sys.exit(ExitCode.OK if gate.passed else ExitCode.FAILED)


def _render(name: str, doc: dict[str, Any], terminal: bool,
            source_root: Path | None = None) -> str:
    """The report of one gate run in format ``name``, as text (SARIF locations relative to
    ``source_root``)."""
    if name == "json":
        import orjson

        return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
    if name == "sarif":
        from ecs_exposure.reporters import image_sarif

        return image_sarif.render(doc, source_root)
    import io

    from rich.console import Console

    from ecs_exposure.reporters import image_table

    buffer = io.StringIO()
    image_table.render(doc, Console(file=buffer, width=100, color_system=None,
                                    force_terminal=terminal, highlight=False))
    return buffer.getvalue()
