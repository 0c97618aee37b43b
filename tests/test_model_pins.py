"""`modelPins` (set by `ops rollback`): a pinned model is served at that version whatever its catalogue
selector says, and the stack's `models` output shows the pin. Rendered offline from a registry snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.problems import ConfigError
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramError
from ops.offline.snapshot import RegistrySnapshot, SnapshotResolver
from ops.resource_types import DYNAMIC_TYPE
from ops.stack_config import load_stack_config
from settings.stack import config_key

PROJECT_DIR = Path(__file__).resolve().parent.parent
SNAPSHOT = RegistrySnapshot("test", "dev", "", {"churn-prediction": {"version": "6"}})


def run_dev(pins) -> object:
    overrides = {config_key("modelPins"): json.dumps(pins), config_key("recordDeployments"): "false"}
    config = load_stack_config(PROJECT_DIR, "dev", overrides=overrides)
    return run_program(PROJECT_DIR, config, resolve_dynamic=SnapshotResolver(SNAPSHOT))


def test_a_pin_overrides_the_catalogue_selector():
    run = run_dev({"churn-prediction": 5})
    versions = {r.inputs["model"]: r for r in run.by_type(DYNAMIC_TYPE) if "model" in r.inputs}  # not the barrier
    assert versions["churn-prediction"].inputs["selector"] == {"version": 5}
    assert versions["fraud-detection"].inputs["selector"] == {"alias": "challenger"}
    assert run.outputs["models"]["churn-prediction"]["version"] == "5"
    assert run.outputs["models"]["churn-prediction"]["selector"] == "version=5"
    assert run.outputs["models"]["churn-prediction"]["gate"]["bypassed"] is True


def test_a_pin_below_one_is_refused_with_the_fix():
    with pytest.raises(ProgramError) as error:
        run_dev({"churn-prediction": 0})
    assert isinstance(error.value.cause, ConfigError)
    assert "registry versions start at 1" in str(error.value.cause)
