"""The ModelDelivery component under Pulumi mocks: what it registers, under which names, and that the
alert webhook URL stays a secret all the way to the Secret."""

from __future__ import annotations

import pulumi

from components.delivery.model_delivery import ModelDelivery, ModelDeliveryArgs
from components.serving.model_serving import ModelServing, ModelServingArgs
from ops.engine import is_secret
from plan.quality_signals import canary_quality_checks
from tests.delivery_fixtures import plans_for, platform_refs, stack_settings, with_keda
from tests.gke_engine import run
from tests.test_delivery_plan import plans_with_fallback

URL = "https://hooks.example.com/services/T000/B000/XXXX"
# Built at import: reading stack settings installs its own Pulumi mocks, which the engine fixture then replaces.
PROD = plans_for("prod", platform_refs(stack_settings("prod")), alerts=True)
SWITCHED = plans_with_fallback("prod", "churn-prediction", fallbackActive=["fraud-detection"])


def test_registers_every_object_under_the_component_with_the_url_secret(engine):
    plan = PROD["fraud-detection"]
    run(
        lambda: ModelDelivery(
            "fraud-detection-delivery",
            ModelDeliveryArgs(
                plan=plan, alert_webhook_url=pulumi.Output.secret(URL), target_deployment="fraud-detection"
            ),
        ).canary_name
    )
    (component,) = engine.of_type("mlops:delivery:ModelDelivery")
    children = [r for r in engine.registered if r["parent"] == component["urn"]]
    names = sorted(r["name"] for r in children)
    # fraud-detection (MLServer, sklearn, sampled) exports confidence and drift: its canary checks both.
    assert canary_quality_checks(plan.serving) == ("confidence", "drift")
    assert names == sorted(
        f"fraud-detection-delivery-{role}"
        for role in (
            "request-count",
            "success-rate-percent",
            "latency-p99-ms",
            "prediction-confidence",
            "input-drift",
            "alert-webhook",
            "alert-provider",
            "scaled-object",
            "canary",
            "pod-monitor",
            "alert-rules",
            "dashboard",
            "health",
            "primary-health",
            "canary-health",
        )
    )
    secret = engine.one("kubernetes:core/v1:Secret")
    string_data = secret["inputs"]["stringData"]
    assert is_secret(string_data) or is_secret(string_data.get("address"))
    provider = engine.one("kubernetes:flagger.app/v1beta1:AlertProvider")
    assert URL not in repr(provider["inputs"])
    canary = engine.one("kubernetes:flagger.app/v1beta1:Canary")
    assert canary["inputs"]["spec"]["targetRef"]["name"] == "fraud-detection"
    dependencies = {r["urn"]: r["name"] for r in engine.registered}
    after = {dependencies[u] for u in canary["dependencies"]}
    assert {
        "fraud-detection-delivery-request-count",
        "fraud-detection-delivery-success-rate-percent",
        "fraud-detection-delivery-alert-provider",
    } <= after


def test_switched_model_registers_its_fallback_route(engine):
    plan = SWITCHED["fraud-detection"]
    run(lambda: ModelDelivery("fraud-detection-delivery", ModelDeliveryArgs(plan=plan)).fallback_active)
    route = engine.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    assert route["name"] == "fraud-detection-delivery-fallback-route"
    assert route["inputs"]["metadata"]["name"] == "fraud-detection-fallback"
    engine.one("kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant")
    assert engine.of_type("kubernetes:flagger.app/v1beta1:AlertProvider") == []  # no webhook URL configured


HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def test_without_keda_the_delivery_component_owns_the_hpa_aliased_to_its_old_parent(engine):
    """One component owns the model's autoscaler: ModelDelivery, beside the Canary naming it. The HPA keeps
    the name ModelServing gave it, with an alias to ModelServing as its parent: its URN before the move, so
    an existing stack updates it in place instead of replacing it."""
    plan = with_keda(PROD, False)["fraud-detection"]

    def program():
        serving = ModelServing("fraud-detection", ModelServingArgs(plan=plan.serving, version="3"))
        ModelDelivery("fraud-detection-delivery", ModelDeliveryArgs(plan=plan, serving=serving))
        return serving.version

    run(program)
    (serving,) = engine.of_type("mlops:serving:ModelServing")
    (delivery,) = engine.of_type("mlops:delivery:ModelDelivery")
    hpa = engine.one(HPA)
    assert (hpa["name"], hpa["parent"]) == ("fraud-detection-autoscaler", delivery["urn"])
    # (pulumi_kubernetes adds its own aliases to the older HPA API versions, all under the same parent)
    moved = [a for a in hpa["aliases"] if a["spec"].get("parentUrn")]
    assert moved == [{"spec": {"parentUrn": serving["urn"]}}]
    assert hpa["inputs"]["spec"]["scaleTargetRef"]["name"] == "fraud-detection"
    assert engine.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject") == []
    canary = engine.one("kubernetes:flagger.app/v1beta1:Canary")
    assert canary["inputs"]["spec"]["autoscalerRef"]["kind"] == "HorizontalPodAutoscaler"
    assert hpa["urn"] in canary["dependencies"]  # the Canary's autoscalerRef exists before Flagger reads it
    with_scaler = with_keda(PROD, True)["fraud-detection"]
    assert (with_scaler.serving.scaling.keda, plan.serving.scaling.keda) == (True, False)
