"""The restricted Pod Security Standard as securityContexts: one definition for every workload we run.

Model servers, their download init containers, batch jobs, the quality monitor, the Pushgateway and the
delivery-metrics job all run as a fixed non-root user with no privileges, a read-only root filesystem
and the runtime's default seccomp profile, so the namespaces can enforce `restricted`.
"""

from __future__ import annotations


def restricted_container_security(run_as_user: int) -> dict:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": run_as_user,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod_security(run_as_user: int, owns_volumes: bool = False) -> dict:
    """`owns_volumes`: the pod's volumes belong to its user (fsGroup), for pods that write model files."""
    context: dict = {"runAsNonRoot": True, "runAsUser": run_as_user, "runAsGroup": run_as_user}
    if owns_volumes:
        context["fsGroup"] = run_as_user
    context["seccompProfile"] = {"type": "RuntimeDefault"}
    return context
