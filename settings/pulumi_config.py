"""The one place the program reads Pulumi config. Everything downstream gets frozen, typed objects.

Pulumi hands every value over as text (structured values as JSON), so this reader decodes each key
by the type its field declares, lets StackSettings validate all of them, and reports every problem
with the stack file, the full key and the fix.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from core.problems import Problem, ProblemCollector
from core.spec import problems_from_validation_error
from settings.stack import PROJECT, StackSettings, config_key, declared_keys

TOKEN_KEY = "mlflowToken"
# The canary alerts' webhook URL (Slack/Teams/...): it embeds a credential, so secret config only.
ALERT_WEBHOOK_KEY = "alertWebhookUrl"
SECRET_KEYS = (TOKEN_KEY, ALERT_WEBHOOK_KEY)


@dataclass(frozen=True)
class LoadedSettings:
    stack: StackSettings
    mlflow_token: pulumi.Output[str] | None  # a Pulumi secret; never unwrapped by the program
    alert_webhook_url: pulumi.Output[str] | None = None  # a Pulumi secret; None: canary alerts are off


def _is_structured(annotation: typing.Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (tuple, list, dict):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _namespace_keys() -> set[str]:
    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {k.split(":", 1)[1] for k in everything if k.startswith(f"{PROJECT}:")}


def read_stack_settings() -> LoadedSettings:
    stack = pulumi.get_stack()
    source = f"Pulumi.{stack}.yaml"
    config = pulumi.Config(PROJECT)
    problems = ProblemCollector()
    raw: dict[str, typing.Any] = {"stack": stack}

    declared = declared_keys()
    for alias, field in declared.items():
        text = config.get(alias)
        if text is None:
            continue  # StackSettings reports it as missing (a key declared without a default)
        if _is_structured(field.annotation):
            try:
                raw[alias] = json.loads(text)
            except json.JSONDecodeError:
                problems.add(
                    source,
                    config_key(alias),
                    f"expected a structured value (list or mapping), got {text!r}",
                    "write it as a YAML list or mapping in the stack file",
                )
                continue
        else:
            raw[alias] = text

    for key in sorted(_namespace_keys() - set(declared) - set(SECRET_KEYS)):
        close = [k for k in declared if k.lower() == key.lower()]
        hint = f"did you mean '{close[0]}'? " if close else ""
        problems.add(
            source,
            config_key(key),
            "unknown key",
            f"{hint}remove it; known keys are listed in Pulumi.yaml and the README",
        )

    token = None
    if config.get(TOKEN_KEY) is not None:
        if not runtime_config.is_config_secret(config_key(TOKEN_KEY)):
            problems.add(
                source,
                config_key(TOKEN_KEY),
                "is stored in plain text",
                f"run `pulumi config set --secret {TOKEN_KEY} <token>` so it is encrypted",
            )
        else:
            token = config.require_secret(TOKEN_KEY)
            raw["hasMlflowToken"] = True

    alert_webhook_url = None
    if config.get(ALERT_WEBHOOK_KEY) is not None:
        if not runtime_config.is_config_secret(config_key(ALERT_WEBHOOK_KEY)):
            problems.add(
                source,
                config_key(ALERT_WEBHOOK_KEY),
                "is stored in plain text",
                f"run `pulumi config set --secret {ALERT_WEBHOOK_KEY} <url>` so it is encrypted",
            )
        else:
            alert_webhook_url = config.require_secret(ALERT_WEBHOOK_KEY)

    settings = None
    try:
        settings = StackSettings.model_validate(raw)
    except ValidationError as exc:
        for p in problems_from_validation_error(exc, source, StackSettings):
            field = config_key(p.field) if p.field else ""
            fix = p.fix
            if p.message == "required key is missing":
                fix = f"set it in {source} or declare a default in Pulumi.yaml"
            problems.extend([Problem(source, field, p.message, fix)])
    problems.raise_if_any()
    assert settings is not None
    return LoadedSettings(stack=settings, mlflow_token=token, alert_webhook_url=alert_webhook_url)
