"""Bad `featureStore` values through the whole program: one problem each, naming the stack file, the key
and the fix, and nothing registered. Wrong types, unknown keys, a Memorystore size Google does not sell, a
Feast project name Feast refuses, a namespace the platform already uses, and a prod store without failover."""

from __future__ import annotations

from tests.settings_refusals import refused_with

KEY = "Pulumi.{stack}.yaml: mlops-platform:featureStore"


def key(stack: str) -> str:
    return KEY.format(stack=stack)


def test_wrong_types_and_unknown_keys():
    assert refused_with("dev", featureStore={"enabled": "sometimes"}) == [
        f"{key('dev')}.enabled: 'sometimes' is not true or false (fix: write true or false)"
    ]
    problems = refused_with("dev", featureStore={"enabled": True, "redis": {"memorySize": 2}})
    assert problems == [
        f"{key('dev')}.redis.memorySize: unknown key (fix: did you mean 'memorySizeGb'? remove it or use one of: "
        "memorySizeGb, tier)"
    ]


def test_sizes_and_tiers_memorystore_does_not_have():
    problems = refused_with("dev", featureStore={"enabled": True, "redis": {"tier": "PREMIUM", "memorySizeGb": 500}})
    assert len(problems) == 2, problems
    assert (
        problems[0].startswith(f"{key('dev')}.redis.tier: ") and "BASIC" in problems[0] and "STANDARD_HA" in problems[0]
    )
    assert problems[1].startswith(f"{key('dev')}.redis.memorySizeGb: ") and "300" in problems[1]


def test_names_feast_and_kubernetes_refuse():
    assert refused_with(
        "dev", featureStore={"enabled": True, "project": "my-features", "namespace": "Feature_Store"}
    ) == [
        f"{key('dev')}.namespace: 'Feature_Store' is not a namespace name (fix: a lowercase DNS label, e.g. feature-store)",
        f"{key('dev')}.project: 'my-features' is not a Feast project name (fix: letters, digits and '_' only, e.g. mlops)",
    ]


def test_a_namespace_the_platform_already_uses():
    assert refused_with("dev", featureStore={"enabled": True, "namespace": "monitoring"}) == [
        f"{key('dev')}.namespace: namespace 'monitoring' is already used by the platform (fix: choose another name, "
        "e.g. feature-store)"
    ]


def test_prod_refuses_an_online_store_without_failover():
    assert refused_with("prod", featureStore={"enabled": True, "redis": {"tier": "BASIC"}}) == [
        f"{key('prod')}.redis.tier: a BASIC Memorystore instance has no replica: a zone outage or maintenance empties "
        "prod's online store and every model reading it fails (fix: set featureStore.redis.tier: STANDARD_HA (or "
        "remove it for the prod default))"
    ]


def test_off_it_is_not_checked():
    """A stack that leaves the store off is never refused for its redis profile (prod's BASIC is only a problem
    when the store is on): the refusal above comes from `enabled`, not from the value alone."""
    problems = refused_with("prod", featureStore={"enabled": False, "redis": {"tier": "BASIC"}}, models=["nope"])
    assert all("featureStore" not in p for p in problems), problems
