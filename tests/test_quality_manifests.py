"""Quality monitoring on the Kubernetes side: the monitor's CronJob and RBAC, the Pushgateway, the
serving container's runtime settings, and which signals each runtime really has."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from catalogue.loader import load_catalogue
from catalogue.monitoring import Monitoring
from core.problems import ConfigError
from core.spec import problems_from_validation_error
from facts import pushgateway as pgw
from facts.built_images import IMAGE_TAG, QUALITY_MONITOR_IMAGE, SERVING_RUNTIME_IMAGE
from facts.quality_metrics import ACCURACY, DRIFT_SCORE, FEATURE_DRIFT, PREDICTION_CONFIDENCE, PREDICTIONS
from facts.quality_samples import SAMPLE_RATE_ENV
from manifests.containers import QUALITY_RUNTIME_CLASS
from manifests.pushgateway import pushgateway_manifests
from manifests.quality_monitor_job import quality_monitor_manifests
from manifests.serving import deployment_manifest
from plan.quality_monitor import QualityMonitorPlan
from plan.quality_signals import canary_quality_checks, quality_check_problems, quality_signals
from quality_monitor.config import MonitorConfig
from settings.quality import QualitySettings
from tests.schemas import validate
from tests.test_serving_manifests import FRAUD, make_plan

MODELS = Path(__file__).resolve().parent.parent / "models"
CATALOGUE = {m.name: m for m in load_catalogue(MODELS).models}


def monitor_plan(**serving_changes) -> QualityMonitorPlan:
    return QualityMonitorPlan(
        serving=make_plan(**serving_changes),
        image=QUALITY_MONITOR_IMAGE.at("europe-west4-docker.pkg.dev/acme/model-serving"),
        pushgateway_url=pgw.url("monitoring"),
    )


def with_monitoring(model, **fields):
    return model.model_copy(update={"monitoring": Monitoring.model_validate(fields)})


@pytest.mark.parametrize("minor", [29, 33])
def test_monitor_and_pushgateway_objects_are_strictly_valid(minor):
    objects = quality_monitor_manifests(monitor_plan()) + pushgateway_manifests("monitoring", {"release": "kps"})
    assert [o["kind"] for o in objects] == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "CronJob",
        "Deployment",
        "Service",
        "ServiceMonitor",
    ]
    for manifest in objects:
        validate(manifest, f"1.{minor}")


def test_cronjob_configures_the_monitor_it_runs():
    """The CronJob's environment, read by the monitor's own config loader, is the catalogue's settings."""
    plan = monitor_plan()
    cronjob = quality_monitor_manifests(plan)[-1]
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    environ = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    config = MonitorConfig.from_env(environ)
    monitoring = FRAUD.monitoring
    assert config.model == "fraud-detection" and config.registered_model == FRAUD.registered_model
    assert config.window_seconds == 3600 and config.min_samples == monitoring.min_samples
    assert config.reference_artifact == "reference/reference.csv"
    assert dict(kv.split("=") for kv in config.pod_selector.split(",")) == plan.serving.selector
    assert config.namespace == "ml-fraud-detection" and config.container == "server"
    assert config.pushgateway_url == "http://pushgateway.monitoring.svc:9091"
    token = next(e for e in container["env"] if e["name"] == "MLFLOW_TRACKING_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "mlflow-registry-credentials", "key": "MLFLOW_TRACKING_TOKEN"}
    assert cronjob["spec"]["schedule"] == "*/5 * * * *" and cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert container["image"] == f"europe-west4-docker.pkg.dev/acme/model-serving/quality-monitor:{IMAGE_TAG}"


def test_monitor_pods_are_never_selected_as_model_pods_and_read_logs_only():
    plan = monitor_plan()
    sa, role, binding, cronjob = quality_monitor_manifests(plan)
    pod_labels = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert not plan.serving.selector.items() <= pod_labels.items()
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ]
    assert binding["subjects"][0]["name"] == sa["metadata"]["name"] == plan.name
    assert len(cronjob["metadata"]["name"]) <= 52  # CronJob name limit
    assert len(monitor_plan(model=FRAUD.model_copy(update={"name": "x" * 40})).name) <= 52


def test_labels_source_reaches_the_monitor():
    model = with_monitoring(FRAUD, labelsSource={"uri": "gs://acme-labels/fraud.jsonl", "minLabelled": 20})
    cronjob = quality_monitor_manifests(monitor_plan(model=model))[-1]
    env = {
        e["name"]: e.get("value")
        for e in cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    config = MonitorConfig.from_env({k: v for k, v in env.items() if v is not None})
    assert (config.labels_uri, config.min_labelled) == ("gs://acme-labels/fraud.jsonl", 20)


def test_pushgateway_is_scraped_with_the_pushed_labels_kept():
    deployment, service, monitor = pushgateway_manifests("monitoring", {"release": "kps"})
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == pgw.IMAGE
    assert monitor["metadata"]["labels"]["release"] == "kps"
    assert monitor["spec"]["endpoints"][0]["honorLabels"] is True
    assert monitor["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert [o["kind"] for o in pushgateway_manifests("monitoring", None)] == ["Deployment", "Service"]


def test_serving_container_runs_the_quality_runtime_at_the_catalogue_sample_rate():
    model = with_monitoring(FRAUD, sampleRate=0.25)
    container = deployment_manifest(make_plan(model=model), "7")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MLSERVER_MODEL_IMPLEMENTATION"] == QUALITY_RUNTIME_CLASS
    assert env[SAMPLE_RATE_ENV] == "0.25"
    off = deployment_manifest(make_plan(model=with_monitoring(FRAUD, enabled=False)), "7")
    assert {e["name"]: e["value"] for e in off["spec"]["template"]["spec"]["containers"][0]["env"]}[
        SAMPLE_RATE_ENV
    ] == "0.0"


def test_signals_per_runtime():
    assert quality_signals(FRAUD) == {PREDICTION_CONFIDENCE, PREDICTIONS, FEATURE_DRIFT, DRIFT_SCORE}
    labelled = with_monitoring(FRAUD, labelsSource={"uri": "file:///labels.jsonl"})
    assert ACCURACY in quality_signals(labelled)
    assert canary_quality_checks(make_plan(model=labelled)) == ("confidence", "drift", "accuracy")
    assert canary_quality_checks(make_plan(model=CATALOGUE["churn-prediction"])) == ("confidence", "drift")
    pyfunc = FRAUD.model_copy(update={"serving": FRAUD.serving.model_copy(update={"framework": "pyfunc"})})
    assert PREDICTION_CONFIDENCE not in quality_signals(pyfunc) and canary_quality_checks(make_plan(model=pyfunc)) == (
        "drift",
    )
    no_samples = with_monitoring(FRAUD, sampleRate=0)
    assert quality_signals(no_samples) == {PREDICTION_CONFIDENCE, PREDICTIONS}
    for gpu_model in ("image-classifier", "support-assistant"):  # triton, vllm
        assert quality_signals(CATALOGUE[gpu_model]) == set()
        assert canary_quality_checks(make_plan(model=CATALOGUE[gpu_model])) == ()


def test_a_canary_check_the_runtime_cannot_feed_is_one_clear_problem():
    triton = CATALOGUE["image-classifier"]
    model = triton.model_copy(
        update={"monitoring": Monitoring.model_validate({"canaryChecks": ["confidence", "drift"]})}
    )
    problems = [str(p) for p in quality_check_problems(model, quality_signals(model), "models/image-classifier.yaml")]
    assert problems == [
        f"models/image-classifier.yaml: monitoring.canaryChecks: {check} has no data for this model: runtime triton "
        f"exports no model-quality series (fix: remove {check} from monitoring.canaryChecks)"
        for check in ("confidence", "drift")
    ]


def test_catalogue_refuses_a_broken_monitoring_section_with_file_field_and_fix(tmp_path):
    entry = yaml.safe_load((MODELS / "churn-prediction.yaml").read_text())
    entry["monitoring"] = {
        "sampleRate": 1.5,
        "driftSchedule": "hourly",
        "driftWindow": "60",
        "canaryChecks": ["latency"],
    }
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "churn-prediction.yaml").write_text(yaml.safe_dump(entry))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(tmp_path / "models", display_root=tmp_path)
    text = "\n".join(str(p) for p in caught.value.problems)
    for field in (
        "monitoring.sampleRate",
        "monitoring.driftSchedule",
        "monitoring.driftWindow",
        "monitoring.canaryChecks",
    ):
        assert f"models/churn-prediction.yaml: {field}" in text, text
    assert "five-field cron schedule (fix: e.g. '*/5 * * * *'" in text


def test_accuracy_check_without_labels_is_refused():
    with pytest.raises(ValidationError) as raised:
        Monitoring.model_validate({"canaryChecks": ["accuracy"]})
    (problem,) = problems_from_validation_error(raised.value, "models/m.yaml", Monitoring)
    assert (problem.field, problem.fix) == ("canaryChecks", "add labelsSource")
    assert "accuracy but no labelsSource" in problem.message


def test_images_come_from_the_stacks_registry():
    from plan.serving import stack_runtime
    from settings.stack import StackSettings

    def settings(cluster: dict, quality: dict | None = None) -> StackSettings:
        base = yaml.safe_load((MODELS.parent / "Pulumi.yaml").read_text())["config"]
        raw = {key: spec["default"] for key, spec in base.items()} | {"stack": "qa", "cluster": cluster}
        raw["mlflowTrackingUri"] = "https://mlflow.example.com"
        if cluster["mode"] != "kubeconfig":  # a Gateway stack serves models under a hostname suffix
            raw["addons"] = {"traffic": {"hostnameSuffix": "models.example.com"}}
        return StackSettings.model_validate(raw | ({"quality": quality} if quality else {}))

    gke = settings({"mode": "gke", "project": "acme-ml", "location": "europe-west4", "name": "c"})
    assert (
        stack_runtime(gke, "mlserver").image
        == f"europe-west4-docker.pkg.dev/acme-ml/model-serving/mlserver-quality:{IMAGE_TAG}"
    )
    pinned = settings({"mode": "kubeconfig"}, {"imageRegistry": "registry.local:5000/mlops", "imageTag": "3f9c2d1"})
    assert stack_runtime(pinned, "mlserver").image == "registry.local:5000/mlops/mlserver-quality:3f9c2d1"
    assert stack_runtime(settings({"mode": "kubeconfig"}), "mlserver").image == SERVING_RUNTIME_IMAGE.at("")
    assert stack_runtime(gke, "triton").image.startswith("nvcr.io/")  # upstream images are pulled as written
    with pytest.raises(ValueError, match="not a registry prefix"):
        QualitySettings.model_validate({"imageRegistry": "https://registry.example.com"})


def test_tags_stay_within_registry_rules():
    for image in (SERVING_RUNTIME_IMAGE, QUALITY_MONITOR_IMAGE):
        assert QualitySettings.model_validate({"imageTag": image.tag}).image_tag == image.tag
        assert Path(MODELS.parent / image.dockerfile).is_file()
    assert replace(SERVING_RUNTIME_IMAGE, tag="x").at("r/") == "r/mlserver-quality:x"
