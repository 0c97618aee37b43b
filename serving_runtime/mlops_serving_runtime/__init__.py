"""This project's MLServer runtime: MLServer's MLflow runtime plus model-quality signals.

The runtime class is `mlops_serving_runtime.runtime.QualityMLflowRuntime`; `recorder` holds the
signals themselves. Runs in its own environment (serving_runtime/requirements.txt), never in the
Pulumi program's.
"""
