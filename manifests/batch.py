"""Pure builder of a model's batch job: a CronJob that downloads the served version like the Deployment
does (the same init container) and runs the batch runner (serving_runtime/mlops_batch) in the serving image.

Its pods carry the model's team, environment and cost labels but not the model's selector labels
(`mlops.platform/model`, `app.kubernetes.io/name`), so the model's Service, PDB, autoscaler and
ingress allows never select them; the namespace's default-deny ingress covers them (a batch pod
serves nothing). Egress stays open, as for the Deployment: the registry and GCS have no fixed addresses.
"""

from __future__ import annotations

from core import labels as L
from facts.runtimes import MODEL_DIR, MODEL_MOUNT
from manifests.security_context import restricted_container_security, restricted_pod_security
from manifests.serving import model_download_container, model_uri
from plan.batch import BatchPlan

BATCH_WORKLOAD = "batch"
RUNNER_CONTAINER = "batch"
# Exit codes of python -m mlops_batch that a retry cannot fix: 1 too many rejected records, 2 the input
# or model could not be read. Any other failure (eviction of a spot node, OOM) is retried.
FINAL_EXIT_CODES = (1, 2)
JOB_NAME_ENV = "BATCH_JOB_NAME"


def batch_labels(plan: BatchPlan) -> dict[str, str]:
    serving = plan.serving
    labels = {k: v for k, v in serving.labels.items() if k != L.MODEL}
    return {
        **labels,
        "app.kubernetes.io/name": plan.name,
        "app.kubernetes.io/instance": f"{plan.name}-{serving.environment}",
        "app.kubernetes.io/component": "batch-inference",
        L.WORKLOAD: BATCH_WORKLOAD,
        "mlops.platform/batch-of": serving.name,
    }


def _runner(plan: BatchPlan, version: str) -> dict:
    serving, job = plan.serving, plan.job
    resources = job.resources or serving.model.resources
    env: list[dict] = [{"name": k, "value": v} for k, v in serving.model.env.items()]
    env += [
        {"name": "HOME", "value": "/tmp"},
        # The Job controller labels each pod with its Job's name: one output directory per run.
        {
            "name": JOB_NAME_ENV,
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}},
        },
    ]
    mounts = [
        {"name": "model-store", "mountPath": MODEL_MOUNT, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
        *({"name": c.volume, "mountPath": c.mount_path} for c in plan.claims),
    ]
    return {
        "name": RUNNER_CONTAINER,
        "image": serving.runtime.image,
        "command": ["python", "-m", "mlops_batch"],
        "args": [
            "--model-dir",
            MODEL_DIR,
            "--model-uri",
            model_uri(serving.model.registered_model, version),
            "--input",
            plan.input_uri,
            "--output",
            f"{plan.output_uri}/$({JOB_NAME_ENV})",
            "--format",
            job.format,
            "--chunk-rows",
            str(job.chunk_rows),
            "--max-rejected-fraction",
            str(job.max_rejected_fraction),
        ],
        "env": env,
        "resources": {
            "requests": {"cpu": str(resources.requests.cpu), "memory": str(resources.requests.memory)},
            "limits": {"cpu": str(resources.limits.cpu), "memory": str(resources.limits.memory)},
        },
        "securityContext": restricted_container_security(serving.runtime.run_as_user),
        "volumeMounts": mounts,
    }


def cronjob_manifest(plan: BatchPlan, version: str) -> dict:
    serving, job = plan.serving, plan.job
    labels = batch_labels(plan)
    pod_labels = L.versioned_labels(labels, version)
    user = serving.runtime.run_as_user
    pod_spec: dict = {
        # The model's own ServiceAccount: on GKE its Workload Identity reads the input and writes the output.
        "serviceAccountName": serving.name,
        "automountServiceAccountToken": False,
        "restartPolicy": "Never",
        "securityContext": restricted_pod_security(user, owns_volumes=True),
        "initContainers": [model_download_container(serving, version)],
        "containers": [_runner(plan, version)],
        "volumes": [
            {"name": "model-store", "emptyDir": {"sizeLimit": str(serving.model.serving.model_storage)}},
            # Results are staged here before their upload to GCS (catalogue batch[].scratchStorage).
            {"name": "tmp", "emptyDir": {"sizeLimit": str(job.scratch_storage)}},
            *({"name": c.volume, "persistentVolumeClaim": {"claimName": c.claim}} for c in plan.claims),
        ],
    }
    if plan.placement.node_selector:
        pod_spec["nodeSelector"] = dict(plan.placement.node_selector)
    if plan.placement.tolerations:
        pod_spec["tolerations"] = [dict(t) for t in plan.placement.tolerations]
    job_spec: dict = {
        "backoffLimit": job.backoff_limit,
        "activeDeadlineSeconds": job.active_deadline_seconds,
        "ttlSecondsAfterFinished": 7 * 86400,
        "template": {
            "metadata": {
                "labels": pod_labels,
                "annotations": {"mlops.platform/model-uri": model_uri(serving.model.registered_model, version)},
            },
            "spec": pod_spec,
        },
    }
    if serving.kubernetes_minor >= 26:
        # A run refused for its input fails at once; a spot reclaim (DisruptionTarget) is retried for free.
        job_spec["podFailurePolicy"] = {
            "rules": [
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                {
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": RUNNER_CONTAINER,
                        "operator": "In",
                        "values": list(FINAL_EXIT_CODES),
                    },
                    # Empty, not absent: the 1.26-1.30 schemas list it as required on every rule.
                    "onPodConditions": [],
                },
            ]
        }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": plan.name, "namespace": serving.namespace, "labels": labels},
        "spec": {
            "schedule": job.schedule,
            "timeZone": "Etc/UTC",
            # Never two runs at once; a run that could not start within the hour is skipped, not queued.
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"metadata": {"labels": pod_labels}, "spec": job_spec},
        },
    }
