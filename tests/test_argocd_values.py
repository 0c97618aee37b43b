"""Argo CD Helm values: every key exists in the pinned chart's default values, HA in prod, admin off
with SSO, secrets only as (hashed) inputs."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest
import yaml

from facts.charts import ARGO_CD
from manifests.gitops.argocd_values import (
    FREE_FORM_MAPS,
    OIDC_SECRET_KEY,
    ArgoCdValuesArgs,
    argocd_values,
    bcrypt_hash,
)
from settings.gitops import ArgoCdSettings, SsoSettings

CHART_DEFAULTS = yaml.safe_load(
    (Path(__file__).parent / "data" / "charts" / f"{ARGO_CD.chart}-{ARGO_CD.version}-values.yaml").read_text()
)
SSO = SsoSettings(issuer="https://login.example.com", client_id="argocd", admin_groups=("platform-admins",))


def unknown_keys(values: dict, defaults: dict, prefix: str = "") -> list[str]:
    """Dotted paths we set that the chart's values.yaml does not have (free-form maps excepted)."""
    found = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if key not in defaults:
            found.append(path)
        elif path in FREE_FORM_MAPS:
            continue
        elif isinstance(value, dict):
            if not isinstance(defaults[key], dict):
                found.append(f"{path} (not a map in the chart)")
            else:
                found.extend(unknown_keys(value, defaults[key], f"{path}."))
    return found


def _values(**kwargs) -> dict:
    return argocd_values(ArgoCdValuesArgs(argo_cd=ArgoCdSettings(), **kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"production": False},
        {"production": True},
        {"production": True, "sso": SSO, "oidc_client_secret": "x"},
        {"production": False, "admin_password_hash": "$2a$10$x"},
    ],
)
def test_every_value_is_a_key_of_the_pinned_chart(kwargs):
    assert unknown_keys(_values(**kwargs), CHART_DEFAULTS) == []


def test_free_form_maps_are_maps_in_the_chart():
    for path in FREE_FORM_MAPS:
        node = CHART_DEFAULTS
        for part in path.split("."):
            node = node[part]
        assert isinstance(node, dict), path


def test_a_misspelt_key_is_caught():
    values = _values(production=True)
    values["server"]["autoscalling"] = {"enabled": True}
    values["configs"]["rbac"]["policy.cvs"] = ""
    assert sorted(unknown_keys(values, CHART_DEFAULTS)) == ["configs.rbac.policy.cvs", "server.autoscalling"]


def test_prod_runs_the_chart_readme_ha_mode_and_dev_does_not():
    prod, dev = _values(production=True), _values(production=False)
    assert prod["redis-ha"]["enabled"] is True
    assert prod["server"]["autoscaling"] == {"enabled": True, "minReplicas": 2}
    assert prod["repoServer"]["autoscaling"] == {"enabled": True, "minReplicas": 2}
    assert prod["applicationSet"]["replicas"] == 2
    assert all(prod[c]["pdb"]["enabled"] for c in ("controller", "server", "repoServer", "applicationSet"))
    assert not {"redis-ha", "server", "repoServer", "applicationSet"} & set(dev)


def test_sso_disables_the_admin_user_and_reads_the_client_secret_from_argocd_secret():
    values = _values(production=True, sso=SSO, oidc_client_secret="the-client-secret")
    cm = values["configs"]["cm"]
    assert cm["admin.enabled"] is False
    oidc = yaml.safe_load(cm["oidc.config"])
    assert oidc == {
        "name": "SSO",
        "issuer": "https://login.example.com",
        "clientID": "argocd",
        "clientSecret": f"${OIDC_SECRET_KEY}",
        "requestedScopes": ["openid", "profile", "email", "groups"],
    }
    assert "the-client-secret" not in cm["oidc.config"]
    assert values["configs"]["secret"] == {"extra": {OIDC_SECRET_KEY: "the-client-secret"}}
    assert values["configs"]["rbac"]["policy.csv"] == "g, platform-admins, role:admin\n"
    assert values["dex"]["enabled"] is False


def test_without_sso_the_admin_password_is_the_given_hash_with_a_fixed_mtime():
    values = _values(admin_password_hash="$2a$10$hash")
    assert values["configs"]["cm"]["admin.enabled"] is True
    assert values["configs"]["secret"] == {
        "argocdServerAdminPassword": "$2a$10$hash",
        "argocdServerAdminPasswordMtime": "2026-01-01T00:00:00Z",
    }
    # No password configured: no secret block at all, Argo CD generates argocd-initial-admin-secret.
    assert "secret" not in _values()["configs"]


def test_redis_secret_init_hook_is_off_because_helm_v4_chart_never_runs_hooks():
    assert _values()["redisSecretInit"] == {"enabled": False}
    assert _values()["crds"] == {"install": True, "keep": True}


def test_admin_password_hash_is_bcrypt_stable_and_checks():
    first = bcrypt_hash("correct horse", "prod/argocd")
    assert first.startswith("$2a$10$") and len(first) == 60
    assert bcrypt.checkpw(b"correct horse", first.encode())
    assert not bcrypt.checkpw(b"wrong", first.encode())
    assert bcrypt_hash("correct horse", "prod/argocd") == first  # no diff on every `pulumi up`
    assert bcrypt_hash("correct horse", "staging/argocd") != first  # stacks do not share a salt
