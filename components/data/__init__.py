"""The platform's own data services: the MLflow tracking server and the Feast feature store."""
