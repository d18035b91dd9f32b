"""Vulnerability report parsers, one module per scanner format, all producing
:class:`ecs_exposure.vulnerabilities.Vulnerability` records grouped per image.

Each module's ``read`` is a document reader, listed in ``sources/readers.py``, so reports are
recognised by content like every other input.
"""
