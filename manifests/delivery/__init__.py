"""Pure builders of per-model progressive-delivery objects (Flagger, KEDA, prometheus-operator, Grafana)."""
