"""Pulumi ComponentResources (one concern per file), the pure builders behind them, and the MLflow
dynamic provider. Nothing here reads pulumi.Config or the environment: settings/ does."""
