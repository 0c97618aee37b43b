"""Secrets only as secret config: no credential in plain text anywhere in a resource's inputs.

A value Pulumi holds as a secret (wrapped on the wire) is never scanned: that is where credentials
belong. Everything else is scanned for things that look like credentials: private keys, cloud and
SaaS tokens, passwords or tokens in URLs, and environment variables named like secrets with a plain
value. A Kubernetes Secret whose values are plain text is reported too (its data must come from
secret config), unless the gate cannot see secretness (the policy pack), which says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from guardrails.rule import GuardContext, Rule
from guardrails.subject import Subject, is_secret
from guardrails.violation import Finding

# (what, pattern): formats with a recognisable shape. Deliberately not "any long random string":
# image digests, hashes and UIDs would drown the real findings.
CREDENTIAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("a Google service-account key", re.compile(r'"private_key_id"\s*:')),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("an OpenAI-style API key", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("a bearer token", re.compile(r"\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*")),
    # Not a Kubernetes dependent-variable reference, $(VAR): the kubelet substitutes it from another env entry
    # (itself from a Secret), so the spec holds no password (the MLflow server's backend store URI).
    ("a password in a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:(?!\$\([A-Za-z_][A-Za-z0-9_]*\)@)[^/\s@]+@")),
    (
        "a credential in a URL query",
        re.compile(
            r"[?&](?:access_token|token|api[_-]?key|apikey|password|passwd|secret|sig|signature)=[^&\s]{6,}", re.I
        ),
    ),
)
_SECRET_NAME = re.compile(r"(?:TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)$", re.I)


def _strings(value: Any, path: str, skip_secrets: bool) -> Iterator[tuple[str, str]]:
    if skip_secrets and is_secret(value):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).startswith("__"):  # engine internals (the dynamic provider's pickled code)
                continue
            yield from _strings(item, f"{path}.{key}" if path else str(key), skip_secrets)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]", skip_secrets)
    elif isinstance(value, str):
        yield path, value


def _env_findings(subject: Subject) -> list[Finding]:
    findings = []
    for container in subject.containers():
        for var in container.get("env") or []:
            name, value = str(var.get("name", "")), var.get("value")
            if value and _SECRET_NAME.search(name):
                findings.append(
                    Finding(
                        subject.label,
                        f"container '{container.get('name')}' sets {name} as a plain environment value",
                        "read it from a Secret (valueFrom.secretKeyRef) filled from Pulumi secret config",
                    )
                )
    return findings


def _secret_object_findings(subject: Subject) -> list[Finding]:
    if subject.kind != "Secret":
        return []
    plain = [
        f"{field}.{key}"
        for field in ("data", "stringData")
        for key, value in (subject.inputs.get(field) or {}).items()
        if not is_secret(value) and not is_secret(subject.inputs.get(field))
    ]
    if not plain:
        return []
    return [
        Finding(
            subject.label,
            f"Secret values are plain text in the program: {', '.join(plain)}",
            "fill them from secret config (pulumi config set --secret ...) so Pulumi encrypts them in state",
        )
    ]


def scan(subject: Subject, secretness_known: bool = True) -> list[Finding]:
    """All findings for one resource. Without secretness (the policy pack sees values revealed), a
    Secret's own values are skipped rather than reported: they are where secrets belong."""
    findings: list[Finding] = []
    inputs: Any = subject.inputs
    if not secretness_known and subject.kind == "Secret":
        inputs = {k: v for k, v in inputs.items() if k not in ("data", "stringData")}
    for path, text in _strings(inputs, "", skip_secrets=True):
        for what, pattern in CREDENTIAL_PATTERNS:
            if pattern.search(text):
                findings.append(
                    Finding(
                        subject.label,
                        f"{path} contains what looks like {what}, in plain text",
                        "move it to secret config (pulumi config set --secret ...) and pass it as a Pulumi secret",
                    )
                )
                break
    findings += _env_findings(subject)
    if secretness_known:
        findings += _secret_object_findings(subject)
    return findings


def _check(subject: Subject, context: GuardContext) -> list[Finding]:
    return scan(subject, secretness_known=context.secretness_known)


SECRETS = Rule(
    "secrets-as-secret-config",
    "No credential in plain text in any resource input: credentials come only from secret config.",
    resource_check=_check,
)
