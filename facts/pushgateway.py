"""The Prometheus Pushgateway the quality monitors push to (a plain Deployment, manifests/pushgateway.py).

Sources:
  [PGW-REL]  prometheus-community/helm-charts release prometheus-pushgateway-3.9.1: "Update dependency
             prometheus/pushgateway to v1.11.4" (the chart's appVersion; image quay.io/prometheus/pushgateway)
  [PGW-README] prometheus/pushgateway README: listens on :9091; /-/healthy and /-/ready; pushed groups are
             kept until replaced or deleted (no expiry); scrape it with honor_labels so pushed job/instance
             and other labels are kept; --persistence.file only to survive restarts
  [PGW-IMG]  prometheus/pushgateway Dockerfile (commit b7c5fed): USER 65534 (nobody), WORKDIR /pushgateway
"""

from __future__ import annotations

NAME = "pushgateway"
IMAGE = "quay.io/prometheus/pushgateway:v1.11.4"  # [PGW-REL]
PORT = 9091  # [PGW-README]
PORT_NAME = "http-metrics"
READY_PATH = "/-/ready"  # [PGW-README]
HEALTHY_PATH = "/-/healthy"  # [PGW-README]
RUN_AS_USER = 65534  # nobody [PGW-IMG]


def url(namespace: str) -> str:
    """The in-cluster URL monitors push to."""
    return f"http://{NAME}.{namespace}.svc:{PORT}"
