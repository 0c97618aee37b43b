"""Bad `addons` values through the whole program: one problem each, naming the stack file, the key and the
fix, and nothing registered. Wrong types, unknown keys, bounds, empty lists, add-ons that another needs
turned off, and values that would render an object the API server (or GKE) rejects."""

from __future__ import annotations

from tests.settings_refusals import refused_with

KEY = "Pulumi.dev.yaml: mlops-platform:addons"


def test_wrong_types_are_all_reported_at_once():
    assert refused_with("dev", addons={"monitoring": {"enabled": "maybe"}, "flagger": {"replicas": "two"}}) == [
        f"{KEY}.monitoring.enabled: 'maybe' is not true or false (fix: write true or false)",
        f"{KEY}.flagger.replicas: 'two' is not a whole number (fix: write a whole number)",
    ]
    assert refused_with("dev", addons=["monitoring"]) == [
        f"{KEY}: ['monitoring'] is not a mapping (fix: write a mapping)"
    ]
    assert refused_with("dev", addons="yes") == [
        f"{KEY}: expected a structured value (list or mapping), got 'yes' (fix: write it as a YAML list or mapping "
        "in the stack file)"
    ]


def test_unknown_keys_get_a_did_you_mean():
    assert refused_with("dev", addons={"flager": {"enabled": True}, "monitoring": {"retension": "3d"}}) == [
        f"{KEY}.monitoring.retension: unknown key (fix: did you mean 'retention'? remove it or use one of: "
        "alertmanagerReplicas, alertmanagerResources, enabled, operatorResources, prometheusReplicas, "
        "prometheusResources, retention, scrapeInterval, storageClass, storageSize, version)",
        f"{KEY}.flager: unknown key (fix: did you mean 'flagger'? remove it or use one of: flagger, keda, monitoring, traffic)",
    ]


def test_numbers_out_of_range():
    assert refused_with(
        "dev",
        addons={"flagger": {"replicas": 9}, "monitoring": {"prometheusReplicas": 0, "scrapeInterval": "10m"}},
    ) == [
        f"{KEY}.monitoring.prometheusReplicas: 0 is out of range: it must be at least 1 (fix: write a value at least 1)",
        f"{KEY}.monitoring.scrapeInterval: 10m is longer than Prometheus's 5m lookback, so every series would go "
        "stale between scrapes (fix: scrape at most every 5m, e.g. 30s or 1m)",
        f"{KEY}.flagger.replicas: 9 is out of range: it must be at most 3 (fix: write a value at most 3)",
    ]


def test_an_empty_certificate_list_is_refused():
    traffic = {"hostnameSuffix": "models.dev.example.com", "tls": {"preSharedCertificates": []}}
    assert refused_with("dev", addons={"traffic": traffic}) == [
        f"{KEY}.traffic.tls.preSharedCertificates: is empty (fix: give it a value)"
    ]


def test_keda_needs_the_prometheus_it_scales_on():
    assert refused_with("dev", addons={"monitoring": {"enabled": False}, "flagger": {"enabled": False}}) == [
        f"{KEY}.keda.enabled: KEDA scales every model on Prometheus queries (requests, queue depth), and the "
        "stack's Prometheus is off, so each ScaledObject would have no server to query (fix: keep "
        "addons.monitoring.enabled: true, or set addons.keda.enabled: false (models then scale on CPU and memory "
        "with an HPA))"
    ]


def test_flagger_needs_prometheus():
    assert refused_with("dev", addons={"monitoring": {"enabled": False}, "keda": {"enabled": False}}) == [
        f"{KEY}.flagger.enabled: Flagger's canary analysis queries the stack's Prometheus (fix: keep "
        "addons.monitoring.enabled: true or disable Flagger)"
    ]


def test_a_stack_that_serves_models_needs_flagger():
    assert refused_with("dev", addons={"flagger": {"enabled": False}}) == [
        f"{KEY}.flagger.enabled: every served model (churn-prediction, churn-prediction-baseline, fraud-detection, image-classifier, "
        "support-assistant) is rolled out by a Flagger Canary, which also creates its Service; with Flagger off the "
        "Canaries have no CRD and the models no Service (fix: keep addons.flagger.enabled: true on a stack that "
        "serves models)"
    ]


def test_values_the_api_server_or_gke_would_reject():
    long_suffix = ".".join(["a" * 60] * 4) + ".com"
    assert refused_with(
        "dev",
        addons={
            "monitoring": {"storageClass": "Fast SSD"},
            "flagger": {"namespace": "Flagger"},
            "traffic": {"tls": {"preSharedCertificates": ["models_cert"]}, "hostnameSuffix": long_suffix},
        },
    ) == [
        f"{KEY}.monitoring.storageClass: 'Fast SSD' is not a StorageClass name (fix: lowercase letters, digits, "
        "'-' and '.', e.g. premium-rwo)",
        f"{KEY}.flagger.namespace: 'Flagger' is not a Kubernetes name (fix: a lowercase DNS label, e.g. flagger-system)",
        f"{KEY}.traffic.tls.preSharedCertificates: 'models_cert' is not a Compute Engine certificate name (fix: the "
        "name of a Google-managed or self-managed SSL certificate: lowercase letters, digits, '-', at most 63 "
        "characters)",
        f"{KEY}.traffic.hostnameSuffix: {long_suffix!r} leaves no room for the model name (<model>.<suffix> is at "
        "most 253 characters): not an RFC 1123 host name suffix (fix: e.g. models.dev.example.com)",
    ]
