"""`ModelVersion(name, args, opts)`: one concrete MLflow version of a catalogue model in one environment.

The provider is in `registry.provider`; resolution in `registry.resolution`; the args in `registry.version_args`."""

from __future__ import annotations

import pulumi
from pulumi.dynamic import (
    Resource,
)

from core.problems import ConfigError
from registry.provider import ModelVersionProvider
from registry.version_args import OUTPUT_ONLY_KEYS, RESOLVED_KEYS, ModelVersionArgs, validate_args

# -- the resource -------------------------------------------------------------------------------------


class ModelVersion(Resource):
    """`ModelVersion(name, args, opts)`: one concrete MLflow version of a catalogue model in one environment."""

    model: pulumi.Output[str]
    registered_model: pulumi.Output[str]
    environment: pulumi.Output[str]
    version: pulumi.Output[str]
    run_id: pulumi.Output[str]
    artifact_uri: pulumi.Output[str]
    source: pulumi.Output[str]
    aliases: pulumi.Output[list]
    tags: pulumi.Output[dict]
    metrics: pulumi.Output[dict]
    created_at: pulumi.Output[str]
    gate: pulumi.Output[dict]
    previous_version: pulumi.Output[str]

    def __init__(self, name: str, args: ModelVersionArgs, opts: pulumi.ResourceOptions | None = None):
        problems = validate_args(args)
        if problems:
            raise ConfigError([finding.at(f"ModelVersion {name} ({args.model})", f) for f, finding in problems])
        props = {**args.to_inputs(), **{k: None for k in RESOLVED_KEYS + OUTPUT_ONLY_KEYS}}
        super().__init__(ModelVersionProvider(), name, props, opts)
