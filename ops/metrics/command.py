"""`python -m ops metrics --stack NAME [--since 30d] [--json] [--prometheus URL] [--push URL]`.

Reads the stack's environment and registry from its stack file, the models it serves from the
catalogue, their history from the registry (and Flagger's outcomes from Prometheus when --prometheus is
given), prints a table per model and for the stack (or JSON), and with --push replaces the
environment's group on the Pushgateway with the same figures (facts/delivery_metrics.py).
Exit codes: 0 done, 2 bad input or an unreachable registry (one line, no traceback).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from catalogue.loader import load_catalogue
from core.config_keys import config_key
from core.problems import ConfigError, Problem
from facts import delivery_metrics as S
from ops.metrics.compute import model_figures, stack_figures
from ops.metrics.reader import canary_outcomes, registry_history
from ops.metrics.report import as_json, exposition, table
from ops.promotion.context import stack_context
from ops.stack_config import load_stack_config
from registry.client import RegistryError

_SINCE = re.compile(r"^(\d+)([hdw])$")
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
DEFAULT_PREFIX = "ml-"


def window(text: str) -> timedelta:
    match = _SINCE.match(text)
    if not match or int(match.group(1)) == 0:
        raise ConfigError([Problem("--since", "", f"{text!r} is not a window", "a number and h, d or w, e.g. 30d")])
    return int(match.group(1)) * _UNIT[match.group(2)]


def compute(project_dir: Path, stack: str, since: timedelta, now: datetime, prometheus: str | None = None):
    """(per-model figures, stack figures, served versions' creation times, maxAges, notes)."""
    context = stack_context(project_dir, stack)
    values = load_stack_config(project_dir, stack).values
    catalogue = load_catalogue(project_dir / values.get(config_key("modelsDir"), "models"))
    prefix = values.get(config_key("namespacePrefix"), DEFAULT_PREFIX)
    start = now - since
    client = context.client()
    per_model: list = []
    created: dict[str, float] = {}
    max_ages: dict[str, int] = {}
    notes: list[str] = []
    try:
        for model in catalogue.for_environment(context.environment):
            canaries: tuple = ()
            if prometheus:
                canaries, read_notes = canary_outcomes(prometheus, f"{prefix}{model.name}", model.name, start, now)
                notes.extend(read_notes)
            read = registry_history(client, model.name, model.registered_model, context.environment, canaries)
            figures, raw = model_figures(read.history, start, now)
            if read.notes:
                figures = type(figures)(**{**figures.__dict__, "notes": (*read.notes, *figures.notes)})
            per_model.append((figures, raw))
            if read.history.live is not None:
                created[model.name] = read.history.live.created.timestamp()
            if model.freshness.max_age_seconds is not None:
                max_ages[model.name] = model.freshness.max_age_seconds
    finally:
        client.close()
    if not prometheus:
        notes.append("canary outcomes not read (no --prometheus): failures are rollbacks only")
    return (
        [f for f, _ in per_model],
        stack_figures(context.environment, per_model, start, now),
        created,
        max_ages,
        notes,
    )


def push(url: str, environment: str, text: str) -> None:
    """Replaces this environment's group (PUT): figures of models gone from the catalogue disappear too."""
    import requests

    target = f"{url.rstrip('/')}/metrics/job/{S.JOB}/environment/{environment}"
    response = requests.put(target, data=text.encode(), headers={"Content-Type": "text/plain"}, timeout=(5, 30))
    response.raise_for_status()


def run(args: argparse.Namespace) -> int:
    import requests

    now = datetime.now(UTC)
    since = window(args.since)
    try:
        models, stack, created, max_ages, notes = compute(Path(args.project), args.stack, since, now, args.prometheus)
    except RegistryError as err:
        print(f"error: the registry's history could not be read: {err}", file=sys.stderr)
        return 2
    print(as_json(models, stack, now - since, now) if args.json else table(models, stack, args.since))
    if not args.json:
        for note in notes:
            print(f"note: {note}")
    if args.push:
        try:
            push(args.push, stack.environment, exposition(models, stack, created, max_ages, now))
        except requests.RequestException as err:
            print(f"error: the figures were not pushed to {args.push}: {err}", file=sys.stderr)
            return 2
        print(f"pushed to {args.push} (job {S.JOB}, environment {stack.environment})")
    return 0


def register(commands, project_dir: Path) -> None:
    cmd = commands.add_parser("metrics", help="delivery metrics: deploy frequency, lead time, CFR, restore, freshness")
    cmd.add_argument("--stack", required=True, help="stack name: a Pulumi.<stack>.yaml in the project")
    cmd.add_argument("--since", default="30d", help="window, e.g. 7d, 12w, 48h (default: 30d)")
    cmd.add_argument("--json", action="store_true", help="print JSON instead of the table")
    cmd.add_argument("--prometheus", help="Prometheus URL, to count Flagger's failed canaries")
    cmd.add_argument("--push", help="Pushgateway URL: push the figures as Prometheus series")
    cmd.add_argument("--project", default=str(project_dir), help=argparse.SUPPRESS)
    cmd.set_defaults(run=run)
