"""`python -m ops fallback on|off --model M --stack S`: the fallback switch as one command.

The switch is the stack key `delivery.fallbackActive` (docs/delivery.md, "Fallback switch"): while a model is
listed, its HTTPRoute `<model>-fallback` sends inference to its catalogue fallback. This command

1. computes the new list and validates it offline with the program's own code (settings, serving and
   delivery plans): a model that names no fallback, a fallback that is not warm, a stack without a
   Gateway are refused with the same located messages `pulumi up` would give, before anything changes;
2. writes the list into the stack's config through the Pulumi CLI (`pulumi config set --path
   mlops-platform:delivery.fallbackActive[i]`), so it lands in Pulumi.<stack>.yaml and stays, as
   `ops rollback` writes its pin; the rest of the `delivery` key is untouched;
3. runs `up` on the stack, which creates (on) or deletes (off) the switch route.

If `up` fails, the config keeps the new list (the intent), and the message says to fix and re-run.
"""

from __future__ import annotations

import json
from pathlib import Path

from catalogue.loader import load_catalogue
from core.config_keys import config_key
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import Outcome
from ops.offline.stack_settings import offline_stack_settings
from ops.promotion.context import PromotionRefused
from ops.stack_config import load_stack_config
from plan.delivery import delivery_plans
from plan.platform import platform_refs
from plan.serving import select_models, serving_plans

DELIVERY_KEY = config_key("delivery")
LIST_PATH = f"{DELIVERY_KEY}.fallbackActive"


def current_delivery(project_dir: Path, stack: str) -> dict:
    text = load_stack_config(project_dir, stack).values.get(DELIVERY_KEY)
    value = json.loads(text) if text else {}
    return dict(value) if isinstance(value, dict) else {}


def switched(active: list[str], model: str, on: bool) -> list[str]:
    if on:
        return active if model in active else [*active, model]
    return [name for name in active if name != model]


def validate(project_dir: Path, stack: str, delivery: dict) -> str:
    """The fallback `model` would switch to, checked as `up` would check it; raises ConfigError."""
    settings = offline_stack_settings(project_dir, stack, {DELIVERY_KEY: json.dumps(delivery)})
    catalogue = load_catalogue(project_dir / settings.models_dir)
    servings = serving_plans(settings, select_models(settings, catalogue))
    plans = delivery_plans(settings, servings, platform_refs(settings))
    return ", ".join(f"{n} -> {p.fallback.model}" for n, p in sorted(plans.items()) if p.fallback_active and p.fallback)


def switch_fallback(project_dir: Path, stack_name: str, model: str, on: bool, driver: Driver) -> Outcome:
    delivery = current_delivery(project_dir, stack_name)
    active = [str(name) for name in delivery.get("fallbackActive") or []]
    wanted = switched(active, model, on)
    if wanted == active:
        state = "on" if on else "off"
        raise PromotionRefused(f"the fallback of {model} is already {state} in stack {stack_name!r}")
    routes = validate(project_dir, stack_name, {**delivery, "fallbackActive": wanted})
    from pulumi.automation import ConfigValue
    from pulumi.automation.errors import CommandError

    stack = driver.stack()
    try:
        stack.remove_config(LIST_PATH, path=True)
    except CommandError:  # no list yet
        pass
    for index, name in enumerate(wanted):
        stack.set_config(f"{LIST_PATH}[{index}]", ConfigValue(name), path=True)
    outcome = driver.up()
    word = "on" if on else "off"
    if outcome.code != ExitCode.OK:
        outcome.messages.append(f"{LIST_PATH} stays {wanted} in Pulumi.{stack_name}.yaml: fix and re-run")
        return outcome
    outcome.messages.append(f"fallback {word} for {model} in {stack_name}; switched now: {routes or 'none'}")
    return outcome
