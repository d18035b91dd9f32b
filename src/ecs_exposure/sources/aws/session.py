"""Credentials, accounts and regions: where the collection runs and as whom.

The standard boto3 credential chain is used as it is (environment, profiles, SSO, container and
instance roles), and so is every standard botocore setting (``AWS_ENDPOINT_URL``,
``AWS_MAX_ATTEMPTS``, ``AWS_RETRY_MODE``, CA bundles, proxies): the collector never passes an
endpoint or credentials of its own. Across accounts it assumes ``--role-name`` in each one,
with auto-refreshing credentials so a long scan outlives the one-hour session.

Sessions are not thread-safe, so each account has a :class:`ClientFactory` that creates
its clients under a lock; the clients themselves are thread-safe and are shared by the
account's region workers. Clients come from botocore directly: boto3 adds nothing a client
needs, and importing it (with s3transfer) costs more start-up than the calls of a small
region.
"""

from __future__ import annotations

import copy
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.hooks import HierarchicalEmitter
from botocore.loaders import Loader, create_loader

from ecs_exposure import __version__
from ecs_exposure.sources.aws.options import CollectionError, CollectOptions, Hook
from ecs_exposure.sources.aws.paging import UnreadableAnswer, bounded

DEFAULT_MAX_ATTEMPTS = 8
"""Attempts per call under adaptive retry when the user set none: throttling on large accounts
is normal, and giving up after botocore's default of 3 would leave data out."""
SESSION_NAME = "ecs-exposure"


def _retry_config(session: botocore.session.Session) -> Config:
    """Adaptive retries unless the user chose a mode; their attempt count when they set one.

    ``AWS_MAX_ATTEMPTS`` counts every attempt, so it maps to ``total_max_attempts`` (the
    ``max_attempts`` key of a client config counts retries only).
    """
    scoped = session.get_scoped_config()
    mode = os.environ.get("AWS_RETRY_MODE") or scoped.get("retry_mode") or "adaptive"
    attempts = session.get_config_variable("max_attempts") or DEFAULT_MAX_ATTEMPTS
    return Config(retries={"mode": mode, "total_max_attempts": int(attempts)},
                  user_agent_extra=f"ecs-exposure/{__version__}",
                  max_pool_connections=32)


class ClientFactory:
    """Thread-safe, cached clients of one session (one account)."""

    def __init__(self, session: botocore.session.Session, config: Config,
                 home_region: str) -> None:
        self.session = session
        self.home_region = home_region
        """Region for global services (IAM, STS, Organizations) and region discovery."""
        self._config = config
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of ``service`` in ``region`` (the home region for global services)."""
        key = (service, region or self.home_region)
        found = self._clients.get(key)      # made already: no wait behind one being made
        if found is not None:
            return found
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.create_client(service, region_name=key[1],
                                                                config=self._config)
            return self._clients[key]

    def prepare(self, services: tuple[str, ...], region: str | None = None) -> None:
        """Make these clients in the background: creating one costs tens of milliseconds of
        CPU, spent while the server answers the calls already in flight rather than before
        the first call that needs it."""
        missing = [s for s in services if (s, region or self.home_region) not in self._clients]
        if missing:
            threading.Thread(target=self._make, args=(missing, region), daemon=True,
                             name="ecs-exposure-clients").start()

    def _make(self, services: list[str], region: str | None) -> None:
        for service in services:
            try:
                self.client(service, region)
            except Exception:  # noqa: BLE001 - the call that needs it will fail and record why
                return


class _AssumedRoleProvider(CredentialProvider):  # type: ignore[misc]
    """Hands botocore credentials that refresh themselves by assuming the role again."""

    METHOD = "ecs-exposure-assume-role"
    CANONICAL_NAME = "ecs-exposure-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


_LOADERS: dict[str, Loader] = {}
_LOADERS_LOCK = threading.Lock()


def _shared_loader(core: botocore.session.Session) -> Loader:
    """One botocore data loader per process (and data path): a new session otherwise parses
    every service model again, which costs more than a unit's API calls when each account,
    or each unit of a distributed collection, has its own session."""
    path = str(core.get_config_variable("data_path") or "")
    with _LOADERS_LOCK:
        if path not in _LOADERS:
            _LOADERS[path] = create_loader(path or None)
        return _LOADERS[path]


_BUILTIN: list[HierarchicalEmitter] = []


def _builtin_handlers() -> HierarchicalEmitter:
    """A copy of botocore's built-in event handlers, registered once per process: a session
    otherwise registers (and checks the signature of) each of them again, which is most of
    the CPU a distributed unit spends outside its API calls. Registering them is all a
    session does with its emitter (botocore's own clients copy theirs the same way)."""
    with _LOADERS_LOCK:
        if not _BUILTIN:
            emitter = HierarchicalEmitter()
            botocore.session.Session(event_hooks=emitter)
            _BUILTIN.append(emitter)
        return copy.copy(_BUILTIN[0])


def _new_session(profile: str | None, hooks: tuple[Hook, ...],
                 provider: CredentialProvider | None = None
                 ) -> tuple[botocore.session.Session, Config]:
    """A session with the user's configuration, optional credentials and the event hooks."""
    core = botocore.session.Session(profile=profile, event_hooks=_builtin_handlers(),
                                    include_builtin_handlers=False)
    core.register_component("data_loader", _shared_loader(core))
    if provider is not None:
        core.get_component("credential_provider").insert_before("env", provider)
    for event, handler in hooks:
        core.register(event, handler)
    return core, _retry_config(core)


@dataclass
class Account:
    """One account to collect: its id and a client factory with working credentials."""

    id: str
    partition: str
    clients: ClientFactory


@dataclass
class Base:
    """The caller: the credentials the tool was started with."""

    account: Account
    home_region: str
    arn: str


def open_base(options: CollectOptions) -> Base:
    """The caller's session and identity; fails clearly when there are no credentials."""
    options.check()
    try:
        session, config = _new_session(options.profile, options.hooks)
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise CollectionError(str(exc)) from None
    configured = session.get_config_variable("region")
    named = [r for r in options.regions if r != "all"]
    home = configured or (named[0] if named else None)
    if home is None and options.regions == ("all",):
        raise CollectionError("--region all needs a configured region (AWS_REGION or a "
                              "profile region) to discover the enabled regions from")
    if home is None:
        raise CollectionError("no AWS region configured: pass --region (repeatable, or 'all') "
                              "or set AWS_REGION / a profile region")
    factory = ClientFactory(session, config, home)
    try:
        identity = factory.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise CollectionError(f"cannot use the AWS credentials: {exc}") from None
    arn = str(identity["Arn"])
    partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
    return Base(Account(str(identity["Account"]), partition, factory), home, arn)


_ASSUMED: OrderedDict[tuple[str, ...], RefreshableCredentials] = OrderedDict()
_ASSUMED_KEPT = 512
_ASSUMED_LOCK = threading.Lock()


def assume(base: Base, account_id: str, options: CollectOptions, *,
           reuse: str | None = None) -> Account:
    """Credentials in ``account_id`` by assuming ``options.role_name`` there.

    The caller's own account is read with the caller's credentials: the role usually exists
    only in member accounts, and assuming into oneself needs an extra trust policy.

    ``reuse`` (a run's id): the units of one distributed run that a worker process runs
    share the role's credentials (one ``sts:AssumeRole`` per account and process, not per
    unit; they refresh themselves). Never across runs: the next run assumes the role again,
    so a trust policy changed in between is seen.
    """
    if account_id == base.account.id or not options.role_name:
        return base.account
    role_arn = f"arn:{base.account.partition}:iam::{account_id}:role/{options.role_name}"
    key = (reuse, base.arn, role_arn, options.external_id or "", options.profile or "") \
        if reuse else None
    with _ASSUMED_LOCK:
        credentials = _ASSUMED.get(key) if key else None
    if credentials is None:
        credentials = _assumed_credentials(base, role_arn, options)
        if key:
            with _ASSUMED_LOCK:
                _ASSUMED[key] = credentials
                while len(_ASSUMED) > _ASSUMED_KEPT:
                    _ASSUMED.popitem(last=False)
    session, config = _new_session(options.profile, options.hooks,
                                   _AssumedRoleProvider(credentials))
    return Account(account_id, base.account.partition,
                   ClientFactory(session, config, base.home_region))


def _assumed_credentials(base: Base, role_arn: str, options: CollectOptions
                         ) -> RefreshableCredentials:
    sts = base.account.clients.client("sts")

    def fetch() -> dict[str, str]:
        params = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
        if options.external_id:
            params["ExternalId"] = options.external_id
        creds = sts.assume_role(**params)["Credentials"]
        return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"], "expiry_time": creds["Expiration"].isoformat()}

    return RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method=_AssumedRoleProvider.METHOD)


def organization_accounts(base: Base) -> list[str]:
    """Active member accounts of the caller's organization."""
    accounts: list[str] = []
    try:
        paginator = base.account.clients.client("organizations").get_paginator("list_accounts")
        for page in bounded(paginator.paginate()):
            for item in page.get("Accounts", []):
                if item.get("Status", item.get("State")) == "ACTIVE":
                    accounts.append(str(item["Id"]))
    except (BotoCoreError, ClientError, UnreadableAnswer) as exc:
        raise CollectionError(f"cannot list the organization's accounts: {exc}") from None
    return sorted(set(accounts))


def enabled_regions(account: Account) -> list[str]:
    """Regions enabled in the account (opt-in regions only once opted in)."""
    response = account.clients.client("ec2").describe_regions(AllRegions=False)
    return sorted(str(r["RegionName"]) for r in response.get("Regions", []))


def caller_again(options: CollectOptions, account_id: str, partition: str, home_region: str,
                 arn: str) -> Base:
    """The caller :func:`open_base` found, rebuilt in another process (a worker of a
    distributed collection) from the standard credential chain there, without asking STS
    again: credentials are never shipped between processes."""
    try:
        session, config = _new_session(options.profile, options.hooks)
    except BotoCoreError as exc:
        raise CollectionError(str(exc)) from None
    return Base(Account(account_id, partition, ClientFactory(session, config, home_region)),
                home_region, arn)
