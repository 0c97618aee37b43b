"""The project's Binary Authorization policy: a pod's image is admitted only with an attestation
from the vulnerability-scan attestor, which CI signs only for images whose scan found nothing above
CVSS 7.0 (the source documents' deployment block). Production blocks anything else; the other
environments admit it and write an audit log entry, so a missing attestation shows up before prod.

GKE's own images are admitted by Google's global system-image policy and an allowlist. The policy is
a project singleton: every cluster of the project that evaluates PROJECT_SINGLETON_POLICY_ENFORCE
(ClusterSettings.binaryAuthorization) follows it, so platform add-ons from public registries
(Argo CD, Flagger, Prometheus, ...) need attestations or allowlist entries too: the pinned add-ons'
and the upstream runtimes' repositories are allowlisted by default (facts/upstream_images.py), our own
images are attested by images.yml, and `binaryAuthorizationAllowlist` adds a stack's own entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from facts.upstream_images import DEFAULT_ALLOWLIST

ENFORCE = "ENFORCED_BLOCK_AND_AUDIT_LOG"
DRY_RUN = "DRYRUN_AUDIT_LOG_ONLY"
# Binary Authorization name patterns: '*' matches within one path segment, '**' across segments.
GKE_SYSTEM_IMAGES = (
    "gcr.io/gke-release/**",
    "gke.gcr.io/**",
    "gcr.io/google-containers/**",
    "gcr.io/stackdriver-agents/**",
)


@dataclass(frozen=True)
class AttestorKey:
    """A PKIX public key the attestor trusts, e.g. of a Cloud KMS asymmetric signing key version."""

    id: str  # for KMS keys: //cloudkms.googleapis.com/v1/projects/.../cryptoKeyVersions/1
    public_key_pem: str
    signature_algorithm: str  # e.g. ECDSA_P256_SHA256, RSA_SIGN_PKCS1_4096_SHA512


@dataclass(frozen=True)
class BinaryAuthorizationArgs:
    project: str
    production: bool  # enforce (block) instead of dry-run (audit only)
    attestor_name: str  # e.g. "vulnerability-scan-passed"
    # Keys to create the attestor (and its Container Analysis note) with; empty adopts an existing
    # attestor of that name instead.
    attestor_keys: tuple[AttestorKey, ...] = ()
    # CI identity that signs attestations after a passing scan: may attach them to the note.
    signer_service_account: str | None = None
    # Image patterns admitted without attestation, besides GKE's own and DEFAULT_ALLOWLIST.
    allowlist: tuple[str, ...] = ()


def attestor_resource_name(project: str, attestor: str) -> str:
    return f"projects/{project}/attestors/{attestor}"


def admitted_patterns(args: BinaryAuthorizationArgs) -> list[str]:
    """GKE's system images, the upstream images the platform runs, then the stack's own; each once."""
    return list(dict.fromkeys((*GKE_SYSTEM_IMAGES, *DEFAULT_ALLOWLIST, *args.allowlist)))


def policy_inputs(args: BinaryAuthorizationArgs, attestor: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "project": args.project,
        "description": "Admit only images attested by the vulnerability scan (no finding above CVSS 7.0).",
        "global_policy_evaluation_mode": "ENABLE",
        "admission_whitelist_patterns": [{"name_pattern": p} for p in admitted_patterns(args)],
        "default_admission_rule": {
            "evaluation_mode": "REQUIRE_ATTESTATION",
            "enforcement_mode": ENFORCE if args.production else DRY_RUN,
            "require_attestations_bies": [attestor],
        },
    }


class BinaryAuthorization(pulumi.ComponentResource):
    attestor: pulumi.Output[str]  # projects/<project>/attestors/<name>
    note: pulumi.Output[str] | None  # the Container Analysis note, when created here

    def __init__(self, name: str, args: BinaryAuthorizationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:BinaryAuthorization", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.attestor_keys:
            note = gcp.containeranalysis.Note(
                f"{name}-note",
                project=args.project,
                name=f"{args.attestor_name}-note",
                attestation_authority={
                    "hint": {"human_readable_name": f"{args.attestor_name}: scan found nothing above CVSS 7.0"}
                },
                opts=child,
            )
            created = gcp.binaryauthorization.Attestor(
                f"{name}-attestor",
                project=args.project,
                name=args.attestor_name,
                description="Signed by CI only for images whose vulnerability scan passed (max CVSS <= 7.0).",
                attestation_authority_note={
                    "note_reference": note.name,
                    "public_keys": [
                        {
                            "id": key.id,
                            "pkix_public_key": {
                                "public_key_pem": key.public_key_pem,
                                "signature_algorithm": key.signature_algorithm,
                            },
                        }
                        for key in args.attestor_keys
                    ],
                },
                opts=child,
            )
            if args.signer_service_account:
                signer = f"serviceAccount:{args.signer_service_account}"
                gcp.containeranalysis.NoteIamMember(
                    f"{name}-signer-attaches",
                    project=args.project,
                    note=note.name,
                    role="roles/containeranalysis.notes.attacher",
                    member=signer,
                    opts=child,
                )
                gcp.binaryauthorization.AttestorIamMember(
                    f"{name}-signer-views",
                    project=args.project,
                    attestor=created.name,
                    role="roles/binaryauthorization.attestorsViewer",
                    member=signer,
                    opts=child,
                )
            self.note = note.name
            self.attestor = created.name.apply(lambda attestor: attestor_resource_name(args.project, attestor))
        else:
            self.note = None
            self.attestor = pulumi.Output.from_input(attestor_resource_name(args.project, args.attestor_name))
        gcp.binaryauthorization.Policy(
            f"{name}-policy",
            **policy_inputs(args, self.attestor),
            opts=pulumi.ResourceOptions(parent=self, protect=args.production),
        )
        self.register_outputs({"attestor": self.attestor})
