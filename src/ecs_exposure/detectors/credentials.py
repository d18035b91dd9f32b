"""Plaintext credentials in a task definition: anyone allowed ``ecs:DescribeTaskDefinition``
(and every log and CI system the definition passes through) can read them.

The value is never shown: a match reports the variable name, the kind of credential, its length
and a short keyed fingerprint (HMAC-SHA-256 under the installation's key) so that the same
secret can be recognised across files, and a guessed value cannot be confirmed without the key.

Example: ``"environment": [{"name": "DB_PASSWORD", "value": "hunter2hunter2"}]`` fires
``plaintext-credentials`` at ``/containerDefinitions/0/environment/0``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.analysis.secrets import SecretMatch, classify_env, scan_argument
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.detectors.util import as_dict, as_list, container_name, containers, escape_pointer
from ecs_exposure.model import Level, Trait

PLAINTEXT = TraitSpec(
    "plaintext-credentials", "Plaintext credentials in the task definition", "misconfiguration",
    False,
    "An environment variable, command/entryPoint argument or log router option holds a "
    "literal credential (AWS keys, passwords, tokens, private keys, URLs with passwords).",
    ("Security Hub: ECS service has cleartext credentials in the environment variables",
     "CSPM ECS.8"),
    weight="high",
    controls=(ref.ECS_8, ref.NIST_CLEARTEXT_SECRETS),
    title_phrase="plaintext credentials",
    revision_action="moves the credentials to secrets[].valueFrom",
    ocsf_impact="Credential Exposure",
    asff_type="Sensitive Data Identifications/Passwords",
    guidance=Guidance(
        why=(
            "Values in `environment[]`, `command`, `entryPoint` or "
            "`logConfiguration.options` are stored in clear text in the task "
            "definition, so anyone allowed `ecs:DescribeTaskDefinition` (and every "
            "tool that copies task definitions) has already read the credential and "
            "can use it outside your account's control."
        ),
        change=(
            "Move each value to `secrets[].valueFrom` pointing at a Secrets Manager "
            "secret or an SSM Parameter Store SecureString (log-router options go to "
            "`logConfiguration.secretOptions`), grant the execution role read access "
            "to it, register a new revision and `update-service`; then rotate the "
            "exposed credential, because the old value must be treated as leaked. "
            "Replace AWS access keys with the task role (`taskRoleArn`) instead of "
            "storing them at all."
        ),
        contain=(
            "Keep a literal that must stay for a while short-lived and narrowly "
            "scoped, and restrict `ecs:DescribeTaskDefinition` to the people and tools "
            "that deploy the service."
        ),
        references=(
            ref.ECS_8.url,
            ref.SH_ECS_EXPOSURE,
            ref.ECS_SECRETS,
            ref.ECS_TASK_ROLE,
        ),
    ),
)

AWS_KEY_PHRASE = "plaintext AWS access keys"
"""The title phrase instead of the spec's when the credential is an AWS access key."""


def _trait(ctx: Context, pointer: str, where: str, name: str, match: SecretMatch,
           container: str) -> Trait:
    return ctx.trait(
        PLAINTEXT.id, pointer, f"container {container}: {where} {match.describe(name)}",
        container=container, impact=Level.HIGH if match.aws_key else Level.MEDIUM,
        extra=(("variable", name), ("kind", match.kind), ("length", match.length),
               ("fingerprint", match.fingerprint), ("aws_key", match.aws_key)),
    )


_UNSEEN = object()


def _classify(verdicts: dict[tuple[str, str], SecretMatch | None], name: str,
              value: object) -> SecretMatch | None:
    """:func:`classify_env`, once per distinct name and value in a scan (``verdicts`` is the
    scan memo's table): revisions of one family, and families of one team, repeat most of
    their settings."""
    if not isinstance(value, str):
        return classify_env(name, value)
    key = (name, value)
    found = verdicts.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = verdicts[key] = classify_env(name, value)
    return found  # type: ignore[return-value]


@detector("task-definition", PLAINTEXT)
def plaintext_credentials(ctx: Context) -> Iterator[Trait]:
    """Environment, command, entryPoint and log options; ``secrets``/``secretOptions`` are
    references to Secrets Manager or SSM and are what we want users to move to."""
    verdicts: dict[tuple[str, str], SecretMatch | None] = ctx.memo.table("credentials.env")
    for index, container in containers(ctx.resource):
        name = container_name(container, index)
        base = f"/containerDefinitions/{index}"
        for e_index, entry in enumerate(as_list(container.get("environment"))):
            if not isinstance(entry, dict):
                continue
            variable = entry.get("name")
            if not isinstance(variable, str):
                continue
            match = _classify(verdicts, variable, entry.get("value"))
            if match:
                yield _trait(ctx, f"{base}/environment/{e_index}", "environment variable",
                             variable, match, name)
        for field_name in ("command", "entryPoint"):
            arguments = container.get(field_name)
            if not arguments:
                continue
            for a_index, argument in enumerate(as_list(arguments)):
                match = scan_argument(argument)
                if match:
                    label = f"{field_name}[{a_index}]"
                    yield _trait(ctx, f"{base}/{field_name}/{a_index}", "argument", label,
                                 match, name)
        options = as_dict(as_dict(container.get("logConfiguration")).get("options"))
        for option, value in options.items():
            match = _classify(verdicts, str(option), value)
            if match:
                yield _trait(
                    ctx, f"{base}/logConfiguration/options/{escape_pointer(option)}",
                    "log option", str(option), match, name,
                )
