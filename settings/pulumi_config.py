"""The one place the program reads Pulumi config. Everything downstream gets frozen, typed objects.

Pulumi hands every value over as text (structured values as JSON), so this reader decodes each key
by the type its field declares, lets StackSettings validate all of them, and reports every problem
with the stack file, the full key and the fix.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from core.problems import Problem, ProblemCollector
from core.spec import problems_from_validation_error
from facts.mlflow_client_env import REGISTRY_ENV
from facts.mlflow_server import MIN_PASSWORD_LENGTH
from settings.stack import PROJECT, StackSettings, config_key, declared_keys

TOKEN_KEY = "mlflowToken"
# The password of the MLflow user the program signs in as (mlflowUsername): with a token, for the same reason.
PASSWORD_KEY = "mlflowPassword"
# Argo CD's secrets (settings/gitops.py): the bcrypt-hashed admin password where SSO is off, and the
# OIDC client secret where it is on. Undeclared in Pulumi.yaml for the same reason as mlflowToken.
ARGOCD_ADMIN_PASSWORD_KEY = "argocdAdminPassword"
ARGOCD_OIDC_CLIENT_SECRET_KEY = "argocdOidcClientSecret"
# Grafana's admin password: a secret key like the token, turned into a Kubernetes Secret by Pulumi and
# handed to the chart by name only (grafana.admin.existingSecret), never through Helm values.
GRAFANA_PASSWORD_KEY = "grafanaAdminPassword"
# The canary alerts' webhook URL (Slack/Teams/...): it embeds a credential, so secret config only.
ALERT_WEBHOOK_KEY = "alertWebhookUrl"
SECRET_KEYS = (
    TOKEN_KEY,
    PASSWORD_KEY,
    ARGOCD_ADMIN_PASSWORD_KEY,
    ARGOCD_OIDC_CLIENT_SECRET_KEY,
    GRAFANA_PASSWORD_KEY,
    ALERT_WEBHOOK_KEY,
)


@dataclass(frozen=True)
class LoadedSettings:
    stack: StackSettings
    mlflow_token: pulumi.Output[str] | None  # a Pulumi secret; never unwrapped by the program
    mlflow_password: pulumi.Output[str] | None = None  # secret: mlflowUsername's password
    argocd_admin_password: pulumi.Output[str] | None = None  # secret; hashed with bcrypt before use
    argocd_oidc_client_secret: pulumi.Output[str] | None = None  # secret
    grafana_admin_password: pulumi.Output[str] | None = None  # a Pulumi secret, like the token
    alert_webhook_url: pulumi.Output[str] | None = None  # a Pulumi secret; None: canary alerts are off
    # The registry connection as the ModelVersion provider sees it (full config keys -> text, and the
    # MLFLOW_TRACKING_* variables that override them), for the program's own look-ups before it registers
    # anything (registry/first_registration.py). Never printed: the token is in it.
    registry_config: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)
    registry_environ: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)


def _is_structured(annotation: typing.Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):  # an optional structured key, e.g. batchNodePool
        return any(_is_structured(a) for a in typing.get_args(annotation) if a is not type(None))
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
    unreadable: set[str] = set()  # structured keys that did not parse: their defaults' problems are not the user's

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
                unreadable.add(alias)
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
            f"{hint}remove it; known keys are listed in Pulumi.yaml and docs/stacks-and-settings.md",
        )

    secrets = {key: _secret(config, key, source, problems) for key in SECRET_KEYS}
    token = secrets[TOKEN_KEY]
    if token is not None:
        raw["hasMlflowToken"] = True
    password = secrets[PASSWORD_KEY]
    if config.get(PASSWORD_KEY) is not None:  # stored in plain text is its own problem, not also "not set"
        raw["hasMlflowPassword"] = True
    if password is not None and len(_plain(config, PASSWORD_KEY) or "") < MIN_PASSWORD_LENGTH:
        problems.add(
            source,
            config_key(PASSWORD_KEY),
            f"is shorter than {MIN_PASSWORD_LENGTH} characters, MLflow's minimum for a basic-auth password",
            f"run `pulumi config set --secret {PASSWORD_KEY} <at least {MIN_PASSWORD_LENGTH} characters>`",
        )

    settings = None
    try:
        settings = StackSettings.model_validate(raw)
    except ValidationError as exc:
        for p in problems_from_validation_error(exc, source, StackSettings):
            if p.field and p.field.split(".")[0] in unreadable:
                continue  # a check of the default that stood in for a value already reported unreadable
            field = config_key(p.field) if p.field else ""
            fix = p.fix
            if p.message == "required key is missing" and p.field in declared:  # a top-level key, not a nested one
                fix = f"set it in {source} or declare a default in Pulumi.yaml"
            problems.extend([Problem(source, field, p.message, fix)])
    if settings is not None and settings.gitops.sso is not None and secrets[ARGOCD_OIDC_CLIENT_SECRET_KEY] is None:
        problems.add(
            source,
            config_key("gitops") + ".sso",
            f"SSO is configured but {config_key(ARGOCD_OIDC_CLIENT_SECRET_KEY)} is not set",
            f"run `pulumi config set --secret {ARGOCD_OIDC_CLIENT_SECRET_KEY} <client secret>` or remove gitops.sso",
        )
    problems.raise_if_any()
    assert settings is not None
    return LoadedSettings(
        stack=settings,
        mlflow_token=token,
        mlflow_password=password,
        argocd_admin_password=secrets[ARGOCD_ADMIN_PASSWORD_KEY],
        argocd_oidc_client_secret=secrets[ARGOCD_OIDC_CLIENT_SECRET_KEY],
        grafana_admin_password=secrets[GRAFANA_PASSWORD_KEY],
        alert_webhook_url=secrets[ALERT_WEBHOOK_KEY],
        registry_config={
            config_key(key): value
            for key in REGISTRY_KEYS
            if (value := (_plain(config, key) if key in SECRET_KEYS else config.get(key))) is not None
        },
        registry_environ={k: os.environ[k] for k in REGISTRY_ENV if k in os.environ},
    )


REGISTRY_KEYS = (
    "mlflowTrackingUri",
    TOKEN_KEY,
    "mlflowUsername",
    PASSWORD_KEY,
    "mlflowTimeoutSeconds",
    "mlflowRetries",
    "mlflowDeadlineSeconds",
)


def _plain(config: pulumi.Config, key: str) -> str | None:
    """A secret's text for the program's own registry client only (a stored-in-plain-text one is refused above)."""
    return config.get(key) if runtime_config.is_config_secret(config_key(key)) else None


def _secret(config: pulumi.Config, key: str, source: str, problems: ProblemCollector) -> pulumi.Output[str] | None:
    """A secret config value as a secret Output; a value stored in plain text is a problem, never used."""
    if config.get(key) is None:
        return None
    if not runtime_config.is_config_secret(config_key(key)):
        problems.add(
            source,
            config_key(key),
            "is stored in plain text",
            f"run `pulumi config set --secret {key} <{'token' if key == TOKEN_KEY else 'value'}>` so it is encrypted",
        )
        return None
    return config.require_secret(key)
