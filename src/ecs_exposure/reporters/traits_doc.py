"""``docs/traits.md``, the trait reference, generated from the trait specs.

Every fact on the page comes from a trait's one spec object (``detectors/<family>.py``) or
from the fixer registry, so the page cannot drift from the code: a test compares the committed
file with :func:`render`, and ``python -m ecs_exposure.reporters.traits_doc`` rewrites it.
It lives with the reporters rather than the detectors because it also says which traits
``ecs-exposure fix`` can rewrite, and the detectors must not import the remediation stage.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from ecs_exposure.detectors import registry
from ecs_exposure.detectors.frameworks import FRAMEWORKS
from ecs_exposure.detectors.peer_checks import NOT_MIRRORED
from ecs_exposure.detectors.spec import Control, TraitSpec
from ecs_exposure.exposure.compliance import mapped_controls
from ecs_exposure.remediation.fixers import FIXERS

DEFAULT_PATH = Path("docs/traits.md")
DETECTORS = Path(registry.__file__).parent
CATEGORIES = ("misconfiguration", "reachability", "vulnerability", "impact", "image")
_MARKDOWN = re.compile(r"([\\*<>\[\]|])")

HEADER = """\
# Trait catalog

<!-- Generated from the trait specs by `python -m ecs_exposure.reporters.traits_doc`.
     Do not edit: change the spec in src/ecs_exposure/detectors/<family>.py and regenerate. -->

Each trait is one weakness on one resource. Its **id** is a stable contract (JSON output,
suppressions, SARIF rule ids): it is never renamed. A *contextual* trait is listed in a
service's finding but never creates one on its own. *Fixer* says whether `ecs-exposure fix`
rewrites the task definition for it. Compliance controls are the Security Hub CSPM controls,
Well-Architected SEC06-BP02 practices and NIST SP 800-190 countermeasures the trait maps to
(`scan --compliance`; the controls no trait covers are listed at the end). *Needs* names the
inputs without which the trait cannot fire (its controls are then *not evaluated*, never
passed); the *posture severity* is the trait's own when listed alone (`--min-severity`), high
for an instance graded high impact.
"""


def _text(value: str) -> str:
    """Plain catalog text (fires-when, titles) made literal in Markdown (``*``, ``<gid>``)."""
    return _MARKDOWN.sub(r"\\\1", value)


def definitions() -> dict[str, str]:
    """Trait id → ``detectors/<family>.py`` (``NAME``) where its spec is written, read from
    the family modules' source so that re-exported aliases do not count."""
    found: dict[str, str] = {}
    for path in sorted(DETECTORS.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name)
                    and node.value.func.id == "TraitSpec" and node.value.args
                    and isinstance(node.value.args[0], ast.Constant)
                    and isinstance(node.targets[0], ast.Name)):
                found[str(node.value.args[0].value)] = (
                    f"`detectors/{path.name}` (`{node.targets[0].id}`)")
    return found


def _label(control: Control) -> str:
    """A control's id in the summary table (a NIST section number alone says nothing)."""
    return f"NIST {control.id}" if control.framework == "NIST SP 800-190" else control.id


def _weight(spec: TraitSpec) -> str:
    return spec.weight or ("low" if spec.contextual else "medium")


def _frameworks() -> list[str]:
    """Per framework: the controls the traits cover, then the ones they do not, and why."""
    lines = ["## Compliance frameworks", "",
             "`scan --compliance NAME` reports each covered control as pass, fail or not "
             "evaluated. Controls no trait covers:", ""]
    for framework in FRAMEWORKS.values():
        covered = ", ".join(dict.fromkeys(
            c.id if c.framework != "AWS Well-Architected" else c.title.split(": ", 1)[-1]
            for c, _ in mapped_controls(framework)))
        lines += [f"### `{framework.name}`: {_text(framework.title)}", "",
                  f"- **Covered:** {covered}"]
        if framework.uncovered:
            lines.append("- **Not covered:**")
            lines.extend(f"  - [{u.control.id}]({u.control.url}) {_text(u.control.title)}: "
                         f"{_text(u.reason)}" for u in framework.uncovered)
        lines.append("")
    return lines


def _not_mirrored() -> list[str]:
    """The peers' checks no trait mirrors, tool by tool, with the reason."""
    lines = ["## Peer checks not mirrored", "",
             "Checks of Prowler, Checkov, Trivy, KICS, cfn-lint and AWS Config rules that no "
             "trait mirrors, on purpose (the Security Hub CSPM controls no trait covers are "
             "listed above, under their framework):", "",
             "| tool | check | fails on | why not here |", "|---|---|---|---|"]
    lines.extend(f"| {_text(p.tool)} | `{p.check}` | {_text(p.what)} | {_text(p.reason)} |"
                 for p in NOT_MIRRORED)
    return lines + [""]


def _section(spec: TraitSpec, where: str, fixable: bool) -> list[str]:
    guidance = spec.guidance
    lines = [f'<a id="{spec.id}"></a>', "", f"### `{spec.id}`: {_text(spec.title)}", "",
             f"- **Category:** {spec.category}; **contextual:** "
             f"{'yes' if spec.contextual else 'no'}; **fixer:** {'yes' if fixable else 'no'}",
             f"- **Defined in:** {where}",
             f"- **Fires when:** {_text(spec.fires_when)}"]
    if spec.references:
        lines.append("- **References:** " + "; ".join(_text(r) for r in spec.references))
    if spec.controls:
        lines.append("- **Compliance controls:**")
        lines.extend(f"  - {c.framework} [{c.id}]({c.url}): {_text(c.title)}"
                     for c in spec.controls)
    if spec.needs:
        lines.append("- **Needs:** " + " or ".join(spec.needs))
    lines.append(f"- **Posture severity:** {_weight(spec)}")
    lines += [f"- **Risk:** {guidance.why}",
              f"- **Fix:** {guidance.change}",
              f"- **If it is really needed:** {guidance.contain}",
              "- **Further reading:** " + ", ".join(f"<{url}>" for url in guidance.references),
              ""]
    return lines


def render() -> str:
    """The whole page: a summary table, then one section per trait, grouped by category."""
    specs = sorted(registry.catalog(), key=lambda s: (CATEGORIES.index(s.category), s.id))
    fixable = {spec.id for spec in FIXERS}
    where = definitions()
    lines = [HEADER, "| id | title | category | contextual | fixer | controls |",
             "|---|---|---|---|---|---|"]
    for spec in specs:
        controls = ", ".join(dict.fromkeys(_label(c) for c in spec.controls)) or "-"
        lines.append(f"| [`{spec.id}`](#{spec.id}) | {_text(spec.title)} | {spec.category} | "
                     f"{'yes' if spec.contextual else 'no'} | "
                     f"{'yes' if spec.id in fixable else 'no'} | {controls} |")
    for category in CATEGORIES:
        members = [s for s in specs if s.category == category]
        if members:
            lines += ([""] if lines[-1] else []) + [f"## {category.capitalize()}", ""]
            for spec in members:
                lines += _section(spec, where.get(spec.id, "?"), spec.id in fixable)
    lines += ([""] if lines[-1] else []) + _frameworks() + _not_mirrored()
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the page (default ``docs/traits.md``); with ``--check``, fail if it is stale."""
    parser = argparse.ArgumentParser(prog="python -m ecs_exposure.reporters.traits_doc",
                                     description=main.__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the file differs from the generated text")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != text:
            print(f"{args.path} is stale: run python -m ecs_exposure.reporters.traits_doc")
            return 1
        return 0
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
