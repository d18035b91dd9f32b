"""Remediation: guidance for every trait and the summary of changes for a finding."""
