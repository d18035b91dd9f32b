"""Unit tests, mirroring the source tree (``tests/unit/<package>/``)."""
