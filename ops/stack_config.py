"""Stack config as the Pulumi CLI would hand it to the program, computed offline.

The CLI merges the project's declared defaults (Pulumi.yaml `config:`) with the stack file
(Pulumi.<stack>.yaml) and passes every value as text, structured values as JSON. Doing the same here
lets the render and the tests run the real program with the real stack files, no CLI needed.
Encrypted values cannot be decrypted offline: they become a masked placeholder, still marked secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.problems import ProblemCollector
from core.yaml_files import read_yaml
from settings.stack import PROJECT

SECRET_PLACEHOLDER = "[secret]"
_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


@dataclass(frozen=True)
class StackConfig:
    stack: str
    values: dict[str, str]  # namespaced key -> value as the CLI passes it
    secret_keys: tuple[str, ...] = ()


def stack_names(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def project_declarations(project_dir: Path) -> dict[str, dict]:
    project, problems = read_yaml(project_dir / "Pulumi.yaml", "Pulumi.yaml")
    collector = ProblemCollector()
    collector.extend(problems)
    collector.raise_if_any()
    return dict((project or {}).get("config") or {})


def _as_cli_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def load_stack_config(project_dir: Path, stack: str, overrides: dict[str, str] | None = None) -> StackConfig:
    declared = project_declarations(project_dir)
    problems = ProblemCollector()
    source = f"Pulumi.{stack}.yaml"
    path = project_dir / source
    if not path.exists():
        known = ", ".join(stack_names(project_dir)) or "none"
        problems.add(
            source, "", f"stack {stack!r} has no config file", f"use one of the stacks ({known}) or create {source}"
        )
        problems.raise_if_any()
    document, yaml_problems = read_yaml(path, source)
    problems.extend(yaml_problems)
    problems.raise_if_any()

    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, decl in declared.items():
        if isinstance(decl, dict) and "default" in decl:
            values[f"{PROJECT}:{key}"] = _as_cli_text(decl["default"])

    for key, value in ((document or {}).get("config") or {}).items():
        if ":" not in key:
            problems.add(source, key, "config keys are namespaced", f"write {PROJECT}:{key}")
            continue
        namespace, name = key.split(":", 1)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
            continue
        decl = declared.get(name) if namespace == PROJECT else None
        if isinstance(decl, dict) and "type" in decl and not isinstance(value, _TYPES[decl["type"]]):
            # The CLI refuses a value of the wrong declared type before the program starts.
            problems.add(
                source,
                key,
                f"is declared as {decl['type']} in Pulumi.yaml but is {value!r}",
                f"write a {decl['type']} value",
            )
            continue
        values[key] = _as_cli_text(value)
    problems.raise_if_any()
    values.update(overrides or {})
    return StackConfig(stack=stack, values=values, secret_keys=tuple(secret_keys))
