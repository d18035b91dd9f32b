"""Terminal rendering of one ``ecs-exposure image`` result; input text is made inert."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ecs_exposure.analysis.secrets import mask
from ecs_exposure.reporters.terminal import safe


def render(doc: dict[str, Any], console: Console) -> None:
    """Verdict line, trait table, signature checks, facts, notes."""
    passed = doc["verdict"] == "pass"
    head = Text("PASS" if passed else "FAIL", style="bold green" if passed else "bold red")
    head.append(f"  {safe(doc['image'])}", style="bold")
    if doc["digests"]:
        head.append(f"  ({safe(doc['digests'][0])})", style="dim")
    console.print(head)
    if doc["traits"]:
        table = Table(box=box.SIMPLE_HEAD, expand=False)
        table.add_column("Trait", no_wrap=True)
        table.add_column("Gate", no_wrap=True)
        table.add_column("Evidence", overflow="fold", ratio=1)
        for trait in doc["traits"]:
            gate = "fail" if trait["gating"] else ("waived" if "waived" in trait else
                                                   "not configured" if "not_configured" in trait
                                                   else "advisory")
            detail = safe(mask(trait["detail"]))
            if "waived" in trait:
                detail += (f" [waived until {trait['waived']['expires']}: "
                           f"{safe(trait['waived']['reason'])}]")
            table.add_row(Text(trait["id"]), Text(gate, style="red" if gate == "fail" else "dim"),
                          Text(detail))
        console.print(table)
    for check in doc["signatures"]:
        line = Text(f"signature ({check['kind']}): ", style="bold")
        line.append("verified" if check["verified"] else "not verified",
                    style="green" if check["verified"] else "red")
        line.append(f" — {safe(check['detail'])}")
        console.print(line)
        if check["checked"]:
            console.print(Text("    verified: " + safe("; ".join(check["checked"])), style="dim"))
        if check["not_checked"]:
            console.print(Text("    not checked: " + safe("; ".join(check["not_checked"])),
                               style="dim"))
    facts = doc.get("facts")
    if facts:
        os_name = (facts["os"]["pretty_name"] or f"{facts['os']['id']} "
                   f"{facts['os']['version_id']}") if facts["os"] else "unknown"
        console.print(Text(f"OS {safe(os_name)}; user {safe(facts['user']) or '(not set)'}; "
                           f"created {facts['created'] or 'unknown'}; {facts['packages']} "
                           f"packages", style="dim"))
    for item in doc.get("not_configured", []):
        console.print(Text(f"not configured: {item['trait']} — {safe(item['how'])}",
                           style="dim"))
    for note in doc["notes"] + [f"{e['source']}: {e['message']}" for e in doc["errors"]]:
        console.print(Text(f"note: {safe(mask(note))}", style="yellow"))
