"""modelPins written into the stack file itself: comments and every other key kept byte for byte,
read back exactly as the program reads it, and a layout it cannot edit safely refused untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from core.problems import ConfigError
from ops.promotion.audit import PINS_KEY
from ops.promotion.pins_file import read_pins, write_pins
from ops.stack_config import load_stack_config, stack_names

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for stack in stack_names(PROJECT_DIR):
        shutil.copy(PROJECT_DIR / f"Pulumi.{stack}.yaml", tmp_path / f"Pulumi.{stack}.yaml")
    return tmp_path


@pytest.mark.parametrize("stack", stack_names(PROJECT_DIR))
def test_pins_are_added_replaced_and_removed_leaving_the_rest_of_the_file_as_it_was(project, stack):
    path = project / f"Pulumi.{stack}.yaml"
    original = path.read_text()
    others = {k: v for k, v in load_stack_config(project, stack).values.items() if k != PINS_KEY}

    assert write_pins(project, stack, {"fraud-detection": 3, "churn-prediction": 7}) is True
    assert read_pins(project, stack) == {"churn-prediction": 7, "fraud-detection": 3}
    assert {k: v for k, v in load_stack_config(project, stack).values.items() if k != PINS_KEY} == others
    kept = [line for line in original.splitlines() if line.strip().startswith("#")]
    assert all(line in path.read_text().splitlines() for line in kept)  # every comment survives
    assert write_pins(project, stack, {"churn-prediction": 7, "fraud-detection": 3}) is False  # same pins: no write

    write_pins(project, stack, {"churn-prediction": 6})
    assert read_pins(project, stack) == {"churn-prediction": 6}
    assert path.read_text().count(PINS_KEY) == 1

    write_pins(project, stack, {})
    assert path.read_text() == original


def test_a_multi_line_pins_mapping_written_by_hand_is_replaced_whole(project):
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().rstrip("\n") + f"\n  {PINS_KEY}:\n    churn-prediction: 4\n    other: 2\n")
    write_pins(project, "dev", {"churn-prediction": 5})
    assert read_pins(project, "dev") == {"churn-prediction": 5}
    assert yaml.safe_load(path.read_text())["config"][PINS_KEY] == {"churn-prediction": 5}


def test_a_config_block_it_cannot_edit_safely_is_refused_and_left_untouched(project):
    path = project / "Pulumi.dev.yaml"
    path.write_text("config: {mlops-platform:environment: dev}\n")
    with pytest.raises(ConfigError) as error:
        write_pins(project, "dev", {"churn-prediction": 5})
    (problem,) = error.value.problems
    assert problem.source == "Pulumi.dev.yaml" and problem.field == PINS_KEY
    assert '{"churn-prediction": 5}' in problem.fix
    assert path.read_text() == "config: {mlops-platform:environment: dev}\n"
