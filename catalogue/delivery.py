"""A catalogue entry's delivery options: what the platform cannot guess about a model's rollout.

Per-environment canary timing (interval, threshold, steps, approval) is stack config
(settings/delivery.py); what depends on the model itself lives here, including the rollout strategy
per environment (catalogue/strategy.py).
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from catalogue.strategy import ModelKind, StrategySpec
from core.environments import Environment
from core.problems import Invalid
from core.spec import Spec

_MODEL_NAME = Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$", max_length=40)]


class LoadTestRequest(Spec):
    """One valid inference request: the canary's load test sends it, so the analysis has data."""

    path: str = Field(
        description="Request path, e.g. /v2/models/<name>/infer; generative (vLLM) models default to "
        "/v1/completions with a short prompt.",
        pattern=r"^/[^\s]*$",
    )
    body: str = Field(description="JSON request body, as text.")

    @field_validator("body")
    @classmethod
    def _json(cls, value: str) -> str:
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            raise Invalid(f"is not JSON ({exc.msg})", "write the request body as a JSON document") from None
        return value


class Delivery(Spec):
    """How new versions of this model reach traffic (canary analysis, autoscaling, fallback)."""

    fallback: _MODEL_NAME | None = Field(
        None,
        description="Another catalogue model (lighter, stable, same inference protocol) kept warm; the stack "
        "setting delivery.fallbackActive switches this model's traffic to it.",
    )
    load_test: LoadTestRequest | None = Field(
        None, description="The request the canary load test sends; required for non-generative models."
    )
    requests_per_pod: int = Field(
        100, ge=1, description="CPU runtimes: KEDA adds a pod per this many requests per second."
    )
    queue_depth_per_pod: int = Field(
        5, ge=1, description="GPU runtimes (Triton, vLLM): KEDA adds a pod per this many queued requests."
    )
    strategy: dict[Environment, StrategySpec] = Field(
        default_factory=dict,
        description="Rollout strategy per environment (canary, blueGreen, abTest, mirror); an environment not "
        "named here uses canary.",
    )
    model_kind: ModelKind | None = Field(
        None,
        description="classical, deepLearning, reinforcementLearning or generative: reinforcement-learning agents "
        "should use blueGreen in prod (checkpoints must not mix), and get a warning otherwise.",
    )

    def strategy_for(self, environment: str) -> StrategySpec:
        return self.strategy.get(environment, StrategySpec())  # type: ignore[call-overload]
