from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ecs_exposure.sources.aws.api import Sink
from ecs_exposure.sources.aws.collector import Target, _IamStarter
from ecs_exposure.sources.aws.session import Account
from ecs_exposure.sources.aws.state import RegionState


def _target(account: str, *regions: str) -> Target:
    clients: Any = None    # no roles are named, so IAM makes no call
    return Target(Account(account, "aws", clients), list(regions))


def test_an_accounts_iam_starts_once_all_its_regions_have_task_definitions() -> None:
    one, two = _target("111111111111", "us-east-1", "eu-west-1"), _target("222222222222",
                                                                          "us-east-1")
    with ThreadPoolExecutor(2) as pool:
        starter = _IamStarter(pool, Sink(), [one, two])
        starter.ready(RegionState(one.account.id, "us-east-1"))
        assert starter.futures == []              # eu-west-1 of the same account still reads
        starter.ready(RegionState(two.account.id, "us-east-1"))
        assert len(starter.futures) == 1          # the second account is whole
        starter.ready(RegionState(one.account.id, "eu-west-1"))
        assert len(starter.futures) == 2
        one.states = [RegionState(one.account.id, r) for r in one.regions]
        two.states = [RegionState(two.account.id, "us-east-1")]
        starter.start_rest([one, two])
        assert len(starter.futures) == 2          # never twice
        for future in starter.futures:
            future.result()
    assert one.iam is None and two.iam is None     # no roles named: nothing to read
