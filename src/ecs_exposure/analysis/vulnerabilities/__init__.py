"""Vulnerability records, CVSS vectors and the per-image vulnerability store."""
