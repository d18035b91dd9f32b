"""Detectors: pure functions ``resource → traits``, one module per trait family."""
