"""Where the batch runner reads and writes: local paths (a mounted volume) or gs:// objects.

GCS goes through its JSON API with the pod's own Google identity (Workload Identity: the GKE metadata
server hands out short-lived tokens, no key anywhere), using `requests`, which the serving image has
with MLflow. The input is streamed (never held in memory); outputs are written to local scratch first
and uploaded once complete, so a half-written object never appears under the output prefix.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import quote

METADATA_TOKEN = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
GCS_API = os.environ.get("MLOPS_BATCH_GCS_API", "https://storage.googleapis.com")
TIMEOUT = (10, 300)  # connect, read (seconds)


def split_gs(uri: str) -> tuple[str, str]:
    bucket, _, name = uri[len("gs://") :].partition("/")
    if not bucket:
        raise ValueError(f"{uri!r} names no bucket")
    return bucket, name


def _token() -> str:
    import requests

    response = requests.get(METADATA_TOKEN, headers={"Metadata-Flavor": "Google"}, timeout=10)
    response.raise_for_status()
    return str(response.json()["access_token"])


def local_path(uri: str) -> Path:
    return Path(uri[len("file://") :] if uri.startswith("file://") else uri)


@contextlib.contextmanager
def open_input(uri: str) -> Iterator[IO[str]]:
    """A text stream of the input, read as it is consumed."""
    if not uri.startswith("gs://"):
        with local_path(uri).open(newline="", encoding="utf-8") as stream:
            yield stream
        return
    import requests

    bucket, name = split_gs(uri)
    url = f"{GCS_API}/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}?alt=media"
    with requests.get(url, headers={"Authorization": f"Bearer {_token()}"}, stream=True, timeout=TIMEOUT) as response:
        response.raise_for_status()
        response.raw.decode_content = True
        yield io.TextIOWrapper(response.raw, encoding="utf-8", newline="")


class Output:
    """Files of one run: written under a local directory, then published to the output location."""

    def __init__(self, uri: str):
        self.uri = uri.rstrip("/")
        self._remote = uri.startswith("gs://")
        self.directory = Path(tempfile.mkdtemp(prefix="batch-")) if self._remote else local_path(self.uri)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.directory / name

    def location(self, name: str) -> str:
        return f"{self.uri}/{name}"

    def publish(self, names: list[str]) -> None:
        if not self._remote:
            return
        import requests

        bucket, prefix = split_gs(self.uri)
        token = _token()
        try:
            for name in names:
                target = f"{prefix}/{name}" if prefix else name
                url = f"{GCS_API}/upload/storage/v1/b/{quote(bucket, safe='')}/o"
                # ifGenerationMatch=0: create only; a run never overwrites another run's object.
                params = {"uploadType": "media", "name": target, "ifGenerationMatch": "0"}
                with self.path(name).open("rb") as body:
                    response = requests.post(
                        url, params=params, data=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
                    )
                response.raise_for_status()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
