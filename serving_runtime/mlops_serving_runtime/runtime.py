"""MLServer's MLflow runtime plus the model-quality signals of every prediction.

Loaded by MLServer as MLSERVER_MODEL_IMPLEMENTATION=mlops_serving_runtime.runtime.QualityMLflowRuntime.
It serves exactly what mlserver_mlflow.MLflowRuntime serves (same decoding, same MLflow input handling,
same outputs, same encoding); for the model name and version MLServer was started with it records:
  - model_prediction_confidence: the top-class probability of each row, when the underlying model has
    predict_proba (sklearn classifiers, XGBoost's sklearn API);
  - model_predictions_total{predicted_class}: the prediction distribution, for classifiers;
  - a sample of rows (inputs, output, confidence) as JSON lines on stdout, at the configured rate.
One forward pass per request where the estimator allows it (one_pass.py: sklearn forests and trees):
predict_proba once, the prediction derived from it exactly as the estimator's predict derives it, the
probabilities kept for the confidence. Other models get the stock predict and a predict_proba per batch.
Recording is off the request path: the request offers its output (and the probabilities, or the input
when they are still to compute or samples are on) to a bounded queue (pending.py); a background thread
records batches of them, one metrics update per batch.
Recording never fails a prediction: an error there is logged once and the response goes out unchanged.
Requests the model cannot serve are refused with a 4xx and the reason (validation.py), never a 500.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
from mlflow.exceptions import MlflowException
from mlserver.logging import logger
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver_mlflow import MLflowRuntime
from mlserver_mlflow.codecs import TensorDictCodec

from facts.quality_samples import SAMPLE_RATE_ENV
from mlops_serving_runtime import one_pass
from mlops_serving_runtime.pending import Pending, PendingQueue
from mlops_serving_runtime.recorder import QualityRecorder, parse_sample_rate, top_class
from mlops_serving_runtime.validation import (
    MAX_VALUES_ENV,
    check_finite,
    check_request,
    expected_width,
    parse_max_values,
    refused,
)

MAX_PENDING_ROWS = 10_000  # rows waiting for the recorder at most (pending.py); about 2 MB at 20 features
# The recorder wakes this often and records everything pending. Not on every request: each wake-up
# takes the GIL from the request path, and a batch shares one predict_proba call.
# At 0.05 s a batch held one or two requests at low rates (docs/benchmarks.md); metrics are scraped every
# 15-30 s, so half a second of delay costs nothing and shares each predict_proba among more requests.
DRAIN_INTERVAL_SECONDS = 0.5
# Writing sample lines is the one long step of a batch (about 5 us per row): the recorder hands the GIL
# to the request path this often, so a request waits at most about this long behind it, not the
# interpreter's 5 ms switch interval. The metrics update of a batch is one vectorised step, well below it.
YIELD_SECONDS = 0.001
# MLflow's codes for a request that does not match the model's schema (anything else stays a 500)
_BAD_INPUT_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})


def _rows(data: Any) -> tuple[list[list[Any]] | None, list[str] | None]:
    """The request's inputs as rows of values, with column names when the input has them."""
    columns = getattr(data, "columns", None)
    if columns is not None and hasattr(data, "to_numpy"):  # a pandas DataFrame
        return data.to_numpy().tolist(), [str(c) for c in columns]
    if isinstance(data, np.ndarray):
        return (data.reshape(len(data), -1) if data.ndim != 1 else data.reshape(-1, 1)).tolist(), None
    return None, None  # several named tensors, strings, ...: no per-row features to sample


def _row_count(data: Any) -> int:
    try:
        return max(len(data), 1)
    except TypeError:
        return 1


def _predictions(output: Any) -> np.ndarray:
    """The served output as one value per row (first column of a 2-D output)."""
    if hasattr(output, "to_numpy"):  # pandas Series or DataFrame
        output = output.to_numpy()
    if isinstance(output, dict):
        output = next(iter(output.values()))
    array = np.asarray(output)
    if array.ndim > 1:
        array = array[:, 0]
    return array.reshape(-1)


def _stackable(items: list[Pending]) -> bool:
    first = items[0].decoded
    if isinstance(first, np.ndarray) and first.ndim == 2:
        return all(isinstance(i.decoded, np.ndarray) and i.decoded.shape[1:] == first.shape[1:] for i in items)
    return False


def _confidences(probabilities: list[Any]) -> list[np.ndarray | None]:
    """Each item's per-row confidence (top-class probability): one max over the whole batch when every
    item has a probability matrix of the same width, else item by item."""
    widths = {p.shape[1] if isinstance(p, np.ndarray) and p.ndim == 2 else None for p in probabilities}
    if len(probabilities) < 2 or len(widths) != 1 or None in widths:
        return [top_class(p) for p in probabilities]
    top = np.concatenate(probabilities).astype(float, copy=False).max(axis=1)
    split: list[np.ndarray | None] = list(np.split(top, np.cumsum([len(p) for p in probabilities[:-1]]).tolist()))
    return split


class QualityMLflowRuntime(MLflowRuntime):
    async def load(self) -> bool:
        loaded = await super().load()
        try:
            raw = self._model.get_raw_model()
        except (NotImplementedError, AttributeError):
            raw = None  # a pyfunc without a raw model: outputs and samples only
        self._predict_proba = getattr(raw, "predict_proba", None)
        # One forward pass (one_pass.py), or None: the stock predict, and predict_proba in the background.
        self._one_pass = one_pass.install(self._model) if self._predict_proba is not None else None
        signature_names = None
        if self._signature is not None:
            names = self._signature.inputs.input_names()
            if names and all(isinstance(n, str) for n in names):
                signature_names = names
        self._width = expected_width(self._signature)
        self._max_values = parse_max_values(os.environ.get(MAX_VALUES_ENV))
        self._recorder = QualityRecorder(
            self.name,
            str(self.version or ""),
            sample_rate=parse_sample_rate(os.environ.get(SAMPLE_RATE_ENV)),
            classifier=self._predict_proba is not None or hasattr(raw, "classes_"),
            feature_names=signature_names,
        )
        self._recording_failed = False
        self._dropping = False
        self._pending = PendingQueue(MAX_PENDING_ROWS)
        self._stop = threading.Event()
        self._drainer = threading.Thread(target=self._drain_forever, name="quality-recorder", daemon=True)
        self._drainer.start()
        self._sampling = self._recorder.sample_rate > 0
        if self._predict_proba is None:
            confidence = "off (no predict_proba)"
        elif self._one_pass is not None:
            confidence = "on (one forward pass: predict_proba, the prediction derived as predict derives it)"
        else:
            confidence = "on (predict, then predict_proba per batch in the background)"
        logger.info(
            "quality signals for %s %s: confidence %s, sample rate %s",
            self.name,
            self.version,
            confidence,
            self._recorder.sample_rate,
        )
        return loaded

    async def unload(self) -> bool:
        self._stop.set()
        self._drainer.join(timeout=10)
        self._drain_once()  # what arrived while stopping
        return await super().unload()

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        check_request(payload, self.name, self._max_values, self._width)
        params = None
        if payload.parameters and payload.parameters.model_extra:
            params = payload.parameters.model_extra
        try:
            decoded = self.decode_request(payload)
            check_finite(decoded, self.name)
            output = self._model.predict(decoded, params=params)
        except MlflowException as error:
            if error.error_code not in _BAD_INPUT_CODES:
                raise
            raise refused(self.name, error) from None
        except (ValueError, TypeError) as error:  # decoding or the estimator refusing the values (NaN, strings)
            raise refused(self.name, error) from None
        probabilities = self._one_pass.take() if self._one_pass is not None else None
        # The input is kept only if the recorder needs it: samples, or a predict_proba still to call.
        keep = self._sampling or (probabilities is None and self._predict_proba is not None)
        item = Pending(payload.id or "", decoded if keep else None, output, _row_count(decoded), probabilities)
        if not self._pending.offer(item):
            self._recorder.dropped(item.rows)
            if not self._dropping:  # once per overload, not per request
                logger.warning(
                    "quality recorder behind by %d rows: signals of further rows are dropped", MAX_PENDING_ROWS
                )
                self._dropping = True
        return self.encode_response(output, default_codec=TensorDictCodec)

    def _drain_forever(self) -> None:
        while not self._stop.wait(DRAIN_INTERVAL_SECONDS):
            self._drain_once()

    def _drain_once(self) -> None:
        items = self._pending.take_all()
        if not items:
            return
        self._dropping = False
        try:
            self._record(items)
        except Exception:
            if not self._recording_failed:  # once: a broken recorder must not flood the log
                logger.exception("recording quality signals failed; predictions are served unchanged")
                self._recording_failed = True

    def _probabilities(self, items: list[Pending]) -> list[Any]:
        """Each item's class probabilities: those of its own forward pass, else from predict_proba here,
        one call for all the items whose inputs stack."""
        found: list[Any] = [i.probabilities for i in items]
        if self._predict_proba is None:
            return found
        missing = [k for k, p in enumerate(found) if p is None and items[k].decoded is not None]
        if not missing:
            return found
        todo = [items[k] for k in missing]
        if len(todo) > 1 and _stackable(todo):
            stacked = np.asarray(self._predict_proba(np.concatenate([i.decoded for i in todo])))
            bounds = np.cumsum([0] + [len(i.decoded) for i in todo]).tolist()
            for k, a, b in zip(missing, bounds[:-1], bounds[1:], strict=True):
                found[k] = stacked[a:b]
        else:
            for k, item in zip(missing, todo, strict=True):
                found[k] = np.asarray(self._predict_proba(item.decoded))
        return found

    def _record(self, items: list[Pending]) -> None:
        predictions = [_predictions(item.output) for item in items]
        confidences = _confidences(self._probabilities(items))
        self._recorder.observe(list(zip(predictions, confidences, strict=True)))  # one update per series
        if not self._sampling:
            return
        lines: list[str] = []
        handed = time.perf_counter()
        for item, predicted, confidence in zip(items, predictions, confidences, strict=True):
            if time.perf_counter() - handed >= YIELD_SECONDS:
                time.sleep(0)  # hands the GIL to a waiting request (see YIELD_SECONDS)
                handed = time.perf_counter()
            rows, names = _rows(item.decoded)
            if names and not self._recorder.feature_names:
                self._recorder.feature_names = names
            self._recorder.sample(item.request_id, rows, predicted, confidence, lines)
        self._recorder.write(lines)
