"""Guardrails: the stack's guardrail context as a component (its inputs are what the render and the
policy pack judge the stack by), with the cluster's ValidatingAdmissionPolicies and bindings as children."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.kube import kube_object
from guardrails.rule import GUARDRAILS_TYPE, GuardContext, context_inputs


@dataclass(frozen=True)
class GuardrailsArgs:
    context: GuardContext  # environment, GPU budget and enforcement overrides of this stack
    # From guardrails.admission.admission_policies; empty for a cluster older than Kubernetes 1.30.
    admission_manifests: tuple[dict, ...] = ()
    # The GPU ceiling's lines (guardrails.cost), logged so `pulumi preview` shows them; empty: nothing to log.
    ceiling_summary: tuple[str, ...] = ()


class Guardrails(pulumi.ComponentResource):
    policy_names: list[str]

    def __init__(self, name: str, args: GuardrailsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(GUARDRAILS_TYPE, name, context_inputs(args.context), opts)
        if args.ceiling_summary:
            pulumi.log.info("\n".join(args.ceiling_summary), resource=self)
        policies = [m for m in args.admission_manifests if m["kind"] == "ValidatingAdmissionPolicy"]
        by_policy = {}
        for manifest in policies:
            by_policy[manifest["metadata"]["name"]] = kube_object(
                f"{name}-{manifest['metadata']['name']}-policy", manifest, pulumi.ResourceOptions(parent=self)
            )
        for manifest in args.admission_manifests:
            if manifest["kind"] != "ValidatingAdmissionPolicyBinding":
                continue
            policy = by_policy[manifest["spec"]["policyName"]]
            kube_object(
                f"{name}-{manifest['metadata']['name']}-binding",
                manifest,
                pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
        self.policy_names = sorted(by_policy)
        self.register_outputs({"policy_names": self.policy_names})
