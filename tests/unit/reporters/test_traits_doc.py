"""``docs/traits.md`` is generated from the trait specs and must be current (CI fails when a
spec changed and the page was not regenerated)."""

from __future__ import annotations

from pathlib import Path

from ecs_exposure.detectors.peer_checks import NOT_MIRRORED
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.reporters import traits_doc

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
PAGE = ROOT / "docs" / "traits.md"


def test_committed_page_is_the_generated_one() -> None:
    assert PAGE.read_text(encoding="utf-8") == traits_doc.render(), (
        "docs/traits.md is stale: run python -m ecs_exposure.reporters.traits_doc")


def test_page_documents_every_trait_with_its_facts() -> None:
    text = traits_doc.render()
    for spec in catalog():
        assert f"### `{spec.id}`: {spec.title}" in text
        assert spec.guidance.why in text
    assert "`detectors/containers.py` (`PRIVILEGED`)" in text
    assert "[ECS.4](https://docs.aws.amazon.com/securityhub/latest/userguide/ecs-controls.html" \
           "#ecs-4): ECS containers should run as non-privileged" in text
    assert "0:\\<gid\\>" in text  # catalog text is literal Markdown, not an HTML tag


def test_check_mode_reports_a_stale_page(tmp_path: Path) -> None:
    page = tmp_path / "traits.md"
    assert traits_doc.main([str(page), "--check"]) == 1
    assert traits_doc.main([str(page)]) == 0
    assert traits_doc.main([str(page), "--check"]) == 0
    page.write_text(page.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert traits_doc.main([str(page), "--check"]) == 1


def test_peer_checks_not_mirrored_are_listed_and_never_also_cited() -> None:
    """A check is either mirrored (a spec cites it) or listed as not mirrored, with a reason."""
    page = traits_doc.render()
    section = page[page.index("## Peer checks not mirrored"):]
    cited = " ".join(r for spec in catalog() for r in spec.references)
    for peer in NOT_MIRRORED:
        assert f"| `{peer.check}` |" in section and peer.reason
        assert peer.check not in cited, peer.check
    assert len({(p.tool, p.check) for p in NOT_MIRRORED}) == len(NOT_MIRRORED)
