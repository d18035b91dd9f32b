"""Which kinds of stored data a role can read in full: every S3 object, every secret, every SSM
parameter, every DynamoDB table, anything encrypted under any KMS key.

Reading data is not escalating privilege: the role gains no permission it was not given, and
nothing here chains to another principal. It is kept apart from the escalation patterns
(:mod:`ecs_exposure.analysis.iam.patterns`) so that a role which can read every object is
reported for what it is, while its impact still counts (DESIGN §4 rates a service-admin role
such as ``s3:*`` medium: data, not control).

Each kind is "any one of these read actions on every resource of its types", answered by the
same evaluator as every other IAM question (wildcards, ``NotAction``/``NotResource``, Deny,
the permissions boundary, conditions): a read scoped to named buckets, secrets or tables is not
"every", and a condition the scan cannot decide makes the grant conditional, never dropped.

Impact: reading every secret is high — secrets are credentials (database masters, third-party
API keys, often IAM access keys), the reason DESIGN §4 rates plaintext AWS keys high; every
other kind is medium, as DESIGN §4 rates ``s3:*``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecs_exposure.analysis.iam.evaluate import ANY, Decision, Evaluator
from ecs_exposure.model import Level

ATTACK_CLOUD_STORAGE = "https://attack.mitre.org/techniques/T1530/"
ATTACK_SECRETS_STORE = "https://attack.mitre.org/techniques/T1555/006/"
KMS_KEY_POLICY = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"


@dataclass(frozen=True)
class DataKind:
    """One kind of stored data and the read actions that return all of it."""

    id: str
    """Stable name in the trait's facts (``s3-objects``)."""
    reads: str
    """What the role can do, as a verb phrase ("reads every object in every S3 bucket")."""
    gains: str
    """What the attacker ends up with ("every S3 object")."""
    actions: tuple[str, ...]
    """Any one of these on every resource is enough; the first is the one evidence names when
    several are allowed equally well."""
    impact: Level
    reference: str


DATA_KINDS: tuple[DataKind, ...] = (
    DataKind("secrets", "reads every secret in Secrets Manager",
             "every secret in Secrets Manager", ("secretsmanager:GetSecretValue",),
             Level.HIGH, ATTACK_SECRETS_STORE),
    DataKind("s3-objects", "reads every object in every S3 bucket", "every S3 object",
             ("s3:GetObject", "s3:GetObjectVersion"), Level.MEDIUM, ATTACK_CLOUD_STORAGE),
    DataKind("ssm-parameters", "reads every SSM parameter, SecureStrings included",
             "every SSM parameter",
             ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
              "ssm:GetParameterHistory"), Level.MEDIUM, ATTACK_SECRETS_STORE),
    DataKind("dynamodb-tables", "reads every DynamoDB table", "every DynamoDB table",
             ("dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem",
              "dynamodb:PartiQLSelect"), Level.MEDIUM, ATTACK_CLOUD_STORAGE),
    DataKind("kms-decrypt", "decrypts with any KMS key whose key policy defers to IAM",
             "data encrypted under any KMS key", ("kms:Decrypt", "kms:ReEncryptFrom"), Level.MEDIUM,
             KMS_KEY_POLICY),
)
"""Every kind, in the order evidence lists them (the high one first)."""

ACTIONS = frozenset(a for kind in DATA_KINDS for a in kind.actions)


@dataclass(frozen=True)
class DataAccess:
    """One kind of data the role can read in full, and the decision that allows it."""

    kind: DataKind
    action: str
    decision: Decision

    @property
    def conditional(self) -> bool:
        """Allowed only under a condition the scan cannot decide."""
        return self.decision.conditional


def data_access(evaluator: Evaluator) -> tuple[DataAccess, ...]:
    """Every kind of data the role can read in full, in :data:`DATA_KINDS` order.

    Per kind, the best-ranked of its actions (unconditional before conditional, then the
    kind's own order) is the one reported.
    """
    allowable = evaluator.allowable(ACTIONS)
    found: list[DataAccess] = []
    for kind in DATA_KINDS:
        best: DataAccess | None = None
        for action in kind.actions:
            if action not in allowable:
                continue
            decision = evaluator.decide(action, ANY)
            if decision.allowed and (best is None or decision.rank() < best.decision.rank()):
                best = DataAccess(kind, action, decision)
            if best is not None and not best.conditional:
                break
        if best is not None:
            found.append(best)
    return tuple(found)
