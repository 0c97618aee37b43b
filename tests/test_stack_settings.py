"""Stack settings: the real Pulumi.yaml declarations merged with a stack file the way the CLI does,
read by the program's one config reader, and every broken value reported with file, key and fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pulumi
import pytest
import yaml

from catalogue.loader import load_catalogue
from core.problems import ConfigError
from ops.offline.mocks import ProgramMocks
from ops.stack_config import load_stack_config, project_declarations
from plan.serving import select_models
from settings.pulumi_config import read_stack_settings
from settings.stack import PROJECT, declared_keys

PROJECT_DIR = Path(__file__).resolve().parent.parent


def project_with_stack(tmp_path: Path, stack: str, config: dict) -> Path:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def read(tmp_path: Path, stack: str, config: dict):
    stack_config = load_stack_config(project_with_stack(tmp_path, stack, config), stack)
    pulumi.runtime.set_all_config(dict(stack_config.values), list(stack_config.secret_keys))
    pulumi.runtime.set_mocks(ProgramMocks(stack_config, preview=True), project=PROJECT, stack=stack, preview=True)
    return read_stack_settings()


def problems(tmp_path: Path, stack: str, config: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        read(tmp_path, stack, config)
    return [str(p) for p in caught.value.problems]


LOCAL = {f"{PROJECT}:environment": "local", f"{PROJECT}:cluster": {"mode": "kubeconfig", "context": "kind-mlops"}}


def test_defaults_come_from_pulumi_yaml(tmp_path):
    settings = read(tmp_path, "local", LOCAL).stack
    declared = project_declarations(PROJECT_DIR)
    assert settings.kubernetes_version == declared["kubernetesVersion"]["default"]
    assert settings.namespace_prefix == declared["namespacePrefix"]["default"]
    assert list(settings.traffic_source_cidrs) == declared["trafficSourceCidrs"]["default"]
    assert settings.record_deployments is True
    assert settings.namespace_for("churn-prediction") == "ml-churn-prediction"


def test_every_scalar_key_is_declared_with_description_and_default():
    declared = project_declarations(PROJECT_DIR)
    structured = {
        "cluster",
        "gpuNodePools",
        "batchNodePool",
        "addons",
        "delivery",
        "guardrails",
        "gitops",
        "modelPins",
        "quality",
        "featureStore",
        "mlflowServer",
    }  # Pulumi's project schema cannot type objects
    for key in declared_keys():
        if key in structured:
            assert key not in declared
            continue
        assert key in declared, f"{key} is read by settings but not declared in Pulumi.yaml"
        assert declared[key].get("description"), key
        assert "default" in declared[key], key
        assert declared[key]["type"] in ("string", "integer", "boolean", "array"), key
    assert set(declared) <= set(declared_keys()), "Pulumi.yaml declares keys the program never reads"


def test_unknown_key_gets_a_suggestion(tmp_path):
    assert problems(tmp_path, "local", LOCAL | {f"{PROJECT}:kubernetesversion": "1.31"}) == [
        "Pulumi.local.yaml: mlops-platform:kubernetesversion: unknown key "
        "(fix: did you mean 'kubernetesVersion'? remove it; known keys are listed in Pulumi.yaml and docs/stacks-and-settings.md)"
    ]


def test_wrong_type_is_refused_before_the_program_runs(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_stack_config(
            project_with_stack(tmp_path, "local", LOCAL | {f"{PROJECT}:kubernetesVersion": 1.30}), "local"
        )
    assert [str(p) for p in caught.value.problems] == [
        "Pulumi.local.yaml: mlops-platform:kubernetesVersion: is declared as string in Pulumi.yaml but is 1.3 "
        "(fix: write a string value)"
    ]


def test_all_bad_values_are_reported_together(tmp_path):
    found = problems(
        tmp_path,
        "local",
        LOCAL
        | {
            f"{PROJECT}:kubernetesVersion": "v1.30",
            f"{PROJECT}:trafficSourceCidrs": ["10.0.0.0/33"],
            f"{PROJECT}:podSecurityLevel": "privileged",
        },
    )
    assert len(found) == 3
    assert "Pulumi.local.yaml: mlops-platform:kubernetesVersion: 'v1.30' is not a Kubernetes minor version" in found[0]
    assert any("mlops-platform:trafficSourceCidrs: '10.0.0.0/33' is not a CIDR block" in p for p in found)
    assert any("mlops-platform:podSecurityLevel: 'privileged' is not allowed" in p for p in found)


def test_stack_named_after_an_environment_must_deploy_it(tmp_path):
    (problem,) = problems(tmp_path, "prod", LOCAL | {f"{PROJECT}:environment": "dev"})
    assert "stack 'prod' deploys environment 'dev'" in problem
    assert "set mlops-platform:environment: prod in Pulumi.prod.yaml" in problem


def test_plaintext_token_is_refused(tmp_path):
    (problem,) = problems(tmp_path, "local", LOCAL | {f"{PROJECT}:mlflowToken": "s3cret"})
    assert problem == (
        "Pulumi.local.yaml: mlops-platform:mlflowToken: is stored in plain text "
        "(fix: run `pulumi config set --secret mlflowToken <token>` so it is encrypted)"
    )
    assert "s3cret" not in problem


def test_encrypted_token_stays_a_secret_output(tmp_path):
    loaded = read(tmp_path, "local", LOCAL | {f"{PROJECT}:mlflowToken": {"secure": "v1:abc"}})
    assert loaded.stack.has_mlflow_token is True
    assert isinstance(loaded.mlflow_token, pulumi.Output)
    assert "abc" not in repr(loaded.stack)


def test_missing_stack_file_lists_the_stacks(tmp_path):
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(tmp_path, "qa")
    assert (
        str(caught.value)
        == "Pulumi.qa.yaml: stack 'qa' has no config file (fix: use one of the stacks (dev) or create Pulumi.qa.yaml)"
    )


def test_stack_listing_a_model_missing_from_the_catalogue(tmp_path):
    settings = read(tmp_path, "local", LOCAL | {f"{PROJECT}:models": ["churn-prediction", "churn-predicton"]}).stack
    with pytest.raises(ConfigError) as caught:
        select_models(settings, load_catalogue(PROJECT_DIR / "models"))
    (problem,) = [str(p) for p in caught.value.problems]
    assert problem.startswith(
        "Pulumi.local.yaml: mlops-platform:models: model 'churn-predicton' is not in the catalogue"
    )
    assert "known models: churn-prediction, churn-prediction-baseline, fraud-detection" in problem


def test_the_settings_doc_names_every_key_and_quotes_each_declared_default():
    """docs/stacks-and-settings.md has one row per key Pulumi.yaml declares, with its type and its default (in
    backticks, the declared value itself; in words only for a list too long for a cell), and names every other
    key a stack may set: the structured ones and the secrets."""
    from settings.pulumi_config import SECRET_KEYS

    doc = (PROJECT_DIR / "docs" / "stacks-and-settings.md").read_text(encoding="utf-8")
    rows = {
        m["key"]: (m["type"], m["default"].strip())
        for line in doc.splitlines()
        if (
            m := re.match(
                r"^\| `(?P<key>\w+)` \| (?P<type>(?:string|integer|boolean)(?:\[\])?) \| (?P<default>[^|]+)\|", line
            )
        )
    }
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    assert sorted(rows) == sorted(declared)
    for key, declaration in declared.items():
        kind, default = rows[key]
        items = declaration.get("items", {}).get("type")
        assert kind == (f"{items}[]" if declaration["type"] == "array" else declaration["type"]), key
        if default.startswith("`") and default.endswith("`"):
            assert yaml.safe_load(default.strip("`")) == declaration["default"], key
        else:
            assert isinstance(declaration["default"], list) and len(declaration["default"]) > 1, (key, default)
    undeclared = (set(declared_keys()) - set(declared)) | set(SECRET_KEYS)
    assert not [key for key in sorted(undeclared) if f"`{key}`" not in doc]
