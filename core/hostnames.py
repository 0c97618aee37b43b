"""RFC 1123 host names, as the Gateway API validates them.

Gateway API's `Hostname` (listener `hostname`, HTTPRoute `hostnames`) is an RFC 1123 DNS subdomain,
lowercase, at most 253 characters, each label 1 to 63 characters, optionally prefixed by one `*.`
label (a wildcard covers exactly one label); IP addresses are not hostnames there (gateway-api
apis/v1/shared_types.go, `Hostname`). A trailing dot, an empty label or an uppercase letter is
rejected by the API server, so a route rendered with `churn-prediction.` would never be admitted.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_IPV4 = re.compile(r"^[0-9]+(\.[0-9]+){3}$")
MAX_LENGTH = 253
MAX_LABEL = 63


def hostname_problem(value: object, wildcard: bool = False) -> str | None:
    """Why `value` is not an RFC 1123 host name (None when it is). `wildcard`: a leading `*.` is allowed."""
    if not isinstance(value, str) or not value:
        return f"{value!r} is not a host name (empty)"
    name = value[2:] if wildcard and value.startswith("*.") else value
    if len(value) > MAX_LENGTH:
        return f"{value!r} is longer than {MAX_LENGTH} characters"
    if _IPV4.match(name):
        return f"{value!r} is an IP address, not a host name"
    for label in name.split("."):
        if not label:
            return f"{value!r} has an empty label (a leading, trailing or doubled dot)"
        if len(label) > MAX_LABEL:
            return f"{value!r} has a label longer than {MAX_LABEL} characters"
        if not _LABEL.match(label):
            return f"{value!r}: label {label!r} is not lowercase letters, digits and inner '-'"
    return None


def is_hostname(value: object, wildcard: bool = False) -> bool:
    return hostname_problem(value, wildcard) is None
