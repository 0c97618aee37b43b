"""A stack's validated settings read from its files by the program's own reader, without the engine or the
CLI: for commands that need a stack's settings but no program run (ops image-targets, gke-cluster, the
fallback switch's offline check before it changes anything, the scoped PR preview, the workflow tests).

The one config reader (settings/pulumi_config.py) reads pulumi.Config; here it runs under the same mocks
the offline render uses (ops/offline/engine.py), on the stack files merged as the CLI merges them.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from ops.offline.mocks import ProgramMocks
from ops.stack_config import load_stack_config
from settings.pulumi_config import LoadedSettings, read_stack_settings
from settings.stack import PROJECT, StackSettings


def offline_loaded_settings(project_dir: Path, stack: str, overrides: dict[str, str] | None = None) -> LoadedSettings:
    """Stack config merged as the CLI would (ops/stack_config.py) with `overrides` on top, validated by
    settings/pulumi_config.py: raises ConfigError (one clear problem per bad key) like the program does."""
    config = load_stack_config(project_dir, stack, overrides=overrides)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(ProgramMocks(config, preview=True), project=PROJECT, stack=stack, preview=True)
    return read_stack_settings()


def offline_stack_settings(project_dir: Path, stack: str, overrides: dict[str, str] | None = None) -> StackSettings:
    """The StackSettings of offline_loaded_settings."""
    return offline_loaded_settings(project_dir, stack, overrides).stack
