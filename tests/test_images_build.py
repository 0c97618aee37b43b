"""What images.yml builds and pushes, checked against the Dockerfiles and against what every stack pulls.

No Docker engine runs here, so the build is checked structurally: every COPY/ADD source of each
Dockerfile must exist relative to the context the workflow really passes (the matrix comes from
`python -m ops image-targets`, whose output is what the workflow's build step reads), and the tags pushed
must include every reference of a built image that a stack's Deployments and CronJobs name."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from facts.built_images import BUILT_IMAGES
from ops.offline.program_run import ProgramRun
from tests.conftest import PROJECT_DIR

IMAGES_WORKFLOW = PROJECT_DIR / ".github" / "workflows" / "images.yml"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def dockerfile_sources(dockerfile: Path) -> list[str]:
    """The source paths of every COPY/ADD without --from (those copy from a build stage, not the context)."""
    lines, current = [], ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#"):
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    sources = []
    for line in lines:
        words = shlex.split(line)
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from") for w in words[1:]):
            continue
        sources += args[:-1]  # the last argument is the destination
    return sources


@pytest.fixture(scope="module")
def matrix() -> dict:
    """The workflow's matrix exactly as its `targets` job computes it: the real command, in its own process."""
    result = subprocess.run(
        [sys.executable, "-m", "ops", "image-targets", "--commit", COMMIT],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def build_step(job: dict) -> dict:
    (step,) = [s for s in job["steps"] if "docker/build-push-action" in s.get("uses", "")]
    return step


def test_the_workflow_builds_from_the_matrix_the_targets_command_computes():
    workflow = yaml.safe_load(IMAGES_WORKFLOW.read_text())
    targets, image = workflow["jobs"]["targets"], workflow["jobs"]["image"]
    assert any("python -m ops image-targets" in s.get("run", "") for s in targets["steps"])
    assert image["needs"] == "targets"
    assert image["strategy"]["matrix"] == "${{ fromJSON(needs.targets.outputs.matrix) }}"
    built = build_step(image)["with"]
    assert built["context"] == "${{ matrix.context }}"
    assert built["file"] == "${{ matrix.dockerfile }}"
    assert built["tags"] == "${{ matrix.tags }}" and built["push"] is True


def test_every_built_image_is_in_the_matrix(matrix):
    assert {(e["name"], e["dockerfile"]) for e in matrix["include"]} == {(i.name, i.dockerfile) for i in BUILT_IMAGES}


def test_every_copy_source_exists_in_the_context_the_workflow_passes(matrix):
    for entry in matrix["include"]:
        context = (PROJECT_DIR / entry["context"]).resolve()
        dockerfile = PROJECT_DIR / entry["dockerfile"]
        sources = dockerfile_sources(dockerfile)
        assert sources, f"{entry['dockerfile']}: no COPY found"
        # A COPY source may be a glob (Docker matches it in the context): it must match at least one file.
        missing = [s for s in sources if not any(context.glob(s)) if not (context / s).exists()]
        assert not missing, f"{entry['dockerfile']} with context {entry['context']!r}: no {missing}"
        assert context == PROJECT_DIR, "the Dockerfiles copy facts/: the context must be the repository root"


def test_the_parser_sees_what_the_old_context_broke():
    """With the old `context: serving_runtime`, the COPY sources did not exist: the check above catches that."""
    sources = dockerfile_sources(PROJECT_DIR / "serving_runtime" / "Dockerfile")
    assert "serving_runtime/requirements.txt" in sources and "facts/quality_metrics.py" in sources
    assert not all((PROJECT_DIR / "serving_runtime" / s).exists() for s in sources)


def pulled_images(run: ProgramRun) -> set[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key in ("containers", "initContainers"):
                for container in node.get(key) or []:
                    if isinstance(container, dict) and isinstance(container.get("image"), str):
                        found.add(container["image"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for resource in run.kubernetes_objects():
        walk(resource.inputs)
    return found


def test_every_built_image_a_stack_pulls_is_pushed_under_that_exact_reference(matrix, stack_runs):
    pushed = {tag for entry in matrix["include"] for tag in entry["tags"].splitlines()}
    names = {image.name for image in BUILT_IMAGES}
    checked = 0
    for stack, run in stack_runs.items():
        registries = {s["registry"] for e in matrix["include"] for s in e["stacks"] if s["stack"] == stack}
        for ref in pulled_images(run):
            repository = ref.rsplit(":", 1)[0]
            if repository.rsplit("/", 1)[-1] not in names:
                continue
            checked += 1
            if "/" not in repository:  # a local name (the kind stack loads it with `kind load`)
                assert not registries, f"{stack} pulls the local name {ref} but has a registry"
                continue
            assert ref in pushed, f"stack {stack} pulls {ref}, which images.yml never pushes"
            assert repository.rsplit("/", 1)[0] in registries
    assert checked >= 3
    # The commit SHA is pushed too, for stacks that pin quality.imageTag to it.
    assert all(any(t.endswith(f":{COMMIT}") for t in e["tags"].splitlines()) for e in matrix["include"])
