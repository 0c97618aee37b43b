"""Container rules: requests and limits on every container; non-root, no privilege escalation,
read-only root filesystem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guardrails.rule import GuardContext, Rule
from guardrails.subject import Subject, dig
from guardrails.violation import Finding

_RESOURCES = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def _resources(subject: Subject, context: GuardContext) -> list[Finding]:
    findings = []
    for c in subject.containers():
        missing = [key for key in _RESOURCES if dig(c.get("resources") or {}, *key.split(".")) in (None, "")]
        if missing:
            findings.append(
                Finding(
                    subject.label,
                    f"container '{c.get('name')}' has no {', '.join(missing)}",
                    "set resources.requests and resources.limits (cpu and memory) on every container",
                )
            )
    return findings


def _security_gaps(pod_spec: Mapping[str, Any], container: Mapping[str, Any]) -> list[str]:
    own = container.get("securityContext") or {}
    pod = pod_spec.get("securityContext") or {}
    gaps = []
    non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
    run_as = own.get("runAsUser", pod.get("runAsUser"))
    if non_root is not True or run_as == 0:
        gaps.append("runAsNonRoot: true (and no runAsUser: 0)")
    if own.get("allowPrivilegeEscalation") is not False or own.get("privileged") is True:
        gaps.append("allowPrivilegeEscalation: false (and not privileged)")
    if own.get("readOnlyRootFilesystem") is not True:
        gaps.append("readOnlyRootFilesystem: true")
    return gaps


def _security(subject: Subject, context: GuardContext) -> list[Finding]:
    spec = subject.pod_spec
    if spec is None:
        return []
    findings = []
    for c in subject.containers():
        gaps = _security_gaps(spec, c)
        if gaps:
            findings.append(
                Finding(
                    subject.label,
                    f"container '{c.get('name')}' lacks {'; '.join(gaps)}",
                    "set them in the container's securityContext (write to an emptyDir mounted at /tmp)",
                )
            )
    return findings


CONTAINER_RESOURCES = Rule(
    "container-resources",
    "Every container sets requests and limits for cpu and memory.",
    resource_check=_resources,
)
CONTAINER_SECURITY = Rule(
    "container-security",
    "Every container runs as non-root, without privilege escalation, on a read-only root filesystem.",
    resource_check=_security,
)
