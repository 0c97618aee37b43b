"""Moving what an environment serves: promote and rollback (with an audit trail in MLflow and stack tags),
approve (a canary's approval gate) and the fallback switch."""
