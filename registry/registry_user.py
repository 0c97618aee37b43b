"""`RegistryUser(name, args, opts)`: a user of MLflow's basic-auth app that the stack creates and owns, e.g.
the read-only user the model pods download with. The provider is registry/user_provider.py."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi.dynamic import Resource

from registry.user_provider import RegistryUserProvider


@dataclass(frozen=True)
class RegistryUserArgs:
    username: str
    password: pulumi.Input[str]  # a secret Output (pulumi-random); it stays secret in the state


class RegistryUser(Resource):
    username: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryUserArgs, opts: pulumi.ResourceOptions | None = None):
        secret = pulumi.ResourceOptions(additional_secret_outputs=["password"])
        super().__init__(
            RegistryUserProvider(),
            name,
            {"username": args.username, "password": pulumi.Output.secret(args.password)},
            pulumi.ResourceOptions.merge(opts, secret),
        )
