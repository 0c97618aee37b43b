"""Every upstream image the platform runs, and the Binary Authorization allowlist derived from them.

Prod enforces the project's Binary Authorization policy (components/gcp/binary_authorization.py): an
image runs only with the scan attestor's attestation or a match in the policy's allowlist. Nothing
attests upstream images, so each pinned add-on's images (the repositories its default values name; we
override none) and each upstream runtime image is admitted by its exact repository, any tag:
`<registry>/<path>:*`. Binary Authorization name patterns (AdmissionWhitelistPattern.namePattern): the
form is registry/path/to/image, a trailing `*` matches within one path segment (`gcr.io/nginx*` matches
`gcr.io/nginx@latest`, not `gcr.io/nginx/image`), a trailing `**` across segments. So no entry admits a
whole registry or namespace (no `docker.io/*`). Digests would be tighter still, but the charts name tags
only (most default to the chart's appVersion) and no registry is reachable from here to resolve them:
pin `<repository>@sha256:...` in binaryAuthorizationAllowlist and drop an entry here when you have them.

Our own images (facts/built_images.py) are not allowlisted: images.yml scans each pushed digest and signs
the stack's scanAttestor attestation for it, which is what the policy's default rule requires.

Sources: the pinned charts' default values (tests/data/charts/<chart>-<version>-values.yaml, copies of
../shared/charts/), key by key below; kube-prometheus-stack's subcharts (grafana 12.11.1,
kube-state-metrics 8.4.0, prometheus-node-exporter 4.56.1, versions from ../shared/design/facts-delivery.md)
are not vendored here, so their repositories are those subcharts' documented defaults, marked SUBCHART
and not machine-checked; `helm template` the chart to confirm them before a first prod `up`.
"""

from __future__ import annotations

from dataclasses import dataclass

from facts.charts import ARGO_CD, FLAGGER, KEDA, KUBE_PROMETHEUS_STACK, LOADTESTER, ChartFact
from facts.feast import IMAGE as FEAST_IMAGE
from facts.mlflow_server import CLOUD_SQL_PROXY_IMAGE
from facts.pushgateway import IMAGE as PUSHGATEWAY_IMAGE
from facts.runtimes import DOWNLOADER_IMAGE, TRITON, VLLM

SUBCHART = "subchart default values, not vendored here"


@dataclass(frozen=True)
class UpstreamImage:
    repository: str  # registry/path, no tag or digest
    used_by: str  # the chart (name-version) or the platform component that runs it
    where: str  # the values key naming it, or the facts constant
    source: str = "default values"

    @property
    def pattern(self) -> str:
        """Any tag of exactly this repository (a trailing `*` never crosses a `/`)."""
        return f"{self.repository}:*"


def _chart(chart: ChartFact, where: str, repository: str, source: str = "default values") -> UpstreamImage:
    return UpstreamImage(repository, f"{chart.chart}-{chart.version}", where, source)


def _repository(reference: str) -> str:
    """`registry/path:tag` -> `registry/path`."""
    head, _, tail = reference.rpartition(":")
    return head if head and "/" not in tail else reference


ADDON_IMAGES: tuple[UpstreamImage, ...] = (
    # kube-prometheus-stack 88.5.3
    _chart(KUBE_PROMETHEUS_STACK, "crds.upgradeJob.image.busybox", "docker.io/busybox"),
    _chart(KUBE_PROMETHEUS_STACK, "crds.upgradeJob.image.kubectl", "registry.k8s.io/kubectl"),
    _chart(KUBE_PROMETHEUS_STACK, "alertmanager.alertmanagerSpec.image", "quay.io/prometheus/alertmanager"),
    _chart(
        KUBE_PROMETHEUS_STACK,
        "prometheusOperator.admissionWebhooks.deployment.image",
        "quay.io/prometheus-operator/admission-webhook",
    ),
    _chart(
        KUBE_PROMETHEUS_STACK,
        "prometheusOperator.admissionWebhooks.patch.image",
        "ghcr.io/jkroepke/kube-webhook-certgen",
    ),
    _chart(KUBE_PROMETHEUS_STACK, "prometheusOperator.image", "quay.io/prometheus-operator/prometheus-operator"),
    _chart(
        KUBE_PROMETHEUS_STACK,
        "prometheusOperator.prometheusConfigReloader.image",
        "quay.io/prometheus-operator/prometheus-config-reloader",
    ),
    _chart(KUBE_PROMETHEUS_STACK, "prometheusOperator.thanosImage", "quay.io/thanos/thanos"),
    _chart(KUBE_PROMETHEUS_STACK, "prometheus.prometheusSpec.image", "quay.io/prometheus/prometheus"),
    _chart(KUBE_PROMETHEUS_STACK, "thanosRuler.thanosRulerSpec.image", "quay.io/thanos/thanos"),
    _chart(KUBE_PROMETHEUS_STACK, "grafana (image)", "docker.io/grafana/grafana", SUBCHART),
    _chart(KUBE_PROMETHEUS_STACK, "grafana (sidecar.image)", "quay.io/kiwigrid/k8s-sidecar", SUBCHART),
    _chart(KUBE_PROMETHEUS_STACK, "grafana (initChownData.image)", "docker.io/library/busybox", SUBCHART),
    _chart(
        KUBE_PROMETHEUS_STACK,
        "kube-state-metrics (image)",
        "registry.k8s.io/kube-state-metrics/kube-state-metrics",
        SUBCHART,
    ),
    _chart(KUBE_PROMETHEUS_STACK, "prometheus-node-exporter (image)", "quay.io/prometheus/node-exporter", SUBCHART),
    # flagger 1.44.0 and its load tester 0.38.0
    _chart(FLAGGER, "image", "ghcr.io/fluxcd/flagger"),
    _chart(LOADTESTER, "image", "ghcr.io/fluxcd/flagger-loadtester"),
    # keda 2.20.2
    _chart(KEDA, "image.keda", "ghcr.io/kedacore/keda"),
    _chart(KEDA, "image.metricsApiServer", "ghcr.io/kedacore/keda-metrics-apiserver"),
    _chart(KEDA, "image.webhooks", "ghcr.io/kedacore/keda-admission-webhooks"),
    # argo-cd 10.1.1 (every component's image defaults to global.image)
    _chart(ARGO_CD, "global.image", "quay.io/argoproj/argocd"),
    _chart(ARGO_CD, "dex.image", "ghcr.io/dexidp/dex"),
    _chart(ARGO_CD, "redis.image", "ecr-public.aws.com/docker/library/redis"),
    _chart(ARGO_CD, "redis.exporter.image", "ghcr.io/oliver006/redis_exporter"),
    _chart(ARGO_CD, "redis-ha.image", "ecr-public.aws.com/docker/library/redis"),
    _chart(ARGO_CD, "redis-ha.haproxy.image", "ecr-public.aws.com/docker/library/haproxy"),
    _chart(ARGO_CD, "server.extensions.image", "quay.io/argoprojlabs/argocd-extension-installer"),
)

PLATFORM_IMAGES: tuple[UpstreamImage, ...] = (
    UpstreamImage(_repository(TRITON.image), "model runtime triton", "facts/runtimes.py TRITON.image"),
    UpstreamImage(_repository(VLLM.image), "model runtime vllm", "facts/runtimes.py VLLM.image"),
    UpstreamImage(_repository(DOWNLOADER_IMAGE), "model download init container", "facts/runtimes.py"),
    UpstreamImage(_repository(PUSHGATEWAY_IMAGE), "quality metrics Pushgateway", "facts/pushgateway.py IMAGE"),
    # The stack's own data services on GKE (the MLflow server's image is the downloader's repository, above;
    # its PostgreSQL and the feature store's Redis run only on `local`, which has no Binary Authorization).
    UpstreamImage(_repository(CLOUD_SQL_PROXY_IMAGE), "MLflow server's Cloud SQL Auth Proxy", "facts/mlflow_server.py"),
    UpstreamImage(_repository(FEAST_IMAGE), "Feast feature server", "facts/feast.py IMAGE"),
)

UPSTREAM_IMAGES: tuple[UpstreamImage, ...] = ADDON_IMAGES + PLATFORM_IMAGES
# The policy's default allowlist entries, besides GKE's own system images; one per repository.
DEFAULT_ALLOWLIST: tuple[str, ...] = tuple(sorted({image.pattern for image in UPSTREAM_IMAGES}))
