"""ArgoCd: Argo CD installed from its Helm chart, with the Secrets the chart's skipped hooks would make.

helm.v4.Chart renders the chart like `helm template` and drops Helm hooks
(../shared/design/facts-delivery.md section 6), so the chart's redis-secret-init Job never runs: the
`argocd-redis` Secret it would generate is created here from a Pulumi RandomPassword instead. The chart's
CRDs are ordinary templates applied by the cluster provider with server-side apply (enabled explicitly on
that provider), which their size requires.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.kube import kube_object
from facts.charts import ARGO_CD
from manifests.gitops.argocd_values import ArgoCdValuesArgs, argocd_values, bcrypt_hash
from settings.gitops import ArgoCdSettings, SsoSettings

REDIS_SECRET = "argocd-redis"  # hard-coded in the chart's Redis, redis-ha and Argo CD deployments
RELEASE = "argocd"


@dataclass(frozen=True)
class ArgoCdArgs:
    argo_cd: ArgoCdSettings
    production: bool = False  # HA values
    sso: SsoSettings | None = None  # OIDC login; the admin user is then disabled
    admin_password: pulumi.Input[str] | None = None  # secret Output, hashed with bcrypt before it reaches values
    oidc_client_secret: pulumi.Input[str] | None = None  # secret Output
    salt_seed: str = ""  # e.g. the stack name: keeps the admin password hash stable run after run


class ArgoCd(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    chart: k8s.helm.v4.Chart  # Applications and AppProjects depend on it (its CRDs)

    def __init__(self, name: str, args: ArgoCdArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:gitops:ArgoCd", name, None, opts)
        settings = args.argo_cd
        namespace = kube_object(
            f"{name}-namespace",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": settings.namespace}},
            pulumi.ResourceOptions(parent=self),
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        redis_password = random.RandomPassword(f"{name}-redis-password", length=32, special=False, opts=in_ns)
        redis_secret = kube_object(
            f"{name}-redis-secret",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": REDIS_SECRET,
                    "namespace": settings.namespace,
                    "labels": {"app.kubernetes.io/part-of": "argocd"},
                },
                "type": "Opaque",
                "stringData": {"auth": pulumi.Output.secret(redis_password.result)},
            },
            in_ns,
        )
        if args.production and args.sso is None:
            pulumi.log.warn(
                "Argo CD in production keeps its local admin user: configure gitops.sso (OIDC) to disable it",
                resource=self,
            )
        admin_hash = None
        if args.sso is None and args.admin_password is not None:
            seed = f"{args.salt_seed}/{settings.namespace}"
            admin_hash = pulumi.Output.secret(args.admin_password).apply(lambda p: bcrypt_hash(p, seed))
        client_secret = pulumi.Output.secret(args.oidc_client_secret) if args.oidc_client_secret is not None else None
        values = argocd_values(
            ArgoCdValuesArgs(
                argo_cd=settings,
                production=args.production,
                sso=args.sso,
                admin_password_hash=admin_hash,
                oidc_client_secret=client_secret,
            )
        )
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            chart=ARGO_CD.chart,
            version=settings.chart_version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=ARGO_CD.repository),
            name=RELEASE,
            namespace=settings.namespace,
            values=values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, redis_secret]),
        )
        name_of_namespace = settings.namespace
        self.namespace = namespace.id.apply(lambda _: name_of_namespace)  # known once the namespace exists
        self.register_outputs({"namespace": self.namespace})
