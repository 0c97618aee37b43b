"""How the program and CI reach the stack's own MLflow server on GKE: a route on the stack's Gateway at
mlflow.<hostnameSuffix>, only where the Gateway terminates TLS; its own listener admitting the server's
namespace only; the load balancer's health check on /health; the NetworkPolicy and the server's host guard
letting the balancer in; and, through the whole program, the objects, the output and the warnings."""

from __future__ import annotations

import pytest

from catalogue.loader import load_catalogue
from core.problems import ConfigError
from manifests.addons.gateway import gateway_manifest
from manifests.mlflow_server.server_objects import server_manifests
from ops.offline.engine import run_program
from ops.offline.guardrail_gate import guard_run
from plan.mlflow_route import LISTENER, mlflow_route, route_blocker
from plan.mlflow_server import mlflow_server_plan
from plan.serving import select_models
from settings.stack import config_key
from tests.addon_settings import stack_settings
from tests.conftest import PROJECT_DIR, own_server_config
from tests.schemas import validate
from tests.test_mlflow_server_manifests import INPUTS, MODELS

TLS = {"addons": {"traffic": {"tls": {"preSharedCertificates": ["wildcard-models-dev"]}}}}


def _settings(stack: str, **overrides):
    return stack_settings(stack, mlflowServer={"enabled": True}, hasMlflowPassword=True, **overrides)


def test_only_a_gke_gateway_with_tls_gets_a_route():
    prod = mlflow_route(_settings("prod"))
    assert prod is not None and prod.hostname == "mlflow.models.ml.example.com"
    assert prod.uri == "https://mlflow.models.ml.example.com" and prod.namespace == "mlflow"
    assert mlflow_route(_settings("dev")) is None
    assert "no TLS" in (route_blocker(_settings("dev")) or "")
    assert mlflow_route(_settings("dev", **TLS)) is not None
    assert mlflow_route(_settings("local")) is None and "no GKE Gateway" in (route_blocker(_settings("local")) or "")
    assert mlflow_route(stack_settings("prod")) is None and route_blocker(stack_settings("prod")) is None  # no server


def test_the_gateway_gets_a_listener_for_the_servers_host_only_and_models_keep_theirs():
    settings = _settings("prod")
    route = mlflow_route(settings)
    gateway = gateway_manifest(settings.addons.traffic, route)
    validate(gateway, "1.33")
    models, server = gateway["spec"]["listeners"]
    assert models == gateway_manifest(settings.addons.traffic)["spec"]["listeners"][0]  # unchanged
    assert server["name"] == LISTENER and server["hostname"] == "mlflow.models.ml.example.com"
    assert (server["protocol"], server["port"]) == ("HTTPS", 443) and server["tls"] == models["tls"]
    assert server["allowedRoutes"]["namespaces"] == {
        "from": "Selector",
        "selector": {"matchLabels": {"kubernetes.io/metadata.name": "mlflow"}},
    }


def test_the_route_health_check_network_policy_and_host_guard_agree():
    settings = _settings("prod")
    plan = mlflow_server_plan(settings, MODELS)
    assert plan is not None and plan.route is not None
    objects = dict(server_manifests(plan, INPUTS))
    for role in ("route", "health-check"):
        validate(objects[role], "1.33")
    route = objects["route"]
    assert route["metadata"]["namespace"] == "mlflow"
    assert route["spec"]["parentRefs"] == [{"name": "models", "namespace": "gateway", "sectionName": LISTENER}]
    assert route["spec"]["hostnames"] == ["mlflow.models.ml.example.com"]
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "mlflow", "port": 5000}]}]
    check = objects["health-check"]["spec"]
    assert check["targetRef"] == {"group": "", "kind": "Service", "name": "mlflow"}
    assert check["default"]["config"]["httpHealthCheck"]["requestPath"] == "/health"
    (rule,) = objects["allow-tracking-clients"]["spec"]["ingress"]
    cidrs = {peer["ipBlock"]["cidr"] for peer in rule["from"] if "ipBlock" in peer}
    assert cidrs == set(settings.traffic_source_cidrs) and cidrs
    args = objects["deployment"]["spec"]["template"]["spec"]["containers"][0]["args"]
    hosts = args[args.index("--allowed-hosts") + 1].split(",")
    assert {"mlflow.models.ml.example.com", "mlflow.models.ml.example.com:443"} <= set(hosts)


def test_without_a_route_nothing_outside_the_cluster_is_let_in():
    plan = mlflow_server_plan(_settings("dev"), MODELS)
    assert plan is not None and plan.route is None
    objects = dict(server_manifests(plan, INPUTS))
    assert "route" not in objects and "health-check" not in objects
    (rule,) = objects["allow-tracking-clients"]["spec"]["ingress"]
    assert all("ipBlock" not in peer for peer in rule["from"])
    assert not any("example.com" in h for h in plan.allowed_hosts)


def test_a_model_named_like_the_servers_host_is_refused():
    settings = _settings("prod")
    catalogue = load_catalogue(PROJECT_DIR / "models")
    renamed = catalogue.models[0].model_copy(update={"name": "mlflow"})
    clashing = type(catalogue)(models=(*catalogue.models, renamed))
    with pytest.raises(ConfigError) as caught:
        select_models(settings, clashing)
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        "models/mlflow.yaml: name: the model would be served at mlflow.models.ml.example.com"
    )


def test_prod_with_its_own_server_routes_it_and_says_where(mlflow_server, seeded_demo):
    run = run_program(PROJECT_DIR, own_server_config("prod", mlflow_server.uri))
    by_kind = {(o.inputs["kind"], o.inputs["metadata"]["name"]): o for o in run.kubernetes_objects()}
    route = by_kind[("HTTPRoute", "mlflow")]
    assert route.inputs["metadata"]["namespace"] == "mlflow"
    assert ("HealthCheckPolicy", "mlflow-health") in by_kind
    (gateway,) = [o for o in run.kubernetes_objects() if o.inputs["kind"] == "Gateway"]
    assert [lst["name"] for lst in gateway.inputs["spec"]["listeners"]] == ["https", LISTENER]
    assert run.outputs["mlflowServer"]["publicUri"] == "https://mlflow.models.ml.example.com"
    (warning,) = [w for w in run.warnings if w.startswith("mlflowServer:")]
    assert f"resolves versions from {mlflow_server.uri}" in warning
    assert "set mlflowTrackingUri to https://mlflow.models.ml.example.com" in warning
    for obj in (route, by_kind[("HealthCheckPolicy", "mlflow-health")], gateway):
        validate(obj.inputs, "1.33")
    report = guard_run(run)  # the guardrails (pod hardening, NetworkPolicies, cost) pass with it on
    assert report.mandatory == [], "\n".join(str(v) for v in report.mandatory)


def test_dev_without_tls_gets_no_route_and_is_told_how_to_reach_the_server(mlflow_server, seeded_demo):
    overrides = {config_key("mlflowTrackingUri"): mlflow_server.uri}
    run = run_program(PROJECT_DIR, own_server_config("dev", mlflow_server.uri, overrides))
    assert not [o for o in run.kubernetes_objects() if o.inputs["kind"] == "HTTPRoute"]
    (gateway,) = [o for o in run.kubernetes_objects() if o.inputs["kind"] == "Gateway"]
    assert len(gateway.inputs["spec"]["listeners"]) == 1
    assert "publicUri" not in run.outputs["mlflowServer"]
    (warning,) = [w for w in run.warnings if w.startswith("mlflowServer:")]
    assert "no Gateway route (the Gateway has no TLS" in warning
    assert "kubectl -n mlflow port-forward svc/mlflow 5000" in warning
