"""GitOps.model_options routes the children of ANY per-model component: Namespaces and Secrets to the
cluster, everything else to the model's render provider (gitops) or the cluster (direct). A stand-in
component with nested children plays a future per-model component (Canary, dashboards, ...)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.gitops.gitops import GitOps, GitOpsArgs
from plan.gitops import GitopsPlan, ModelApp


class _EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args):
        return {}, []


class _PerModel(pulumi.ComponentResource):
    """A per-model component the gitops code knows nothing about, with a nested component inside."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions):
        super().__init__("test:delivery:PerModel", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.secret = k8s.core.v1.Secret(
            f"{name}-webhook", metadata={"name": "webhook", "namespace": "ml-m"}, opts=child
        )
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-dashboard", metadata={"name": "d", "namespace": "ml-m"}, opts=child
        )
        inner = pulumi.ComponentResource("test:delivery:Inner", f"{name}-inner", None, child)
        self.inner_secret = k8s.core.v1.Secret(
            f"{name}-inner-secret",
            metadata={"name": "s", "namespace": "ml-m"},
            opts=pulumi.ResourceOptions(parent=inner),
        )
        self.namespace = k8s.core.v1.Namespace(f"{name}-ns", metadata={"name": "ml-m"}, opts=child)


def _plan(mode: str) -> GitopsPlan:
    apps = (ModelApp("m", "team-a", "ml-m", "deploy/manifests/prod/m", "m"),) if mode == "gitops" else ()
    return GitopsPlan("prod", mode, None, None, True, "https://github.com/acme/x.git", "main", apps, ())


@pytest.mark.parametrize("mode", ["gitops", "direct"])
def test_children_of_any_per_model_component_get_the_provider_of_their_owner(mode):
    pulumi.runtime.set_mocks(_EchoMocks(), project="mlops-platform", stack="prod", preview=False)
    cluster = k8s.Provider("cluster")
    gitops = GitOps("g", GitOpsArgs(plan=_plan(mode), cluster_provider=cluster))
    component = _PerModel("m", gitops.model_options("m"))
    argo_owned = gitops.render_providers["m"] if mode == "gitops" else cluster
    assert component.config_map._provider is argo_owned
    for pulumi_owned in (component.secret, component.inner_secret, component.namespace):
        assert pulumi_owned._provider is cluster
    if mode == "gitops":
        assert gitops.render_providers["m"] is not cluster
    else:
        assert gitops.render_providers == {}
