"""The floors the scale benchmark compares our render with, each on the very objects one render produced.

    python -m benchmarks.scale_floors sdk DUMP_DIR OUT_JSON      # in its own process (peak memory, clean SDK state)

- sdk: the Pulumi SDK registering the same resources (same types, names, parents, inputs) under bare
  `pulumi.runtime.set_mocks` mocks that echo inputs: no program logic, no dynamic provider, no dependsOn.
  Kubernetes and GCP resources go through their pulumi_kubernetes / pulumi_gcp classes (what any program
  registering them pays); the rest (the dynamic ModelVersion, the barrier) through `pulumi.CustomResource`
  with the recorded type token and inputs (their provider does not run: that is our logic).
- yaml: PyYAML's C dumper (CSafeDumper) writing the same Kubernetes objects, one document each.
- kustomize: `kubectl kustomize` over a base holding one model's objects per directory and a stack
  overlay (namespace-independent label + annotation patch) that includes every model's base.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml


def _gcp_class(type_token: str):
    """gcp:container/nodePool:NodePool -> pulumi_gcp.container.NodePool."""
    import importlib

    _, module, kind = type_token.split(":")
    return getattr(importlib.import_module(f"pulumi_gcp.{module.split('/')[0]}"), kind)


def _snake_arguments(manifest: dict) -> dict:
    return {
        re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): value
        for key, value in manifest.items()
        if key not in ("apiVersion", "kind")
    }


def sdk_floor(dump: Path) -> dict:
    import pulumi

    from components.kube import kube_object

    records = pickle.loads((dump / "resources.pickle").read_bytes())

    class EchoMocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args):
            return {}, []

    pulumi.runtime.set_mocks(EchoMocks(), project="mlops-platform", stack="floor", preview=False)
    by_urn: dict[str, pulumi.Resource] = {}

    def register():
        pending = list(records)
        while pending:  # parents before children (the recording order is completion order)
            later = []
            for urn, type_, name, parent, custom, inputs in pending:
                if parent and parent not in by_urn:
                    later.append((urn, type_, name, parent, custom, inputs))
                    continue
                opts = pulumi.ResourceOptions(parent=by_urn[parent]) if parent else None
                if type_.startswith("pulumi:providers:"):
                    by_urn[urn] = pulumi.ProviderResource(type_.split(":")[2], name, inputs, opts)
                elif custom and type_.startswith("kubernetes:") and "apiVersion" in inputs:
                    # The program's own manifest-to-SDK-class mapping (custom resources included): the floor
                    # pays the same SDK classes, never our builders.
                    by_urn[urn] = kube_object(name, inputs, opts or pulumi.ResourceOptions())
                elif custom and type_.startswith("gcp:"):
                    by_urn[urn] = _gcp_class(type_)(name, **_snake_arguments(inputs), opts=opts)
                elif custom:
                    by_urn[urn] = pulumi.CustomResource(type_, name, inputs, opts)
                else:
                    by_urn[urn] = pulumi.ComponentResource(type_, name, None, opts)
            if len(later) == len(pending):
                raise RuntimeError(f"{len(later)} resources whose parent was never recorded")
            pending = later

    start, cpu_start = time.perf_counter(), time.process_time()
    pulumi.runtime.test(register)()
    return {
        "sdk_s": time.perf_counter() - start,
        "sdk_cpu_s": time.process_time() - cpu_start,
        "sdk_resources": len(by_urn),
    }


def yaml_floor(dump: Path) -> dict:
    objects = pickle.loads((dump / "objects.pickle").read_bytes())
    start = time.perf_counter()
    text = "".join(yaml.dump(o, Dumper=yaml.CSafeDumper, sort_keys=False) for o in objects)
    return {"yaml_s": time.perf_counter() - start, "yaml_bytes": len(text)}


def kustomize_floor(dump: Path, work: Path, stack: str) -> dict:
    """Seconds for `kubectl kustomize` over base/<model>/ + overlays/<stack>/ giving the same objects; or a
    reason in "kustomize_note" when kubectl is missing or fails."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return {"kustomize_s": None, "kustomize_note": "kubectl not on PATH"}
    objects = pickle.loads((dump / "objects.pickle").read_bytes())
    shutil.rmtree(work, ignore_errors=True)
    groups: dict[str, list[dict]] = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        groups.setdefault(meta.get("namespace") or "cluster", []).append(obj)
    bases = []
    for group, members in groups.items():
        base = work / "base" / group
        base.mkdir(parents=True)
        files = []
        for i, obj in enumerate(members):
            files.append(f"{i:03d}-{obj['kind'].lower()}.yaml")
            (base / files[-1]).write_text(yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
        (base / "kustomization.yaml").write_text(yaml.safe_dump({"resources": files}), encoding="utf-8")
        bases.append(f"../../base/{group}")
    overlay = work / "overlays" / stack
    overlay.mkdir(parents=True)
    kustomization = {
        "resources": bases,
        "labels": [{"pairs": {"mlops.example.com/stack": stack}, "includeSelectors": False}],
        "commonAnnotations": {"mlops.example.com/rendered-by": "kustomize"},
    }
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        return {"kustomize_s": None, "kustomize_note": f"kubectl kustomize failed: {done.stderr.strip()[:300]}"}
    produced = sum(1 for doc in yaml.load_all(done.stdout, Loader=yaml.CSafeLoader) if doc)
    return {"kustomize_s": elapsed, "kustomize_objects": produced}


def main() -> None:
    kind, dump, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if kind != "sdk":
        raise SystemExit(f"unknown floor {kind!r}: only 'sdk' runs in its own process")
    out.write_text(json.dumps(sdk_floor(dump)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
