"""The CrossGuard policy pack: `pulumi preview --policy-pack policy`. PolicyPack(...) starts the
analyzer server and blocks, so nothing else lives here (the tests import policy.policies)."""

import sys
from pathlib import Path

# Pulumi runs the pack from this directory; the shared rules live in the project above it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policy.policies import policies

PolicyPack(name="mlops-guardrails", policies=policies())
