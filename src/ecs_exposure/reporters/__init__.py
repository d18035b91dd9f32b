"""Reporters render one ScanResult; none of them recomputes anything."""
