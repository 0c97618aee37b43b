"""MlflowServer: the stack's own MLflow tracking server, provisioned by the same `pulumi up` as the models.

GKE: Cloud SQL, a bucket and a Workload Identity (CloudSqlStore), and the server's Kubernetes objects with
the Cloud SQL Auth Proxy beside it. Local: the same server with an in-cluster PostgreSQL and an artifact
volume. With basic auth the admin is the program's own user (mlflowUsername, its password the secret
mlflowPassword, handed in); the database's and the model pods' reader's passwords are generated here by
pulumi-random. Every password stays a Pulumi secret: in the Secrets the pods read, never in a pod spec, an
output or a rendered file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pulumi
import pulumi_random as random

from components.data.cloud_sql_store import CloudSqlStore, CloudSqlStoreArgs
from components.kube import kube_object
from facts import mlflow_server as facts
from manifests.mlflow_server.deployment import database_host
from manifests.mlflow_server.server_args import auth_config_ini, backend_store_uri
from manifests.mlflow_server.server_objects import ServerInputs, server_manifests
from plan.mlflow_server import MlflowServerPlan
from registry.registry_user import RegistryUser, RegistryUserArgs
from settings.mlflow_server import CloudSqlSettings


@dataclass(frozen=True)
class MlflowServerArgs:
    plan: MlflowServerPlan
    # GKE only (plan.store == "cloud-sql"):
    database: CloudSqlSettings | None = None
    bucket_name: str = ""
    workload_pool: pulumi.Input[str] = ""
    production: bool = False
    deletion_protection: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    # auth only: the admin's password (secret Output, the program's mlflowPassword); the server creates its
    # admin with it on its first start.
    admin_password: pulumi.Input[str] | None = None
    # auth only: create the model pods' read-only user through the registry API. Off on the bootstrap `up`
    # (the program cannot reach a server it is creating; no model is served then anyway).
    create_reader: bool = True
    # The Kubernetes provider (the cluster); GCP resources use the stack's default Google provider.
    kube_provider: pulumi.ProviderResource | None = None


class MlflowServer(pulumi.ComponentResource):
    uri: pulumi.Output[str]  # in-cluster, for pods
    store: CloudSqlStore | None
    # auth only: the model pods' read-only user; None without auth or before it is created (bootstrap)
    reader: RegistryUser | None

    def __init__(self, name: str, args: MlflowServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:data:MlflowServer", name, None, opts)
        plan = args.plan
        child = pulumi.ResourceOptions(parent=self)
        self.store = None
        if plan.store == "cloud-sql":
            if args.database is None:
                raise ValueError("a Cloud SQL store needs the database settings")
            self.store = CloudSqlStore(
                f"{name}-store",
                CloudSqlStoreArgs(
                    project=plan.project,
                    region=plan.region,
                    environment=plan.environment,
                    database=args.database,
                    bucket_name=args.bucket_name,
                    namespace=plan.namespace,
                    workload_pool=args.workload_pool,
                    production=args.production,
                    deletion_protection=args.deletion_protection,
                    labels=args.labels,
                ),
                opts=child,
            )
            password = self.store.database_password
        else:
            # RandomPassword.result is a secret Output, and so is everything applied to it.
            password = random.RandomPassword(f"{name}-database-password", length=32, special=False, opts=child).result
        inputs = ServerInputs(
            database_password=password,
            service_account_annotations=self.store.service_account_annotations() if self.store else None,
            bucket=self.store.bucket_name if self.store else "",
            connection_name=self.store.connection_name if self.store else "",
        )
        if plan.auth:
            if args.admin_password is None:
                raise ValueError("basic auth needs the admin's password (settings refuse a stack without one)")
            flask_key = random.RandomPassword(f"{name}-flask-secret-key", length=48, special=False, opts=child)
            host = database_host(plan)
            inputs = dataclasses.replace(
                inputs,
                admin_password=pulumi.Output.secret(args.admin_password),
                flask_secret_key=flask_key.result,
                auth_config_ini=password.apply(
                    lambda value: auth_config_ini(
                        backend_store_uri(host, facts.POSTGRES_PORT, value), plan.admin_username
                    )
                ),
            )
        kube = pulumi.ResourceOptions(parent=self, provider=args.kube_provider) if args.kube_provider else child
        namespace = None
        objects: list[pulumi.Resource] = []
        for role, manifest in server_manifests(plan, inputs):
            depends: list[pulumi.Resource] = [namespace] if namespace is not None else []
            created = kube_object(
                f"{name}-{role}",
                manifest,
                pulumi.ResourceOptions.merge(kube, pulumi.ResourceOptions(depends_on=depends)),
            )
            objects.append(created)
            if role == "namespace":
                namespace = created
        self.reader = None
        if plan.auth and args.create_reader:
            # After every server object: the Deployment is awaited ready, so the server answers.
            reader_password = random.RandomPassword(f"{name}-reader-password", length=32, special=False, opts=child)
            self.reader = RegistryUser(
                f"{name}-reader",
                RegistryUserArgs(username=plan.reader_username, password=reader_password.result),
                opts=pulumi.ResourceOptions(parent=self, depends_on=objects),
            )
        self.uri = pulumi.Output.from_input(plan.uri)
        self.register_outputs({"uri": self.uri})
