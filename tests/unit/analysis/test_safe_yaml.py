"""Untrusted YAML settings: plain values, positions, and hostile input refused with its line."""

from __future__ import annotations

import pytest

from ecs_exposure.analysis.safe_yaml import YamlError, parse_yaml, position, where

TEXT = """\
version: 1
suppressions:
  - resource: "arn:aws:ecs:*"
    expires: 2027-03-31
  - id: abc
"""


def test_values_are_plain_and_every_value_has_a_position() -> None:
    doc, positions = parse_yaml(TEXT)
    assert doc == {"version": 1, "suppressions": [
        {"resource": "arn:aws:ecs:*", "expires": "2027-03-31"}, {"id": "abc"}]}
    assert positions["/version"] == (1, 1)
    assert positions["/suppressions/0"] == (3, 5)           # a sequence item: the item
    assert positions["/suppressions/0/expires"] == (4, 5)   # a member: its key
    assert positions["/suppressions/1/id"] == (5, 5)


def test_position_falls_back_to_the_nearest_ancestor_and_where_names_it() -> None:
    _, positions = parse_yaml(TEXT)
    assert position(positions, "/suppressions/1/reason") == (5, 5)
    assert where("c.yaml", positions, "/suppressions/0/expires") == \
        "c.yaml:4:5: /suppressions/0/expires"
    assert where("c.yaml", {}, "/x") == "c.yaml: /x"


def test_keys_with_slashes_are_escaped_in_pointers() -> None:
    _, positions = parse_yaml("a/b:\n  c~d: 1\n")
    assert positions["/a~1b/c~0d"] == (2, 3)


def test_an_empty_document_is_none() -> None:
    assert parse_yaml("# nothing\n") == (None, {})


@pytest.mark.parametrize("text,message,line", [
    ("a: &x [1]\nb: *x\n", "anchors are not allowed", 1),
    ("a: 1\nb: *x\n", "aliases are not allowed", 2),
    ("a: 1\nb: 2\na: 3\n", "duplicate key 'a'", 3),
    ("!!python/object/apply:os.system ['true']\n", "unsupported tag", 1),
    ("a: !!binary aGVsbG8=\n", "unsupported tag", 1),
    ("a: !Ref x\n", "unsupported tag", 1),
    ("a:\n  1: one\n", "key 1 is not a string", 2),
    ("a: [unclosed\n", "expected", 2),
    ("a: 2027-13-01\n", "bad value", 1),
])
def test_hostile_or_malformed_yaml_is_refused_with_its_line(text: str, message: str,
                                                            line: int) -> None:
    with pytest.raises(YamlError) as error:
        parse_yaml(text)
    assert message in str(error.value)
    assert error.value.line == line
    assert str(error.value).startswith(f"invalid YAML at line {line} column ")


def test_deep_nesting_is_refused_before_python_recursion_gives_out() -> None:
    with pytest.raises(YamlError, match="nested more than 50 levels"):
        parse_yaml("[" * 1200 + "]" * 1200 + "\n")
    doc, _ = parse_yaml("[" * 40 + "]" * 40 + "\n")
    assert isinstance(doc, list)
