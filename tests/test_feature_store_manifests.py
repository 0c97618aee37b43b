"""The feature store's pure builders, directly: every object strictly valid for both stack kinds, the
feature_store.yaml Feast reads (password only as ${REDIS_PASSWORD}), the network allows that open nothing
when no model reads features, and the Memorystore price the cost line adds."""

from __future__ import annotations

import pytest
import yaml

from facts import feast
from guardrails.cost_services import ServiceCost, service_costs, services_monthly_usd
from guardrails.subject import Subject
from manifests.feature_store import config, network, redis, server
from plan.feature_store import FeatureReader, FeatureStorePlan
from tests.schemas import validate

READERS = (FeatureReader("churn-prediction", "ml-churn-prediction", "churn_features_v1", "customer_id"),)


def _plan(gke: bool, readers=READERS) -> FeatureStorePlan:
    return FeatureStorePlan(
        "feature-store", "mlops", 2, "dev", gke=gke, kubernetes_minor=33, readers=readers, bucket="b" if gke else ""
    )


def _objects(plan: FeatureStorePlan) -> list[dict]:
    text = config.feature_store_yaml(plan, "10.0.0.3" if plan.gke else "redis", 6378 if plan.gke else 6379, plan.gke)
    objects = [
        server.namespace_manifest(plan),
        server.service_account_manifest(plan, {"iam.gke.io/gcp-service-account": "x@p.iam.gserviceaccount.com"}),
        server.deployment_manifest(plan),
        server.service_manifest(plan),
        server.pdb_manifest(plan),
        config.config_map_manifest(plan, text),
        config.password_secret_manifest(plan, "[secret]"),
        *network.network_policy_manifests(plan, "10.0.0.3/32" if plan.gke else None),
    ]
    if plan.gke:
        objects.append(config.redis_ca_manifest(plan, "-----BEGIN CERTIFICATE-----"))
    else:
        objects += [
            server.registry_claim_manifest(plan),
            redis.redis_deployment_manifest(plan),
            redis.redis_service_manifest(plan),
        ]
    return objects


@pytest.mark.parametrize("gke", [True, False])
def test_every_object_is_strictly_valid(gke):
    for manifest in _objects(_plan(gke)):
        validate(manifest, "1.33")


@pytest.mark.parametrize("gke", [True, False])
def test_feature_store_yaml_is_what_feast_reads_with_no_secret_in_it(gke):
    plan = _plan(gke)
    text = config.feature_store_yaml(plan, "10.0.0.3", 6378, tls=gke)
    parsed = yaml.safe_load(text)
    assert parsed["project"] == "mlops"
    assert parsed["registry"] == {
        "registry_type": "file",
        "path": "gs://b/feast/registry.db" if gke else "/var/lib/feast/registry.db",
    }
    tls = ",ssl=true,ssl_ca_certs=/etc/feast-redis-ca/server-ca.pem" if gke else ""
    assert parsed["online_store"] == {
        "type": "redis",
        "redis_type": "redis",
        "connection_string": f"10.0.0.3:6378{tls},password=${{REDIS_PASSWORD}}",
    }


def test_no_reader_no_ingress_to_the_server():
    names = {p["metadata"]["name"] for p in network.network_policy_manifests(_plan(False, readers=()))}
    assert names == {"default-deny", "allow-dns", "allow-redis-from-server", "allow-server-egress"}


def test_the_server_runs_restricted_with_the_password_from_the_secret():
    pod = server.deployment_manifest(_plan(True))["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["runAsUser"] == feast.RUN_AS_USER
    assert container["readinessProbe"]["httpGet"]["path"] == feast.HEALTH_PATH
    password = next(e for e in container["env"] if e["name"] == feast.PASSWORD_ENV)
    assert "value" not in password and password["valueFrom"]["secretKeyRef"]["name"] == "feast-redis-auth"


def test_memorystore_costs_by_tier_and_size():
    subject = Subject("gcp:redis/instance:Instance", "store", {"tier": "STANDARD_HA", "memorySizeGb": 5})
    (cost,) = service_costs([subject])
    assert cost.monthly_usd == pytest.approx(0.054 * 5 * 730)
    assert feast.redis_monthly_usd("BASIC", 1) == pytest.approx(0.049 * 730)
    # A size with no price band here is unknown, and so is the total it is part of.
    unpriced = ServiceCost("big", "Memorystore for Redis BASIC 200 GB", feast.redis_monthly_usd("BASIC", 200))
    assert unpriced.monthly_usd is None and services_monthly_usd([cost, unpriced]) is None
    assert "price unknown" in unpriced.describe()
