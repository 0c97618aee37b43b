"""Small readers of a recorded program run that several test modules share."""

from __future__ import annotations

from ops.offline.program_run import ProgramRun, RecordedResource

KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
CHART = "kubernetes:helm.sh/v4:Chart"


def cluster_provider(run: ProgramRun) -> RecordedResource:
    """The provider that applies to the cluster (gitops stacks also have render-to-directory providers)."""
    (provider,) = [p for p in run.by_type(KUBERNETES_PROVIDER) if "renderYamlToDirectory" not in p.inputs]
    return provider


def charts_by_name(run: ProgramRun) -> dict[str, RecordedResource]:
    """Every Helm chart the run installs, by chart name; a chart installed twice is a failure."""
    found: dict[str, RecordedResource] = {}
    for resource in run.by_type(CHART):
        chart = resource.inputs["chart"]
        assert chart not in found, f"{chart} installed twice"
        found[chart] = resource
    return found
