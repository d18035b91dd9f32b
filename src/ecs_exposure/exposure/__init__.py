"""Correlation: one exposure finding per service from its traits, with likelihood, impact,
severity, reason and attack path.
"""
