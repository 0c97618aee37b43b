"""Which models a pull request's offline preview must render: those whose inputs the change touched.

A model's serving and delivery are registered from its catalogue entry and its plans alone (serving,
batch, quality monitor, delivery, its Argo CD application, its selector), given the stack's settings and
the program's code. When base and head have the same code and stack files (ops/offline/scoped_preview.py
checks that), a model whose fingerprint of those inputs is equal in both registers exactly the same
resources in both, and the preview can leave it out of both renders. Everything else is still rendered
in full on both sides: every model's version (the report's version rows), the cluster, the add-ons, Argo
CD's projects and applications, the GCP platform and the guardrails.

Two kinds of model are rendered even when unchanged:
- every model a rendered model falls back to, transitively: a delivery's switch route waits for its
  fallback's serving stack, so that stack must be registered beside it;
- every GPU model: the GPU ceiling (guardrails/cost.py, the gpu-budget rule and the report's cost line)
  adds up every canary's GPU pods across the stack, so leaving one out would understate it. CPU models
  add nothing to it, and every other stack-wide rule judges a model's own namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.fingerprint import fingerprint
from plan.quality_monitor import quality_monitor_plan
from program.stack_plan import StackPlan


@dataclass(frozen=True)
class ModelInputs:
    """Per served model of one stack: the fingerprint of what its serving and delivery are registered from."""

    fingerprints: Mapping[str, str]
    gpu: frozenset[str]  # models whose canary pods count in the GPU ceiling
    fallbacks: Mapping[str, str]  # model -> the model its traffic can be switched to


def model_inputs(planned: StackPlan) -> ModelInputs:
    """Raises core.fingerprint.Unfingerprintable when a plan holds a value it cannot read completely."""
    settings = planned.loaded.stack
    fingerprints = {}
    for model in planned.models:
        name = model.name
        serving = planned.servings[name]
        fingerprints[name] = fingerprint(
            {
                "model": model,
                "selector": planned.selector(model),
                "serving": serving,
                "batches": planned.batches.get(name, ()),
                "quality_monitor": quality_monitor_plan(settings, serving),
                "delivery": planned.deliveries.get(name),
                "application": [app for app in planned.gitops.apps if app.model == name],
            }
        )
    return ModelInputs(
        fingerprints=fingerprints,
        gpu=frozenset(m.name for m in planned.models if m.serving.gpu is not None),
        fallbacks={name: delivery.fallback.model for name, delivery in planned.deliveries.items() if delivery.fallback},
    )


def preview_scope(base: ModelInputs, head: ModelInputs) -> frozenset[str]:
    """The models to render on both sides: changed, added or removed ones, every GPU model, and the
    fallbacks of all of them (transitively, on either side)."""
    names = set(base.fingerprints) | set(head.fingerprints)
    scope = {n for n in names if base.fingerprints.get(n) != head.fingerprints.get(n)} | base.gpu | head.gpu
    todo = list(scope)
    while todo:
        name = todo.pop()
        for fallbacks in (base.fallbacks, head.fallbacks):
            target = fallbacks.get(name)
            if target is not None and target not in scope:
                scope.add(target)
                todo.append(target)
    return frozenset(scope)
