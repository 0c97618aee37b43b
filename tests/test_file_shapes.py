"""Files of the wrong shape or encoding: one clear problem naming the file, never a traceback and
never a message that blames another file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalogue.loader import load_catalogue
from core.problems import ConfigError
from ops.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR


def problems_of(call) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        call()
    return [str(p) for p in raised.value.problems]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Pulumi.dev.yaml: is empty (fix: give it a config: block"),
        ("# only a comment\n", "Pulumi.dev.yaml: is empty"),
        ("- mlops-platform:environment: dev\n", "Pulumi.dev.yaml: is a list, not a mapping with a config: block"),
        ("Deploys the dev cluster.\n", "Pulumi.dev.yaml: is a text, not a mapping with a config: block"),
        ("config:\n  - environment\n", "Pulumi.dev.yaml: config: is a list, not a mapping of keys"),
        ("config: dev\n", "Pulumi.dev.yaml: config: is a text, not a mapping of keys"),
    ],
)
def test_a_stack_file_of_the_wrong_shape_names_the_file(project, text, expected):
    (project / "Pulumi.dev.yaml").write_text(text)
    (problem,) = problems_of(lambda: load_stack_config(project, "dev"))
    assert problem.startswith(expected)


def test_a_stack_file_that_is_not_utf8_names_the_file(project):
    (project / "Pulumi.dev.yaml").write_bytes("config:\n  mlops-platform:namespacePrefix: ml-\xe9\n".encode("latin-1"))
    (problem,) = problems_of(lambda: load_stack_config(project, "dev"))
    assert problem.startswith("Pulumi.dev.yaml: is not UTF-8 text (byte b'\\xe9' at offset")


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(PROJECT_DIR / "models" / "churn-prediction.yaml", folder)
    return folder


def test_a_model_file_that_is_not_utf8_names_the_file(models):
    (models / "fraud.yaml").write_bytes(b"name: fraud\nteam: caf\xe9\n")
    (problem,) = problems_of(lambda: load_catalogue(models))
    assert problem.startswith("models/fraud.yaml: is not UTF-8 text") and "save the file as UTF-8" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "models/fraud.yaml: is empty"), ("- a\n- b\n", "models/fraud.yaml: must be a mapping of keys")],
)
def test_an_empty_or_list_model_file_names_the_file(models, text, expected):
    (models / "fraud.yaml").write_text(text)
    (problem,) = problems_of(lambda: load_catalogue(models))
    assert problem.startswith(expected)


def test_model_files_in_sub_folders_are_refused_not_ignored(models):
    (models / "drafts").mkdir()
    shutil.copy(models / "churn-prediction.yaml", models / "drafts" / "churn-prediction.yaml")
    (problem,) = problems_of(lambda: load_catalogue(models))
    assert problem.startswith(
        "models/drafts: is a sub-folder with 1 model file(s) (models/drafts/churn-prediction.yaml"
    )
    assert "move the files up into models/" in problem
