"""What Google Cloud would compute for the GCP resources and data sources the program reads.

Only values the program consumes are produced, each either derived exactly as GCP derives it (a
service account's email) or a clearly marked placeholder for what is only known after apply (a
cluster's endpoint). Unknown types echo their inputs, like any other mocked resource.
"""

from __future__ import annotations

import base64

ENDPOINT = "203.0.113.1"  # documentation range (RFC 5737): never a real control plane
# The DNS-based endpoint GKE reports as controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint
# (gke-<id>.<region>.gke.goog); `.invalid` (RFC 2606) never resolves.
DNS_ENDPOINT = "gke-known-after-apply.endpoint.invalid"
CA_CERTIFICATE = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nknown after apply\n-----END CERTIFICATE-----\n"
).decode()

REDIS_HOST = "192.0.2.10"  # documentation range (RFC 5737): never a real Memorystore instance
REDIS_CA = "-----BEGIN CERTIFICATE-----\nknown after apply\n-----END CERTIFICATE-----\n"


def _email(inputs: dict) -> str:
    return f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"


def gcp_outputs(type_token: str, name: str, inputs: dict) -> dict:
    if type_token == "gcp:container/cluster:Cluster":
        endpoints = inputs.get("controlPlaneEndpointsConfig") or {}
        dns = {**(endpoints.get("dnsEndpointConfig") or {}), "endpoint": DNS_ENDPOINT}
        return {
            "endpoint": ENDPOINT,
            "masterAuth": {"clusterCaCertificate": CA_CERTIFICATE},
            "controlPlaneEndpointsConfig": {**endpoints, "dnsEndpointConfig": dns},
        }
    if type_token == "gcp:serviceaccount/account:Account":
        email = _email(inputs)
        return {"email": email, "name": f"projects/{inputs['project']}/serviceAccounts/{email}"}
    if type_token == "gcp:sql/databaseInstance:DatabaseInstance":
        # <project>:<region>:<instance>, as Cloud SQL names every instance's connection.
        return {"connectionName": f"{inputs['project']}:{inputs['region']}:{inputs['name']}"}
    if type_token == "gcp:storage/bucket:Bucket":
        return {"url": f"gs://{inputs['name']}"}
    if type_token == "gcp:redis/instance:Instance":
        # Memorystore's address, port (6378 with TLS) and CA: known after apply.
        return {
            "host": REDIS_HOST,
            "port": 6378,
            "authString": "known-after-apply",
            "serverCaCerts": [{"cert": REDIS_CA}],
        }
    return {}


def gcp_invoke(token: str, args: dict, adopted_workload_pool: str | None = "") -> dict:
    if token == "gcp:container/getCluster:getCluster":
        pool = f"{args['project']}.svc.id.goog" if adopted_workload_pool == "" else adopted_workload_pool
        return {
            "name": args["name"],
            "location": args["location"],
            "project": args["project"],
            "endpoint": ENDPOINT,
            "masterAuths": [{"clusterCaCertificate": CA_CERTIFICATE}],
            "controlPlaneEndpointsConfigs": [{"dnsEndpointConfigs": [{"endpoint": DNS_ENDPOINT}]}],
            "workloadIdentityConfigs": [{"workloadPool": pool}] if pool else [],
        }
    return {}
