"""Readers of image archives, OCI layouts and ECR outputs."""
