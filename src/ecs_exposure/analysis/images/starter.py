"""The commented starter ``.ecs-exposure.yaml`` that ``ecs-exposure init`` writes.

Its ``policy`` section is the hardened-image policy (the same schema as a ``--policy`` file)
set up so the ``image`` gate is useful on the first run: the account's own private ECR
registry trusted, and signatures and scans left *not configured* (reported, not failing)
until the user adds a key or sets ``require_scan``. The comments say how to tighten each.
"""

from __future__ import annotations

import re

CONFIG_NAME = ".ecs-exposure.yaml"
"""The configuration file's name, looked for in the current folder."""
ACCOUNT = re.compile(r"\d{12}")

_HEAD = """\
# ecs-exposure configuration, written by `ecs-exposure init`.
#
# `ecs-exposure image IMAGE --policy {name}` (and `scan --policy`) read the image policy
# below; its JSON Schema is src/ecs_exposure/analysis/images/policy.schema.json.
# Until a check is configured, `ecs-exposure image` reports it as "not configured" instead
# of failing the image: signatures until a key, identity or trust root is set below, scans
# until `require_scan: true`, registries until `registries.trusted` lists them.

policy:
  version: 1
"""

_TRUSTED = """\
  registries:
    # Where images may come from: globs on the registry host, or on registry/repository
    # when the pattern has a '/'. Listing them makes every other registry fail.
    trusted:
      - public.ecr.aws
{accounts}
"""

_UNTRUSTED = """\
  # registries:
  #   # Where images may come from (globs). Without this list, ecs-exposure image judges
  #   # Docker Hub & co. against public.ecr.aws only and does not judge private ECR
  #   # registries. Run `ecs-exposure init --account 111122223333 --force` to fill it in.
  #   trusted:
  #     - public.ecr.aws
  #     - "111122223333.dkr.ecr.*.amazonaws.com"    # your account id here
"""

_TAIL = """\

  # Images must have a scan result (ECR scan or a scanner report) newer than
  # max_scan_age_days; uncomment once scanning runs before the gate.
  # require_scan: true
  # max_scan_age_days: 30

  # Images must carry a verified signature once one of these is configured
  # (paths are relative to this file):
  # signatures:
  #   cosign:
  #     keys: [cosign.pub]
  #   keyless:
  #     identities:
  #       - issuer: https://token.actions.githubusercontent.com
  #         subject_regex: "^https://github.com/my-org/.*"
  #   notation:
  #     trust_roots: [notation-root.pem]

  # Reference images by digest even in tag-immutable repositories:
  # require_digest: true
  # Builds or pushes older than this many days are stale:
  max_image_age_days: 90
"""


def starter_config(accounts: list[str]) -> str:
    """The starter file, trusting the private ECR registries of ``accounts`` (12-digit ids)
    or, with none, leaving the trusted list as a commented example."""
    for account in accounts:
        if not ACCOUNT.fullmatch(account):
            raise ValueError(f"{account!r} is not a 12-digit AWS account id")
    text = _HEAD.format(name=CONFIG_NAME)
    if accounts:
        lines = "\n".join(f'      - "{a}.dkr.ecr.*.amazonaws.com"    # account {a}\'s private '
                          "ECR" for a in dict.fromkeys(accounts))
        text += _TRUSTED.format(accounts=lines)
    else:
        text += _UNTRUSTED
    return text + _TAIL
