"""ModelIdentity, ModelStorage and BinaryAuthorization on Pulumi's mocks."""

from __future__ import annotations

import pulumi

from components.gcp.binary_authorization import AttestorKey, BinaryAuthorization, BinaryAuthorizationArgs
from components.gcp.model_storage import ModelStorage, ModelStorageArgs
from components.gcp.workload_identity import ModelIdentity, ModelIdentityArgs
from facts.upstream_images import DEFAULT_ALLOWLIST
from tests.gke_engine import (
    PROJECT,
    run,
)

# ---------------------------------------------------------------------------------------------
# ModelIdentity, ModelStorage, BinaryAuthorization


def test_model_identity_binds_the_kubernetes_service_account_without_keys(engine):
    def program():
        identity = ModelIdentity(
            "churn-identity",
            ModelIdentityArgs(
                project=PROJECT,
                model="churn-prediction",
                environment="prod",
                namespace="ml-churn-prediction",
                kubernetes_service_account="churn-prediction",
                workload_pool=pulumi.Output.from_input(f"{PROJECT}.svc.id.goog"),
                bucket="acme-ml-prod-models",
                repository="model-serving",
                repository_location="us-central1",
            ),
        )
        return pulumi.Output.all(identity.email, identity.ksa_annotations)

    email, annotations = run(program)
    assert email == "churn-prediction-prod@acme-ml.iam.gserviceaccount.com"
    assert annotations == {"iam.gke.io/gcp-service-account": email}
    wi = engine.one("gcp:serviceaccount/iAMMember:IAMMember")["inputs"]
    assert wi == {
        "serviceAccountId": f"projects/{PROJECT}/serviceAccounts/{email}",
        "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:acme-ml.svc.id.goog[ml-churn-prediction/churn-prediction]",
    }
    bucket = engine.one("gcp:storage/bucketIAMMember:BucketIAMMember")["inputs"]
    assert bucket == {
        "bucket": "acme-ml-prod-models",
        "role": "roles/storage.objectViewer",
        "member": f"serviceAccount:{email}",
    }
    repo = engine.one("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")["inputs"]
    assert (repo["repository"], repo["location"], repo["role"], repo["member"]) == (
        "model-serving",
        "us-central1",
        "roles/artifactregistry.reader",
        f"serviceAccount:{email}",
    )
    assert not [r for r in engine.registered if r["type"].startswith("gcp:serviceaccount/key")]
    assert all(r["name"].startswith("churn-identity") for r in engine.registered), [
        r["name"] for r in engine.registered
    ]


def storage_args(production):
    return ModelStorageArgs(
        project=PROJECT,
        location="us-central1",
        environment="prod" if production else "dev",
        bucket_name="acme-ml-prod-models",
        repository_id="model-serving",
        production=production,
    )


def test_model_storage_bucket_is_private_versioned_and_kept_in_prod(engine):
    url = run(lambda: ModelStorage("storage", storage_args(production=True)).repository_url)
    assert url == "us-central1-docker.pkg.dev/acme-ml/model-serving"
    bucket = engine.one("gcp:storage/bucket:Bucket")
    inputs = bucket["inputs"]
    assert bucket["protect"] and inputs["forceDestroy"] is False
    assert inputs["uniformBucketLevelAccess"] is True and inputs["publicAccessPrevention"] == "enforced"
    assert inputs["versioning"] == {"enabled": True}
    assert inputs["lifecycleRules"] == [
        {"action": {"type": "Delete"}, "condition": {"withState": "ARCHIVED", "daysSinceNoncurrentTime": 30}},
        {"action": {"type": "Delete"}, "condition": {"withState": "ARCHIVED", "numNewerVersions": 5}},
    ]
    assert "encryption" not in inputs
    repo = engine.one("gcp:artifactregistry/repository:Repository")
    assert repo["protect"]
    assert repo["inputs"]["format"] == "DOCKER"
    assert repo["inputs"]["vulnerabilityScanningConfig"] == {"enablementConfig": "INHERITED"}
    assert repo["inputs"]["dockerConfig"] == {"immutableTags": True}
    assert repo["inputs"]["cleanupPolicies"] == [
        {"id": "keep-newest", "action": "KEEP", "mostRecentVersions": {"keepCount": 20}},
        {"id": "delete-old", "action": "DELETE", "condition": {"tagState": "ANY", "olderThan": "15552000s"}},
    ]
    assert repo["inputs"]["cleanupPolicyDryRun"] is False


def test_model_storage_in_dev_can_be_torn_down(engine):
    run(lambda: ModelStorage("storage", storage_args(production=False)).bucket_url)
    bucket = engine.one("gcp:storage/bucket:Bucket")
    assert not bucket["protect"] and bucket["inputs"]["forceDestroy"] is True
    assert not engine.one("gcp:artifactregistry/repository:Repository")["protect"]


KEY = AttestorKey(
    id="//cloudkms.googleapis.com/v1/projects/acme-ml/locations/global/keyRings/ci/cryptoKeys/attestor/cryptoKeyVersions/1",
    public_key_pem="-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
    signature_algorithm="ECDSA_P256_SHA256",
)


def test_prod_policy_enforces_the_scan_attestation(engine):
    attestor = run(
        lambda: BinaryAuthorization(
            "binauthz",
            BinaryAuthorizationArgs(
                project=PROJECT,
                production=True,
                attestor_name="vulnerability-scan-passed",
                attestor_keys=(KEY,),
                signer_service_account="ci-signer@acme-ml.iam.gserviceaccount.com",
                allowlist=("quay.io/argoproj/**",),
            ),
        ).attestor
    )
    assert attestor == "projects/acme-ml/attestors/vulnerability-scan-passed"
    policy = engine.one("gcp:binaryauthorization/policy:Policy")
    assert policy["protect"]
    rule = policy["inputs"]["defaultAdmissionRule"]
    assert rule == {
        "evaluationMode": "REQUIRE_ATTESTATION",
        "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
        "requireAttestationsBies": ["projects/acme-ml/attestors/vulnerability-scan-passed"],
    }
    assert policy["inputs"]["globalPolicyEvaluationMode"] == "ENABLE"
    assert [p["namePattern"] for p in policy["inputs"]["admissionWhitelistPatterns"]] == [
        "gcr.io/gke-release/**",
        "gke.gcr.io/**",
        "gcr.io/google-containers/**",
        "gcr.io/stackdriver-agents/**",
        *DEFAULT_ALLOWLIST,  # the pinned add-ons' and upstream runtimes' repositories (tests/test_upstream_images.py)
        "quay.io/argoproj/**",
    ]
    note = engine.one("gcp:containeranalysis/note:Note")["inputs"]
    assert note["name"] == "vulnerability-scan-passed-note"
    created = engine.one("gcp:binaryauthorization/attestor:Attestor")["inputs"]
    assert created["attestationAuthorityNote"] == {
        "noteReference": "vulnerability-scan-passed-note",
        "publicKeys": [
            {
                "id": KEY.id,
                "pkixPublicKey": {"publicKeyPem": KEY.public_key_pem, "signatureAlgorithm": "ECDSA_P256_SHA256"},
            }
        ],
    }
    attach = engine.one("gcp:containeranalysis/noteIamMember:NoteIamMember")["inputs"]
    assert (attach["role"], attach["member"]) == (
        "roles/containeranalysis.notes.attacher",
        "serviceAccount:ci-signer@acme-ml.iam.gserviceaccount.com",
    )


def test_other_environments_dry_run_and_an_existing_attestor_is_adopted(engine):
    run(
        lambda: BinaryAuthorization(
            "binauthz",
            BinaryAuthorizationArgs(
                project=PROJECT,
                production=False,
                attestor_name="vulnerability-scan-passed",
            ),
        ).attestor
    )
    policy = engine.one("gcp:binaryauthorization/policy:Policy")
    assert not policy["protect"]
    assert policy["inputs"]["defaultAdmissionRule"]["enforcementMode"] == "DRYRUN_AUDIT_LOG_ONLY"
    assert policy["inputs"]["defaultAdmissionRule"]["requireAttestationsBies"] == [
        "projects/acme-ml/attestors/vulnerability-scan-passed"
    ]
    assert (
        engine.of_type("gcp:binaryauthorization/attestor:Attestor") == []
        and engine.of_type("gcp:containeranalysis/note:Note") == []
    )
