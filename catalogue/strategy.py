"""A model's rollout strategy in one environment (`delivery.strategy.<env>` in its catalogue entry).

- canary: progressive weights (the stack's `stepWeights`, or this entry's), analysis, rollback;
- blueGreen: `iterations` analysed ticks on the candidate (load test only, no user traffic), a person
  confirms, then all traffic switches at once;
- abTest: the `match` segment (a request header) goes to the candidate for `iterations` ticks; the
  analysis judges the candidate and compares it with the primary;
- mirror: blue/green with shadow copies of live traffic sent to the candidate (responses dropped).

Keys of one strategy are refused under another with the strategy they belong to; which traffic layer
supports which strategy is checked per stack (plan/delivery_strategy.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from core.spec import Spec, located, raise_located
from core.traffic_weights import checked_step_weights
from facts.flagger_analysis import STRATEGIES, Strategy

ModelKind = Literal["classical", "deepLearning", "reinforcementLearning", "generative"]

# HTTP header field names (RFC 9110 token), lowercase as the Gateway compares them case-insensitively.
_HEADER = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9!#$%&'*+.^_`|~-]*$", max_length=100)]
_COOKIE = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)]
_VALUE = Annotated[str, StringConstraints(pattern=r"^[^\s;,\"]+$", max_length=200)]

# Which strategy each strategy-specific key belongs to (for the did-you-mean of a misplaced key).
_KEY_OWNERS: dict[str, tuple[Strategy, ...]] = {
    "stepWeights": ("canary",),
    "iterations": ("blueGreen", "abTest", "mirror"),
    "match": ("abTest",),
}
_SNAKE = {"step_weights": "stepWeights"}
_TAKES: dict[str, str] = {
    "canary": "canary takes stepWeights",
    "blueGreen": "blueGreen takes iterations",
    "abTest": "abTest takes match and iterations",
    "mirror": "mirror takes iterations",
}
DEFAULT_ITERATIONS: dict[Strategy, int] = {"blueGreen": 10, "abTest": 20, "mirror": 10}


class SegmentMatch(Spec):
    """One condition of the A/B segment: a request header (or cookie) with an exact value."""

    header: _HEADER | None = Field(None, description="Request header name, e.g. x-user-segment.")
    cookie: _COOKIE | None = Field(
        None, description="Cookie name; needs a regular-expression header match (not on GKE's Gateway)."
    )
    value: _VALUE = Field(description="The exact value that puts a request in the segment.")

    @model_validator(mode="after")
    def _one_source(self) -> SegmentMatch:
        if (self.header is None) == (self.cookie is None):
            raise_located(
                "SegmentMatch",
                [located(("header",), "give exactly one of header or cookie", "e.g. {header: x-segment, value: beta}")],
            )
        return self


class StrategySpec(Spec):
    type: Strategy = Field("canary", description="canary, blueGreen, abTest or mirror.")
    step_weights: tuple[int, ...] | None = Field(
        None, min_length=1, description="canary only: this model's traffic steps, instead of the stack's."
    )
    iterations: int | None = Field(
        None, ge=1, le=100, description="blueGreen, abTest, mirror: analysed ticks before promotion."
    )
    match: tuple[SegmentMatch, ...] | None = Field(
        None,
        min_length=1,
        description="abTest only (required): the segment sent to the candidate, requests matching any entry.",
    )

    @model_validator(mode="before")
    @classmethod
    def _keys_of_this_strategy(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        strategy = data.get("type", "canary")
        found = []
        for raw, value in data.items():
            key: str = _SNAKE.get(str(raw), str(raw))
            if value is None:
                continue
            owners = _KEY_OWNERS.get(key)
            if owners is None or strategy in owners or strategy not in STRATEGIES:
                continue
            # The key this strategy has for the same purpose (how long to analyse), else the strategy asked for.
            same_purpose = {"stepWeights": "iterations", "iterations": "stepWeights"}.get(key)
            if same_purpose and strategy in _KEY_OWNERS[same_purpose]:
                hint = f"did you mean {same_purpose}?"
            else:
                hint = f"did you mean type: {owners[0]}?"
            found.append(
                located((raw,), f"belongs to {' / '.join(owners)}, not to {strategy}", f"{hint} {_TAKES[strategy]}")
            )
        raise_located("StrategySpec", found)
        return data

    @field_validator("step_weights")
    @classmethod
    def _increasing(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        return None if value is None else checked_step_weights(value)

    @model_validator(mode="after")
    def _ab_needs_a_segment(self) -> StrategySpec:
        if self.type == "abTest" and not self.match:
            raise_located(
                "StrategySpec",
                [
                    located(
                        ("match",),
                        "an abTest needs the segment it sends to the candidate",
                        "add match: [{header: x-segment, value: beta}]",
                    )
                ],
            )
        return self

    def analysed_iterations(self) -> int:
        return self.iterations or DEFAULT_ITERATIONS.get(self.type, 0)
