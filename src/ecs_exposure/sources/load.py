"""Everything a scan reads before it detects anything: input files, the bundled demo, image
archives and the image policy's waivers.

The command line and the tests build their Inventory through these functions, so a test
result is read exactly like a user's scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path

from ecs_exposure.exposure.waivers import expired_errors
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import SourceError
from ecs_exposure.settings import ScanSettings
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.files import LoadReport, load_paths
from ecs_exposure.sources.images.load import load_images


def demo_paths(stack: ExitStack) -> list[Path]:
    """The bundled demo estate's folders (not its README), valid while ``stack`` is open
    (the package may be a zip, extracted for as long as it is used)."""
    demo_dir = stack.enter_context(as_file(files("ecs_exposure") / "demo"))
    return sorted(p for p in demo_dir.iterdir() if p.is_dir())


def load_inputs(paths: Iterable[Path], on_file: Callable[[Path], None] | None = None,
                context: ReadContext | None = None) -> tuple[Inventory, LoadReport]:
    """A new Inventory holding every file under ``paths``, and what happened to each file;
    ``on_file`` is told each file as it is read (a progress display); ``context`` is the scan's
    (:func:`.readers.read_context`, with its ``--parameters`` values), by default one without
    template parameters."""
    inventory = Inventory()
    return inventory, load_paths(paths, inventory, context=context, on_file=on_file)


def prepare_images(inventory: Inventory, settings: ScanSettings, images_dir: Path | None
                   ) -> list[SourceError]:
    """Load the image archives and layouts under ``images_dir`` (reading the policy's extra
    files from each); returns the images' errors and the policy's exceptions expired at the
    scan's clock."""
    errors = expired_errors(settings.policy, settings.today)
    if images_dir is not None:
        errors += load_images(images_dir, inventory.images,
                              extra_files=settings.policy.extra_files)
    return errors
