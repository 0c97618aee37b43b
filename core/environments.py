"""The environments a model moves through, in promotion order. One definition for every package."""

from __future__ import annotations

from typing import Literal

ENVIRONMENTS = ("local", "dev", "staging", "prod")
Environment = Literal["local", "dev", "staging", "prod"]
