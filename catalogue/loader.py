"""Loads and validates every `models/*.yaml`, reporting all problems of all files at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from catalogue.schema import ModelSpec
from core.problems import ProblemCollector
from core.spec import problems_from_validation_error
from core.yaml_files import read_yaml


@dataclass(frozen=True)
class Catalogue:
    models: tuple[ModelSpec, ...]

    def for_environment(self, environment: str) -> tuple[ModelSpec, ...]:
        """The models that declare this environment, in name order (stable previews)."""
        return tuple(m for m in self.models if environment in m.environments)

    def names(self) -> list[str]:
        return [m.name for m in self.models]


def load_catalogue(models_dir: Path, display_root: Path | None = None) -> Catalogue:
    """Raises ConfigError listing every problem in every file; returns models sorted by name."""
    problems = ProblemCollector()
    root = display_root or models_dir.parent
    if not models_dir.is_dir():
        problems.add(
            str(models_dir), "", "catalogue directory does not exist", "create it or set modelsDir in the stack config"
        )
        problems.raise_if_any()

    files = sorted(p for p in models_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    for folder in sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        # Refused rather than loaded: one flat folder keeps "one file per model, named after it" checkable
        # and a folder of drafts or an old copy from deploying silently.
        nested = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))
        if nested:
            problems.add(
                _display(folder, root),
                "",
                f"is a sub-folder with {len(nested)} model file(s) ({_display(nested[0], root)}, ...); "
                "the catalogue is one flat folder and sub-folders are not loaded",
                f"move the files up into {_display(models_dir, root)}/ (or out of it if they are not meant to deploy)",
            )
    by_name: dict[str, str] = {}
    models = []
    for path in files:
        display = _display(path, root)
        document, yaml_problems = read_yaml(path, display)
        problems.extend(yaml_problems)
        if yaml_problems:
            continue
        if document is None:
            problems.add(display, "", "is empty", "describe the model (name, team, ...); see models/schema.json")
            continue
        if not isinstance(document, dict):
            problems.add(display, "", "must be a mapping of keys (name, team, ...)", "see models/schema.json")
            continue
        try:
            model = ModelSpec.model_validate(document)
        except ValidationError as exc:
            problems.extend(problems_from_validation_error(exc, display, ModelSpec))
            continue
        if model.name != path.stem:
            problems.add(
                display,
                "name",
                f"is {model.name!r} but the file is {path.name}",
                f"rename the file to {model.name}.yaml or set name: {path.stem}",
            )
            continue
        if model.name in by_name:
            problems.add(
                display,
                "name",
                f"duplicate model {model.name!r}, also in {by_name[model.name]}",
                "keep one file per model",
            )
            continue
        by_name[model.name] = display
        models.append(model)

    if not files:
        problems.add(_display(models_dir, root), "", "holds no model files", "add models/<name>.yaml")
    problems.raise_if_any()
    return Catalogue(models=tuple(sorted(models, key=lambda m: m.name)))


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
