"""The catalogue: the shipped entries load, the schema file is in sync, and every kind of broken entry
is reported with its file, field and fix, all problems at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from catalogue.export_schema import SCHEMA_PATH, schema_text
from catalogue.loader import load_catalogue
from core.problems import ConfigError

PROJECT = Path(__file__).resolve().parent.parent
MODELS = PROJECT / "models"


def base_entry(name: str = "churn-prediction") -> dict:
    return yaml.safe_load((MODELS / "churn-prediction.yaml").read_text()) | {"name": name}


def write(directory: Path, filename: str, content: dict | str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return path


def problems_of(models_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_catalogue(models_dir, display_root=models_dir.parent)
    return [str(p) for p in caught.value.problems]


def test_shipped_catalogue_loads_with_every_model():
    catalogue = load_catalogue(MODELS)
    assert catalogue.names() == [
        "churn-prediction",
        "churn-prediction-baseline",
        "fraud-detection",
        "image-classifier",
        "support-assistant",
    ]
    churn = catalogue.models[0]
    assert churn.registered_model == "churn-prediction"
    assert churn.environments["prod"].selector() == {"alias": "champion"}
    assert churn.replica_bounds("prod") == (3, 20)
    assert churn.replica_bounds("staging") == (2, 10)  # falls back to the model's autoscaling


def test_schema_json_is_in_sync_with_the_code():
    assert SCHEMA_PATH.read_text() == schema_text(), (
        "run `python -m catalogue.export_schema` and commit models/schema.json"
    )


def test_schema_json_validates_the_shipped_entries_and_rejects_unknown_keys():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    for path in MODELS.glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(base_entry() | {"replicas": 3}, schema)


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    entry = base_entry()
    entry["autoscaling"]["maxReplica"] = 5
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    (problem,) = problems_of(tmp_path / "models")
    assert problem.startswith("models/churn-prediction.yaml: autoscaling.maxReplica: unknown key")
    assert "did you mean 'maxReplicas'?" in problem


def test_wrong_type_names_field_and_value(tmp_path):
    entry = base_entry()
    entry["autoscaling"]["minReplicas"] = "two"
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    (problem,) = problems_of(tmp_path / "models")
    assert "models/churn-prediction.yaml: autoscaling.minReplicas:" in problem
    assert "'two'" in problem


def test_missing_required_key(tmp_path):
    entry = base_entry()
    del entry["registeredModel"]
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    assert problems_of(tmp_path / "models") == [
        "models/churn-prediction.yaml: registeredModel: required key is missing (fix: add it)"
    ]


def test_bad_quantity_says_how_to_write_one(tmp_path):
    entry = base_entry()
    entry["resources"]["requests"]["memory"] = "2GB"
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    (problem,) = problems_of(tmp_path / "models")
    assert "resources.requests.memory: '2GB' is not a Kubernetes quantity" in problem
    assert "2Gi" in problem


def test_limits_below_requests(tmp_path):
    entry = base_entry()
    entry["resources"]["limits"]["cpu"] = "250m"
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    (problem,) = problems_of(tmp_path / "models")
    assert "limits.cpu 250m is below requests.cpu 500m" in problem


def test_file_name_must_equal_model_name(tmp_path):
    write(tmp_path / "models", "churn.yaml", base_entry())
    (problem,) = problems_of(tmp_path / "models")
    assert problem.startswith("models/churn.yaml: name: is 'churn-prediction' but the file is churn.yaml")
    assert "rename the file to churn-prediction.yaml" in problem


def test_duplicate_model_across_yaml_and_yml(tmp_path):
    write(tmp_path / "models", "churn-prediction.yaml", base_entry())
    write(tmp_path / "models", "churn-prediction.yml", base_entry())
    (problem,) = problems_of(tmp_path / "models")
    assert "duplicate model 'churn-prediction', also in models/churn-prediction.yaml" in problem


def test_duplicate_key_inside_a_file_is_not_silently_dropped(tmp_path):
    text = (MODELS / "churn-prediction.yaml").read_text() + "team: someone-else\n"
    write(tmp_path / "models", "churn-prediction.yaml", text)
    (problem,) = problems_of(tmp_path / "models")
    assert "invalid YAML: duplicate key 'team'" in problem


def test_selector_needs_exactly_one_choice(tmp_path):
    entry = base_entry()
    entry["environments"]["prod"] = {"alias": "champion", "version": 3}
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    (problem,) = problems_of(tmp_path / "models")
    assert "environments.prod: selects alias, version" in problem


def test_unknown_environment_and_stage_values(tmp_path):
    entry = base_entry()
    entry["environments"]["qa"] = {"alias": "champion"}
    entry["environments"]["staging"] = {"stage": "Archived"}
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    problems = problems_of(tmp_path / "models")
    assert any("environments.qa" in p for p in problems)
    assert any("environments.staging.stage: 'Archived' is not allowed" in p for p in problems)


def test_reserved_labels_and_env_are_refused(tmp_path):
    entry = base_entry()
    entry["labels"] = {"app.kubernetes.io/name": "other"}
    entry["env"] = {"MLFLOW_TRACKING_URI": "http://elsewhere"}
    write(tmp_path / "models", "churn-prediction.yaml", entry)
    problems = problems_of(tmp_path / "models")
    assert any("labels: label key 'app.kubernetes.io/name' is set by the platform" in p for p in problems)
    assert any("env: environment variable 'MLFLOW_TRACKING_URI' is set by the platform" in p for p in problems)


def test_every_broken_file_is_reported_in_one_run(tmp_path):
    good = base_entry("good-model")
    broken_one = base_entry("broken-one")
    broken_one["team"] = "Not A Label!"
    broken_two = base_entry("broken-two")
    broken_two["serving"]["runtime"] = "torchserve"
    for entry in (good, broken_one, broken_two):
        write(tmp_path / "models", f"{entry['name']}.yaml", entry)
    problems = problems_of(tmp_path / "models")
    assert len(problems) == 2
    assert problems[0].startswith("models/broken-one.yaml: team:")
    assert problems[1].startswith("models/broken-two.yaml: serving.runtime: 'torchserve' is not allowed")


def test_invalid_yaml_reports_the_line(tmp_path):
    write(tmp_path / "models", "churn-prediction.yaml", "name: churn-prediction\nteam: [unclosed\n")
    (problem,) = problems_of(tmp_path / "models")
    assert problem.startswith("models/churn-prediction.yaml: line 3, column 1: invalid YAML: expected ',' or ']'")


def test_empty_catalogue_directory(tmp_path):
    (tmp_path / "models").mkdir()
    assert problems_of(tmp_path / "models") == ["models: holds no model files (fix: add models/<name>.yaml)"]
