"""`modelPins` in the stack file itself (`Pulumi.<stack>.yaml`), so a rollback or promotion is a file
change the operate job commits, not a value left behind on a CI runner.

The CLI reads the stack file at `up`, so writing the key here is what `pulumi config set` would do, but
as one line edit that keeps every comment and every other key byte for byte: the key's line (and any
continuation lines) is replaced by `  mlops-platform:modelPins: {"model": N}` (JSON is valid YAML),
or appended to the `config:` block. The result is parsed back and must hold exactly the new pins and
every other key unchanged; otherwise nothing is written and the error says what to add by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from core.problems import ConfigError, Problem
from ops.promotion.audit import PINS_KEY
from ops.stack_config import load_stack_config

_KEY_LINE = re.compile(rf"^(?P<indent>[ \t]+){re.escape(PINS_KEY)}\s*:")


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def read_pins(project_dir: Path, stack: str) -> dict[str, int]:
    """The stack file's `modelPins` (absent = none), as the program will read it."""
    return pins_in(load_stack_config(project_dir, stack).values)


def pins_in(values: dict[str, str]) -> dict[str, int]:
    """`modelPins` from a stack config already loaded (ops/stack_config.py)."""
    raw = values.get(PINS_KEY, "")
    pins = json.loads(raw) if raw.strip() else {}
    return {str(k): int(v) for k, v in dict(pins).items()}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def pins_text(text: str, pins: dict[str, int]) -> str:
    """The stack file's text with `modelPins` set to `pins` (removed when empty); nothing else changes."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if re.match(r"^config\s*:\s*(#.*)?$", line)), None)
    if start is None:  # no config block yet
        lines += ["config:\n"]
        start = len(lines) - 1
    end = start + 1  # the config block: every line after `config:` until the next top-level key
    while end < len(lines) and (not _is_content(lines[end]) or _indent(lines[end]) > 0):
        end += 1
    children = [i for i in range(start + 1, end) if _is_content(lines[i])]
    indent = lines[children[0]][: _indent(lines[children[0]])] if children else "  "
    new_line = [f"{indent}{PINS_KEY}: {json.dumps(dict(sorted(pins.items())))}\n"] if pins else []
    found = next((i for i in children if _KEY_LINE.match(lines[i]) and _indent(lines[i]) == len(indent)), None)
    if found is None:
        last = children[-1] + 1 if children else start + 1
        while last < end and _is_content(lines[last]):
            last += 1
        return "".join(lines[:last] + new_line + lines[last:])
    stop = found + 1
    while stop < end and (not _is_content(lines[stop]) or _indent(lines[stop]) > len(indent)):
        stop += 1
    while stop > found + 1 and not lines[stop - 1].strip():  # keep the blank lines before the next key
        stop -= 1
    return "".join(lines[:found] + new_line + lines[stop:])


def write_pins(project_dir: Path, stack: str, pins: dict[str, int]) -> bool:
    """Sets the stack file's `modelPins`; returns whether the file changed. Refuses (ConfigError, nothing
    written) when the edit would not read back as exactly that change."""
    path = stack_file(project_dir, stack)
    before = path.read_text(encoding="utf-8")
    after = pins_text(before, pins)
    if after == before:
        return False
    old_config = dict((yaml.safe_load(before) or {}).get("config") or {})
    try:
        new_config = dict((yaml.safe_load(after) or {}).get("config") or {})
    except yaml.YAMLError:
        new_config = None
    old_config.pop(PINS_KEY, None)
    expected = {**old_config, **({PINS_KEY: dict(sorted(pins.items()))} if pins else {})}
    if new_config != expected:
        wanted = json.dumps(dict(sorted(pins.items())))
        raise ConfigError(
            [
                Problem(
                    path.name,
                    PINS_KEY,
                    "could not be rewritten without touching other keys (unusual layout of the config block)",
                    f"set it by hand under config: `{PINS_KEY}: {wanted}`" if pins else f"remove {PINS_KEY} by hand",
                )
            ]
        )
    path.write_text(after, encoding="utf-8")
    return True
