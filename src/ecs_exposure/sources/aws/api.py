"""Calls that never raise: every failure becomes an error entry and a failed dependency.

A collection of hundreds of calls must not stop at the first ``AccessDenied``. Each call names
the *dependencies* it reads (``security group sg-1``, ``IAM role arn:…``); when it fails,
those dependencies are marked failed, and at the end every service that depends on one is
reported as incomplete (fail closed) with the reason.

Responses are converted to plain JSON values on the way in (timestamps as ISO 8601 strings,
like the AWS CLI prints them), so live data, snapshots and CLI exports are the same shapes.
"""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from ecs_exposure.model import Json, SourceError
from ecs_exposure.sources.aws.paging import UnreadableAnswer, bounded
from ecs_exposure.sources.aws.session import ClientFactory

T = TypeVar("T")
R = TypeVar("R")
PER_REGION_WORKERS = 4
"""Calls in flight at once inside one account+region (task definitions, IAM roles): one
region with a thousand task definitions should not take a thousand round trips in a row."""
Progress = Callable[[str, str, str], None]
"""``(account, region, status)``: what a worker is doing now (``region`` is ``global`` for
account-wide work such as IAM)."""


def plain(value: Any) -> Any:
    """boto3 values → JSON values, as the AWS CLI would print them."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def count(number: int, noun: str) -> str:
    """``1 service``, ``2 services`` for progress lines."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` in batches of at most ``size`` (API limits on ids per call)."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def unaccounted(requested: Iterable[str], items: Any, key: str,
                failures: Any) -> dict[str, str]:
    """Requested ids a ``Describe*`` answer does not account for, each with why: listed under
    ``failures`` (with AWS's reason) or simply absent from the answer."""
    answered = {str(item.get(key)) for item in items if isinstance(item, dict)} \
        if isinstance(items, list) else set()
    failed = {str(f.get("arn")): str(f.get("reason") or "no reason given")
              for f in failures if isinstance(f, dict)} if isinstance(failures, list) else {}
    return {ident: (f"listed under failures: {failed[ident]}" if ident in failed
                    else "absent from the answer")
            for ident in requested if ident not in answered}


def together(*steps: Callable[[], object]) -> None:
    """Run independent steps at once, each in its own thread (each step makes its own calls,
    a few at a time, and writes its own part of the state). Waits for all of them; then an
    exception one of them raised is raised again, so it is recorded as before."""
    if len(steps) <= 1:
        for step in steps:
            step()
        return
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        futures = [pool.submit(step) for step in steps]
    for future in futures:
        future.result()


def error_code(exc: Exception) -> str:
    """``AccessDeniedException``, ``Throttling``… or the exception class for transport errors."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def error_message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message") or exc)
    return str(exc)


@dataclass
class Sink:
    """Shared by all workers: errors, failed dependencies, scope notes and call counts."""

    progress: Progress | None = None
    errors: list[SourceError] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Dependency → why it could not be read."""
    scopes: dict[str, list[str]] = field(default_factory=dict)
    """Resource or scope with no service to attach to (a cluster, a region) → reasons."""
    calls: Counter[str] = field(default_factory=Counter)
    """IAM action → number of calls (pages count one each; retries do not)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record_error(self, error: SourceError) -> None:
        with self._lock:
            self.errors.append(error)

    def fail(self, dependencies: Iterable[str], reason: str) -> None:
        with self._lock:
            for dependency in dependencies:
                self.failed.setdefault(dependency, f"{dependency} could not be read ({reason})")

    def scope(self, resource: str, reason: str) -> None:
        with self._lock:
            reasons = self.scopes.setdefault(resource, [])
            if reason not in reasons:
                reasons.append(reason)

    def count_call(self, model: Any = None, **_: Any) -> None:
        """botocore ``before-call`` hook: one per operation call (not per retry)."""
        if model is not None:
            action = f"{model.service_model.signing_name}:{model.name}"
            with self._lock:
                self.calls[action] += 1

    def report(self, account: str, region: str, status: str) -> None:
        if self.progress is not None:
            self.progress(account, region, status)


class Api:
    """Calls in one account and region (``region`` ``None`` for global services)."""

    def __init__(self, account: str, region: str | None, partition: str,
                 clients: ClientFactory, sink: Sink) -> None:
        self.account = account
        self.region = region
        self.partition = partition
        self.clients = clients
        self.sink = sink

    @staticmethod
    def map(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``func`` over ``items``, a few at a time, results in input order."""
        if len(items) <= 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(max_workers=PER_REGION_WORKERS) as pool:
            return list(pool.map(func, items))

    def in_region(self, region: str) -> Api:
        """The same account in another region (ECR images pulled from another region)."""
        return Api(self.account, region, self.partition, self.clients, self.sink)

    def status(self, text: str) -> None:
        self.sink.report(self.account, self.region or "global", text)

    def _client(self, service: str) -> Any:
        return self.clients.client(service, self.region)

    def _failed(self, service: str, operation: str, exc: Exception, depends: Iterable[str],
                scopes: Iterable[tuple[str, str]] = ()) -> None:
        action = f"{self._client(service).meta.service_model.signing_name}:{operation}"
        self.fail(action, exc, depends, scopes)

    def fail(self, action: str, exc: Exception, depends: Iterable[str] = (),
             scopes: Iterable[tuple[str, str]] = ()) -> None:
        """Record a failed call: an error entry, failed dependencies, incomplete scopes."""
        code = error_code(exc)
        where = f"aws:{self.account}" + (f":{self.region}" if self.region else "")
        self.sink.record_error(SourceError(
            where, f"{action} failed: {code}: {error_message(exc)}",
            account=self.account, region=self.region, operation=action))
        self.sink.fail(depends, f"{action}: {code}")
        for resource, what in scopes:
            self.sink.scope(resource, f"{what} could not be read ({action}: {code})")

    def unaccounted_for(self, service: str, operation: str, missing: dict[str, str],
                        depends: Callable[[str], Iterable[str]] = lambda _: (),
                        what: str | None = None) -> None:
        """Record ids an answer left out: one error for the call naming them, and each id's
        dependencies failed (``depends``) or, with ``what``, the id itself marked incomplete
        (a service that is not in the answer has nothing else to attach the reason to)."""
        if not missing:
            return
        shown = "; ".join(f"{ident} ({why})" for ident, why in list(missing.items())[:10])
        more = f"; and {len(missing) - 10} more" if len(missing) > 10 else ""
        self._failed(service, operation, UnreadableAnswer(
            f"the answer does not account for {count(len(missing), 'requested id')}: "
            f"{shown}{more}"), [d for ident in missing for d in depends(ident)],
            [(ident, what) for ident in missing] if what else [])

    def call(self, service: str, operation: str, depends: Iterable[str] = (),
             scopes: Iterable[tuple[str, str]] = (), quiet: tuple[str, ...] = (),
             **params: Any) -> Json | None:
        """One call; ``None`` on failure, which is recorded.

        ``depends`` are the dependency labels the call reads; ``scopes`` are ``(resource,
        what)`` pairs marked incomplete directly (resources no service is known for yet, such
        as a cluster whose services could not be listed). Error codes in ``quiet`` are
        re-raised for the caller (``NoSuchEntity`` is an answer, not a failure).
        """
        try:
            response = getattr(self._client(service), xform_name(operation))(**params)
        except ClientError as exc:
            if error_code(exc) in quiet:
                raise
            self._failed(service, operation, exc, depends, scopes)
            return None
        except BotoCoreError as exc:
            self._failed(service, operation, exc, depends, scopes)
            return None
        result: Json = plain(response)
        return result

    def pages(self, service: str, operation: str, key: str, depends: Iterable[str] = (),
              scopes: Iterable[tuple[str, str]] = (), **params: Any) -> list[Any] | None:
        """Every item under ``key`` across all pages; ``None`` when any page failed."""
        items: list[Any] = []
        try:
            paginator = self._client(service).get_paginator(xform_name(operation))
            for page in bounded(paginator.paginate(**params)):
                items.extend(plain(page.get(key, [])))
        except (ClientError, BotoCoreError, UnreadableAnswer) as exc:
            self._failed(service, operation, exc, depends, scopes)
            return None
        return items
