"""Reading the prediction samples the serving runtime wrote to its log (facts/quality_samples.py).

In the cluster the samples are the serving containers' log lines, read through the Kubernetes API:
list the model's pods by label selector, then `GET .../pods/<pod>/log?container=...&sinceSeconds=...`
for each, with the monitor's ServiceAccount token (a Role grants pods list and pods/log get in the
model's namespace only). What this can and cannot see: logs of the pods running now, as far back as
the kubelet keeps them (it rotates container logs at 10 MiB by default); samples of pods already
replaced are gone. That suits drift over a recent window; it is no archive (docs/quality-signals.md).

Locally and in tests, a JSON-lines file stands in for the logs.

Both are read as streams, line by line, into a ModelWindow (quality_monitor/window.py): a window of a
million samples is never a list in memory. `feed_window` parses with orjson (about 5x the standard
library's json on these lines; the format is PredictionSample.to_line's, facts/quality_samples.py) and
skips what PredictionSample.from_line would refuse: other log lines, other JSON, other models, samples
older than the window, records without a feature list.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson
import requests

from facts.quality_samples import SAMPLE_FORMAT, SAMPLE_MARKER, PredictionSample
from quality_monitor.window import ModelWindow

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER_API = "https://kubernetes.default.svc"


def parse_samples(lines: Iterable[str], model: str, since: float) -> Iterator[PredictionSample]:
    """The samples of `model` written at or after `since` (unix seconds); other lines are skipped."""
    for line in lines:
        sample = PredictionSample.from_line(line)
        if sample is not None and sample.model == model and sample.time >= since:
            yield sample


def feed_window(lines: Iterable[bytes], model: str, since: float, window: ModelWindow) -> None:
    """Adds every sample of `model` written at or after `since` on `lines` (raw log lines) to `window`."""
    marker, loads, labels = SAMPLE_MARKER.encode(), orjson.loads, window.labels
    for line in lines:
        if line[:1] != b"{":  # a prefixed line (kubelet timestamps) or a plain log line
            if marker not in line:
                continue
            line = line[line.find(b"{") :]
        try:
            record = loads(line)
            if record.get(SAMPLE_MARKER) != SAMPLE_FORMAT or record.get("model") != model or record["time"] < since:
                continue
            features, version = record["features"], record["version"]
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            continue  # not a sample record after all
        if not (isinstance(features, list) and isinstance(version, str)):
            continue
        group = window.of(version)
        group.add(features, record.get("feature_names"))
        if labels is not None:
            group.judge((str(record.get("request_id", "")), record.get("row", 0)), record.get("prediction"), labels)


def window_from_file(
    path: Path, model: str, window_seconds: int, window: ModelWindow, now: float | None = None
) -> None:
    since = (now if now is not None else time.time()) - window_seconds
    with path.open("rb") as handle:
        feed_window(handle, model, since, window)


def samples_from_file(path: Path, model: str, window_seconds: int, now: float | None = None) -> list[PredictionSample]:
    since = (now if now is not None else time.time()) - window_seconds
    with path.open(encoding="utf-8") as handle:
        return list(parse_samples(handle, model, since))


class PodLogs:
    """The model pods' logs through the Kubernetes API."""

    def __init__(self, api_url: str = IN_CLUSTER_API, token: str | None = None, ca_file: str | bool = True):
        self.api_url = api_url.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.verify = ca_file

    @classmethod
    def in_cluster(cls) -> PodLogs:
        token = (SERVICE_ACCOUNT_DIR / "token").read_text().strip()
        return cls(IN_CLUSTER_API, token, str(SERVICE_ACCOUNT_DIR / "ca.crt"))

    def _get(self, path: str, **params) -> requests.Response:
        response = self.session.get(f"{self.api_url}{path}", params=params, timeout=60)
        if response.status_code >= 400:
            raise RuntimeError(f"Kubernetes API GET {path}: HTTP {response.status_code} {response.text[:300]}")
        return response

    def pods(self, namespace: str, selector: str) -> list[str]:
        listing = self._get(f"/api/v1/namespaces/{namespace}/pods", labelSelector=selector).json()
        return sorted(item["metadata"]["name"] for item in listing.get("items", []))

    def raw_lines(self, namespace: str, selector: str, container: str, since_seconds: int) -> Iterator[bytes]:
        """Every pod's log lines, streamed: one response at a time, never a whole log in memory."""
        for pod in self.pods(namespace, selector):
            path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
            params: dict[str, str | int] = {"container": container, "sinceSeconds": since_seconds}
            with self.session.get(f"{self.api_url}{path}", params=params, timeout=60, stream=True) as response:
                if response.status_code >= 400:
                    raise RuntimeError(f"Kubernetes API GET {path}: HTTP {response.status_code} {response.text[:300]}")
                yield from response.iter_lines(chunk_size=1 << 16)

    def lines(self, namespace: str, selector: str, container: str, since_seconds: int) -> Iterator[str]:
        for line in self.raw_lines(namespace, selector, container, since_seconds):
            yield line.decode("utf-8", errors="replace")

    def feed(self, namespace: str, selector: str, container: str, model: str, window_seconds: int, window: ModelWindow):
        since = time.time() - window_seconds
        feed_window(self.raw_lines(namespace, selector, container, window_seconds), model, since, window)

    def samples(
        self, namespace: str, selector: str, container: str, model: str, window_seconds: int
    ) -> list[PredictionSample]:
        since = time.time() - window_seconds
        return list(parse_samples(self.lines(namespace, selector, container, window_seconds), model, since))
