"""Hardened images (WA SEC06-BP02): reading images offline, the policy, signatures, ECR data."""
