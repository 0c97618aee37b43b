"""GitOps: Argo CD, one AppProject per team, the Applications, and the Kubernetes provider each model's
objects go through.

`direct` mode: model objects go through the cluster provider, as before. `gitops` mode: each model gets
a second Kubernetes provider with `renderYamlToDirectory` = `<manifestsDir>/<environment>/<model>`, so
`pulumi up` writes the objects there instead of applying them (only the changed ones); after `up`,
`python -m ops publish` commits the complete tree, built from the state, to the deploy branch the
model's Application pulls (ops/publish/). Namespaces and Secrets stay on the cluster provider (PULUMI_OWNED_TYPES):
Secrets must never reach a file in Git, and the namespace must exist, with its Secrets, before the first
sync. The routing is a transformation on the per-model component, so it covers every child of every
per-model component (serving today, delivery objects when they arrive) without their knowing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.gitops.argocd import ArgoCd, ArgoCdArgs
from components.kube import kube_object
from manifests.gitops.applications import model_application, team_repo_application
from manifests.gitops.projects import team_project
from plan.gitops import GitopsPlan

# Pulumi keeps these on the cluster provider in gitops mode; Argo CD owns every other model object.
PULUMI_OWNED_TYPES = ("kubernetes:core/v1:Namespace", "kubernetes:core/v1:Secret")


@dataclass(frozen=True)
class GitOpsArgs:
    plan: GitopsPlan
    cluster_provider: k8s.Provider  # the real cluster: Argo CD, projects, applications, Namespaces, Secrets
    admin_password: pulumi.Input[str] | None = None  # secret Output (argocdAdminPassword)
    oidc_client_secret: pulumi.Input[str] | None = None  # secret Output (argocdOidcClientSecret)
    salt_seed: str = ""  # the stack name (stable admin password hash)


def _keep_on(provider: k8s.Provider) -> pulumi.ResourceTransformation:
    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ not in PULUMI_OWNED_TYPES:
            return None
        return pulumi.ResourceTransformationResult(
            props=args.props, opts=pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(provider=provider))
        )

    return transformation


class GitOps(pulumi.ComponentResource):
    argo_cd: ArgoCd | None  # None where the stack does not install Argo CD
    render_providers: dict[str, k8s.Provider]  # model -> its renderYamlToDirectory provider (gitops mode)
    applications: dict[str, k8s.apiextensions.CustomResource]  # Application name -> resource
    projects: dict[str, k8s.apiextensions.CustomResource]  # team -> AppProject

    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:gitops:GitOps", name, None, opts)
        plan = args.plan
        self._cluster_provider = args.cluster_provider
        self.render_providers = {
            app.model: k8s.Provider(
                f"{name}-{app.model}-manifests",
                render_yaml_to_directory=app.path,
                # Explicit so the environment cannot change what is rendered (client-side apply would add
                # a managed-by label to every file).
                enable_server_side_apply=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for app in plan.apps
        }
        self.argo_cd = None
        self.applications = {}
        self.projects = {}
        if plan.argo_cd is not None:
            self.argo_cd = ArgoCd(
                f"{name}-argocd",
                ArgoCdArgs(
                    argo_cd=plan.argo_cd,
                    production=plan.production,
                    sso=plan.sso,
                    admin_password=args.admin_password,
                    oidc_client_secret=args.oidc_client_secret,
                    salt_seed=args.salt_seed,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[args.cluster_provider]),
            )
            argo_ns = plan.argo_cd.namespace
            # Custom resources of Argo CD's CRDs: only once the chart (its CRDs) is applied.
            after_crds = pulumi.ResourceOptions(
                parent=self, provider=args.cluster_provider, depends_on=[self.argo_cd.chart]
            )
            for project in plan.projects:
                self.projects[project.team] = kube_object(
                    f"{name}-project-{project.team}", team_project(project, argo_ns), after_crds
                )
            in_project = pulumi.ResourceOptions.merge(
                after_crds, pulumi.ResourceOptions(depends_on=list(self.projects.values()))
            )
            for app in plan.apps:
                manifest = model_application(app, plan.repo_url, plan.branch, argo_ns)
                self.applications[app.model] = kube_object(f"{name}-app-{app.model}", manifest, in_project)
            for project in plan.projects:
                for repo in project.repos:
                    manifest = team_repo_application(project.team, repo, argo_ns)
                    app_name = manifest["metadata"]["name"]
                    self.applications[app_name] = kube_object(f"{name}-app-{app_name}", manifest, in_project)
        self.register_outputs({"manifests": {app.model: app.path for app in plan.apps}})

    def model_options(self, model: str, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """Options for a model's per-model components: the provider its objects go through, decided by
        the delivery mode, and (gitops) the transformation keeping Namespaces and Secrets on the cluster."""
        render = self.render_providers.get(model)
        if render is None:
            return pulumi.ResourceOptions(providers=[self._cluster_provider], depends_on=list(depends_on))
        return pulumi.ResourceOptions(
            providers=[render], depends_on=list(depends_on), transformations=[_keep_on(self._cluster_provider)]
        )
