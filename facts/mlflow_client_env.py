"""The environment variables MLflow's own client reads for the tracking server and its credentials
(mlflow/environment_variables.py of mlflow 3.17.2). Our registry client and every pod that talks to the
registry (the model download init containers, the quality monitors, the delivery-metrics job) use the same
names, so an MLflow tool and ours configured alike reach the same server as the same user.

MLflow sends basic credentials when both USERNAME and PASSWORD are set, and the bearer TOKEN otherwise
(mlflow/utils/rest_utils.py, `http_request`): ours does the same.
"""

from __future__ import annotations

TRACKING_URI = "MLFLOW_TRACKING_URI"
TRACKING_TOKEN = "MLFLOW_TRACKING_TOKEN"
TRACKING_USERNAME = "MLFLOW_TRACKING_USERNAME"
TRACKING_PASSWORD = "MLFLOW_TRACKING_PASSWORD"
# Everything that decides which server the client reaches and as whom.
REGISTRY_ENV = (TRACKING_URI, TRACKING_TOKEN, TRACKING_USERNAME, TRACKING_PASSWORD)
BASIC_CREDENTIALS = (TRACKING_USERNAME, TRACKING_PASSWORD)
