"""Kubernetes resource quantities: parsed so the catalogue can reject '2GB' and limits below requests
at validation time instead of at `kubectl apply` time."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator

from core.problems import Invalid

# The grammar of k8s.io/apimachinery resource.Quantity (decimal and binary SI suffixes, no exponents).
_QUANTITY = re.compile(r"^(?P<num>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_FACTORS = {
    None: Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def parse_quantity(text: str) -> Decimal:
    """'500m' -> 0.5, '2Gi' -> 2147483648. Raises Invalid (a ValueError) with a fix for anything else."""
    match = _QUANTITY.match(str(text).strip())
    if not match:
        raise Invalid(
            f"{text!r} is not a Kubernetes quantity",
            "write a number with an optional suffix, e.g. 500m or 2 for CPU, 512Mi or 2Gi for memory",
        )
    return Decimal(match["num"]) * _FACTORS[match["suffix"]]


def _check(value: str | int | float) -> str:
    text = str(value)
    parse_quantity(text)
    return text


# A field type: accepts 2, 0.5, "500m", "2Gi"; stores the canonical text Kubernetes will receive.
Quantity = Annotated[str | int | float, AfterValidator(_check)]
