"""MLServer's MLflow runtime plus the model-quality signals of every prediction.

Loaded by MLServer as MLSERVER_MODEL_IMPLEMENTATION=mlops_serving_runtime.runtime.QualityMLflowRuntime.
It serves exactly what mlserver_mlflow.MLflowRuntime serves (same decoding, same model call, same
encoding); after each prediction it records, for the model name and version MLServer was started with:
  - model_prediction_confidence: the top-class probability of each row, when the underlying model has
    predict_proba (sklearn classifiers, XGBoost's sklearn API);
  - model_predictions_total{predicted_class}: the prediction distribution, for classifiers;
  - a sample of rows (inputs, output, confidence) as JSON lines on stdout, at the configured rate.
Recording never fails a prediction: an error there is logged once and the response goes out unchanged.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from mlserver.logging import logger
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver_mlflow import MLflowRuntime
from mlserver_mlflow.codecs import TensorDictCodec

from facts.quality_samples import SAMPLE_RATE_ENV
from mlops_serving_runtime.recorder import QualityRecorder, parse_sample_rate


def _rows(data: Any) -> tuple[list[list[Any]] | None, list[str] | None]:
    """The request's inputs as rows of values, with column names when the input has them."""
    columns = getattr(data, "columns", None)
    if columns is not None and hasattr(data, "to_numpy"):  # a pandas DataFrame
        return data.to_numpy().tolist(), [str(c) for c in columns]
    if isinstance(data, np.ndarray):
        return (data.reshape(len(data), -1) if data.ndim != 1 else data.reshape(-1, 1)).tolist(), None
    return None, None  # several named tensors, strings, ...: no per-row features to sample


def _predictions(output: Any) -> list[Any]:
    """The served output as one value per row (first column of a 2-D output)."""
    if hasattr(output, "to_numpy"):  # pandas Series or DataFrame
        output = output.to_numpy()
    if isinstance(output, dict):
        output = next(iter(output.values()))
    array = np.asarray(output)
    if array.ndim > 1:
        array = array[:, 0]
    return array.tolist()


class QualityMLflowRuntime(MLflowRuntime):
    async def load(self) -> bool:
        loaded = await super().load()
        try:
            raw = self._model.get_raw_model()
        except (NotImplementedError, AttributeError):
            raw = None  # a pyfunc without a raw model: outputs and samples only
        self._predict_proba = getattr(raw, "predict_proba", None)
        signature_names = None
        if self._signature is not None:
            names = self._signature.inputs.input_names()
            if names and all(isinstance(n, str) for n in names):
                signature_names = names
        self._recorder = QualityRecorder(
            self.name,
            str(self.version or ""),
            sample_rate=parse_sample_rate(os.environ.get(SAMPLE_RATE_ENV)),
            classifier=self._predict_proba is not None or hasattr(raw, "classes_"),
            feature_names=signature_names,
        )
        self._recording_failed = False
        logger.info(
            "quality signals for %s %s: confidence %s, sample rate %s",
            self.name,
            self.version,
            "on" if self._predict_proba is not None else "off (no predict_proba)",
            self._recorder.sample_rate,
        )
        return loaded

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        decoded = self.decode_request(payload)
        params = None
        if payload.parameters and payload.parameters.model_extra:
            params = payload.parameters.model_extra
        output = self._model.predict(decoded, params=params)
        try:
            self._record(payload.id or "", decoded, output)
        except Exception:
            if not self._recording_failed:  # once: a broken recorder must not flood the log
                logger.exception("recording quality signals failed; predictions are served unchanged")
                self._recording_failed = True
        return self.encode_response(output, default_codec=TensorDictCodec)

    def _record(self, request_id: str, decoded: Any, output: Any) -> None:
        rows, names = _rows(decoded)
        probabilities = None
        if self._predict_proba is not None:
            probabilities = np.asarray(self._predict_proba(decoded)).tolist()
        if names and not self._recorder.feature_names:
            self._recorder.feature_names = names
        self._recorder.record(request_id, rows, _predictions(output), probabilities)
