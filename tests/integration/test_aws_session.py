"""Sessions against the moto server: a distributed run's units share an account's role
credentials within one process and one run, never across runs; sessions built on the copied
built-in handlers work as botocore's own."""

from __future__ import annotations

from ecs_exposure.sources.aws.options import CollectOptions
from ecs_exposure.sources.aws.session import assume, open_base
from support.aws_fixtures import SCANNER_ROLE, Estate, MotoServer


def assumed(server: MotoServer) -> int:
    return sum(r.operation == "AssumeRole" for r in server.requests)


def test_units_of_one_run_share_the_role_and_the_next_run_assumes_it_again(
        aws_estate: Estate, aws_env: dict[str, str], moto_server: MotoServer) -> None:
    options = CollectOptions(role_name=SCANNER_ROLE, accounts=(aws_estate.member,))
    base = open_base(options)
    moto_server.reset_log()
    first = assume(base, aws_estate.member, options, reuse="run-1")
    again = assume(base, aws_estate.member, options, reuse="run-1")
    assert assumed(moto_server) == 1
    assert again.clients.client("sts").get_caller_identity()["Account"] == aws_estate.member
    assert first.clients is not again.clients          # each unit its own clients and hooks
    assume(base, aws_estate.member, options, reuse="run-2")
    assume(base, aws_estate.member, options)            # the in-process collection: no reuse
    assert assumed(moto_server) == 3
