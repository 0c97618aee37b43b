"""promote and rollback: move what an environment serves, with an audit trail in MLflow and stack tags."""
