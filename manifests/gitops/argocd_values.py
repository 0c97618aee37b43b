"""Helm values for the argo-cd chart (facts.charts.ARGO_CD), as pure functions.

Every key set here exists in the chart's default values (tests/data/charts/argo-cd-10.1.1-values.yaml,
checked key by key in tests/test_argocd_values.py) except below the maps the chart documents as free
form (FREE_FORM_MAPS). Secrets enter as Pulumi Inputs (secret Outputs in the program) and are never
plain text here: the admin password arrives already bcrypt-hashed, the OIDC client secret goes to
argocd-secret through `configs.secret.extra` and is referenced from oidc.config as `$oidc.clientSecret`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import bcrypt
import yaml

from settings.gitops import ArgoCdSettings, SsoSettings

# Maps the chart passes through as they are (values.yaml: "Any values you put under `.configs.cm` are
# passed to argocd-cm ConfigMap"; params -> argocd-cmd-params-cm; secret.extra -> argocd-secret).
FREE_FORM_MAPS = ("configs.cm", "configs.params", "configs.secret.extra")

OIDC_SECRET_KEY = "oidc.clientSecret"  # key in argocd-secret; oidc.config reads it as $oidc.clientSecret
BCRYPT_COST = 10  # Argo CD's own cost for admin.password (argocd account update-password)
_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCRYPT = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class ArgoCdValuesArgs:
    argo_cd: ArgoCdSettings
    production: bool = False  # HA: redis-ha, two API servers and repo servers, PDBs
    sso: SsoSettings | None = None  # set: OIDC login, admin user disabled
    admin_password_hash: Any = None  # bcrypt hash (a secret Output in the program); None: Argo CD generates one
    oidc_client_secret: Any = None  # the client secret (a secret Output in the program)


def bcrypt_hash(password: str, salt_seed: str) -> str:
    """bcrypt `$2a$` hash as argocd-secret's admin.password expects. The salt is derived from the password
    and `salt_seed` (the stack) instead of drawn at random, so the same password gives the same hash on
    every run: a random salt would change the Helm values, and so argocd-secret, on every `pulumi up`."""
    digest = hmac.new(password.encode(), f"argocd-admin:{salt_seed}".encode(), hashlib.sha256).digest()[:16]
    salt_text = base64.b64encode(digest).rstrip(b"=").translate(bytes.maketrans(_STANDARD, _BCRYPT))
    salt = b"$2a$%02d$" % BCRYPT_COST + salt_text
    return bcrypt.hashpw(password.encode(), salt).decode()


def oidc_config(sso: SsoSettings) -> str:
    """argocd-cm `oidc.config` (a YAML string) for Argo CD's built-in OIDC client (Dex stays off)."""
    config = {
        "name": sso.name,
        "issuer": sso.issuer,
        "clientID": sso.client_id,
        "clientSecret": f"${OIDC_SECRET_KEY}",
        "requestedScopes": list(sso.requested_scopes),
    }
    return yaml.safe_dump(config, sort_keys=False)


def rbac_policy(sso: SsoSettings | None) -> str:
    """Global policy: only the platform admins' groups; team rights live in each team's AppProject."""
    if sso is None:
        return ""
    return "".join(f"g, {group}, role:admin\n" for group in sso.admin_groups)


def _high_availability() -> dict:
    """The chart README's "HA mode with autoscaling" (redis-ha needs >= 3 nodes for its anti-affinity)."""
    pdb = {"pdb": {"enabled": True, "minAvailable": 1}}
    return {
        "redis-ha": {"enabled": True},
        "controller": {"replicas": 1, **pdb},
        "server": {"autoscaling": {"enabled": True, "minReplicas": 2}, **pdb},
        "repoServer": {"autoscaling": {"enabled": True, "minReplicas": 2}, **pdb},
        "applicationSet": {"replicas": 2, **pdb},
    }


def argocd_values(args: ArgoCdValuesArgs) -> dict:
    sso = args.sso
    cm: dict[str, Any] = {"admin.enabled": sso is None, "exec.enabled": False}
    secret: dict[str, Any] = {}
    if sso is not None:
        cm["oidc.config"] = oidc_config(sso)
        secret["extra"] = {OIDC_SECRET_KEY: args.oidc_client_secret}
    elif args.admin_password_hash is not None:
        secret["argocdServerAdminPassword"] = args.admin_password_hash
        # Fixed, not the chart's default `now`: that would change argocd-secret on every render.
        secret["argocdServerAdminPasswordMtime"] = args.argo_cd.admin_password_mtime
    values: dict[str, Any] = {
        "global": {"domain": args.argo_cd.domain},
        # CRDs are ordinary chart templates; Pulumi applies them server-side (the provider's default),
        # which their size needs and which their ServerSideApply=true annotation asks of Argo CD itself.
        "crds": {"install": True, "keep": True},
        # A Helm pre-install hook Job that helm.v4.Chart never runs (hooks are dropped): Pulumi creates
        # the argocd-redis Secret itself (components/gitops/argocd.py).
        "redisSecretInit": {"enabled": False},
        "dex": {"enabled": False},  # SSO, when on, is Argo CD's own OIDC client
        "configs": {
            "cm": cm,
            "rbac": {"policy.default": "", "policy.csv": rbac_policy(sso), "scopes": "[groups]"},
            **({"secret": secret} if secret else {}),
        },
    }
    if args.production:
        values.update(_high_availability())
    return values
