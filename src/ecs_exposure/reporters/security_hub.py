"""Send ASFF findings to AWS Security Hub with ``BatchImportFindings``.

The API takes at most 100 findings per call and answers with per-finding failures
(``FailedFindings``) rather than failing the call, so a run can be partly imported: every
failure is reported with the finding's id, error code and message, and the caller decides the
exit code. Findings are sent to the region of their ``ProductArn``; one client per region.

Nothing here runs unless the user passed ``--security-hub``; :func:`plan` is what the command
shows before anything is sent. boto3 is imported only here and only when sending, so the rest
of the tool never needs AWS libraries or credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

BATCH_SIZE = 100
"""``BatchImportFindings`` accepts 1 to 100 findings per request."""

ClientFactory = Callable[[str], Any]
"""``region → securityhub client``; tests pass a botocore ``Stubber``-wrapped client."""


@dataclass(frozen=True)
class Failure:
    """One finding Security Hub did not import (or that could not be sent at all)."""

    id: str
    code: str
    message: str


@dataclass
class SendReport:
    """What happened to every finding that was sent."""

    imported: int = 0
    failures: list[Failure] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def default_client(region: str) -> Any:
    """A Security Hub client from the standard credential chain, with adaptive retries."""
    import boto3
    from botocore.config import Config

    return boto3.client("securityhub", region_name=region,
                        config=Config(retries={"mode": "adaptive", "max_attempts": 8}))


def batches(items: Sequence[dict[str, Any]], size: int = BATCH_SIZE) -> Iterator[
        list[dict[str, Any]]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def by_region(findings: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Findings grouped by the region of their ``ProductArn`` (where they must be imported)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        grouped.setdefault(finding["ProductArn"].split(":")[3], []).append(finding)
    return grouped


def request_batches(findings: Sequence[dict[str, Any]]) -> Iterator[tuple[str, list[
        dict[str, Any]]]]:
    """``(region, findings)`` for each ``BatchImportFindings`` request: grouped by the region
    they must be imported into, at most :data:`BATCH_SIZE` each. The one batching of the tool:
    :func:`send` makes these requests and the ASFF file holds these bodies."""
    for region, items in by_region(findings).items():
        for batch in batches(items):
            yield region, batch


def plan(findings: Sequence[dict[str, Any]]) -> list[str]:
    """Lines describing exactly what :func:`send` would import, for the user to read first."""
    lines: list[str] = []
    for region, items in by_region(findings).items():
        count = len(items)
        requests = (count + BATCH_SIZE - 1) // BATCH_SIZE
        products = ", ".join(dict.fromkeys(f["ProductArn"] for f in items))
        lines.append(f"Security Hub {region}: {count} finding{'s' * (count != 1)} in "
                     f"{requests} BatchImportFindings request{'s' * (requests != 1)} "
                     f"to {products}")
        for finding in items:
            lines.append(f"  {finding['Severity']['Label']:<8} {finding['Id']}  "
                         f"{finding['Title']}")
    return lines


def send(findings: Sequence[dict[str, Any]],
         client_for: ClientFactory | None = None) -> SendReport:
    """Import ``findings`` in batches of 100 per region; never raises for AWS errors."""
    from botocore.exceptions import BotoCoreError, ClientError

    client_for = client_for or default_client
    report = SendReport()
    clients: dict[str, Any] = {}
    unreachable: set[str] = set()
    for region, batch in request_batches(findings):
        if region in unreachable:
            continue
        if region not in clients:
            try:
                clients[region] = client_for(region)
            except (BotoCoreError, ClientError) as error:
                unreachable.add(region)
                report.failures.extend(Failure(f["Id"], "ClientError", str(error))
                                       for f in by_region(findings)[region])
                continue
        report.requests += 1
        try:
            response = clients[region].batch_import_findings(Findings=batch)
        except (BotoCoreError, ClientError) as error:
            code = (error.response.get("Error", {}).get("Code", "ClientError")
                    if isinstance(error, ClientError) else type(error).__name__)
            report.failures.extend(Failure(f["Id"], str(code), str(error)) for f in batch)
            continue
        report.imported += int(response.get("SuccessCount", 0))
        report.failures.extend(
            Failure(str(item.get("Id", "?")), str(item.get("ErrorCode", "?")),
                    str(item.get("ErrorMessage", "")))
            for item in response.get("FailedFindings", []))
    return report
