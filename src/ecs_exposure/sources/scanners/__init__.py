"""Vulnerability report parsers, one module per scanner format, all producing
:class:`ecs_exposure.analysis.vulnerabilities.records.Vulnerability` records grouped per image.

Importing this package registers every parser as a document reader (``sources/readers.py``),
so reports are recognised by content like every other input.
"""

from ecs_exposure.sources.scanners import (  # noqa: F401  (imported to register)
    cyclonedx,
    ecr_scan,
    grype,
    inspector,
    trivy,
)
