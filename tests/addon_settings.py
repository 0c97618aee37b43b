"""Real stack settings without the Pulumi runtime: the stack files as the CLI would hand them over,
decoded and validated by StackSettings, for unit tests of the add-on builders."""

from __future__ import annotations

import json
from typing import Any

from ops.stack_config import load_stack_config
from settings.stack import PROJECT, StackSettings
from tests.conftest import PROJECT_DIR


def stack_settings(stack: str, **overrides: Any) -> StackSettings:
    """`overrides`: camelCase keys replacing the stack file's values (structured ones as Python values)."""
    raw: dict[str, Any] = {"stack": stack}
    for key, text in load_stack_config(PROJECT_DIR, stack).values.items():
        name = key.split(":", 1)[1] if key.startswith(f"{PROJECT}:") else None
        if name is None:
            continue
        raw[name] = json.loads(text) if text.startswith(("[", "{")) else text
    raw.update(overrides)
    return StackSettings.model_validate(raw)
