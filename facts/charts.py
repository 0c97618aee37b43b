"""The Helm charts the platform installs: name, repository and the version whose default values were
verified (../shared/design/facts-delivery.md section 1; default values kept as test data so every value
we set is checked against the chart's own keys). A stack may pin another version in config; these are the
defaults `Pulumi.yaml` declares.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartFact:
    chart: str
    repository: str
    version: str
    source: str  # where the version and its default values were read


KUBE_PROMETHEUS_STACK = ChartFact(
    "kube-prometheus-stack",
    "https://prometheus-community.github.io/helm-charts",
    "88.5.3",
    "prometheus-community/helm-charts@cf408a29 charts/kube-prometheus-stack/Chart.yaml",
)
FLAGGER = ChartFact("flagger", "https://flagger.app", "1.44.0", "fluxcd/flagger@v1.44.0 charts/flagger/Chart.yaml")
LOADTESTER = ChartFact(
    "loadtester", "https://flagger.app", "0.38.0", "fluxcd/flagger@v1.44.0 charts/loadtester/Chart.yaml"
)
KEDA = ChartFact("keda", "https://kedacore.github.io/charts", "2.20.2", "kedacore/charts@1444d00d keda/Chart.yaml")
ARGO_CD = ChartFact(
    "argo-cd", "https://argoproj.github.io/argo-helm", "10.1.1", "argoproj/argo-helm@af0a9310 charts/argo-cd/Chart.yaml"
)

CHARTS: tuple[ChartFact, ...] = (KUBE_PROMETHEUS_STACK, FLAGGER, LOADTESTER, KEDA, ARGO_CD)
