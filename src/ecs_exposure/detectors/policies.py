"""Admin and service-admin grants in IAM policy documents.

The grant logic now lives in :mod:`ecs_exposure.analysis.iam.grants`, beside the
effective-permission
evaluator it shares parsing with; this module keeps the names detectors and tests import.
"""

from __future__ import annotations

from ecs_exposure.analysis.iam.document import statements, strings
from ecs_exposure.analysis.iam.grants import Grant, GrantKind, analyse_document, denies_everything
from ecs_exposure.analysis.iam.managed import aws_managed_name as managed_policy_name

__all__ = ["Grant", "GrantKind", "analyse_document", "denies_everything",
           "managed_policy_name", "statements", "strings"]
