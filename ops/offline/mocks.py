"""Pulumi's mocks API as the offline engine's cloud: Kubernetes resources echo their inputs (what the API
server would store); dynamic resources (the MLflow ModelVersion) run their real provider through
ops/offline/dynamic_runner.py; GCP resources get the computed outputs the program reads
(ops/offline/gcp_outputs.py). The monitor records every registration with its parent and options.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from ops.offline.program_run import RecordedResource
from ops.offline.wire_values import as_written, unwrap
from ops.resource_types import DYNAMIC_TYPE
from ops.stack_config import StackConfig
from settings.stack import PROJECT

# (plain inputs, stack config values, preview) -> (id, outputs) for a dynamic resource
DynamicResolver = Callable[[dict, dict[str, str], bool], tuple[str, dict]]
StepObserver = Callable[[str, str], None]  # (kind, name): see run_program


class ProgramMocks(pulumi.runtime.Mocks):
    def __init__(
        self,
        config: StackConfig,
        preview: bool,
        last_outputs: dict | None = None,
        resolve_dynamic: DynamicResolver | None = None,
        on_step: StepObserver | None = None,
    ):
        self.config = config
        self.on_step = on_step
        self.preview = preview
        self.last_outputs = last_outputs or {}
        self.resolve_dynamic = resolve_dynamic
        self.failures: list[BaseException] = []
        # The inputs the mock monitor just deserialized, per thread: the monitor calls new_resource
        # synchronously in the thread that handles the request, so the recorder reuses them instead of
        # deserializing every request a second time.
        self.seen = threading.local()

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        self.seen.inputs = args.inputs
        try:
            if args.typ == DYNAMIC_TYPE:
                from ops.offline.dynamic_runner import run_dynamic

                plain = {k: unwrap(v) for k, v in args.inputs.items()}
                resolve = self.resolve_dynamic or run_dynamic
                resolved = resolve(plain, self.config.values, self.preview)
                if self.on_step is not None and plain.get("registered_model"):  # a ModelVersion, not the barrier
                    self.on_step("resolved", str(plain["model"]))
                return resolved
            if args.typ == "pulumi:pulumi:StackReference":
                # The stack's own last deployment: none offline, unless a test supplies one.
                return args.inputs["name"], {**args.inputs, "outputs": self.last_outputs, "secretOutputNames": []}
            if args.typ.startswith("random:"):
                # The random provider does not run offline: a fixed stand-in of the requested length.
                return f"{args.name}-id", {**args.inputs, "result": "x" * int(args.inputs.get("length", 16))}
            if args.typ.startswith("gcp:"):
                from ops.offline.gcp_outputs import gcp_outputs

                return f"{args.name}-id", {**args.inputs, **gcp_outputs(args.typ, args.name, unwrap(args.inputs))}
            return f"{args.name}-id", dict(args.inputs)
        except BaseException as exc:  # surfaced after the run with the resource named
            self.failures.append(exc)
            raise

    def call(self, args: pulumi_mocks.MockCallArgs):
        from ops.offline.gcp_outputs import gcp_invoke

        return gcp_invoke(args.token, unwrap(args.args)), []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, plus what it sees but does not keep: parents and resource options."""

    def __init__(self, mocks: ProgramMocks):
        super().__init__(mocks)
        self._seen = mocks.seen
        self._on_step = mocks.on_step
        self.recorded: list[RecordedResource] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request):
        self._seen.inputs = None
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = self._seen.inputs
        if inputs is None:  # not seen by new_resource (a read, say): deserialize it here
            inputs = rpc.deserialize_properties(request.object)
        inputs = as_written(inputs)
        registration = self.resources.get(response.urn)
        record = RecordedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent if not request.parent.endswith(f"::{PROJECT}-{pulumi.get_stack()}") else "",
            custom=request.custom,
            inputs=inputs,
            outputs=dict(registration.state) if registration else {},
            options={
                "protect": bool(request.protect),
                "provider": request.provider,
                "dependencies": list(request.dependencies),
                "deleteBeforeReplace": request.deleteBeforeReplace,
                "replaceOnChanges": list(request.replaceOnChanges),
                "ignoreChanges": list(request.ignoreChanges),
                "retainOnDelete": request.retainOnDelete,
                "additionalSecretOutputs": list(request.additionalSecretOutputs),
                "customTimeouts": {
                    op: value
                    for op in ("create", "update", "delete")
                    if (value := getattr(request.customTimeouts, op, ""))
                },
            },
        )
        with self._lock:
            self.recorded.append(record)
        if self._on_step is not None:
            self._on_step("registered", request.name)
        return response
