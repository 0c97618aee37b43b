"""The complete gitops tree of a stack, from its Pulumi state, and where it goes.

pulumi-kubernetes' `renderYamlToDirectory` writes a file only when its object is created or updated, on
the machine that runs `up`; a CI runner starts from a clean checkout, so its directory holds only what
that `up` changed. The tree Argo CD pulls is therefore built from the state after `up` instead: every
Kubernetes object that went through a rendering provider, with the inputs that provider recorded (the
versions and values the `up` resolved), written with the provider's own layout and serialisation
(ops/offline/rendered_manifests.py). Same state, same bytes, from any checkout.

The target comes from the state as well: the model Applications Pulumi applied name the repository
(`repoURL`), the branch (`targetRevision`) and each model's directory (`path`); every rendering
provider's directory must be one of those paths, all under one root (`<manifestsDir>/<environment>`),
or nothing is published. The root holds a marker listing the files the last publish wrote: only those
are ever deleted, and a file under the root that is not listed stops the publish (someone else's file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ops.offline.rendered_manifests import render_file, render_yaml
from ops.offline.wire_values import is_secret
from ops.resource_types import APPLICATION_TYPE, KUBERNETES_PROVIDER_TYPE

MODEL_LABEL = "mlops.platform/model"
MARKER = ".mlops-published.json"


class TreeError(Exception):
    """The state does not describe one consistent gitops tree; the message says what and the fix."""


@dataclass(frozen=True)
class Target:
    repo_url: str
    branch: str
    root: str  # <manifestsDir>/<environment>: the directory this stack owns on the branch
    paths: tuple[str, ...]  # each model Application's path


@dataclass(frozen=True)
class GitopsTree:
    target: Target | None  # None: no model is delivered through Argo CD (direct mode)
    files: dict[str, str]  # path relative to the repository root -> content

    def models(self) -> list[str]:
        return sorted(PurePosixPath(p).name for p in self.target.paths) if self.target else []


def _plain(value: Any, where: str) -> Any:
    if is_secret(value):
        raise TreeError(f"{where} holds a secret value; a secret must never reach a file in Git")
    if isinstance(value, dict):
        return {k: _plain(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, where) for v in value]
    return value


def _target(resources: list[dict]) -> Target | None:
    sources = []
    for resource in resources:
        inputs = resource.get("inputs") or {}
        if resource.get("type") == APPLICATION_TYPE and MODEL_LABEL in (
            (inputs.get("metadata") or {}).get("labels") or {}
        ):
            source = (inputs.get("spec") or {}).get("source") or {}
            sources.append((source.get("repoURL", ""), source.get("targetRevision", ""), source.get("path", "")))
    if not sources:
        return None
    repos = sorted({(repo, branch) for repo, branch, _ in sources})
    if len(repos) != 1:
        raise TreeError(f"the model Applications pull from more than one repository or branch: {repos}")
    roots = sorted({str(PurePosixPath(path).parent) for _, _, path in sources})
    if len(roots) != 1 or roots[0] in ("", "."):
        raise TreeError(f"the model Applications' paths do not share one <manifestsDir>/<environment>: {roots}")
    ((repo, branch),) = repos
    return Target(repo, branch, roots[0], tuple(sorted(path for _, _, path in sources)))


def tree_from_state(deployment: dict[str, Any]) -> GitopsTree:
    """Every object of every rendering provider in `deployment` (`pulumi stack export`), as files."""
    resources = list(deployment.get("resources") or [])
    render_dirs = {}
    for resource in resources:
        if resource.get("type") == KUBERNETES_PROVIDER_TYPE:
            directory = (resource.get("inputs") or {}).get("renderYamlToDirectory")
            if directory:
                render_dirs[f"{resource['urn']}::{resource.get('id', '')}"] = str(directory)
    target = _target(resources)
    if target is None:
        if render_dirs:
            raise TreeError(
                f"objects are rendered to {sorted(set(render_dirs.values()))} but no Application pulls them"
            )
        return GitopsTree(None, {})
    stray = sorted(set(render_dirs.values()) - set(target.paths))
    if stray:
        raise TreeError(f"rendered directories {stray} are not the path of any model Application {list(target.paths)}")
    files: dict[str, str] = {}
    for resource in resources:
        directory = render_dirs.get(resource.get("provider", ""))
        inputs = resource.get("inputs") or {}
        if directory is None or "apiVersion" not in inputs or resource.get("delete"):
            continue
        manifest = _plain(inputs, resource["urn"])
        path = str(PurePosixPath(directory) / render_file(manifest))
        if path in files:
            raise TreeError(f"two objects render to {path}")
        files[path] = render_yaml(manifest)
    return GitopsTree(target, files)


def _marker(root: Path) -> Path:
    return root / MARKER


def owned_files(repo_dir: Path, root: str) -> set[str]:
    """The files under `root` the last publish wrote (from its marker); refuses any other file there."""
    directory = repo_dir / root
    marker = _marker(directory)
    listed: set[str] = set()
    if marker.is_file():
        listed = set(json.loads(marker.read_text(encoding="utf-8")).get("files", []))
    present = {p.relative_to(repo_dir).as_posix() for p in directory.rglob("*") if p.is_file() and p != marker}
    foreign = sorted(present - listed)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise TreeError(
            f"{root}/ on the deploy branch holds files this tool did not write ({shown}); nothing was published "
            f"(fix: move them out of {root}/, or delete them if they are stale copies)"
        )
    return listed


def apply_tree(repo_dir: Path, tree: GitopsTree, stack: str) -> None:
    """Makes `root` in the checkout `repo_dir` hold exactly the tree: writes every file, deletes the files
    the previous publish wrote that are gone now, records the new list in the marker."""
    if tree.target is None:
        return
    root = tree.target.root
    previous = owned_files(repo_dir, root)
    for stale in sorted(previous - set(tree.files)):
        path = repo_dir / stale
        if path.is_file():
            path.unlink()
    for relative, content in tree.files.items():
        path = repo_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    for directory in sorted((repo_dir / root).rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    (repo_dir / root).mkdir(parents=True, exist_ok=True)
    marker = {"stack": stack, "writtenBy": "python -m ops publish", "files": sorted(tree.files)}
    _marker(repo_dir / root).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
