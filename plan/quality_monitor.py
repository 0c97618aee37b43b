"""The drift/accuracy monitor of one model on one stack, decided once (built by manifests/quality_monitor_job.py)."""

from __future__ import annotations

from dataclasses import dataclass

from facts import pushgateway
from facts.built_images import QUALITY_MONITOR_IMAGE
from facts.quality_metrics import DRIFT_SCORE
from plan.serving_plan import ServingPlan
from settings.stack import StackSettings


@dataclass(frozen=True)
class QualityMonitorPlan:
    serving: ServingPlan  # the model it watches: namespace, pod selector, registry access
    image: str
    pushgateway_url: str

    @property
    def name(self) -> str:
        # CronJob names stay within 52 characters (Jobs append an 11-character suffix): a catalogue
        # name has at most 40, plus "-monitor".
        return f"{self.serving.name}-monitor"


def quality_monitor_plan(settings: StackSettings, serving: ServingPlan) -> QualityMonitorPlan | None:
    """The monitor of a model whose runtime logs samples and whose entry keeps the monitor on; else None."""
    if DRIFT_SCORE not in serving.quality_series:
        return None
    return QualityMonitorPlan(
        serving=serving,
        image=QUALITY_MONITOR_IMAGE.at(settings.image_registry, settings.quality.image_tag),
        pushgateway_url=pushgateway.url(settings.monitoring_namespace),
    )
