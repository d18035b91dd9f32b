from __future__ import annotations

from pathlib import Path

from ecs_exposure.sources.positions import Position, locate


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "f.json"
    path.write_text(text)
    return str(path)


def test_pointer_to_values_in_objects_and_arrays(tmp_path: Path) -> None:
    path = _write(tmp_path, '{\n  "a": [\n    {"b": true},\n    {"c/d": "x{[", "e~f": 2}\n  ]\n}')
    assert locate(path, "") == Position(1, 1)
    assert locate(path, "/a") == Position(2, 8)
    assert locate(path, "/a/0/b") == Position(3, 11)
    assert locate(path, "/a/1/c~1d") == Position(4, 13)
    assert locate(path, "/a/1/e~0f") == Position(4, 27)
    assert locate(path, "/a/2") is None
    assert locate(path, "/missing") is None


def test_escaped_keys_and_strings_with_brackets(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"s": "a\\"b]}", "k\\u0041": {"x": 1}}')
    assert locate(path, "/kA/x") == Position(1, 34)


def test_deep_nesting_does_not_recurse(tmp_path: Path) -> None:
    depth = 200
    path = _write(tmp_path, "[" * depth + "1" + "]" * depth)
    assert locate(path, "/0" * depth) == Position(1, depth + 1)
    too_deep = _write(tmp_path, "[" * 5000 + "1" + "]" * 5000)
    assert locate(too_deep, "/0" * 10) == Position(1, 11)
    assert locate(too_deep, "/0" * 1000) is None          # not indexed past MAX_DEPTH


def test_unreadable_or_non_json_files(tmp_path: Path) -> None:
    assert locate(str(tmp_path / "nope.json"), "/a") is None
    other = tmp_path / "t.yaml"
    other.write_text("a: 1\n")
    assert locate(str(other), "/a") is None


def test_requests_in_any_order_resume_the_walk(tmp_path: Path) -> None:
    text = '{"x": [1, {"y": 2, "z": [3, 4]}], "w": {"v": "[{"}, "u": 5}'
    path = _write(tmp_path, text)
    assert locate(path, "/u") == Position(1, text.index("5") + 1)
    assert locate(path, "/x/1/z/1") == Position(1, text.index("4") + 1)
    assert locate(path, "/x/0") == Position(1, text.index("1") + 1)
    assert locate(path, "/w/v") == Position(1, text.index('"[{"') + 1)
    assert locate(path, "/x/1/y") == Position(1, text.index("2") + 1)
    assert locate(path, "/x/2") is None and locate(path, "/t") is None


def test_truncated_file_keeps_what_it_could_read(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"a": 1, "b": {"c": [1, 2')
    assert locate(path, "/a") == Position(1, 7)
    assert locate(path, "/b/c/0") == Position(1, 22)
    assert locate(path, "/b/c/2") is None                 # past the end of the text
