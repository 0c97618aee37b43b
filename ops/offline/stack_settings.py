"""A stack's settings read from its files by the program's own reader, without the engine or the CLI:
for commands that need a stack's settings but no program run (ops image-targets, the workflow tests)."""

from __future__ import annotations

from pathlib import Path

import pulumi

from ops.engine import _Mocks
from ops.stack_config import load_stack_config
from settings.pulumi_config import read_stack_settings
from settings.stack import PROJECT, StackSettings


def offline_settings(project_dir: Path, stack: str) -> StackSettings:
    """Stack config merged as the CLI would (ops/stack_config.py), validated by settings/pulumi_config.py."""
    config = load_stack_config(project_dir, stack)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(_Mocks(config, preview=True), project=PROJECT, stack=stack, preview=True)
    return read_stack_settings().stack
