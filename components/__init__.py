"""Pulumi ComponentResources, one concern per file, grouped by area (addons, cluster, delivery, gcp,
gitops, guardrails, serving). They register what the pure builders of manifests/ and guardrails/ return
for the plans of plan/; the MLflow dynamic provider is registry/. Nothing here reads pulumi.Config or
the environment: settings/ does."""
