"""Guardrails in the program: the stack's guardrail context, its admission policies, and the
cost-allocation labels on every GCP resource."""
