"""Strict YAML reading shared by the catalogue and the stack-file reader.

PyYAML silently keeps the last of two equal keys; in a deployment catalogue that hides mistakes
(two `prod:` blocks, one of them ignored), so duplicate keys are an error here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from core.problems import Problem


class _StrictLoader(yaml.SafeLoader):
    pass


# libyaml's parser when PyYAML was built with it: the same documents, several times faster. The safe
# constructors stay Python, so the duplicate-key check applies either way. Only valid files take this
# path: a file libyaml rejects is parsed again by the Python loader, whose messages users see.
class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


for _loader in (_StrictLoader, _FastStrictLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Returns (document, problems). `display` is how the file is named in messages."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(display, "", f"cannot be read: {exc.strerror}", "check the path and permissions")]
    except UnicodeDecodeError as exc:
        return None, [
            Problem(
                display,
                "",
                f"is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at offset {exc.start})",
                "save the file as UTF-8 (most editors: 'Save with encoding')",
            )
        ]
    try:
        return yaml.load(text, Loader=_FastStrictLoader), []
    except yaml.YAMLError:
        pass
    try:
        return yaml.load(text, Loader=_StrictLoader), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [Problem(display, where, f"invalid YAML: {exc.problem}", "fix the YAML syntax there")]
