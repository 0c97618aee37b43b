"""An in-process engine: runs the real program (`program.main`, what `__main__.py` calls) on Pulumi's mocks API and records every resource.

Pulumi's own unit-testing mechanism (`pulumi.runtime.set_mocks`) stands in for the engine and the
cloud; nothing else is faked. Kubernetes resources echo their inputs (what the API server would
store); dynamic resources (the MLflow ModelVersion) run their real provider through
`ops.offline.dynamic_runner`; GCP resources get the computed outputs the program reads (ops.offline.gcp_outputs).
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

import program as pulumi_program
from ops.resource_types import DYNAMIC_TYPE
from ops.stack_config import StackConfig
from settings.stack import PROJECT


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str  # URN of the parent ("" for the stack's direct children)
    custom: bool
    inputs: dict  # wire format; secrets still wrapped (see is_secret / unwrap / mask)
    outputs: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # protect, provider, dependencies, ...


@dataclass
class ProgramRun:
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    warnings: list[str]

    def by_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def kubernetes_objects(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.type.startswith("kubernetes:") and "apiVersion" in r.inputs]

    def render_directories(self) -> dict[str, str | None]:
        """Each Kubernetes provider's URN -> its renderYamlToDirectory (None when it applies to a cluster)."""
        return {
            p.urn: p.inputs.get("renderYamlToDirectory") or None for p in self.by_type("pulumi:providers:kubernetes")
        }

    def render_directory(
        self, resource: RecordedResource, directories: dict[str, str | None] | None = None
    ) -> str | None:
        """The renderYamlToDirectory of the provider `resource` goes through, if it is a rendering one.
        Pass `render_directories()` when asking for many resources: looking the providers up per resource
        was quadratic (1.3 s of a 20-model dev render under cProfile)."""
        urn = resource.options.get("provider", "").rsplit("::", 1)[0]  # "<urn>::<id>" -> "<urn>"
        return (self.render_directories() if directories is None else directories).get(urn)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unwrap(value: Any) -> Any:
    """Plain values, secrets revealed: for validating, never for writing."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def as_written(value: Any) -> Any:
    """Numbers as the program wrote them. Pulumi's wire format has only doubles, so 8080 arrives as
    8080.0; every integral float becomes an int again, so a render (and a GitOps repository) shows
    `containerPort: 8080` as kubectl would. A non-integral float (0.9) stays as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: as_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_written(v) for v in value]
    return value


def mask(value: Any, placeholder: str = "[secret]", _in_secret: bool = False) -> Any:
    """Plain values with every secret replaced: what may be written to disk or printed. A secret map or
    list keeps its shape and only its values become the placeholder: Pulumi marks the whole `stringData`
    of a Secret secret when one value in it is, and `stringData: '[secret]'` is not a valid Secret (the
    API server wants a map), while `stringData: {auth: '[secret]'}` is, and says which keys it holds."""
    if is_secret(value):
        return mask(value["value"], placeholder, _in_secret=True)
    if isinstance(value, dict):
        return {k: mask(v, placeholder, _in_secret) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, placeholder, _in_secret) for v in value]
    return placeholder if _in_secret else value


class ProgramError(Exception):
    """The program failed. `cause` is the original error (a ConfigError, a refused model version, ...);
    `resources` is what had been registered before it, which lets tests prove what a failure prevented."""

    def __init__(self, cause: BaseException, resources: list[RecordedResource]):
        self.cause = cause
        self.resources = resources
        super().__init__(str(cause))


# (plain inputs, stack config values, preview) -> (id, outputs) for a dynamic resource
DynamicResolver = Callable[[dict, dict[str, str], bool], tuple[str, dict]]
StepObserver = Callable[[str, str], None]  # (kind, name): see run_program


class _Mocks(pulumi.runtime.Mocks):
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


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, plus what it sees but does not keep: parents and resource options."""

    def __init__(self, mocks: _Mocks):
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


class _DropOrphanedFutureErrors(logging.Filter):
    """When one resource fails, every Output that depended on it fails too and asyncio logs each as
    'exception was never retrieved': noise about an error the run already reports once, clearly."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "exception was never retrieved" not in record.getMessage()


class _WarningCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def run_program(
    project_dir: Path,
    config: StackConfig,
    preview: bool = False,
    last_outputs: dict | None = None,
    resolve_dynamic: DynamicResolver | None = None,
    on_step: StepObserver | None = None,
) -> ProgramRun:
    """Runs the program on `<project_dir>` (its models/) for one stack and returns what it registered and exported.

    `last_outputs` are the stack outputs of a previous deployment, as a StackReference to the stack itself
    would read them (none by default: a first deployment). `on_step(kind, name)` hears of each model version
    resolved and resource registered, from the engine's threads (ops/progress.py counts them). Any error (bad
    settings, a refused model version) is raised as ProgramError carrying the original.
    """
    project_dir = project_dir.resolve()
    mocks = _Mocks(config, preview, last_outputs, resolve_dynamic, on_step)
    monitor = _RecordingMonitor(mocks)
    logger = logging.getLogger(f"mlops.engine.{config.stack}")
    warnings = _WarningCollector()
    logger.addHandler(warnings)
    logger.propagate = False

    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=config.stack, preview=preview, logger=logger, monitor=monitor
    )

    exported: dict[str, Any] = {}
    secret_outputs: set[str] = set()

    def program():
        pulumi_program.main(project_dir)
        stack_resource = pulumi.runtime.get_root_resource()
        outputs = dict(getattr(stack_resource, "outputs", {}) or {})

        async def collect():
            for key, value in outputs.items():
                output = pulumi.Output.from_input(value)
                exported[key] = await output.future()
                if await output.is_secret():
                    secret_outputs.add(key)

        return pulumi.Output.from_input(collect())

    orphans = _DropOrphanedFutureErrors()
    logging.getLogger("asyncio").addFilter(orphans)
    try:
        pulumi.runtime.test(program)()
    except BaseException as exc:
        # A resource that failed in the mocks surfaces here as a gRPC error: report the original.
        cause = mocks.failures[0] if mocks.failures else exc
        raise ProgramError(cause, list(monitor.recorded)) from cause
    finally:
        # Let orphaned futures report (and be filtered) now, not at some later GC: also those of an earlier
        # failed run, unreachable only once its error was dropped. Measured: 0.2 s CPU after 100 models.
        gc.collect()
        logging.getLogger("asyncio").removeFilter(orphans)
        logger.removeHandler(warnings)
    return ProgramRun(
        stack=config.stack,
        resources=list(monitor.recorded),
        outputs=exported,
        secret_outputs=secret_outputs,
        warnings=warnings.messages,
    )
