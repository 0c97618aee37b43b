"""Kubernetes minor versions whose OpenAPI schemas the project validates manifests against.

Source: the schemas kubernetes-validate 1.37.0 ships (requirements-test.txt;
`kubernetes_validate.utils.all_versions()`); tests/test_kubernetes_versions.py keeps this table equal
to them, so `kubernetesVersion` accepts exactly the versions the render and the tests can check.
"""

from __future__ import annotations

SCHEMA_VERSIONS: tuple[str, ...] = tuple(f"1.{minor}" for minor in range(25, 38))
