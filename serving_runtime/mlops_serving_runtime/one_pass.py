"""One forward pass per request: the prediction and the confidence from the same predict_proba call.

Why: the confidence needs the class probabilities, and the stock runtime's predict already computes them
inside the estimator and throws them away (a forest's predict is the argmax of its predict_proba). Calling
predict_proba a second time, even batched in the background, cost the serving worker a second model call
(docs/benchmarks.md). Here the served prediction is derived from one predict_proba call exactly as the
estimator's own predict derives it, so the response is the stock runtime's, value for value and dtype for
dtype, and the probabilities are kept for the recorder.

Only where that identity holds by the estimator's own code (sklearn 1.9, single output):
  - forests (ForestClassifier.predict: classes_.take(argmax(self.predict_proba(X), axis=1), axis=0));
  - decision trees (BaseDecisionTree.predict: classes_.take(argmax(tree_.predict(X), axis=1), axis=0), and
    DecisionTreeClassifier.predict_proba returns tree_.predict(X)[:, :n_classes_], the same columns);
and only when the model is served through MLflow's sklearn pyfunc wrapper with its plain `predict` (not a
model logged with pyfunc_predict_fn="predict_proba", not an estimator whose methods were overridden).
Anything else (pipelines, boosting, linear models, other flavours) keeps the stock predict, and the
recorder calls predict_proba in the background as before.

MLflow's own input handling is untouched: the pyfunc model still enforces the signature and then calls
the function installed here in place of the wrapper's predict.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np


def _derivable(estimator: Any) -> bool:
    """True when this estimator's predict(X) is classes_.take(argmax(predict_proba(X), axis=1), axis=0)."""
    try:
        from sklearn.base import is_classifier
        from sklearn.ensemble._forest import ForestClassifier
        from sklearn.tree import DecisionTreeClassifier
        from sklearn.tree._classes import BaseDecisionTree
    except ImportError:
        return False
    own = vars(estimator)
    if "predict" in own or "predict_proba" in own:  # patched on the instance: its code is not sklearn's
        return False
    if getattr(estimator, "n_outputs_", None) != 1 or not isinstance(getattr(estimator, "classes_", None), np.ndarray):
        return False
    kind = type(estimator)
    if kind.predict is ForestClassifier.predict:  # predict calls self.predict_proba, whatever it is
        return True
    return (
        kind.predict is BaseDecisionTree.predict
        and getattr(kind, "predict_proba", None) is DecisionTreeClassifier.predict_proba
        and is_classifier(estimator)
    )


class OnePass:
    """Installed as the pyfunc model's predict function; `take()` hands over the probabilities of the
    call just made on this thread (None when no call was made since the last take)."""

    def __init__(self, estimator: Any):
        self._predict_proba = estimator.predict_proba
        self._classes = estimator.classes_
        self._local = threading.local()

    def __call__(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        # `params` as MLflow's sklearn wrapper takes it (and ignores it): the pyfunc model passes it by name.
        probabilities = self._predict_proba(data)
        self._local.probabilities = probabilities
        return self._classes.take(np.argmax(probabilities, axis=1), axis=0)

    def take(self) -> np.ndarray | None:
        probabilities = getattr(self._local, "probabilities", None)
        self._local.probabilities = None
        return probabilities


def install(pyfunc_model: Any) -> OnePass | None:
    """Puts a OnePass in place of the sklearn wrapper's predict in `pyfunc_model`; None when not eligible."""
    try:
        from mlflow.sklearn import _SklearnModelWrapper
    except ImportError:
        return None
    impl: Any = getattr(pyfunc_model, "_model_impl", None)
    predict_fn = getattr(pyfunc_model, "_predict_fn", None)
    if not isinstance(impl, _SklearnModelWrapper) or predict_fn is None:
        return None
    estimator = impl.get_raw_model()
    # The wrapper's own predict (return self.sklearn_model.predict(data)), not a custom pyfunc_predict_fn.
    if getattr(predict_fn, "__func__", None) is not _SklearnModelWrapper.predict:
        return None
    if getattr(predict_fn, "__self__", None) is not impl:
        return None
    if not _derivable(estimator):
        return None
    one_pass = OnePass(estimator)
    pyfunc_model._predict_fn = one_pass
    return one_pass
