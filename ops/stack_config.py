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

from core.problems import ConfigError, Problem, ProblemCollector
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
    if not isinstance(project, dict) or not isinstance(project.get("config") or {}, dict):
        raise ConfigError(
            [Problem("Pulumi.yaml", "config", "is not a mapping of declared keys", "restore it from git")]
        )
    return dict(project.get("config") or {})


def _as_cli_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _config_block(document: object, source: str) -> dict:
    """The stack file's `config:` mapping; a file of another shape is one clear problem naming it."""
    example = f"config:\n  {PROJECT}:environment: dev"
    if document is None:
        raise ConfigError(
            [Problem(source, "", "is empty", f"give it a config: block (at least the environment), e.g. {example!r}")]
        )
    if not isinstance(document, dict):
        raise ConfigError(
            [Problem(source, "", f"is a {_kind(document)}, not a mapping with a config: block", f"write {example!r}")]
        )
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(
            [Problem(source, "config", f"is a {_kind(config)}, not a mapping of keys", f"write {example!r}")]
        )
    return config


def _kind(value: object) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(type(value), "value")


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
    config = _config_block(document, source)

    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, decl in declared.items():
        if isinstance(decl, dict) and "default" in decl:
            values[f"{PROJECT}:{key}"] = _as_cli_text(decl["default"])

    for key, value in config.items():
        if ":" not in key:
            problems.add(source, key, "config keys are namespaced", f"write {PROJECT}:{key}")
            continue
        namespace, name = key.split(":", 1)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
            continue
        declaration = declared.get(name) if namespace == PROJECT else None
        if (
            isinstance(declaration, dict)
            and "type" in declaration
            and not isinstance(value, _TYPES[declaration["type"]])
        ):
            # The CLI refuses a value of the wrong declared type before the program starts.
            problems.add(
                source,
                key,
                f"is declared as {declaration['type']} in Pulumi.yaml but is {value!r}",
                f"write a {declaration['type']} value",
            )
            continue
        values[key] = _as_cli_text(value)
    problems.raise_if_any()
    values.update(overrides or {})
    return StackConfig(stack=stack, values=values, secret_keys=tuple(secret_keys))
