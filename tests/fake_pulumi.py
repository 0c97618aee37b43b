"""A stand-in for the Pulumi CLI (there is none on this machine): a real `PulumiCommand` subclass.

The Automation API calls `run(args, ...)` for everything it does. This fake answers the commands the
driver uses with the CLI's JSON shapes, and for preview/up/refresh it sends engine events in the real
JSON format to the `--event-log` destination the SDK opened: a file for CLIs up to 3.205, the gRPC
Events service (`tcp://127.0.0.1:PORT`) after that, exactly as `Stack._setup_event_log` expects.
A failure is raised through the SDK's own `create_command_error`, so error classification is real.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation.errors import create_command_error
from pulumi.runtime.proto import events_pb2, events_pb2_grpc
from semver import VersionInfo

from core.config_keys import PROJECT


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{name}"


def pre_event(
    op: str, type_: str, name: str, stack: str = "dev", *, old=None, new=None, diffs=(), keys=(), detailed=None
):
    """A resourcePreEvent as the engine writes it (StepEventMetadata with old/new state)."""
    u = urn(stack, type_, name)

    def state(inputs, outputs=None):
        return {"type": type_, "urn": u, "custom": True, "inputs": inputs, "outputs": outputs or {}}

    metadata = {"op": op, "urn": u, "type": type_, "provider": "", "logical": True}
    if old is not None:
        metadata["old"] = state(old[0], old[1] if len(old) > 1 else old[0])
    if new is not None:
        metadata["new"] = state(new)
    if diffs:
        metadata["diffs"] = list(diffs)
    if keys:
        metadata["keys"] = list(keys)
    if detailed:
        metadata["detailedDiff"] = {k: {"diffKind": v, "inputDiff": True} for k, v in detailed.items()}
    return {"resourcePreEvent": {"metadata": metadata, "planning": True}}


def refresh_event(type_: str, name: str, before: dict, after: dict | None, stack: str = "dev", op: str = "refresh"):
    """A refresh step's resOutputsEvent: old = the state, new = what the provider read (absent: gone)."""
    u = urn(stack, type_, name)
    metadata: dict[str, Any] = {
        "op": op,
        "urn": u,
        "type": type_,
        "provider": "",
        "old": {"type": type_, "urn": u, "custom": True, "inputs": {}, "outputs": before},
    }
    if after is not None:
        metadata["new"] = {"type": type_, "urn": u, "custom": True, "inputs": {}, "outputs": after}
    return {"resOutputsEvent": {"metadata": metadata}}


def policy_event(pack: str, policy: str, level: str, message: str, resource_urn: str = ""):
    return {
        "policyEvent": {
            "message": message,
            "color": "never",
            "policyName": policy,
            "policyPackName": pack,
            "policyPackVersion": "0.1.0",
            "policyPackVersionTag": "0.1.0",
            "enforcementLevel": level,
            "resourceUrn": resource_urn,
        }
    }


def diagnostic(message: str, severity: str = "error"):
    return {"diagnosticEvent": {"message": message, "color": "never", "severity": severity}}


def summary(counts: dict[str, int]):
    return {"summaryEvent": {"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": counts, "PolicyPacks": {}}}


@dataclass
class Scenario:
    """What the fake CLI answers: events per operation, failures, the stack's outputs and state."""

    events: dict[str, list[dict]] = field(default_factory=dict)  # "preview" | "up" | "refresh" -> events
    fail: dict[str, str] = field(default_factory=dict)  # operation -> stderr/stdout text of the failure
    locked_times: int = 0  # how many preview/up calls answer "another update is in progress"
    outputs: dict[str, Any] = field(default_factory=dict)
    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # per stack, over `outputs`
    deployment: dict[str, Any] = field(default_factory=lambda: {"resources": []})
    stacks: tuple[str, ...] = ("dev", "staging", "prod")
    plugins: list[dict] = field(default_factory=list)
    version: str = "3.272.0"
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    config: dict[str, dict[str, str]] = field(default_factory=dict)


class FakePulumiCommand(PulumiCommand):
    def __init__(self, scenario: Scenario):  # no super().__init__: it would run `pulumi version`
        self.command = "pulumi"
        self.version = VersionInfo.parse(scenario.version)
        self.scenario = scenario
        self.calls: list[list[str]] = []

    def run(self, args, cwd, additional_env, on_output=None, on_error=None) -> CommandResult:
        args = [a for a in args if a != "--non-interactive"]
        self.calls.append(list(args))
        stack = args[args.index("--stack") + 1] if "--stack" in args else ""
        head = args[0]
        if head == "stack" and args[1] in ("select", "init"):
            name = args[2] if args[1] == "init" else stack
            if args[1] == "select" and name not in self.scenario.stacks:
                return self._fail(f"error: no stack named '{name}' found")
            return CommandResult("", "", 0)
        if head == "plugin" and args[1] == "ls":
            return CommandResult(json.dumps(self.scenario.plugins), "", 0)
        if head == "plugin" and args[1] == "install":
            self.scenario.plugins.append(
                {
                    "name": args[3],
                    "kind": args[2],
                    "version": args[4].lstrip("v"),
                    "size": 1,
                    "lastUsedTime": "2026-11-22T00:00:00.000Z",
                }
            )
            return CommandResult("", "", 0)
        if head == "stack" and args[1] == "output":
            return CommandResult(json.dumps(self.scenario.stack_outputs.get(stack, self.scenario.outputs)), "", 0)
        if head == "stack" and args[1] == "export":
            return CommandResult(json.dumps({"version": 3, "deployment": self.scenario.deployment}), "", 0)
        if head == "stack" and args[1] == "history":
            entry = {
                "kind": "update",
                "startTime": "2026-11-22T00:00:00.000Z",
                "message": "",
                "environment": {},
                "config": {},
                "result": "succeeded",
                "endTime": "2026-11-22T00:00:01.000Z",
                "version": 2,
                "resourceChanges": {"same": 1},
            }
            return CommandResult(json.dumps([entry]), "", 0)
        if head == "stack" and args[1] == "tag":
            tags = self.scenario.tags.setdefault(stack, {})
            if args[2] == "set":
                tags[args[3]] = args[4]
            return CommandResult(json.dumps(tags), "", 0)
        if head == "config":
            return self._config(args, stack)
        if head in ("preview", "up", "refresh"):
            return self._operation(head, args)
        return self._fail(f"fake pulumi: unsupported command {args}")

    def _config(self, args: list[str], stack: str) -> CommandResult:
        values = self.scenario.config.setdefault(stack, {})
        if "--path" in args:  # `config set|rm --path KEY.field[i]`: applied inside KEY's structured value
            return self._config_path([a for a in args if a != "--path"], values)
        if args[1] == "set":
            values[args[2]] = args[-1]  # config set KEY --plaintext --stack S -- VALUE
            return CommandResult("", "", 0)
        if args[1] == "rm":
            values.pop(args[2], None)
            return CommandResult("", "", 0)
        if args[1] == "get":
            if args[2] not in values:
                return self._fail(f"error: configuration key '{args[2]}' not found for stack '{stack}'")
            return CommandResult(json.dumps({"value": values[args[2]], "secret": False}), "", 0)
        return self._fail(f"fake pulumi: unsupported config command {args}")

    def _config_path(self, args: list[str], values: dict[str, str]) -> CommandResult:
        key, _, path = args[2].partition(".")
        steps = [(m.group(1), m.group(3)) for m in re.finditer(r"(\w+)(\[(\d+)\])?", path)]
        document = json.loads(values.get(key) or "{}")
        node = document
        for field_name, _index in steps[:-1]:
            node = node.setdefault(field_name, {})
        last, index = steps[-1]
        if args[1] == "rm":
            if last not in node:
                return self._fail(f"error: configuration key '{args[2]}' not found")
            del node[last]
        elif args[1] == "set" and index is not None:
            items = node.setdefault(last, [])
            if int(index) > len(items):
                return self._fail(f"error: index {index} out of range in {args[2]}")
            items[int(index) : int(index) + 1] = [args[-1]]
        elif args[1] == "set":
            node[last] = args[-1]
        else:
            return self._fail(f"fake pulumi: unsupported config command {args}")
        values[key] = json.dumps(document)
        return CommandResult("", "", 0)

    def _operation(self, op: str, args: list[str]) -> CommandResult:
        name = "refresh" if op == "refresh" else op
        if op in ("preview", "up") and self.scenario.locked_times > 0:
            self.scenario.locked_times -= 1
            return self._fail("error: [409] Conflict: Another update is currently in progress.")
        log = args[args.index("--event-log") + 1]
        events = [{"preludeEvent": {"config": {}}}, *self.scenario.events.get(name, [])]
        if name in self.scenario.fail:
            events.append(diagnostic(self.scenario.fail[name]))
        if not any("summaryEvent" in e for e in events):
            events.append(summary({}))
        events.append({"cancelEvent": {}})
        _send(log, [{"sequence": i, "timestamp": int(time.time()), **e} for i, e in enumerate(events)])
        if name in self.scenario.fail:
            return self._fail(self.scenario.fail[name], stdout="error: update failed")
        return CommandResult("done", "", 0)

    def _fail(self, stderr: str, stdout: str = "") -> CommandResult:
        raise create_command_error(CommandResult(stdout, stderr, 255))


def _send(destination: str, events: list[dict]) -> None:
    lines = [json.dumps(e) for e in events]
    if destination.startswith("tcp://"):
        with grpc.insecure_channel(destination[len("tcp://") :]) as channel:
            stub = events_pb2_grpc.EventsStub(channel)
            stub.StreamEvents(iter([events_pb2.EventRequest(event=line) for line in lines]))
    else:
        with open(destination, "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
