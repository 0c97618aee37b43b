"""The monitor's configuration, from the environment its CronJob sets (names in facts/quality_monitor_env.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from facts import quality_monitor_env as env
from facts.quality_samples import DEFAULT_REFERENCE_ARTIFACT
from quality_monitor.window import DEFAULT_MAX_SAMPLES


@dataclass(frozen=True)
class MonitorConfig:
    model: str
    registered_model: str
    tracking_uri: str
    window_seconds: int = 3600
    min_samples: int = 100
    max_samples: int = DEFAULT_MAX_SAMPLES
    reference_artifact: str = DEFAULT_REFERENCE_ARTIFACT
    namespace: str = ""
    pod_selector: str = ""
    container: str = "server"
    samples_file: str = ""
    labels_uri: str = ""
    min_labelled: int = 50
    pushgateway_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> MonitorConfig:
        missing = [name for name in (env.MODEL, env.REGISTERED_MODEL, env.TRACKING_URI) if not environ.get(name)]
        if not environ.get(env.SAMPLES_FILE) and not (environ.get(env.NAMESPACE) and environ.get(env.POD_SELECTOR)):
            missing.append(f"{env.SAMPLES_FILE} or {env.NAMESPACE} and {env.POD_SELECTOR}")
        if missing:
            raise SystemExit(f"quality monitor: missing configuration: {', '.join(missing)}")
        return cls(
            model=environ[env.MODEL],
            registered_model=environ[env.REGISTERED_MODEL],
            tracking_uri=environ[env.TRACKING_URI],
            window_seconds=int(environ.get(env.WINDOW_SECONDS, "3600")),
            min_samples=int(environ.get(env.MIN_SAMPLES, "100")),
            max_samples=_positive(environ, env.MAX_SAMPLES, DEFAULT_MAX_SAMPLES),
            reference_artifact=environ.get(env.REFERENCE_ARTIFACT) or DEFAULT_REFERENCE_ARTIFACT,
            namespace=environ.get(env.NAMESPACE, ""),
            pod_selector=environ.get(env.POD_SELECTOR, ""),
            container=environ.get(env.CONTAINER) or "server",
            samples_file=environ.get(env.SAMPLES_FILE, ""),
            labels_uri=environ.get(env.LABELS_URI, ""),
            min_labelled=int(environ.get(env.MIN_LABELLED, "50")),
            pushgateway_url=environ.get(env.PUSHGATEWAY_URL, ""),
        )


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name) or str(default)
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"quality monitor: {name}={text!r} is not a positive whole number (default {default})")
    return int(text)
