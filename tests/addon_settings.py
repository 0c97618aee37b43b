"""Real stack settings without the Pulumi runtime: the stack files as the CLI would hand them over,
decoded and validated by StackSettings, for unit tests of the add-on builders."""

from __future__ import annotations

import json
from typing import Any

from ops.stack_config import load_stack_config
from settings.stack import PROJECT, StackSettings
from tests.conftest import PROJECT_DIR


def stack_settings(stack: str, **overrides: Any) -> StackSettings:
    """`overrides`: camelCase keys replacing the stack file's values (structured ones as Python values);
    a mapping is laid over the stack file's mapping, key by key, as an edit of that file would be."""
    raw: dict[str, Any] = {"stack": stack}
    for key, text in load_stack_config(PROJECT_DIR, stack).values.items():
        name = key.split(":", 1)[1] if key.startswith(f"{PROJECT}:") else None
        if name is None:
            continue
        raw[name] = json.loads(text) if text.startswith(("[", "{")) else text
    for name, value in overrides.items():
        raw[name] = _merge(raw.get(name), value)
    return StackSettings.model_validate(raw)


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in override.items()}}
    return override
