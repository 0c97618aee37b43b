"""Guardrails: one set of rules over (resource type, inputs) and over a whole stack, shared by three
gates: the CrossGuard policy pack (policy/), the offline render (ops/offline/render.py) and, for the rules that
make sense there, ValidatingAdmissionPolicies in the cluster (guardrails/admission.py).

Everything here is pure: resources are plain wire-format (camelCase) dicts, as Pulumi sees them.
"""
