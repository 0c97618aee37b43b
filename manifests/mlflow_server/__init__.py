"""Pure builders of the stack's own MLflow tracking server (plan/mlflow_server.py decides what it is)."""
