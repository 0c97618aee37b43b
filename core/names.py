"""Naming rules shared by settings and the catalogue: Kubernetes label keys and values, bucket names."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

from core.spec import pattern_in_words

_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
LabelValue = Annotated[
    str,
    StringConstraints(pattern=_LABEL_VALUE, max_length=63),
    pattern_in_words(
        _LABEL_VALUE, "a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    ),
]
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)


def default_bucket_name(project: str, environment: str) -> str:
    """Bucket names are global: the project id makes them unique."""
    return f"{project}-{environment}-models"
