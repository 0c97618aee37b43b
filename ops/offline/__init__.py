"""The program run without the Pulumi engine or credentials (engine.py on Pulumi's mocks): `ops render`,
previews of pull requests from forks (`ops preview-offline` against a registry snapshot), a stack's settings
read offline (stack_settings.py), and the guardrails over an offline run (guardrail_gate.py)."""
