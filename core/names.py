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

# Object names that are DNS subdomains (RFC 1123), e.g. a StorageClass: at most 253 characters.
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Compute Engine resource names (addresses, sslCertificates): RFC 1035 labels, at most 63 characters.
GCP_RESOURCE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def default_bucket_name(project: str, environment: str) -> str:
    """Bucket names are global: the project id makes them unique."""
    return f"{project}-{environment}-models"
