"""Turn CustomResourceDefinition YAML into the per-kind JSON schemas tests/schemas.py validates against.

One file per served version, `<out>/<group>/<kind lowercased>_<version>.json`, holding that version's
`schema.openAPIV3Schema` exactly as the CRD states it (key order kept, two-space indent, a final newline),
the layout of datreeio/CRDs-catalog and kubeconform. Helm chart CRDs are templates: lines that are only a
template directive (`{{- if ... }}`) are dropped and inline `{{ ... }}` become a placeholder first; both
only ever occur in `metadata`, which is not part of the schema. Deterministic: the same input gives the
same bytes.

    python tools/crd_to_json_schema.py --out tests/data/crd-schemas path/to/crd.yaml [more.yaml ...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

_DIRECTIVE_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")
_INLINE = re.compile(r"\{\{.*?\}\}")


def untemplate(text: str) -> str:
    lines = (line for line in text.splitlines() if not _DIRECTIVE_LINE.match(line))
    return "\n".join(_INLINE.sub("templated", line) for line in lines) + "\n"


def schemas(text: str) -> dict[str, dict]:
    """Relative path -> openAPIV3Schema for every CRD version in a (multi-document) YAML text."""
    found: dict[str, dict] = {}
    for document in yaml.safe_load_all(untemplate(text)):
        if not isinstance(document, dict) or document.get("kind") != "CustomResourceDefinition":
            continue
        spec = document["spec"]
        kind = spec["names"]["kind"].lower()
        for version in spec["versions"]:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema is not None:
                found[f"{spec['group']}/{kind}_{version['name']}.json"] = schema
    return found


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write <group>/<kind>_<version>.json into")
    parser.add_argument("--only", action="append", default=[], help="write only this relative path (repeatable)")
    parser.add_argument("crds", nargs="+", type=Path, help="CRD YAML files")
    args = parser.parse_args(argv)
    written: dict[str, dict] = {}
    for path in args.crds:
        written.update(schemas(path.read_text(encoding="utf-8")))
    missing = [name for name in args.only if name not in written]
    if missing:
        print(f"error: no CRD in {[str(p) for p in args.crds]} gives {missing}", file=sys.stderr)
        return 1
    for name, schema in sorted(written.items()):
        if args.only and name not in args.only:
            continue
        target = args.out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(schema), encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
