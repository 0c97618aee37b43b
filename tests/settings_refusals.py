"""Bad structured stack keys through the whole program: the stack file as the CLI hands it over, with
some keys replaced, run until the program refuses it. Returns every problem (file, key, message, fix)
and what was registered before the refusal, which must be nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.problems import ConfigError
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramError, RecordedResource
from ops.stack_config import load_stack_config
from settings.stack import config_key
from tests.addon_settings import _merge
from tests.conftest import PROJECT_DIR


def refused(stack: str, **keys: Any) -> tuple[list[str], list[RecordedResource]]:
    """`keys`: camelCase stack keys replacing the stack file's (structured values as Python values)."""
    # Structured values merge into the stack file's own (its other keys, e.g. the hostname suffix, stay).
    current = load_stack_config(PROJECT_DIR, stack).values
    overrides = {}
    for k, v in keys.items():
        raw = current.get(config_key(k), "")
        if isinstance(v, dict) and v and raw.strip().startswith("{"):  # {} stands for the key left empty
            v = _merge(json.loads(raw), v)
        overrides[config_key(k)] = v if isinstance(v, str) else json.dumps(v)
    with pytest.raises(ProgramError) as caught:
        run_program(PROJECT_DIR, load_stack_config(PROJECT_DIR, stack, overrides=overrides))
    assert isinstance(caught.value.cause, ConfigError), caught.value.cause
    return [str(p) for p in caught.value.cause.problems], caught.value.resources


def refused_with(stack: str, **keys: Any) -> list[str]:
    """The problems, after asserting the refusal came before any resource was registered."""
    problems, registered = refused(stack, **keys)
    assert registered == [], [r.name for r in registered]
    return problems
