"""Every host name a stack renders is one the Gateway API admits, and every URL the load tester calls
through the Gateway uses the scheme and port of the listener its route attaches to.

Structural checks over each stack's whole render (no cluster here): `churn-prediction.` (an empty
suffix) in a Canary's hosts, or `http://` against prod's HTTPS-only listener, would each stop a first
rollout at its first step.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from core.hostnames import hostname_problem
from tests.conftest import STACKS

# Keys under which Kubernetes objects we emit carry host names, and whether a wildcard `*.` is allowed there
# (Gateway API: listener hostname and HTTPRoute hostnames may be wildcards; a Canary's hosts are routes' names).
HOST_KEYS = {"hostname": True, "hostnames": True, "hosts": False}


def _hosts(value, path: str = "") -> Iterator[tuple[str, object, bool]]:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in HOST_KEYS:
                for host in item if isinstance(item, list) else [item]:
                    yield where, host, HOST_KEYS[key]
            else:
                yield from _hosts(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _hosts(item, f"{path}[{index}]")


def _objects(run, kind: str) -> list[dict]:
    return [r.inputs for r in run.kubernetes_objects() if r.inputs.get("kind") == kind]


def _pre_rollout_commands(canary: dict) -> list[list[str]]:
    hooks = canary["spec"]["analysis"].get("webhooks", [])
    return [shlex.split(h["metadata"]["cmd"]) for h in hooks if h["type"] == "pre-rollout"]


def test_the_render_walk_finds_a_bad_host():
    bad = {"spec": {"service": {"hosts": ["churn-prediction."]}}}
    (found,) = list(_hosts(bad))
    assert hostname_problem(found[1], found[2]) is not None


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_host_name_is_rfc_1123(stack_runs, stack):
    run = stack_runs[stack]
    checked, problems = 0, []
    for resource in run.kubernetes_objects():
        for where, host, wildcard in _hosts(resource.inputs):
            checked += 1
            problem = hostname_problem(host, wildcard)
            if problem:
                problems.append(f"{resource.inputs['kind']} {resource.name}: {where}: {problem}")
        for command in _pre_rollout_commands(resource.inputs) if resource.inputs.get("kind") == "Canary" else []:
            for word, following in zip(command, [*command[1:], ""], strict=True):
                host = urlsplit(word).hostname if "://" in word else following if word == "-host" else None
                if word == "-H" and following.startswith("Host: "):
                    host = following.removeprefix("Host: ")
                if host is not None:
                    checked += 1
                    if problem := hostname_problem(host):
                        problems.append(f"Canary {resource.name}: pre-rollout webhook: {problem}")
    assert not problems, "\n".join(problems)
    if _objects(run, "Gateway"):
        assert checked, f"stack {stack} has a Gateway but the walk found no host name"


@pytest.mark.parametrize("stack", STACKS)
def test_the_load_test_through_the_gateway_uses_its_listener_scheme_and_port(stack_runs, stack):
    run = stack_runs[stack]
    gateways = _objects(run, "Gateway")
    canaries = _objects(run, "Canary")
    if not gateways:
        # Without a Gateway there is no route to call: a pre-rollout may only load the canary's own
        # `<target>-canary` Service, in the canary's namespace, on the Service port Flagger generates.
        checked = 0
        for canary in canaries:
            name, namespace = canary["spec"]["targetRef"]["name"], canary["metadata"]["namespace"]
            service = f"{name}-canary.{namespace}"
            allowed = {service, f"{service}.svc", f"{service}.svc.cluster.local"}
            for command in _pre_rollout_commands(canary):
                for url in (urlsplit(word) for word in command if "://" in word):
                    assert url.hostname in allowed, f"{name}: {url.geturl()} is not the canary Service {service}"
                    assert url.scheme == "http" and url.port == canary["spec"]["service"]["port"], url.geturl()
                    checked += 1
        assert checked or not canaries, f"stack {stack}: no pre-rollout call to a canary Service was checked"
        return
    by_ref = {(g["metadata"]["namespace"], g["metadata"]["name"]): g for g in gateways}
    checked = 0
    for canary in canaries:
        commands = _pre_rollout_commands(canary)
        if not commands:
            continue
        (ref,) = canary["spec"]["service"]["gatewayRefs"]
        (listener,) = by_ref[(ref["namespace"], ref["name"])]["spec"]["listeners"]
        scheme = listener["protocol"].lower()
        default_port = {"http": 80, "https": 443}[scheme]
        for command in commands:
            # The load through the Gateway (the model's host name); a warm-up may call the -canary Service directly.
            hosts = canary["spec"]["service"]["hosts"]
            urls = [u for u in (urlsplit(word) for word in command if "://" in word) if u.hostname in hosts]
            if not urls:
                continue
            for url in urls:
                assert url.scheme == scheme, f"{canary['metadata']['name']}: {url.geturl()} on a {scheme} listener"
                assert (url.port or default_port) == listener["port"], url.geturl()
                assert url.hostname in canary["spec"]["service"]["hosts"], url.geturl()
                checked += 1
    assert checked, f"stack {stack}: no load test through the Gateway was checked"
