"""``scan --security-hub``: show what will be imported into AWS Security Hub, import it, and
report every failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from ecs_exposure.model import ScanResult
    from ecs_exposure.reporters.context import ReportContext


def send_to_security_hub(result: ScanResult, account: str | None, region: str | None,
                         stderr: Console, context: ReportContext | None = None) -> bool:
    """Show what will be imported, import it, report every failure; ``True`` if all went in.

    Findings whose account or region is unknown (task definitions given without an ARN) cannot
    be imported anywhere: they are named in a warning but do not fail the run.
    """
    from ecs_exposure.reporters import asff, security_hub, terminal

    def say(text: str, style: str | None = None) -> None:
        stderr.print(terminal.safe(text), style=style, markup=False, highlight=False,
                     soft_wrap=True)

    findings = asff.findings(result, account=account, region=region, context=context)
    left_out = asff.unplaceable(result, account=account, region=region, context=context)
    for name in left_out:
        say(f"warning: {name}: account or region unknown, not sent to Security Hub "
            "(give --security-hub-account and --security-hub-region)", "yellow")
    if not findings:
        say("Security Hub: nothing to send")
        return True
    for line in security_hub.plan(findings):
        say(line)
    report = security_hub.send(findings)
    for failure in report.failures:
        say(f"Security Hub did not import {failure.id}: {failure.code}: {failure.message}",
            "red")
    say(f"Security Hub: {report.imported} imported, {len(report.failures)} failed",
        "green" if report.ok else "red")
    return report.ok
