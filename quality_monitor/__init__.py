"""The per-model quality monitor: drift of recent inputs against the training reference, accuracy on
labelled samples, pushed to the Pushgateway as model_feature_drift, model_drift_score and model_accuracy.

Run once per CronJob schedule: `python -m quality_monitor` (configuration from the environment, names in
facts/quality_monitor_env.py). Runs in its own image (quality_monitor/Dockerfile) with the `facts` package
beside it; it never imports the Pulumi program.
"""
